import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { readerInstanceId, WAKE_DETAIL_TYPES, WAKE_EVENT_IDS } from '../../functions/runbook/wake-signal.js';

export interface WakeRuleProps {
  /** The plans' Aurora cluster ARNs in this region (the members of their global clusters). */
  readonly clusterArns: readonly string[];
  readonly handler: IFunction;
}

/**
 * The waker's rule (docs/architecture.md, "Wake-ups"): RDS's events that end a parked runbook
 * step's wait, for the plans' clusters in this region (global switchover finished,
 * RDS-EVENT-0185; global failover completed, RDS-EVENT-0238) and the reader PrepareDatabase adds
 * to a headless one (DB instance created, RDS-EVENT-0005), go to WakeOnEvent. RDS emits events to
 * the default bus of the cluster's region (Aurora User Guide, "Creating a rule that triggers on an
 * Amazon Aurora event"); the runbook runs in the target region, so each region's rule wakes its
 * own executions. A late event is useless (the parked step's own timeout read AWS already): no
 * retries past a minute.
 */
export class WakeRule extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: WakeRuleProps) {
    super(scope, id);
    const readers = props.clusterArns.map((arn) => {
      const parts = arn.split(':');
      return `${parts.slice(0, 5).join(':')}:db:${readerInstanceId(parts[6] ?? '')}`;
    });
    this.rule = new Rule(this, 'RdsEvents', {
      description: 'Switchyard: RDS global switchover/failover finished and reader created -> WakeOnEvent',
      eventPattern: {
        source: ['aws.rds'],
        detailType: [...WAKE_DETAIL_TYPES],
        resources: [...props.clusterArns, ...readers],
        detail: { EventID: Object.values(WAKE_EVENT_IDS) },
      },
      targets: [new LambdaFunction(props.handler, { maxEventAge: Duration.minutes(1), retryAttempts: 2 })],
    });
  }
}

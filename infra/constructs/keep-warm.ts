import { Duration } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface KeepWarmProps {
  /** The functions to ping; each must answer the ping without running its use case. */
  readonly functions: readonly IFunction[];
  readonly everyMinutes: number;
  /** The `source` of the ping event (functions/handlers/keep-warm.ts). */
  readonly source: string;
}

/** EventBridge allows at most five targets per rule. */
const TARGETS_PER_RULE = 5;

/**
 * Keep-warm pings: every step function on a failover's critical path is invoked with a
 * `{ source }` event every few minutes, so that a failover does not pay a cold start per step.
 */
export class KeepWarm extends Construct {
  readonly rules: readonly Rule[];

  constructor(scope: Construct, id: string, props: KeepWarmProps) {
    super(scope, id);
    const groups: IFunction[][] = [];
    props.functions.forEach((fn, i) => {
      const index = Math.floor(i / TARGETS_PER_RULE);
      groups[index] = [...(groups[index] ?? []), fn];
    });
    this.rules = groups.map(
      (group, i) =>
        new Rule(this, `Rule${i}`, {
          description: `Switchyard keep-warm pings (${i + 1}/${groups.length})`,
          schedule: Schedule.rate(Duration.minutes(props.everyMinutes)),
          targets: group.map(
            (fn) =>
              new LambdaFunction(fn, {
                event: RuleTargetInput.fromObject({ source: props.source }),
                // A missed ping costs one cold start, later: not worth a retry.
                retryAttempts: 0,
                maxEventAge: Duration.minutes(1),
              }),
          ),
        }),
    );
  }
}

import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../functions/aws/events.js';
import { FINISHED_EVENT } from '../../functions/runbook/finish.js';

export interface ReconcilerScheduleProps {
  /** The Reconcile function of this region. */
  readonly handler: IFunction;
  /** How often every app is reconciled, in minutes (EventBridge's finest rate is one minute). */
  readonly everyMinutes: number;
}

/**
 * When the reconciler runs in a region: on a schedule (every app, every minute), and on every
 * `Switchyard Execution Finished` event of this region's bus whose status is FAILED or ABORTED
 * (that app, at once: the finding starts settling then).
 */
export class ReconcilerSchedule extends Construct {
  readonly schedule: Rule;
  readonly afterFailure: Rule;

  constructor(scope: Construct, id: string, props: ReconcilerScheduleProps) {
    super(scope, id);
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Switchyard: reconcile every app against the observed truth',
      schedule: Schedule.rate(Duration.minutes(props.everyMinutes)),
      targets: [
        new LambdaFunction(props.handler, {
          // The next run comes in a minute: a missed one is not worth a retry.
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });
    this.afterFailure = new Rule(this, 'AfterFailure', {
      description: 'Switchyard: reconcile an app after an execution ends FAILED or ABORTED',
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: [FINISHED_EVENT],
        detail: { status: ['FAILED', 'ABORTED'] },
      },
      targets: [new LambdaFunction(props.handler, { retryAttempts: 2, maxEventAge: Duration.minutes(10) })],
    });
  }
}

import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ReadinessScheduleProps {
  /** The Readiness function of this region. */
  readonly handler: IFunction;
  /** How often every app is evaluated, in minutes. */
  readonly everyMinutes: number;
}

/** When readiness is evaluated in a region: every app toward every other region, on a schedule. */
export class ReadinessSchedule extends Construct {
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: ReadinessScheduleProps) {
    super(scope, id);
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Switchyard: evaluate every plan toward every region it could fail over to',
      schedule: Schedule.rate(Duration.minutes(props.everyMinutes)),
      targets: [
        new LambdaFunction(props.handler, {
          // The next evaluation comes in five minutes: a missed one is not worth a retry.
          retryAttempts: 0,
          maxEventAge: Duration.minutes(props.everyMinutes),
        }),
      ],
    });
  }
}

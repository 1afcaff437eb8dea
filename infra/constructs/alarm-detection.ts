import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface AlarmDetectionProps {
  /** The plans' alarm ARNs in this region: their state changes reach this region's bus only. */
  readonly alarmArns: readonly string[];
  readonly handler: IFunction;
}

/**
 * Automatic failover's trigger: every state change of a plan alarm in this region goes to the
 * evaluate-alarm function, which applies the plan's `minAlarms`, `sustainSeconds` and `cooldown`.
 */
export class AlarmDetection extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: AlarmDetectionProps) {
    super(scope, id);
    this.rule = new Rule(this, 'AlarmStateChange', {
      description: 'Switchyard: plan alarm state changes -> EvaluateAlarm',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [...props.alarmArns],
      },
      targets: [
        new LambdaFunction(props.handler, {
          // An alarm event older than this describes a state that has moved on; the function
          // re-reads alarm state anyway, so late delivery is safe, but not useful past an hour.
          maxEventAge: Duration.hours(1),
          retryAttempts: 20,
        }),
      ],
    });
  }
}

import { Stack, TimeZone } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import type { Plan } from '../../functions/core/plan.js';

/**
 * The event a drill schedule sends to its function. Every region of a plan gets the schedule;
 * the drill use case acts only where the state table says the plan is active, so exactly one
 * region runs the drill and a region that is down (or passive) skips it. A drill is a graceful
 * activation of another region and, for `switchover-and-back`, back again after `soakSeconds`.
 */
export interface DrillScheduleEvent {
  readonly source: 'switchyard.drill-schedule';
  readonly app: string;
  readonly kind: 'switchover-and-back' | 'switchover';
  readonly soakSeconds: number;
  /** The schedule expression that fired, for the drill report. */
  readonly schedule: string;
}

export interface DrillSchedulesProps {
  /** Plans with `drills` whose control plane runs in this region. */
  readonly plans: readonly Plan[];
  readonly handler: IFunction;
}

/** An EventBridge Scheduler schedule per plan drill (the plan's cron, in UTC). */
export class DrillSchedules extends Construct {
  readonly schedules: readonly Schedule[];
  readonly role?: Role;

  constructor(scope: Construct, id: string, props: DrillSchedulesProps) {
    super(scope, id);
    const drills = props.plans.flatMap((plan) => (plan.drills ? [{ plan, drills: plan.drills }] : []));
    if (drills.length === 0) {
      this.schedules = [];
      return;
    }
    const stack = Stack.of(this);
    // One role for this region's schedules: invoke the one function, by its unqualified ARN, only
    // on behalf of schedules of this account (confused-deputy guard).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Switchyard drill schedules: invoke the drill function',
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'InvokeDrillFunction',
        effect: Effect.ALLOW,
        actions: ['lambda:InvokeFunction'],
        resources: [props.handler.functionArn],
      }),
    );
    // The target would grant `function` and `function:*`; the statement above is all it needs.
    const role = this.role.withoutPolicyUpdates();
    this.schedules = drills.map(
      ({ plan, drills: d }) =>
        new Schedule(this, `Drill-${plan.name}`, {
          scheduleName: `switchyard-drill-${plan.name}`,
          description: `Switchyard DR drill of ${plan.name} (${d.kind})`,
          schedule: ScheduleExpression.expression(d.schedule, TimeZone.ETC_UTC),
          target: new LambdaInvoke(props.handler, {
            role,
            input: ScheduleTargetInput.fromObject({
              source: 'switchyard.drill-schedule',
              app: plan.name,
              kind: d.kind,
              soakSeconds: d.soakSeconds,
              schedule: d.schedule,
            } satisfies DrillScheduleEvent),
            retryAttempts: 3,
          }),
        }),
    );
  }
}

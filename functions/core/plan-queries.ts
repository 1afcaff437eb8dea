import type { AutoScalingGroupPlan, Plan, RegionName, WarmPoolPlan } from './plan-schema.js';

// What the control plane reads off a validated plan. No schema here (types only): the Lambdas
// import this, and the plan schema stays out of their bundles (functions/handlers/environment.ts).

/** The region a plan starts active in: the first of its regions. */
export function initialPrimary(plan: Plan): RegionName {
  return plan.regions[0] as RegionName;
}

/** The warm pool a group declares in `region`, or undefined. */
export function warmPoolIn(group: AutoScalingGroupPlan, region: string): WarmPoolPlan | undefined {
  const pool = group.warmPool;
  if (!pool || (pool.regions && !pool.regions.includes(region))) return undefined;
  return pool;
}

/**
 * How many instances a warm pool holds while its group runs `desired` instances with `max` as its
 * MaxSize: max(minSize, (maxGroupPreparedCapacity, or max when absent or -1) - desired), never
 * below 0 ("Warm pool size", Amazon EC2 Auto Scaling User Guide,
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html).
 */
export function warmPoolSize(
  pool: Pick<WarmPoolPlan, 'minSize' | 'maxGroupPreparedCapacity'>,
  desired: number,
  max: number,
): number {
  const prepared =
    pool.maxGroupPreparedCapacity === undefined || pool.maxGroupPreparedCapacity === -1
      ? max
      : pool.maxGroupPreparedCapacity;
  return Math.max(pool.minSize, prepared - desired, 0);
}

/**
 * What a plan's `detection.mode` does once its alarms have held for `sustainSeconds` (EvaluateAlarm,
 * `functions/detection/evaluate-alarm.ts`), in words for `switchyard status` and the console: the
 * mode's name alone ("approval") does not say it. An unknown mode is given back as it is.
 */
export function detectionMeaning(mode: string): string {
  switch (mode) {
    case 'automatic':
      return 'an alarm starts an ungraceful failover by itself';
    case 'approval':
      return 'an alarm starts a failover that waits for an approver';
    case 'notify':
      return 'an alarm only notifies: nothing fails over';
    default:
      return mode;
  }
}

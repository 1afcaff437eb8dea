import type { AutoScalingGroupPlan } from '../core/plan.js';
import type { GroupReadiness } from '../observer/observe.js';

/**
 * The figures readiness estimates a target's capacity time from, in seconds, in one place. AWS
 * publishes none of the instance times: they are our estimates, the same the sandbox simulates
 * (so that the evaluation's estimate and a simulated failover agree), not read from it.
 */
export const CAPACITY_SECONDS = {
  /**
   * A new instance from launch to InService: EC2 launch, OS boot and the AMI's bootstrap. AWS
   * publishes no figure (it depends on the AMI); our estimate.
   */
  launch: 90,
  /**
   * A warm pool instance from leaving the pool to InService, by the pool's state: instances are
   * "pre-initialized" and skip the bootstrap ("Decrease latency for applications with long boot
   * times using warm pools", Amazon EC2 Auto Scaling User Guide,
   * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html). AWS
   * publishes no start or resume time: our conservative estimates (a Stopped instance starts, a
   * Hibernated one resumes its RAM from EBS, a Running one only passes Pending).
   */
  warmStart: { Stopped: 30, Hibernated: 20, Running: 5 } as Readonly<Record<string, number>>,
  /**
   * From InService (registered with the target group) to healthy: "after your target is
   * registered, it must pass one health check to be considered healthy", default interval 30 s
   * ("Health checks for Application Load Balancer target groups",
   * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
   */
  healthCheck: 30,
} as const;

/** The expected time for one group to reach its active profile in a target region. */
export interface CapacityTime {
  readonly group: string;
  /** Instances still to add: the active profile's desired less those healthy InService now. */
  readonly needed: number;
  /** Of them, how many the warm pool can supply (warmed instances; its size when unread). */
  readonly fromPool: number;
  /** Seconds to the active profile drawing on the pool; null when the group has no pool there. */
  readonly withPoolSeconds: number | null;
  /** Seconds to the active profile launching every needed instance from nothing. */
  readonly withoutPoolSeconds: number;
}

/**
 * The expected capacity time of `group` reaching its active profile from what was read of it in
 * the target (`there`): instances start in parallel, so the time is the slowest instance's. With a
 * pool smaller than `needed`, the rest launch from nothing and the pool saves nothing.
 */
export function capacityTime(group: AutoScalingGroupPlan, there: GroupReadiness): CapacityTime {
  const needed = Math.max(there.activeDesired - there.healthyInService, 0);
  const { launch, warmStart, healthCheck } = CAPACITY_SECONDS;
  const withoutPoolSeconds = needed === 0 ? 0 : launch + healthCheck;
  const pool = there.warmPool;
  if (!pool) return { group: group.name, needed, fromPool: 0, withPoolSeconds: null, withoutPoolSeconds };
  const fromPool = Math.min(needed, pool.warmed ?? pool.size);
  const start = warmStart[pool.poolState] ?? launch;
  const withPoolSeconds = needed === 0 ? 0 : fromPool < needed ? launch + healthCheck : start + healthCheck;
  return { group: group.name, needed, fromPool, withPoolSeconds, withoutPoolSeconds };
}

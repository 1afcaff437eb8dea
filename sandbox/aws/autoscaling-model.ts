import type { WarmPoolState } from '@aws-sdk/client-auto-scaling';
import {
  type ActivityRecord,
  type GroupLifecycle,
  MAX_ACTIVITIES,
  type TargetHealth,
  type WarmLifecycle,
} from './autoscaling-support.js';
import { awsError } from './simulator.js';

// The state the Auto Scaling simulator keeps per group and instance, and the helpers its parts share
// (autoscaling-core.ts, autoscaling.ts).

/** Launch times are spread by ±10% so that a scale-out does not land all at once. */
export const LAUNCH_JITTER = 0.1;
/** HealthCheckGracePeriod the groups report (seconds): ELB failures count only after it. */
export const HEALTH_CHECK_GRACE_SECONDS = 60;
/** The Availability Zone suffixes instances are spread over (`<region>a`, `b`, `c`). */
export const ZONES = ['a', 'b', 'c'] as const;

/**
 * An instance of a group as the simulator keeps it. `timer` and `targetTimer` are ids of virtual
 * clock timers (the next lifecycle transition, the next target health judgement), undefined when
 * none is pending.
 */
export interface InstanceState {
  readonly id: string;
  readonly az: string;
  lifecycle: GroupLifecycle;
  /** The pool state it left for a warm start, or undefined: launched from nothing. */
  readonly warmFrom: WarmPoolState | undefined;
  timer: number | undefined;
  /** Marks the end of the launch for the simulator's accounting. */
  end?: () => void;
  /** Its health in the group's target group; undefined while not registered. */
  target: TargetHealth | undefined;
  targetTimer: number | undefined;
  /** When it entered InService (virtual epoch ms). */
  inServiceAt?: number;
}

/** An instance in a group's warm pool; `timer` is the virtual clock timer of its next transition. */
export interface WarmInstanceState {
  readonly id: string;
  readonly az: string;
  lifecycle: WarmLifecycle;
  timer: number | undefined;
}

/**
 * A group's warm pool as PutWarmPool configured it (MinSize, MaxGroupPreparedCapacity, PoolState,
 * InstanceReusePolicy) and the instances in it (Amazon EC2 Auto Scaling API Reference,
 * "PutWarmPool", https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html).
 */
export interface WarmPool {
  minSize: number;
  maxGroupPreparedCapacity: number | undefined;
  poolState: WarmPoolState;
  reuseOnScaleIn: boolean;
  instances: WarmInstanceState[];
}

/**
 * An Auto Scaling group as the simulator keeps it: its capacity bounds (instances), its instances
 * and warm pool, its scaling activities, and `retryTimer`, the virtual clock timer of the next
 * launch retry after a failed launch (undefined when none). `createdAt` is virtual epoch
 * milliseconds.
 */
export interface GroupState {
  /** The app (plan) whose group it is. */
  readonly app: string;
  readonly name: string;
  readonly region: string;
  readonly arn: string;
  readonly targetGroupArn: string;
  readonly createdAt: number;
  min: number;
  max: number;
  desired: number;
  instances: InstanceState[];
  warmPool: WarmPool | undefined;
  /** Newest first, at most {@link MAX_ACTIVITIES}. */
  activities: ActivityRecord[];
  retryTimer: number | undefined;
}

/** A read-only snapshot of a group, for the ground truth, status and tests. */
export interface GroupSnapshot {
  readonly name: string;
  readonly region: string;
  readonly min: number;
  readonly desired: number;
  readonly max: number;
  readonly targetGroupArn: string;
  readonly instances: readonly {
    readonly id: string;
    readonly availabilityZone: string;
    readonly lifecycleState: GroupLifecycle;
    readonly healthStatus: 'Healthy' | 'Unhealthy';
    /** Its state in the target group (`unused` while not registered). */
    readonly targetHealth: TargetHealth['state'];
    readonly warmStart: boolean;
  }[];
  readonly warmPoolSize: number;
  readonly warmPool?: {
    readonly minSize: number;
    readonly maxGroupPreparedCapacity?: number;
    readonly poolState: WarmPoolState;
    readonly reuseOnScaleIn: boolean;
    readonly instances: readonly { readonly id: string; readonly lifecycleState: WarmLifecycle }[];
  };
  readonly failedActivities: number;
}

/**
 * A warm pool's configuration in DescribeWarmPool's `WarmPoolConfiguration` shape (optional fields
 * left out when unset).
 */
export function warmPoolConfiguration(pool: WarmPool) {
  return {
    MinSize: pool.minSize,
    ...(pool.maxGroupPreparedCapacity !== undefined
      ? { MaxGroupPreparedCapacity: pool.maxGroupPreparedCapacity }
      : {}),
    PoolState: pool.poolState,
    ...(pool.reuseOnScaleIn ? { InstanceReusePolicy: { ReuseOnScaleIn: true } } : {}),
  };
}

/**
 * Whether an instance serves users: InService and judged healthy by its target group (a launch is
 * AWS work until then).
 */
export function serving(instance: InstanceState): boolean {
  return instance.lifecycle === 'InService' && instance.target?.state === 'healthy';
}

/**
 * Whether a pool instance is still being warmed (`Warmed:Pending` or `Warmed:Pending:Wait`), not yet
 * in the pool's state.
 */
export function isWarmPending(instance: WarmInstanceState): boolean {
  return instance.lifecycle === 'Warmed:Pending' || instance.lifecycle === 'Warmed:Pending:Wait';
}

/** The map key of a group: `<region>/<name>` (group names are unique per region). */
export function key(region: string, name: string): string {
  return `${region}/${name}`;
}

/**
 * The scale-in order of an instance: 0 for one not yet InService (it serves nothing yet, so it goes
 * first), 1 for InService; ties go to the newest. A simplification of AWS's default termination
 * policy (AZ balance, then outdated configuration, then the next billing hour: Amazon EC2 Auto
 * Scaling User Guide, "Configure termination policies for Amazon EC2 Auto Scaling",
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html):
 * the simulator balances no zones on scale-in, and its groups have one launch template.
 */
export function rank(instance: InstanceState): number {
  return instance.lifecycle === 'InService' ? 1 : 0;
}

/**
 * Auto Scaling's `ValidationError` (a client fault, HTTP 400) with `message`, for the
 * simulator to throw on bad input.
 */
export function validation(message: string): Error {
  return awsError('autoscaling', 'ValidationError', message);
}

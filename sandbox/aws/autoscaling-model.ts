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
export const ZONES = ['a', 'b', 'c'] as const;

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

export interface WarmInstanceState {
  readonly id: string;
  readonly az: string;
  lifecycle: WarmLifecycle;
  timer: number | undefined;
}

export interface WarmPool {
  minSize: number;
  maxGroupPreparedCapacity: number | undefined;
  poolState: WarmPoolState;
  reuseOnScaleIn: boolean;
  instances: WarmInstanceState[];
}

export interface GroupState {
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

export function serving(instance: InstanceState): boolean {
  return instance.lifecycle === 'InService' && instance.target?.state === 'healthy';
}

export function isWarmPending(instance: WarmInstanceState): boolean {
  return instance.lifecycle === 'Warmed:Pending' || instance.lifecycle === 'Warmed:Pending:Wait';
}

export function key(region: string, name: string): string {
  return `${region}/${name}`;
}

export function rank(instance: InstanceState): number {
  return instance.lifecycle === 'InService' ? 1 : 0;
}

export function validation(message: string): Error {
  return awsError('autoscaling', 'ValidationError', message);
}

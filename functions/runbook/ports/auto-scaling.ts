import type { AutoScalingGroupPlan, CapacityProfile } from '../../core/plan.js';

/** An Auto Scaling group's capacity as a runbook sees it. */
export interface GroupCapacity {
  readonly name: string;
  readonly min: number;
  readonly desired: number;
  readonly max: number;
  /** Instances whose lifecycle state is InService. */
  readonly inService: number;
  /**
   * InService, Healthy to Auto Scaling and `healthy` in every target group of the group: the
   * instances that serve, and count toward a plan's `healthyPercent`. InService alone is not
   * serving: the load balancer's health checks begin at registration ("Health checks for
   * Application Load Balancer target groups", ALB User Guide). A group with no target group
   * counts InService and Healthy.
   */
  readonly healthyInService: number;
  /** Instances still launching (Pending, Pending:Wait, Pending:Proceed). */
  readonly pending: number;
  /** Of `pending`: held in `Pending:Wait` by a lifecycle hook that has not completed. */
  readonly waiting: number;
  /** InService but not (yet) healthy in a target group, with ELB's reason (`Elb.InitialHealthChecking`, ...). */
  readonly notServing: readonly {
    readonly instanceId: string;
    readonly state: string;
    readonly reason?: string;
  }[];
  /** All instances of the group, in any lifecycle state (warm pool excluded). */
  readonly instances: number;
  /**
   * False when the read left the target groups' health out ({@link DescribeOptions}): then
   * `healthyInService` counts InService instances Healthy to Auto Scaling, an upper bound of those
   * that serve. Absent: read.
   */
  readonly targetHealthRead?: false;
  /** The group's warm pool configuration and size, when it has one (DescribeAutoScalingGroups). */
  readonly warmPool?: { readonly poolState: string; readonly size: number; readonly minSize: number };
}

/** A group's warm pool as DescribeWarmPool reports it. */
export interface WarmPoolView {
  readonly minSize: number;
  /** Absent: the group's MaxSize. */
  readonly maxGroupPreparedCapacity?: number;
  readonly poolState: 'Stopped' | 'Running' | 'Hibernated';
  readonly reuseOnScaleIn: boolean;
  /** Instances in the pool. */
  readonly size: number;
  /** Of them, warmed (in the pool's state, ready for a warm start), not still `Warmed:Pending`. */
  readonly warmed: number;
}

/** Launches that failed recently, from the group's scaling activities. */
export interface FailedLaunches {
  /** Failed activities among the most recent ones (at most 100). */
  readonly count: number;
  /** AWS's StatusMessage of the most recent one (e.g. InsufficientInstanceCapacity's text). */
  readonly latestMessage?: string;
}

/** What a group read leaves out. */
export interface DescribeOptions {
  /**
   * False: no DescribeTargetHealth; an InService instance counts as serving when Auto Scaling
   * says it is Healthy (its answer says `targetHealthRead: false`). For a caller that reads the
   * target health of the group at a cadence of its own (the reconciler: docs/architecture.md).
   */
  readonly targetHealth?: boolean;
}

/** EC2 Auto Scaling groups. Every method names the region it calls. */
export interface AutoScalingGroups {
  /**
   * DescribeAutoScalingGroups for one group, then DescribeTargetHealth of each target group its
   * answer names. `targetGroups` (the plan's hint, {@link AutoScalingGroupPlan}'s `targetGroups`)
   * are read beside DescribeAutoScalingGroups instead: of them, only those the answer names count,
   * and any it names that are not among them are read after it. ResourceNotFoundError when the
   * group does not exist.
   */
  describe(
    region: string,
    groupName: string,
    targetGroups?: readonly string[],
    options?: DescribeOptions,
  ): Promise<GroupCapacity>;
  /**
   * DescribeAutoScalingGroups for many groups of `region`, 100 names a call, and
   * DescribeTargetHealth once per distinct target group (that API takes one target group): by
   * name, each named group that exists, as {@link describe} reads it, or the error of a target
   * group it is registered with that did not answer (that group alone is unknown). Absent groups
   * are left out. Throws when DescribeAutoScalingGroups fails (every group is unknown). Optional: a
   * port without it is read one group at a time.
   */
  describeMany?(
    region: string,
    groupNames: readonly string[],
    options?: DescribeOptions & {
      /**
       * The groups' target groups as the plans name them (a hint): read beside
       * DescribeAutoScalingGroups instead of after it; of them, only those the answer names count,
       * and any it names that are not among them are read after it, as {@link describe} does.
       */
      readonly targetGroups?: readonly string[];
    },
  ): Promise<ReadonlyMap<string, GroupCapacity | Error>>;
  /**
   * The group as `kept` (an answer of {@link describe} of this port) described it, with its target
   * groups' health read now: DescribeTargetHealth of each target group that answer named, no
   * DescribeAutoScalingGroups. For a watch of the load balancer's health checks once only they
   * remain (CheckCapacity's, functions/runbook/capacity-watch.ts), whose caller keeps `kept`
   * fresh itself. A `kept` this port did not answer is described again in full. Optional: a port
   * without it is read in full every time.
   */
  reassess?(region: string, kept: GroupCapacity): Promise<GroupCapacity>;
  /** UpdateAutoScalingGroup to a capacity profile. Idempotent: the same profile twice is one change. */
  update(region: string, groupName: string, capacity: CapacityProfile): Promise<void>;
  /** DescribeWarmPool: the group's pool, or undefined when it has none. ResourceNotFoundError for no group. */
  warmPool(region: string, groupName: string): Promise<WarmPoolView | undefined>;
  /**
   * DescribeScalingActivities: the Failed ones among the group's most recent activities started at
   * or after `sinceMs` (epoch ms), newest message first.
   */
  failedLaunches(region: string, groupName: string, sinceMs: number): Promise<FailedLaunches>;
}

import type {
  ActivitiesType,
  AutoScalingGroupNamesType,
  AutoScalingGroupsType,
  DescribeScalingActivitiesType,
  DescribeWarmPoolAnswer,
  DescribeWarmPoolType,
  PutWarmPoolAnswer,
  PutWarmPoolType,
  SetDesiredCapacityType,
  UpdateAutoScalingGroupType,
} from '@aws-sdk/client-auto-scaling';
import { AutoScalingCore } from './autoscaling-core.js';
import {
  type GroupSnapshot,
  type GroupState,
  key,
  serving,
  validation,
  type WarmPool,
  warmPoolConfiguration,
} from './autoscaling-model.js';
import { activityView, instanceView, type TargetHealth, type TargetSource } from './autoscaling-support.js';
import { page, pageSize } from './pagination.js';
import { type CallTarget, type SimulatedService, UnsupportedOperationError } from './simulator.js';

export type { GroupSnapshot } from './autoscaling-model.js';

/** DescribeAutoScalingGroups' MaxRecords: default 50, maximum 100 (see `describeGroups`). */
const GROUPS_PAGE = { min: 1, max: 100, default: 50 } as const;

/**
 * Amazon EC2 Auto Scaling (docs/architecture.md, The sandbox under the SDK) and the targets of each
 * group's load balancer target group.
 *
 * - An instance launched from nothing is Pending for `latency.autoscaling.launchMs` (±10%), one
 *   from the warm pool for `warmStartMs[poolState]`; then InService. At InService it is registered
 *   with the group's target group (`initial`) and is `healthy` after its first passing health
 *   check, within one `elb.healthCheckIntervalMs`: only then does it serve (ground truth, alias
 *   target health, DescribeTargetHealth).
 * - `capacity-shortage` (`maxInService`): launches that would take the group's instances beyond it
 *   fail (InsufficientInstanceCapacity) and show as Failed scaling activities with AWS's message;
 *   Auto Scaling tries again every `launchRetryMs` and when the fault changes. It applies to warm
 *   starts and launches into the pool too.
 * - `instances-unhealthy`: instances launched from then on never pass their health checks
 *   (`unhealthy` after UnhealthyThresholdCount checks), or with `cause: lifecycle-hook` stop at
 *   `Pending:Wait` / `Warmed:Pending:Wait`. Once cleared, a stopped instance proceeds and an
 *   unhealthy target is healthy after HealthyThresholdCount checks.
 * - Warm pools (PutWarmPool, or the plan's `warmPool`): sized max(MinSize, MaxGroupPreparedCapacity
 *   (default MaxSize) - desired); new pool instances are `Warmed:Pending` for `launchMs`, then
 *   `Warmed:<PoolState>`; scale-out draws warmed instances first; scale-in returns instances to
 *   the pool (`warmReturnMs`) when ReuseOnScaleIn is set, else terminates them.
 *
 * Not modelled: replacing instances that fail their health checks (Auto Scaling would terminate
 * and relaunch them after the grace period), a lifecycle hook's heartbeat timeout (default one
 * hour) and the Availability Zone rebalancing.
 */
export class SimulatedAutoScaling extends AutoScalingCore implements SimulatedService, TargetSource {
  readonly service = 'autoscaling' as const;

  handle(operation: string, input: Record<string, unknown>, target: CallTarget): unknown {
    switch (operation) {
      case 'DescribeAutoScalingGroups':
        return this.describeGroups(input as Partial<AutoScalingGroupNamesType>, target);
      case 'UpdateAutoScalingGroup':
        return this.updateGroup(input as Partial<UpdateAutoScalingGroupType>, target);
      case 'SetDesiredCapacity':
        return this.setDesiredCapacity(input as Partial<SetDesiredCapacityType>, target);
      case 'DescribeWarmPool':
        return this.describeWarmPool(input as Partial<DescribeWarmPoolType>, target);
      case 'PutWarmPool':
        return this.putWarmPool(input as Partial<PutWarmPoolType>, target);
      case 'DescribeScalingActivities':
        return this.describeActivities(input as Partial<DescribeScalingActivitiesType>, target);
      default:
        throw new UnsupportedOperationError('autoscaling', operation);
    }
  }

  // --- views -------------------------------------------------------------------------------------

  /**
   * Instances that serve: InService and healthy in the group's target group. 0 when the region is
   * down or the group does not exist. (InService alone is not serving: ELB health checks begin at
   * registration.)
   */
  healthyInService(region: string, groupName: string): number {
    if (this.ctx.faults.isRegionDown(region)) return 0;
    const group = this.groups.get(key(region, groupName));
    return group ? group.instances.filter(serving).length : 0;
  }

  /** The targets of a target group (the ELB model reads them); undefined when unknown in `region`. */
  targetsOf(region: string, arn: string): { id: string; health: TargetHealth }[] | undefined {
    const group = this.byTargetGroup.get(key(region, arn));
    if (!group) return undefined;
    return group.instances.flatMap((i) => (i.target ? [{ id: i.id, health: i.target }] : []));
  }

  /** A snapshot of a group; instances in a region that is down are reported Unhealthy. */
  group(region: string, name: string): GroupSnapshot | undefined {
    const group = this.groups.get(key(region, name));
    if (!group) return undefined;
    const pool = group.warmPool;
    return {
      name: group.name,
      region: group.region,
      min: group.min,
      desired: group.desired,
      max: group.max,
      targetGroupArn: group.targetGroupArn,
      instances: group.instances.map((i) => ({
        id: i.id,
        availabilityZone: i.az,
        lifecycleState: i.lifecycle,
        healthStatus: this.healthStatus(group, i),
        targetHealth: i.target?.state ?? 'unused',
        warmStart: i.warmFrom !== undefined,
      })),
      warmPoolSize: pool?.instances.length ?? 0,
      ...(pool
        ? {
            warmPool: {
              minSize: pool.minSize,
              ...(pool.maxGroupPreparedCapacity !== undefined
                ? { maxGroupPreparedCapacity: pool.maxGroupPreparedCapacity }
                : {}),
              poolState: pool.poolState,
              reuseOnScaleIn: pool.reuseOnScaleIn,
              instances: pool.instances.map((i) => ({ id: i.id, lifecycleState: i.lifecycle })),
            },
          }
        : {}),
      failedActivities: group.activities.filter((a) => a.status === 'Failed').length,
    };
  }

  /**
   * The groups of `region` named in `names` (every group of the region when absent), in the order
   * they were provisioned; unknown names are left out.
   */
  private groupsIn(region: string, names: readonly string[] | undefined): GroupState[] {
    if (!names) return [...this.groups.values()].filter((g) => g.region === region);
    const found = new Set<GroupState>();
    for (const name of names) {
      const group = this.groups.get(key(region, name));
      if (group) found.add(group);
    }
    return [...found].sort((a, b) => (this.order.get(a) ?? 0) - (this.order.get(b) ?? 0));
  }

  // --- operations --------------------------------------------------------------------------------

  /**
   * DescribeAutoScalingGroups in the call's region: the named groups (unknown names left out, as
   * AWS does) or every group, a page of `MaxRecords` at a time with a `NextToken` for the next.
   * "By default, you can only specify up to 50 names. You can optionally increase this limit using
   * the MaxRecords property"; MaxRecords: "The default value is 50 and the maximum value is 100"
   * (EC2 Auto Scaling API Reference, DescribeAutoScalingGroups,
   * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html).
   * AWS does not document the error for too many names; the sandbox answers ValidationError.
   */
  private describeGroups(
    input: Partial<AutoScalingGroupNamesType>,
    target: CallTarget,
  ): AutoScalingGroupsType {
    const size = pageSize(input.MaxRecords, GROUPS_PAGE, 'MaxRecords', validation);
    const names = input.AutoScalingGroupNames;
    // 50 names, or more up to MaxRecords (a MaxRecords under 50 still takes 50 names).
    const maxNames = Math.max(GROUPS_PAGE.default, size);
    if (names && names.length > maxNames)
      throw validation(
        `AutoScalingGroupNames lists ${names.length} names, more than ${maxNames} (50, or MaxRecords when larger)`,
      );
    const groups = this.groupsIn(target.region, names && names.length > 0 ? names : undefined);
    const { items, next } = page(groups, size, input.NextToken, validation);
    return {
      AutoScalingGroups: items.map((g) => this.groupView(g, input.IncludeInstances !== false)),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private updateGroup(input: Partial<UpdateAutoScalingGroupType>, target: CallTarget): Record<string, never> {
    const group = this.mustGroup(target.region, input.AutoScalingGroupName);
    const min = input.MinSize ?? group.min;
    const max = input.MaxSize ?? group.max;
    if (min < 0 || max < 0) throw validation('MinSize and MaxSize must be non-negative');
    if (min > max) throw validation(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
    let desired: number;
    if (input.DesiredCapacity !== undefined) {
      desired = input.DesiredCapacity;
      if (desired < min || desired > max)
        throw validation(
          `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`,
        );
    } else {
      // A new MinSize above (or MaxSize below) the current desired capacity moves it (documented).
      desired = Math.min(Math.max(group.desired, min), max);
    }
    group.min = min;
    group.max = max;
    this.setDesired(group, desired);
    return {};
  }

  private setDesiredCapacity(
    input: Partial<SetDesiredCapacityType>,
    target: CallTarget,
  ): Record<string, never> {
    const group = this.mustGroup(target.region, input.AutoScalingGroupName);
    const desired = input.DesiredCapacity;
    if (desired === undefined) throw validation('DesiredCapacity is required');
    if (desired > group.max)
      throw validation(
        `New SetDesiredCapacity value ${desired} is above max value ${group.max} for the AutoScalingGroup.`,
      );
    if (desired < group.min)
      throw validation(
        `New SetDesiredCapacity value ${desired} is below min value ${group.min} for the AutoScalingGroup.`,
      );
    this.setDesired(group, desired);
    return {};
  }

  private describeWarmPool(input: Partial<DescribeWarmPoolType>, target: CallTarget): DescribeWarmPoolAnswer {
    const group = this.mustGroup(target.region, input.AutoScalingGroupName);
    const pool = group.warmPool;
    if (!pool) return { Instances: [] };
    return {
      WarmPoolConfiguration: warmPoolConfiguration(pool),
      Instances: pool.instances.map((i) => instanceView(i.id, i.az, i.lifecycle, 'Healthy')),
    };
  }

  /**
   * PutWarmPool accepts what AWS accepts (API Reference, "PutWarmPool",
   * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html): MinSize at
   * least 0, MaxGroupPreparedCapacity at least -1 (-1 removes a value set before), even below the
   * desired capacity (the pool is then MinSize); PoolState Stopped, Running or Hibernated. A second
   * call updates the pool.
   */
  private putWarmPool(input: Partial<PutWarmPoolType>, target: CallTarget): PutWarmPoolAnswer {
    const group = this.mustGroup(target.region, input.AutoScalingGroupName);
    const minSize = input.MinSize ?? 0;
    if (!Number.isInteger(minSize) || minSize < 0)
      throw validation(`MinSize must be an integer of at least 0, got ${minSize}`);
    const prepared = input.MaxGroupPreparedCapacity;
    if (prepared !== undefined && (!Number.isInteger(prepared) || prepared < -1))
      throw validation(`MaxGroupPreparedCapacity must be an integer of at least -1, got ${prepared}`);
    const state = input.PoolState ?? 'Stopped';
    if (!['Stopped', 'Running', 'Hibernated'].includes(state))
      throw validation(`PoolState must be one of Stopped, Running, Hibernated, got ${state}`);
    const pool: WarmPool = group.warmPool ?? {
      minSize,
      maxGroupPreparedCapacity: undefined,
      poolState: state,
      reuseOnScaleIn: false,
      instances: [],
    };
    pool.minSize = minSize;
    if (prepared !== undefined) pool.maxGroupPreparedCapacity = prepared === -1 ? undefined : prepared;
    pool.poolState = state;
    pool.reuseOnScaleIn = input.InstanceReusePolicy?.ReuseOnScaleIn ?? false;
    group.warmPool = pool;
    this.fillWarmPool(group);
    this.ctx.changed([group.name]);
    return {};
  }

  private describeActivities(
    input: Partial<DescribeScalingActivitiesType>,
    target: CallTarget,
  ): ActivitiesType {
    const name = input.AutoScalingGroupName;
    const groups = this.groupsIn(target.region, name === undefined ? undefined : [name]);
    const limit = Math.min(input.MaxRecords ?? 100, 100);
    const activities = groups
      .flatMap((g) => g.activities.map((a) => ({ group: g.name, a })))
      .sort((x, y) => y.a.startMs - x.a.startMs)
      .slice(0, limit);
    return { Activities: activities.map(({ group, a }) => activityView(group, a)) };
  }
}

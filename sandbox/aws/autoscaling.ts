import type {
  ActivitiesType,
  AutoScalingGroup,
  AutoScalingGroupNamesType,
  AutoScalingGroupsType,
  DescribeScalingActivitiesType,
  DescribeWarmPoolAnswer,
  DescribeWarmPoolType,
  PutWarmPoolAnswer,
  PutWarmPoolType,
  SetDesiredCapacityType,
  UpdateAutoScalingGroupType,
  WarmPoolState,
} from '@aws-sdk/client-auto-scaling';
import { type CapacityProfile, type Plan, warmPoolIn, warmPoolSize } from '../../functions/core/plan.js';
import {
  type ActivityRecord,
  activityView,
  type GroupLifecycle,
  instanceView,
  insufficientCapacityMessage,
  MAX_ACTIVITIES,
  planAccount,
  type TargetHealth,
  type TargetSource,
  targetGroupArn,
  uuidFrom,
  type WarmLifecycle,
} from './autoscaling-support.js';
import {
  awsError,
  beginOperation,
  type CallTarget,
  type SimContext,
  type SimulatedService,
  UnsupportedOperationError,
} from './simulator.js';

/** Launch times are spread by ±10% so that a scale-out does not land all at once. */
const LAUNCH_JITTER = 0.1;
/** HealthCheckGracePeriod the groups report (seconds): ELB failures count only after it. */
const HEALTH_CHECK_GRACE_SECONDS = 60;
const ZONES = ['a', 'b', 'c'] as const;

interface InstanceState {
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

interface WarmInstanceState {
  readonly id: string;
  readonly az: string;
  lifecycle: WarmLifecycle;
  timer: number | undefined;
}

interface WarmPool {
  minSize: number;
  maxGroupPreparedCapacity: number | undefined;
  poolState: WarmPoolState;
  reuseOnScaleIn: boolean;
  instances: WarmInstanceState[];
}

interface GroupState {
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
export class SimulatedAutoScaling implements SimulatedService, TargetSource {
  readonly service = 'autoscaling' as const;
  private readonly groups = new Map<string, GroupState>();
  private readonly provisioned = new Set<string>();
  private instanceSeq = 0;
  private activitySeq = 0;

  constructor(private readonly ctx: SimContext) {
    // Capacity may have returned, a hook completed or health checks started passing.
    ctx.faults.onChange(() => {
      for (const group of this.groups.values()) this.onFaultsChanged(group);
    });
  }

  /**
   * Creates the plan's groups (idempotent per plan): in the plan's first region the `active`
   * profile, elsewhere `standby`, with `desired` instances InService and healthy in their target
   * group, and the plan's warm pools already warmed.
   */
  provision(plan: Plan): void {
    if (this.provisioned.has(plan.name)) return;
    this.provisioned.add(plan.name);
    const account = planAccount(plan);
    for (const spec of plan.compute?.autoScalingGroups ?? []) {
      plan.regions.forEach((region, index) => {
        const name = spec.members[region];
        if (!name || this.groups.has(key(region, name))) return;
        const profile: CapacityProfile = index === 0 ? spec.active : spec.standby;
        const group: GroupState = {
          name,
          region,
          arn: `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:${uuidFrom(`${region}/${name}`)}:autoScalingGroupName/${name}`,
          targetGroupArn: targetGroupArn(region, account, name),
          createdAt: this.ctx.clock.now(),
          min: profile.min,
          max: profile.max,
          desired: profile.desired,
          instances: [],
          warmPool: undefined,
          activities: [],
          retryTimer: undefined,
        };
        for (let i = 0; i < profile.desired; i++) {
          group.instances.push({
            id: this.nextInstanceId(),
            az: this.nextZone(group),
            lifecycle: 'InService',
            warmFrom: undefined,
            timer: undefined,
            target: { state: 'healthy' },
            targetTimer: undefined,
            inServiceAt: this.ctx.clock.now(),
          });
        }
        const pool = warmPoolIn(spec, region);
        if (pool) {
          group.warmPool = {
            minSize: pool.minSize,
            maxGroupPreparedCapacity:
              pool.maxGroupPreparedCapacity === -1 ? undefined : pool.maxGroupPreparedCapacity,
            poolState: pool.poolState,
            reuseOnScaleIn: pool.reuseOnScaleIn,
            instances: [],
          };
          const size = warmPoolSize(pool, group.desired, group.max);
          for (let i = 0; i < size; i++) {
            group.warmPool.instances.push({
              id: this.nextInstanceId(),
              az: this.nextZone(group),
              lifecycle: `Warmed:${pool.poolState}`,
              timer: undefined,
            });
          }
        }
        this.groups.set(key(region, name), group);
      });
    }
    this.ctx.changed();
  }

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
    const group = [...this.groups.values()].find((g) => g.region === region && g.targetGroupArn === arn);
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

  // --- operations --------------------------------------------------------------------------------

  private describeGroups(
    input: Partial<AutoScalingGroupNamesType>,
    target: CallTarget,
  ): AutoScalingGroupsType {
    const names = input.AutoScalingGroupNames;
    const groups = [...this.groups.values()].filter(
      (g) => g.region === target.region && (!names || names.length === 0 || names.includes(g.name)),
    );
    // Unknown names are left out, not an error (as AWS does).
    return { AutoScalingGroups: groups.map((g) => this.groupView(g, input.IncludeInstances !== false)) };
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
    this.ctx.changed();
    return {};
  }

  private describeActivities(
    input: Partial<DescribeScalingActivitiesType>,
    target: CallTarget,
  ): ActivitiesType {
    const name = input.AutoScalingGroupName;
    const groups = [...this.groups.values()].filter(
      (g) => g.region === target.region && (name === undefined || g.name === name),
    );
    const limit = Math.min(input.MaxRecords ?? 100, 100);
    const activities = groups
      .flatMap((g) => g.activities.map((a) => ({ group: g.name, a })))
      .sort((x, y) => y.a.startMs - x.a.startMs)
      .slice(0, limit);
    return { Activities: activities.map(({ group, a }) => activityView(group, a)) };
  }

  // --- scaling -----------------------------------------------------------------------------------

  private setDesired(group: GroupState, desired: number): void {
    group.desired = desired;
    this.converge(group);
    this.ctx.changed();
  }

  /** Launches toward, or scales in to, the desired capacity, then sizes the warm pool. */
  private converge(group: GroupState): void {
    const live = group.instances.filter((i) => i.lifecycle !== 'Terminating');
    if (live.length < group.desired) {
      let failed = 0;
      for (let n = live.length; n < group.desired; n++) if (!this.launch(group)) failed++;
      if (failed > 0) this.retryLater(group);
    } else if (live.length > group.desired) {
      // Scale in: instances not yet InService first (they serve nothing yet), then the newest.
      const victims = [...live]
        .sort((a, b) => rank(a) - rank(b) || group.instances.indexOf(b) - group.instances.indexOf(a))
        .slice(0, live.length - group.desired);
      for (const victim of victims) this.scaleIn(group, victim);
    }
    this.fillWarmPool(group);
  }

  /** How many instances hold EC2 capacity now (the ceiling of a capacity shortage counts them). */
  private holding(group: GroupState): number {
    const inGroup = group.instances.filter((i) => i.lifecycle !== 'Terminating').length;
    const inPool =
      group.warmPool?.instances.filter(
        (i) =>
          i.lifecycle === 'Warmed:Pending' ||
          i.lifecycle === 'Warmed:Pending:Wait' ||
          i.lifecycle === 'Warmed:Running',
      ).length ?? 0;
    return inGroup + inPool;
  }

  /** Whether a launch (or a start of a stopped instance) finds EC2 capacity now. */
  private hasCapacity(group: GroupState): boolean {
    const limit = this.ctx.faults.capacityLimit(group.name);
    return limit === undefined || this.holding(group) < limit;
  }

  /**
   * One more instance: a warm start from the pool when a warmed instance is there, else a launch
   * from nothing. False (and a Failed activity) when EC2 has no capacity for it.
   */
  private launch(group: GroupState): boolean {
    const pool = group.warmPool;
    const warmed = pool?.instances.find((i) => i.lifecycle.startsWith('Warmed:') && !isWarmPending(i));
    // A Running pool instance already holds its capacity; a stopped or hibernated one must start.
    if (!(warmed?.lifecycle === 'Warmed:Running') && !this.hasCapacity(group)) {
      this.recordFailedLaunch(group, warmed !== undefined);
      return false;
    }
    if (pool && warmed) {
      pool.instances = pool.instances.filter((i) => i !== warmed);
      this.ctx.clock.clearTimer(warmed.timer);
      const from = warmed.lifecycle.slice('Warmed:'.length) as WarmPoolState;
      this.boot(group, { id: warmed.id, az: warmed.az, warmFrom: from });
      this.record(group, `Launching a new EC2 instance from warm pool: ${warmed.id}`, 'Successful');
      return true;
    }
    const id = this.nextInstanceId();
    this.boot(group, { id, az: this.nextZone(group), warmFrom: undefined });
    this.record(group, `Launching a new EC2 instance: ${id}`, 'Successful');
    return true;
  }

  /** A new instance in the group, Pending until its start or launch completes. */
  private boot(
    group: GroupState,
    from: { id: string; az: string; warmFrom: WarmPoolState | undefined },
  ): void {
    const instance: InstanceState = {
      ...from,
      lifecycle: 'Pending',
      timer: undefined,
      target: undefined,
      targetTimer: undefined,
      end: beginOperation(this.ctx, 'autoscaling:launch'),
    };
    group.instances.push(instance);
    const { launchMs, warmStartMs } = this.ctx.latency.autoscaling;
    const base = from.warmFrom ? warmStartMs[from.warmFrom] : launchMs;
    instance.timer = this.ctx.clock.setTimer(this.jitter(base), () => {
      instance.timer = undefined;
      this.afterPending(group, instance);
    });
  }

  /** Pending is over: a stuck launch hook holds it at Pending:Wait, else it goes InService. */
  private afterPending(group: GroupState, instance: InstanceState): void {
    if (this.ctx.faults.instancesUnhealthy(group.name) === 'lifecycle-hook') {
      instance.lifecycle = 'Pending:Wait';
      this.ctx.changed();
      return;
    }
    instance.lifecycle = 'InService';
    instance.inServiceAt = this.ctx.clock.now();
    // The launch, as AWS work, lasts until the load balancer has judged the target.
    this.register(group, instance);
    this.ctx.changed();
  }

  /**
   * Registers an InService instance with the group's target group: `initial` until its first
   * health check, within one interval ("after your target is registered, it must pass one health
   * check to be considered healthy"), or `unhealthy` after UnhealthyThresholdCount failed checks
   * under `instances-unhealthy` (ALB User Guide, "Health checks for Application Load Balancer
   * target groups").
   */
  private register(group: GroupState, instance: InstanceState): void {
    const { healthCheckIntervalMs, unhealthyThreshold } = this.ctx.latency.elb;
    instance.target = { state: 'initial', reason: 'Elb.InitialHealthChecking' };
    const firstCheck = Math.max(1, Math.round(healthCheckIntervalMs * this.ctx.random.next()));
    const failing = this.ctx.faults.instancesUnhealthy(group.name) === 'health-check';
    const delay = failing ? firstCheck + (unhealthyThreshold - 1) * healthCheckIntervalMs : firstCheck;
    this.ctx.clock.clearTimer(instance.targetTimer);
    instance.targetTimer = this.ctx.clock.setTimer(delay, () => {
      instance.targetTimer = undefined;
      instance.end?.();
      instance.end = undefined;
      instance.target = failing
        ? {
            state: 'unhealthy',
            reason: 'Target.FailedHealthChecks',
            description: 'Health checks failed',
          }
        : { state: 'healthy' };
      this.ctx.changed();
    });
  }

  /** Scale-in of one instance: back to the warm pool when ReuseOnScaleIn is set, else terminated. */
  private scaleIn(group: GroupState, instance: InstanceState): void {
    this.ctx.clock.clearTimer(instance.timer);
    this.ctx.clock.clearTimer(instance.targetTimer);
    instance.end?.();
    instance.end = undefined;
    const pool = group.warmPool;
    if (pool?.reuseOnScaleIn && instance.lifecycle === 'InService') {
      group.instances = group.instances.filter((i) => i !== instance);
      const back: WarmInstanceState = {
        id: instance.id,
        az: instance.az,
        lifecycle: 'Warmed:Pending',
        timer: undefined,
      };
      back.timer = this.ctx.clock.setTimer(this.ctx.latency.autoscaling.warmReturnMs, () => {
        back.timer = undefined;
        back.lifecycle = `Warmed:${pool.poolState}`;
        this.ctx.changed();
      });
      pool.instances.push(back);
      return;
    }
    instance.lifecycle = 'Terminating';
    instance.target = instance.target
      ? { state: 'draining', reason: 'Target.DeregistrationInProgress' }
      : undefined;
    instance.timer = this.ctx.clock.setTimer(this.ctx.latency.autoscaling.terminateMs, () => {
      group.instances = group.instances.filter((i) => i !== instance);
      this.converge(group);
      this.ctx.changed();
    });
  }

  /**
   * Keeps the warm pool at its size (max(MinSize, MaxGroupPreparedCapacity or MaxSize - desired)):
   * new pool instances launch (`Warmed:Pending`, launchMs), then take the pool's state; extras are
   * terminated, the least prepared first.
   */
  private fillWarmPool(group: GroupState): void {
    const pool = group.warmPool;
    if (!pool) return;
    const size = warmPoolSize(pool, group.desired, group.max);
    let failed = false;
    while (pool.instances.length < size) {
      if (!this.hasCapacity(group)) {
        this.recordFailedLaunch(group, false, true);
        failed = true;
        break;
      }
      const warm: WarmInstanceState = {
        id: this.nextInstanceId(),
        az: this.nextZone(group),
        lifecycle: 'Warmed:Pending',
        timer: undefined,
      };
      warm.timer = this.ctx.clock.setTimer(this.jitter(this.ctx.latency.autoscaling.launchMs), () => {
        warm.timer = undefined;
        warm.lifecycle =
          this.ctx.faults.instancesUnhealthy(group.name) === 'lifecycle-hook'
            ? 'Warmed:Pending:Wait'
            : `Warmed:${pool.poolState}`;
        this.ctx.changed();
      });
      pool.instances.push(warm);
      this.record(group, `Launching a new EC2 instance into warm pool: ${warm.id}`, 'Successful');
    }
    if (failed) this.retryLater(group);
    if (pool.instances.length > size) {
      const ordered = [...pool.instances].sort(
        (a, b) => Number(!isWarmPending(a)) - Number(!isWarmPending(b)),
      );
      for (const extra of ordered.slice(0, pool.instances.length - size)) {
        this.ctx.clock.clearTimer(extra.timer);
        pool.instances = pool.instances.filter((i) => i !== extra);
      }
    }
  }

  private onFaultsChanged(group: GroupState): void {
    const cause = this.ctx.faults.instancesUnhealthy(group.name);
    const { healthCheckIntervalMs, healthyThreshold } = this.ctx.latency.elb;
    for (const instance of group.instances) {
      if (instance.lifecycle === 'Pending:Wait' && cause !== 'lifecycle-hook')
        this.afterPending(group, instance);
      else if (instance.lifecycle === 'InService' && cause !== 'health-check' && instance.target) {
        const state = instance.target.state;
        if (state === 'unhealthy' && instance.targetTimer === undefined) {
          // An unhealthy target must pass HealthyThresholdCount checks in a row.
          instance.targetTimer = this.ctx.clock.setTimer(healthyThreshold * healthCheckIntervalMs, () => {
            instance.targetTimer = undefined;
            instance.target = { state: 'healthy' };
            this.ctx.changed();
          });
        } else if (state === 'initial') this.register(group, instance);
      }
    }
    const pool = group.warmPool;
    if (pool && cause !== 'lifecycle-hook')
      for (const warm of pool.instances)
        if (warm.lifecycle === 'Warmed:Pending:Wait') warm.lifecycle = `Warmed:${pool.poolState}`;
    this.converge(group);
  }

  private retryLater(group: GroupState): void {
    if (group.retryTimer !== undefined) return;
    group.retryTimer = this.ctx.clock.setTimer(this.ctx.latency.autoscaling.launchRetryMs, () => {
      group.retryTimer = undefined;
      const before = group.instances.length + (group.warmPool?.instances.length ?? 0);
      this.converge(group);
      // A retry that failed again changes nothing users see: no re-evaluation of the truth.
      if (group.instances.length + (group.warmPool?.instances.length ?? 0) !== before) this.ctx.changed();
    });
  }

  private recordFailedLaunch(group: GroupState, warmStart: boolean, intoPool = false): void {
    const az = this.nextZone(group);
    const others = ZONES.map((z) => `${group.region}${z}`).filter((z) => z !== az);
    const what = warmStart
      ? 'Launching a new EC2 instance from warm pool'
      : intoPool
        ? 'Launching a new EC2 instance into warm pool'
        : 'Launching a new EC2 instance';
    const message = insufficientCapacityMessage(az, others);
    this.record(group, `${what}.  Status Reason: ${message}`, 'Failed', message);
  }

  private record(
    group: GroupState,
    description: string,
    status: 'Successful' | 'Failed',
    message?: string,
  ): void {
    const now = this.ctx.clock.now();
    group.activities.unshift({
      id: uuidFrom(`activity/${++this.activitySeq}`),
      description,
      cause: `At ${new Date(now).toISOString()} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${group.instances.filter((i) => i.lifecycle !== 'Terminating').length} to ${group.desired}.`,
      startMs: now,
      endMs: now,
      status,
      ...(message ? { message } : {}),
    });
    if (group.activities.length > MAX_ACTIVITIES) group.activities.length = MAX_ACTIVITIES;
  }

  // --- helpers -----------------------------------------------------------------------------------

  private jitter(ms: number): number {
    return Math.round(ms * (1 - LAUNCH_JITTER + 2 * LAUNCH_JITTER * this.ctx.random.next()));
  }

  /** Healthy unless its region is down, or it failed its ELB health checks after the grace period. */
  private healthStatus(group: GroupState, instance: InstanceState): 'Healthy' | 'Unhealthy' {
    if (this.ctx.faults.isRegionDown(group.region)) return 'Unhealthy';
    const graceOver =
      instance.inServiceAt !== undefined &&
      this.ctx.clock.now() - instance.inServiceAt >= HEALTH_CHECK_GRACE_SECONDS * 1000;
    return instance.target?.state === 'unhealthy' && graceOver ? 'Unhealthy' : 'Healthy';
  }

  private mustGroup(region: string, name: string | undefined): GroupState {
    const group = name === undefined ? undefined : this.groups.get(key(region, name));
    if (!group)
      throw validation(`AutoScalingGroup name not found - AutoScalingGroup ${name ?? '(none)'} not found`);
    return group;
  }

  private nextInstanceId(): string {
    return `i-0${(++this.instanceSeq).toString(16).padStart(16, '0')}`;
  }

  /** The zone with the fewest of the group's instances (Auto Scaling balances across zones). */
  private nextZone(group: GroupState): string {
    const zones = ZONES.map((z) => `${group.region}${z}`);
    const used = [...group.instances.map((i) => i.az), ...(group.warmPool?.instances.map((i) => i.az) ?? [])];
    const counts = zones.map((z) => used.filter((u) => u === z).length);
    const least = Math.min(...counts);
    return zones[counts.indexOf(least)] ?? zones[0] ?? group.region;
  }

  private groupView(group: GroupState, includeInstances: boolean): AutoScalingGroup {
    return {
      AutoScalingGroupName: group.name,
      AutoScalingGroupARN: group.arn,
      MinSize: group.min,
      MaxSize: group.max,
      DesiredCapacity: group.desired,
      DefaultCooldown: 300,
      AvailabilityZones: ZONES.map((z) => `${group.region}${z}`),
      TargetGroupARNs: [group.targetGroupArn],
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: HEALTH_CHECK_GRACE_SECONDS,
      CreatedTime: new Date(group.createdAt),
      ...(includeInstances
        ? {
            Instances: group.instances.map((i) =>
              instanceView(i.id, i.az, i.lifecycle, this.healthStatus(group, i)),
            ),
          }
        : {}),
      TerminationPolicies: ['Default'],
      NewInstancesProtectedFromScaleIn: false,
      ...(group.warmPool
        ? {
            WarmPoolConfiguration: warmPoolConfiguration(group.warmPool),
            WarmPoolSize: group.warmPool.instances.length,
          }
        : {}),
    };
  }
}

function warmPoolConfiguration(pool: WarmPool) {
  return {
    MinSize: pool.minSize,
    ...(pool.maxGroupPreparedCapacity !== undefined
      ? { MaxGroupPreparedCapacity: pool.maxGroupPreparedCapacity }
      : {}),
    PoolState: pool.poolState,
    ...(pool.reuseOnScaleIn ? { InstanceReusePolicy: { ReuseOnScaleIn: true } } : {}),
  };
}

function serving(instance: InstanceState): boolean {
  return instance.lifecycle === 'InService' && instance.target?.state === 'healthy';
}

function isWarmPending(instance: WarmInstanceState): boolean {
  return instance.lifecycle === 'Warmed:Pending' || instance.lifecycle === 'Warmed:Pending:Wait';
}

function key(region: string, name: string): string {
  return `${region}/${name}`;
}

function rank(instance: InstanceState): number {
  return instance.lifecycle === 'InService' ? 1 : 0;
}

function validation(message: string): Error {
  return awsError('autoscaling', 'ValidationError', message);
}

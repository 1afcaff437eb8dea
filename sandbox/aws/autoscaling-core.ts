import type { AutoScalingGroup, WarmPoolState } from '@aws-sdk/client-auto-scaling';
import { type CapacityProfile, type Plan, warmPoolIn, warmPoolSize } from '../../functions/core/plan.js';
import { currentExecutionId } from '../runtime/scope.js';
import {
  type GroupState,
  HEALTH_CHECK_GRACE_SECONDS,
  type InstanceState,
  isWarmPending,
  key,
  LAUNCH_JITTER,
  rank,
  validation,
  type WarmInstanceState,
  warmPoolConfiguration,
  ZONES,
} from './autoscaling-model.js';
import {
  instanceView,
  insufficientCapacityMessage,
  MAX_ACTIVITIES,
  planAccount,
  targetGroupArn,
  uuidFrom,
} from './autoscaling-support.js';
import { beginOperation, type SimContext } from './simulator.js';

/**
 * The state and model of the simulated Auto Scaling ({@link SimulatedAutoScaling} in autoscaling.ts
 * documents the behaviour): groups, their scaling activities, instance lifecycles and warm pools.
 * The API operations and views live in the subclass.
 */
export class AutoScalingCore {
  /** By `key(region, name)`, in the order provisioned. */
  protected readonly groups = new Map<string, GroupState>();
  /**
   * The same groups by `key(region, targetGroupArn)`, and each group's place in provisioning order:
   * the API answers a named group (or its target group) without reading every group, so a
   * simulation of N apps does not cost N^2.
   */
  protected readonly byTargetGroup = new Map<string, GroupState>();
  protected readonly order = new Map<GroupState, number>();
  protected readonly provisioned = new Set<string>();
  protected instanceSeq = 0;
  protected activitySeq = 0;

  constructor(protected readonly ctx: SimContext) {
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
          app: plan.name,
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
        this.byTargetGroup.set(key(region, group.targetGroupArn), group);
        this.order.set(group, this.order.size);
      });
    }
    this.ctx.changed();
  }

  // --- scaling -----------------------------------------------------------------------------------

  protected setDesired(group: GroupState, desired: number): void {
    group.desired = desired;
    this.converge(group);
    this.ctx.changed([group.name]);
  }

  /** Launches toward, or scales in to, the desired capacity, then sizes the warm pool. */
  protected converge(group: GroupState): void {
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
  protected holding(group: GroupState): number {
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
  protected hasCapacity(group: GroupState): boolean {
    const limit = this.ctx.faults.capacityLimit(group.name);
    return limit === undefined || this.holding(group) < limit;
  }

  /**
   * One more instance: a warm start from the pool when a warmed instance is there, else a launch
   * from nothing. False (and a Failed activity) when EC2 has no capacity for it.
   */
  protected launch(group: GroupState): boolean {
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
  protected boot(
    group: GroupState,
    from: { id: string; az: string; warmFrom: WarmPoolState | undefined },
  ): void {
    const instance: InstanceState = {
      ...from,
      lifecycle: 'Pending',
      timer: undefined,
      target: undefined,
      targetTimer: undefined,
      // A launch that a call outside any execution started (a failover request preparing the target
      // for the run it reserved, functions/operator-api/request-failover.ts) works for the group's
      // app: counted for that app's run (`awsBusySeconds`), as an evacuation's batched traffic
      // change is. A run's own launches are its execution's.
      end: beginOperation(
        this.ctx,
        'autoscaling:launch',
        currentExecutionId() === undefined ? group.app : undefined,
        `${group.name} in ${group.region}`,
      ),
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
  protected afterPending(group: GroupState, instance: InstanceState): void {
    if (this.ctx.faults.instancesUnhealthy(group.name) === 'lifecycle-hook') {
      instance.lifecycle = 'Pending:Wait';
      this.ctx.changed([group.name]);
      return;
    }
    instance.lifecycle = 'InService';
    instance.inServiceAt = this.ctx.clock.now();
    // The launch, as AWS work, lasts until the load balancer has judged the target.
    this.register(group, instance);
    this.ctx.changed([group.name]);
  }

  /**
   * Registers an InService instance with the group's target group: `initial` until its first
   * health check, within one interval ("after your target is registered, it must pass one health
   * check to be considered healthy"), or `unhealthy` after UnhealthyThresholdCount failed checks
   * under `instances-unhealthy` (ALB User Guide, "Health checks for Application Load Balancer
   * target groups").
   */
  protected register(group: GroupState, instance: InstanceState): void {
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
      this.ctx.changed([group.name]);
    });
  }

  /** Scale-in of one instance: back to the warm pool when ReuseOnScaleIn is set, else terminated. */
  protected scaleIn(group: GroupState, instance: InstanceState): void {
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
        this.ctx.changed([group.name]);
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
      this.ctx.changed([group.name]);
    });
  }

  /**
   * Keeps the warm pool at its size (max(MinSize, MaxGroupPreparedCapacity or MaxSize - desired)):
   * new pool instances launch (`Warmed:Pending`, launchMs), then take the pool's state; extras are
   * terminated, the least prepared first.
   */
  protected fillWarmPool(group: GroupState): void {
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
        this.ctx.changed([group.name]);
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

  protected onFaultsChanged(group: GroupState): void {
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
            this.ctx.changed([group.name]);
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

  protected retryLater(group: GroupState): void {
    if (group.retryTimer !== undefined) return;
    group.retryTimer = this.ctx.clock.setTimer(this.ctx.latency.autoscaling.launchRetryMs, () => {
      group.retryTimer = undefined;
      const before = group.instances.length + (group.warmPool?.instances.length ?? 0);
      this.converge(group);
      // A retry that failed again changes nothing users see: no re-evaluation of the truth.
      if (group.instances.length + (group.warmPool?.instances.length ?? 0) !== before)
        this.ctx.changed([group.name]);
    });
  }

  protected recordFailedLaunch(group: GroupState, warmStart: boolean, intoPool = false): void {
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

  protected record(
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

  protected jitter(ms: number): number {
    return Math.round(ms * (1 - LAUNCH_JITTER + 2 * LAUNCH_JITTER * this.ctx.random.next()));
  }

  /** Healthy unless its region is down, or it failed its ELB health checks after the grace period. */
  protected healthStatus(group: GroupState, instance: InstanceState): 'Healthy' | 'Unhealthy' {
    if (this.ctx.faults.isRegionDown(group.region)) return 'Unhealthy';
    const graceOver =
      instance.inServiceAt !== undefined &&
      this.ctx.clock.now() - instance.inServiceAt >= HEALTH_CHECK_GRACE_SECONDS * 1000;
    return instance.target?.state === 'unhealthy' && graceOver ? 'Unhealthy' : 'Healthy';
  }

  protected mustGroup(region: string, name: string | undefined): GroupState {
    const group = name === undefined ? undefined : this.groups.get(key(region, name));
    if (!group)
      throw validation(`AutoScalingGroup name not found - AutoScalingGroup ${name ?? '(none)'} not found`);
    return group;
  }

  protected nextInstanceId(): string {
    return `i-0${(++this.instanceSeq).toString(16).padStart(16, '0')}`;
  }

  /** The zone with the fewest of the group's instances (Auto Scaling balances across zones). */
  protected nextZone(group: GroupState): string {
    const zones = ZONES.map((z) => `${group.region}${z}`);
    const used = [...group.instances.map((i) => i.az), ...(group.warmPool?.instances.map((i) => i.az) ?? [])];
    const counts = zones.map((z) => used.filter((u) => u === z).length);
    const least = Math.min(...counts);
    return zones[counts.indexOf(least)] ?? zones[0] ?? group.region;
  }

  protected groupView(group: GroupState, includeInstances: boolean): AutoScalingGroup {
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

import type {
  AutoScalingGroup,
  AutoScalingGroupNamesType,
  AutoScalingGroupsType,
  DescribeWarmPoolAnswer,
  DescribeWarmPoolType,
  Instance,
  LifecycleState,
  PutWarmPoolAnswer,
  PutWarmPoolType,
  SetDesiredCapacityType,
  UpdateAutoScalingGroupType,
  WarmPoolState,
} from '@aws-sdk/client-auto-scaling';
import type { CapacityProfile, Plan } from '../../functions/core/plan.js';
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
const INSTANCE_TYPE = 't3.medium';
const DEFAULT_ACCOUNT = '111111111111';
const ZONES = ['a', 'b', 'c'] as const;

type GroupLifecycle = 'Pending' | 'InService' | 'Terminating';
type WarmLifecycle = 'Warmed:Pending' | 'Warmed:Stopped' | 'Warmed:Running' | 'Warmed:Hibernated';

interface InstanceState {
  readonly id: string;
  readonly az: string;
  lifecycle: GroupLifecycle;
  /** A Pending instance is booting (it has capacity) or waiting for capacity (launch failing). */
  booting: boolean;
  /** Came from the warm pool: starts in warmPoolLaunchMs instead of launchMs. */
  readonly warm: boolean;
  timer: number | undefined;
  /** Marks the end of the launch for the simulator's accounting. */
  end?: () => void;
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
  instances: WarmInstanceState[];
}

interface GroupState {
  readonly name: string;
  readonly region: string;
  readonly arn: string;
  readonly createdAt: number;
  min: number;
  max: number;
  desired: number;
  instances: InstanceState[];
  warmPool: WarmPool | undefined;
}

/** A read-only snapshot of a group, for the ground truth and tests. */
export interface GroupSnapshot {
  readonly name: string;
  readonly region: string;
  readonly min: number;
  readonly desired: number;
  readonly max: number;
  readonly instances: readonly {
    readonly id: string;
    readonly availabilityZone: string;
    readonly lifecycleState: GroupLifecycle;
    readonly healthStatus: 'Healthy' | 'Unhealthy';
  }[];
  readonly warmPoolSize: number;
}

/**
 * Amazon EC2 Auto Scaling (docs/architecture.md, The sandbox under the SDK): groups per region, instances Pending → InService
 * (Healthy) after the modelled launch time, Terminating → gone on scale-in, warm pools (faster
 * launches), and the capacity-shortage fault (launches beyond the limit fail and are retried, as
 * with InsufficientInstanceCapacity: the instances stay Pending until capacity returns).
 */
export class SimulatedAutoScaling implements SimulatedService {
  readonly service = 'autoscaling' as const;
  private readonly groups = new Map<string, GroupState>();
  private readonly provisioned = new Set<string>();
  private instanceSeq = 0;

  constructor(private readonly ctx: SimContext) {
    // Capacity may have returned: launches waiting for it go on.
    ctx.faults.onChange(() => {
      for (const group of this.groups.values()) this.startBoots(group);
    });
  }

  /**
   * Creates the plan's groups (idempotent per plan): in the plan's first region the `active`
   * profile, elsewhere `standby`, with `desired` instances already InService and Healthy.
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
          createdAt: this.ctx.clock.now(),
          min: profile.min,
          max: profile.max,
          desired: profile.desired,
          instances: [],
          warmPool: undefined,
        };
        for (let i = 0; i < profile.desired; i++) {
          group.instances.push({
            id: this.nextInstanceId(),
            az: this.nextZone(group),
            lifecycle: 'InService',
            booting: false,
            warm: false,
            timer: undefined,
          });
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
      default:
        throw new UnsupportedOperationError('autoscaling', operation);
    }
  }

  // --- views -------------------------------------------------------------------------------------

  /** Instances InService and Healthy in a group; 0 when its region is down or it does not exist. */
  healthyInService(region: string, groupName: string): number {
    if (this.ctx.faults.isRegionDown(region)) return 0;
    const group = this.groups.get(key(region, groupName));
    return group ? group.instances.filter((i) => i.lifecycle === 'InService').length : 0;
  }

  /** A snapshot of a group; instances in a region that is down are reported Unhealthy. */
  group(region: string, name: string): GroupSnapshot | undefined {
    const group = this.groups.get(key(region, name));
    if (!group) return undefined;
    const down = this.ctx.faults.isRegionDown(region);
    return {
      name: group.name,
      region: group.region,
      min: group.min,
      desired: group.desired,
      max: group.max,
      instances: group.instances.map((i) => ({
        id: i.id,
        availabilityZone: i.az,
        lifecycleState: i.lifecycle,
        healthStatus: down ? 'Unhealthy' : 'Healthy',
      })),
      warmPoolSize: group.warmPool?.instances.length ?? 0,
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
      WarmPoolConfiguration: this.warmPoolConfiguration(pool),
      Instances: pool.instances.map((i) => this.instanceView(i.id, i.az, i.lifecycle, 'Healthy')),
    };
  }

  private putWarmPool(input: Partial<PutWarmPoolType>, target: CallTarget): PutWarmPoolAnswer {
    const group = this.mustGroup(target.region, input.AutoScalingGroupName);
    const minSize = input.MinSize ?? 0;
    if (minSize < 0) throw validation('MinSize must be non-negative');
    const prepared = input.MaxGroupPreparedCapacity;
    if (prepared !== undefined && prepared !== -1 && prepared < group.desired)
      throw validation(
        `MaxGroupPreparedCapacity ${prepared} must be greater than or equal to the group's desired capacity ${group.desired}`,
      );
    const pool = group.warmPool ?? {
      minSize,
      maxGroupPreparedCapacity: undefined,
      poolState: 'Stopped',
      instances: [],
    };
    pool.minSize = minSize;
    pool.maxGroupPreparedCapacity = prepared === -1 ? undefined : prepared;
    pool.poolState = input.PoolState ?? 'Stopped';
    group.warmPool = pool;
    this.fillWarmPool(group);
    return {};
  }

  // --- scaling -----------------------------------------------------------------------------------

  private setDesired(group: GroupState, desired: number): void {
    group.desired = desired;
    const live = group.instances.filter((i) => i.lifecycle !== 'Terminating');
    if (live.length < desired) {
      for (let n = live.length; n < desired; n++) this.launch(group);
    } else if (live.length > desired) {
      // Scale in: instances still Pending first (they serve nothing yet), then the newest InService.
      const victims = [...live]
        .sort((a, b) => rank(a) - rank(b) || group.instances.indexOf(b) - group.instances.indexOf(a))
        .slice(0, live.length - desired);
      for (const victim of victims) this.terminate(group, victim);
    }
    this.startBoots(group);
    this.fillWarmPool(group);
    this.ctx.changed();
  }

  /** A new instance, Pending: from the warm pool when one is ready, else launched from scratch. */
  private launch(group: GroupState): void {
    const pool = group.warmPool;
    const ready = pool?.instances.find((i) => i.lifecycle !== 'Warmed:Pending');
    if (pool && ready) {
      pool.instances = pool.instances.filter((i) => i !== ready);
      this.ctx.clock.clearTimer(ready.timer);
      group.instances.push({
        id: ready.id,
        az: ready.az,
        lifecycle: 'Pending',
        booting: false,
        warm: true,
        timer: undefined,
        end: beginOperation(this.ctx, 'autoscaling:launch'),
      });
      return;
    }
    group.instances.push({
      id: this.nextInstanceId(),
      az: this.nextZone(group),
      lifecycle: 'Pending',
      booting: false,
      warm: false,
      timer: undefined,
      end: beginOperation(this.ctx, 'autoscaling:launch'),
    });
  }

  /**
   * Starts the boot of Pending instances that have capacity. Under a capacity shortage the
   * launches beyond `maxInService` fail (InsufficientInstanceCapacity) and are retried: those
   * instances wait, Pending, until capacity returns (a fault change or an instance gone).
   */
  private startBoots(group: GroupState): void {
    const limit = this.ctx.faults.capacityLimit(group.name);
    const { launchMs, warmPoolLaunchMs } = this.ctx.latency.autoscaling;
    let holding = group.instances.filter(
      (i) => i.lifecycle === 'InService' || (i.lifecycle === 'Pending' && i.booting),
    ).length;
    for (const instance of group.instances) {
      if (instance.lifecycle !== 'Pending' || instance.booting) continue;
      if (limit !== undefined && holding >= limit) break;
      holding++;
      instance.booting = true;
      const base = instance.warm ? warmPoolLaunchMs : launchMs;
      const delay = Math.round(base * (1 - LAUNCH_JITTER + 2 * LAUNCH_JITTER * this.ctx.random.next()));
      instance.timer = this.ctx.clock.setTimer(delay, () => {
        instance.timer = undefined;
        instance.end?.();
        instance.lifecycle = 'InService';
        this.ctx.changed();
      });
    }
  }

  private terminate(group: GroupState, instance: InstanceState): void {
    this.ctx.clock.clearTimer(instance.timer);
    instance.lifecycle = 'Terminating';
    instance.booting = false;
    instance.timer = this.ctx.clock.setTimer(this.ctx.latency.autoscaling.terminateMs, () => {
      group.instances = group.instances.filter((i) => i !== instance);
      this.startBoots(group);
      this.ctx.changed();
    });
  }

  /**
   * Keeps the warm pool at its size: MaxGroupPreparedCapacity (default MaxSize) minus the desired
   * capacity, at least MinSize. New warm instances boot, run and stop (Warmed:Pending, then the
   * pool state) in launchMs.
   */
  private fillWarmPool(group: GroupState): void {
    const pool = group.warmPool;
    if (!pool) return;
    const prepared = pool.maxGroupPreparedCapacity ?? group.max;
    const size = Math.max(pool.minSize, prepared - group.desired);
    while (pool.instances.length < size) {
      const warm: WarmInstanceState = {
        id: this.nextInstanceId(),
        az: this.nextZone(group),
        lifecycle: 'Warmed:Pending',
        timer: undefined,
      };
      const launchMs = this.ctx.latency.autoscaling.launchMs;
      const delay = Math.round(launchMs * (1 - LAUNCH_JITTER + 2 * LAUNCH_JITTER * this.ctx.random.next()));
      warm.timer = this.ctx.clock.setTimer(delay, () => {
        warm.timer = undefined;
        warm.lifecycle = `Warmed:${pool.poolState}`;
        this.ctx.changed();
      });
      pool.instances.push(warm);
    }
    while (pool.instances.length > size) {
      const extra = pool.instances.pop();
      this.ctx.clock.clearTimer(extra?.timer);
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

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

  private warmPoolConfiguration(pool: WarmPool) {
    return {
      MinSize: pool.minSize,
      ...(pool.maxGroupPreparedCapacity !== undefined
        ? { MaxGroupPreparedCapacity: pool.maxGroupPreparedCapacity }
        : {}),
      PoolState: pool.poolState,
    };
  }

  private groupView(group: GroupState, includeInstances: boolean): AutoScalingGroup {
    const down = this.ctx.faults.isRegionDown(group.region);
    return {
      AutoScalingGroupName: group.name,
      AutoScalingGroupARN: group.arn,
      MinSize: group.min,
      MaxSize: group.max,
      DesiredCapacity: group.desired,
      DefaultCooldown: 300,
      AvailabilityZones: ZONES.map((z) => `${group.region}${z}`),
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: 60,
      CreatedTime: new Date(group.createdAt),
      ...(includeInstances
        ? {
            Instances: group.instances.map((i) =>
              this.instanceView(i.id, i.az, i.lifecycle, down ? 'Unhealthy' : 'Healthy'),
            ),
          }
        : {}),
      TerminationPolicies: ['Default'],
      NewInstancesProtectedFromScaleIn: false,
      ...(group.warmPool
        ? {
            WarmPoolConfiguration: this.warmPoolConfiguration(group.warmPool),
            WarmPoolSize: group.warmPool.instances.length,
          }
        : {}),
    };
  }

  private instanceView(id: string, az: string, lifecycle: LifecycleState, health: string): Instance {
    return {
      InstanceId: id,
      InstanceType: INSTANCE_TYPE,
      AvailabilityZone: az,
      LifecycleState: lifecycle,
      HealthStatus: health,
      ProtectedFromScaleIn: false,
    };
  }
}

function key(region: string, name: string): string {
  return `${region}/${name}`;
}

function rank(instance: InstanceState): number {
  return instance.lifecycle === 'Pending' ? 0 : 1;
}

function validation(message: string): Error {
  return awsError('autoscaling', 'ValidationError', message);
}

/** The account of the plan's ARNs (a plan spans one account), or a placeholder. */
function planAccount(plan: Plan): string {
  const arns = [
    ...(plan.database?.auroraGlobalClusters.flatMap((c) => Object.values(c.members)) ?? []),
    ...(plan.detection?.alarms ?? []),
  ];
  for (const arn of arns) {
    const account = arn.split(':')[4];
    if (account && /^\d{12}$/.test(account)) return account;
  }
  return DEFAULT_ACCOUNT;
}

/** A stable UUID-shaped ID derived from a name (ASG ARNs carry one). */
function uuidFrom(text: string): string {
  let hex = '';
  let seed = 0x811c9dc5;
  while (hex.length < 32) {
    let h = seed;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    hex += h.toString(16).padStart(8, '0');
    seed = (seed + 0x9e3779b9) >>> 0;
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

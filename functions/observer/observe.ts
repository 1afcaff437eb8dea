import { isoNow } from '../core/clock.js';
import {
  describeError,
  RegionUnavailableError,
  ResourceNotFoundError,
  SwitchyardError,
  ThrottledError,
} from '../core/errors.js';
import type { AutoScalingGroupPlan, Plan } from '../core/plan.js';
import { initialPrimary, warmPoolIn } from '../core/plan-queries.js';
import { memberIn } from '../core/plan-registry.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { UnreachableRegions } from '../runbook/ports/arc.js';
import type { GroupCapacity, WarmPoolView } from '../runbook/ports/auto-scaling.js';
import type { DnsSample } from '../runbook/ports/dns.js';
import {
  type AppObservation,
  type CapacityObservation,
  type ClusterObservation,
  type GroupReadiness,
  isKnown,
  type RegionCluster,
  type Seen,
  type TrafficObservation,
  type Unknown,
} from './observation.js';

/**
 * The one observer of the truth: what AWS says now about an app, read in parallel, with
 * "unknown" as a value of its own. Every step that decides, verifies or repairs (VerifyService,
 * RecordFailure, the reconciler) reads the app through {@link observeApp}, never through what
 * Switchyard wrote in its own records.
 *
 * Static stability: every read is a regional data-plane or regional control-plane call of the
 * region it is about (RDS and Auto Scaling in that region, ARC's cluster endpoints, DNS questions
 * to the zone's authoritative name servers). Nothing here calls Route 53's control plane, so an
 * observation into a healthy region works while us-east-1 is down.
 */

export type {
  AppObservation,
  CapacityObservation,
  ClusterObservation,
  GroupReadiness,
  RegionCluster,
  Seen,
  TrafficObservation,
  Unknown,
} from './observation.js';
export { isKnown, isUnknown } from './observation.js';

/** The adapters the observer reads through. */
export type ObserverDeps = Pick<
  RunbookDeps,
  'region' | 'clock' | 'aurora' | 'auroraLag' | 'autoScaling' | 'arc' | 'dns' | 'traffic'
>;

/**
 * Reads what AWS says about `plan` in `regions` now, every read in parallel. Never throws for a
 * failed read: that fact is {@link Unknown}. Traffic is read once for the whole app (it is
 * global), through this control plane's region.
 */
export async function observeApp(
  plan: Plan,
  regions: readonly string[],
  deps: ObserverDeps,
  options: {
    /** Also read each secondary member's replication lag (one CloudWatch read each). */
    readonly lag?: boolean;
    /** Regions whose ARC endpoint is known not to answer: tried last, and kept current (arc.ts). */
    readonly unreachable?: UnreachableRegions;
    /**
     * Also read how many instances of each declared warm pool are warmed (one DescribeWarmPool
     * each, where the group's answer says its pool holds instances: {@link groupReadiness}).
     */
    readonly warmPools?: boolean;
    /**
     * The regions (of `regions`) whose Auto Scaling groups to read; default every one. A region
     * left out has no entry in `capacity` (its level is unknown) until {@link withCapacity} reads it.
     */
    readonly capacityIn?: readonly string[];
    /**
     * Start the reads that `lag` and `warmPools` make after an answer beside that answer instead,
     * from what the plan names: each member's replication lag beside its cluster's read (kept only
     * where the member is a secondary) and each declared warm pool's DescribeWarmPool beside its
     * group's read (kept only where the group's answer says its pool holds instances). One round of
     * reads instead of two, for a call whose answer may be dropped: for one app's request (a
     * failover's dry run), not for the scheduled or batched reads of many apps.
     */
    readonly eager?: boolean;
    /**
     * Ask each of the plan's records of one name server, taken in turn, and of every server only
     * when that one's answer is not the expected region (`DnsSample`, functions/runbook/ports/dns.ts):
     * a scheduled pass's observation. Without it every server is asked.
     */
    readonly dnsSample?: DnsSample;
  } = {},
): Promise<AppObservation> {
  const outcomes = new Map<string, Tally>(regions.map((r) => [r, { ok: 0, unreachable: 0, other: 0 }]));
  const read = reader(outcomes);

  const clusters = Promise.all(
    (plan.database?.auroraGlobalClusters ?? []).map(async (cluster): Promise<ClusterObservation> => {
      const perRegion = await Promise.all(
        regions.map(async (region) => {
          const arn = memberIn(cluster.members, region);
          const lagOf = () =>
            read(undefined, `replication lag into ${arn}`, () =>
              deps.auroraLag.replicationLagMs(region, arn, deps.clock.now(), cluster.engine),
            );
          const seen = await read(region, `${cluster.globalClusterId} in ${region}`, async () => {
            // Eager: the lag is read beside the cluster (`read` never rejects), used if a secondary.
            const early = options.lag && options.eager ? lagOf() : undefined;
            const [own, global] = await Promise.all([
              deps.aurora.describeCluster(region, arn),
              // A global cluster that is gone is an answer (the member is described as detached);
              // any other failure (throttled, transient) is not, and stays this read's error, so
              // that a throttled read is retried, never taken as "cannot tell".
              deps.aurora.describeGlobalCluster(region, cluster.globalClusterId).catch((error: unknown) => {
                if (error instanceof ResourceNotFoundError) return undefined;
                throw error;
              }),
            ]);
            const member = own.globalClusterId
              ? global?.members.find((m) => m.clusterArn === arn)
              : undefined;
            if (own.globalClusterId && !global)
              throw new Error(`${cluster.globalClusterId} could not be described`);
            const state: RegionCluster & { moving: boolean } = {
              // Writable: the global writer (or detached and available), with an instance that
              // takes writes (a headless or fenced cluster takes none).
              writable:
                (member ? member.isWriter : !own.globalClusterId && own.status === 'available') &&
                own.instances.some((i) => i.isWriter),
              member: own.globalClusterId !== undefined,
              status: own.status,
              ...(member?.synchronizationStatus
                ? { synchronizationStatus: member.synchronizationStatus }
                : {}),
              ...(own.engineVersion ? { engineVersion: own.engineVersion } : {}),
              ...(member && global?.engineVersion ? { globalEngineVersion: global.engineVersion } : {}),
              instances: own.instances.length,
              moving: global?.failover !== undefined,
            };
            if (options.lag && member && !member.isWriter)
              return { ...state, lagMs: await (early ?? lagOf()) };
            return state;
          });
          return [region, seen] as const;
        }),
      );
      const regionsSeen: Record<string, Seen<RegionCluster>> = {};
      let moving = false;
      for (const [region, seen] of perRegion) {
        if (isKnown(seen)) {
          const { moving: m, ...cluster } = seen;
          moving ||= m;
          regionsSeen[region] = cluster;
        } else regionsSeen[region] = seen;
      }
      const writers = perRegion.filter(([, s]) => isKnown(s) && s.writable).map(([r]) => r);
      return { globalClusterId: cluster.globalClusterId, regions: regionsSeen, writers, moving };
    }),
  );

  const capacityIn = options.capacityIn ?? regions;
  const capacity = readCapacity(
    plan,
    regions.filter((r) => capacityIn.includes(r)),
    deps,
    read,
    options.warmPools ? (options.eager ? 'eager' : true) : false,
  );

  const traffic = observeTraffic(plan, deps, read, options.unreachable, options.dnsSample);
  const [c, k, t] = await Promise.all([clusters, capacity, traffic]);
  const observation: AppObservation = {
    app: plan.name,
    at: isoNow(deps.clock),
    regions: [...regions],
    clusters: c,
    capacity: k,
    traffic: t,
    reachable: reachability(outcomes),
  };
  tallies.set(observation, outcomes);
  return observation;
}

/**
 * `seen` (an {@link observeApp} observation made with `capacityIn`) with the Auto Scaling groups
 * of `regions` read now and added: what a decision that needs capacity in only some regions reads
 * once it knows which (the reconciler: the region holding the writer). `reachable` counts these
 * reads with the first ones. A region already read is read again.
 */
export async function withCapacity(
  seen: AppObservation,
  plan: Plan,
  regions: readonly string[],
  deps: Pick<ObserverDeps, 'autoScaling'>,
  options: {
    /**
     * False: leave DescribeTargetHealth out (`DescribeOptions`, ports/auto-scaling.ts): each
     * group's serving count is then its InService instances Healthy to Auto Scaling, and says so
     * (`targetHealthRead: false`). Default: read.
     */
    readonly targetHealth?: boolean;
  } = {},
): Promise<AppObservation> {
  const observed = regions.filter((r) => seen.regions.includes(r));
  if (observed.length === 0) return seen;
  const outcomes = new Map<string, Tally>(
    seen.regions.map((r) => [r, { ...(tallies.get(seen)?.get(r) ?? { ok: 0, unreachable: 0, other: 0 }) }]),
  );
  const added = await readCapacity(plan, observed, deps, reader(outcomes), false, options.targetHealth);
  const observation: AppObservation = {
    ...seen,
    capacity: added.map((group) => ({
      group: group.group,
      regions: {
        ...seen.capacity.find((g) => g.group === group.group)?.regions,
        ...group.regions,
      },
    })),
    reachable: reachability(outcomes),
  };
  tallies.set(observation, outcomes);
  return observation;
}

/** Per region, how its reads went: answered, failed as unreachable, failed otherwise. */
interface Tally {
  ok: number;
  unreachable: number;
  other: number;
}

/** Each observation's tallies, so that {@link withCapacity} counts its reads with the first ones. */
const tallies = new WeakMap<AppObservation, ReadonlyMap<string, Tally>>();

/** A region is reachable when a read about it answered; not when every read found it unreachable. */
function reachability(outcomes: ReadonlyMap<string, Tally>): Record<string, boolean | 'unknown'> {
  const reachable: Record<string, boolean | 'unknown'> = {};
  for (const [region, tally] of outcomes) {
    reachable[region] = tally.ok > 0 ? true : tally.unreachable > 0 && tally.other === 0 ? false : 'unknown';
  }
  return reachable;
}

/** A read that never throws: its value, or {@link Unknown}; counted in its region's tally. */
function reader(outcomes: ReadonlyMap<string, Tally>): Reader {
  return async <T>(region: string | undefined, what: string, call: () => Promise<T>): Promise<Seen<T>> => {
    const tally = region ? outcomes.get(region) : undefined;
    try {
      const value = await call();
      if (tally) tally.ok++;
      return value;
    } catch (error: unknown) {
      const { name, message } = describeError(error);
      if (tally) {
        if (error instanceof RegionUnavailableError) tally.unreachable++;
        else tally.other++;
      }
      return {
        unknown: `${what}: ${name}: ${message}`,
        ...(error instanceof SwitchyardError && error.retryable ? { retryable: true } : {}),
        ...(error instanceof ThrottledError ? { throttled: true } : {}),
      };
    }
  };
}

/** Every group of the plan in `regions`, read in parallel. */
function readCapacity(
  plan: Plan,
  regions: readonly string[],
  deps: Pick<ObserverDeps, 'autoScaling'>,
  read: Reader,
  warmPools: boolean | 'eager',
  targetHealth = true,
): Promise<CapacityObservation[]> {
  return Promise.all(
    (plan.compute?.autoScalingGroups ?? []).map(async (group): Promise<CapacityObservation> => {
      const perRegion = await Promise.all(
        regions.map(
          async (region) =>
            [
              region,
              await read(region, `${group.name} in ${region}`, () =>
                groupReadiness(group, region, deps, warmPools, targetHealth),
              ),
            ] as const,
        ),
      );
      return { group: group.name, regions: Object.fromEntries(perRegion) };
    }),
  );
}

/**
 * Reads one group in one region against the plan's active profile and thresholds; with
 * `warmPools`, also how many of its pool's instances are warmed, when the plan declares a pool
 * there: by DescribeWarmPool when the group's own answer says its pool holds instances
 * (`WarmPoolSize` > 0), else none are (an empty pool has nothing warmed, and a group without a pool
 * has nothing to read), so that call is made only where its answer can say something. With
 * `warmPools: 'eager'` (one app's request) DescribeWarmPool goes beside DescribeAutoScalingGroups
 * wherever the plan declares a pool, and its answer is used under the same rule: one round of
 * reads instead of two. The plan's `targetGroups` there, if any, are read beside the group too.
 */
export async function groupReadiness(
  group: AutoScalingGroupPlan,
  region: string,
  deps: Pick<RunbookDeps, 'autoScaling'>,
  warmPools: boolean | 'eager' = false,
  targetHealth = true,
): Promise<GroupReadiness> {
  const name = memberIn(group.members, region);
  const declared = warmPools !== false && warmPoolIn(group, region) !== undefined;
  const early = declared && warmPools === 'eager' ? deps.autoScaling.warmPool(region, name) : undefined;
  early?.catch(() => undefined); // its error is this read's only where its answer is used
  const capacity = targetHealth
    ? await deps.autoScaling.describe(region, name, group.targetGroups?.[region])
    : await deps.autoScaling.describe(region, name, undefined, { targetHealth: false });
  if (!declared || !capacity.warmPool) return readinessOf(group, capacity);
  const pool =
    capacity.warmPool.size > 0 ? await (early ?? deps.autoScaling.warmPool(region, name)) : { warmed: 0 };
  return readinessOf(group, capacity, pool);
}

/**
 * A group's readiness from what Auto Scaling answered for it (and its warm pool, when read): its
 * serving instances against the plan's active profile and thresholds. No read of its own.
 */
export function readinessOf(
  group: AutoScalingGroupPlan,
  capacity: GroupCapacity,
  pool?: Pick<WarmPoolView, 'warmed'>,
): GroupReadiness {
  const healthyPercent = Math.round((1000 * capacity.healthyInService) / group.active.desired) / 10;
  return {
    healthyInService: capacity.healthyInService,
    pending: capacity.pending,
    waiting: capacity.waiting,
    notServing: capacity.notServing.length,
    notServingReasons: [...new Set(capacity.notServing.map((n) => n.reason ?? n.state))],
    ...(capacity.warmPool
      ? {
          warmPool: {
            poolState: capacity.warmPool.poolState,
            size: capacity.warmPool.size,
            ...(pool ? { warmed: pool.warmed } : {}),
          },
        }
      : {}),
    desired: capacity.desired,
    max: capacity.max,
    activeDesired: group.active.desired,
    healthyPercent,
    ready: healthyPercent >= group.healthyPercent,
    minimumMet: healthyPercent >= group.ungracefulMinimumPercent,
    ...(capacity.targetHealthRead === false ? { targetHealthRead: false as const } : {}),
  };
}

type Reader = <T>(region: string | undefined, what: string, call: () => Promise<T>) => Promise<Seen<T>>;

async function observeTraffic(
  plan: Plan,
  deps: ObserverDeps,
  read: Reader,
  unreachable: UnreachableRegions | undefined,
  dnsSample: DnsSample | undefined,
): Promise<TrafficObservation> {
  const arc = plan.traffic.arc;
  const route53 = plan.traffic.route53;
  const controls = arc
    ? read(undefined, 'routing controls', () =>
        deps.arc.getStates(arc.clusterEndpoints, Object.values(arc.routingControls), unreachable),
      )
    : undefined;
  const answers = route53
    ? Promise.all(
        route53.records.map(
          async (record) =>
            [
              record.name,
              await read(undefined, `DNS answer for ${record.name}`, () =>
                deps.dns.answeredRegion(deps.region, record, dnsSample),
              ),
            ] as const,
        ),
      )
    : undefined;
  const switchRead =
    route53?.method === 'health-checks'
      ? read(undefined, 'traffic switch', async () => {
          const state = await deps.traffic.get(plan.name);
          // Never written: the deployed records' health names the plan's first region.
          return state?.region ?? initialPrimary(plan);
        })
      : undefined;
  const [states, dns, switchRegion] = await Promise.all([controls, answers, switchRead]);

  let routingControls: Record<string, Seen<'On' | 'Off'>> | undefined;
  if (arc && states) {
    routingControls = {};
    for (const [region, arn] of Object.entries(arc.routingControls)) {
      routingControls[region] = isKnown(states)
        ? (states[arn] ?? { unknown: `no state for ${arn}` })
        : states;
    }
  }
  const dnsByName = dns ? Object.fromEntries(dns) : undefined;

  let region: Seen<string | null>;
  if (dns && dns.length > 0) {
    const unknown = dns.find(([, seen]) => !isKnown(seen));
    const regions = new Set(dns.map(([, seen]) => seen));
    region = unknown
      ? unknown[1]
      : regions.size === 1
        ? (dns[0]?.[1] as string | null)
        : {
            unknown: `the plan's records resolve to different regions (${dns.map(([n, r]) => `${n}: ${String(r)}`).join(', ')})`,
          };
  } else if (routingControls) {
    const values = Object.entries(routingControls);
    const unknown = values.find(([, s]) => !isKnown(s));
    const on = values.filter(([, s]) => s === 'On').map(([r]) => r);
    region = unknown ? (unknown[1] as Unknown) : on.length === 1 ? (on[0] ?? null) : null;
  } else region = null;

  return {
    mechanism: arc ? 'arc' : route53 ? 'route53' : 'none',
    region,
    ...(routingControls ? { routingControls } : {}),
    ...(dnsByName ? { dns: dnsByName } : {}),
    ...(switchRegion !== undefined ? { switchRegion } : {}),
  };
}

// --- what an observation means --------------------------------------------------------------

/**
 * The region that holds the writer of every global cluster (an app without a database: any
 * observed region qualifies), when exactly one does and nothing about it is unknown; else null.
 */
export function writerRegion(observation: AppObservation): string | null {
  if (observation.clusters.length === 0) return null;
  let common: string[] | undefined;
  for (const cluster of observation.clusters) {
    if (cluster.moving) return null;
    common = common ? common.filter((r) => cluster.writers.includes(r)) : [...cluster.writers];
  }
  return common?.length === 1 ? (common[0] ?? null) : null;
}

/** Whether `region` holds the writer of every global cluster: true, false, or unknown. */
export function holdsEveryWriter(observation: AppObservation, region: string): boolean | 'unknown' {
  let result: boolean | 'unknown' = true;
  for (const cluster of observation.clusters) {
    const seen = cluster.regions[region];
    if (!seen || !isKnown(seen) || cluster.moving) result = result === false ? false : 'unknown';
    else if (!seen.writable) return false;
  }
  return result;
}

/**
 * How well `region` can serve now: every group's readiness there. `ready` when every group is at
 * its `healthyPercent`, `minimum` at its ungraceful minimum, `some` with at least one healthy
 * instance in every group, `none` otherwise; unknown when a group could not be read.
 */
export function capacityLevel(
  observation: AppObservation,
  region: string,
): 'ready' | 'minimum' | 'some' | 'none' | 'unknown' {
  let level: 'ready' | 'minimum' | 'some' = 'ready';
  for (const group of observation.capacity) {
    const seen = group.regions[region];
    if (!seen || !isKnown(seen)) return 'unknown';
    if (seen.healthyInService === 0) return 'none';
    if (!seen.minimumMet) level = 'some';
    else if (!seen.ready && level === 'ready') level = 'minimum';
  }
  return level;
}

/**
 * Every unknown of an observation, as readable notes (for step details, audit entries and status):
 * of every region, or of `region` only; where traffic goes is every region's concern.
 */
export function unknowns(observation: AppObservation, region?: string): string[] {
  const notes: string[] = [];
  const note = <T>(regions: Readonly<Record<string, Seen<T>>>) => {
    for (const seen of region === undefined ? Object.values(regions) : [regions[region]])
      if (seen !== undefined && !isKnown(seen)) notes.push(seen.unknown);
  };
  for (const cluster of observation.clusters) note(cluster.regions);
  for (const group of observation.capacity) note(group.regions);
  if (!isKnown(observation.traffic.region)) notes.push(observation.traffic.region.unknown);
  return [...new Set(notes)];
}

import type { LockRecord, PlanStatus } from '../aws/state-store.js';
import { describeError, SwitchyardError } from '../core/errors.js';
import { type AuroraGlobalCluster, initialPrimary, type Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import type { RunbookDeps } from '../runbook/context.js';

export type RoutingState = 'On' | 'Off' | 'PRIMARY' | 'SECONDARY';

/** One Auto Scaling group in one region; null where the read failed. */
export interface CapacityDetail {
  readonly group: string;
  readonly healthyInService: number | null;
  readonly desired: number | null;
}

/** How one region of a plan stands, read from that region's APIs; null where unknown. */
export interface RegionDetail {
  /** Whether this region holds the writer of every global cluster of the plan; null without a database. */
  readonly writer: boolean | null;
  readonly capacity: readonly CapacityDetail[];
  /** The region's ARC routing control (preferred when configured), else its Route 53 failover role. */
  readonly routing: RoutingState | null;
  /** The largest replication lag into this region's secondary clusters; null for the writer's region. */
  readonly replicationLagMs: number | null;
  /** False when none of this region's APIs answered (its reads are then null). */
  readonly reachable: boolean;
  /** What could not be read, and why. */
  readonly problems?: readonly string[];
}

export interface AppStatus {
  readonly app: string;
  readonly strategy: Plan['strategy'];
  readonly regions: readonly string[];
  readonly activeRegion: string;
  /** From the state item; FAILING_OVER while an execution holds the lock with a live lease. */
  readonly status: PlanStatus;
  readonly lock?: { readonly holder: string; readonly epoch: number; readonly leaseExpiresAt: string };
  readonly runningExecution?: string;
  readonly lastFailoverAt?: string;
  readonly lastExecutionId?: string;
  readonly objectives: Plan['objectives'];
  readonly regionsDetail: Readonly<Record<string, RegionDetail>>;
}

type StatusDeps = Pick<
  RunbookDeps,
  'plans' | 'clock' | 'store' | 'aurora' | 'autoScaling' | 'route53' | 'arc'
>;

/** Whether a lock is held by a live execution: not released and its lease not run out. */
export function isLive(lock: LockRecord | undefined, now: number): lock is LockRecord {
  return lock !== undefined && !lock.released && lock.leaseExpiresAt >= now;
}

/** The status of every app, in plan order. */
export async function listAppStatuses(deps: StatusDeps): Promise<AppStatus[]> {
  return Promise.all(deps.plans.list().map((plan) => appStatus(plan, deps)));
}

/** The status of one app ({@link UnknownAppError} if no plan has that name). */
export async function getAppStatus(app: string, deps: StatusDeps): Promise<AppStatus> {
  return appStatus(deps.plans.get(app), deps);
}

/**
 * Reads the control plane's record (state item and lock, from this region's replica) and each
 * region's live state, every region in parallel and best effort: a region that is down costs its
 * own reads, never the answer.
 */
async function appStatus(plan: Plan, deps: StatusDeps): Promise<AppStatus> {
  const [state, lock, routing, details] = await Promise.all([
    deps.store.getState(plan.name),
    deps.store.getLock(plan.name),
    routingStates(plan, deps),
    Promise.all(plan.regions.map((region) => regionReads(plan, region, deps))),
  ]);
  const live = isLive(lock, deps.clock.now());
  const regionsDetail: Record<string, RegionDetail> = {};
  plan.regions.forEach((region, index) => {
    const detail = details[index] as Omit<RegionDetail, 'routing'>;
    const problems = [...(detail.problems ?? []), ...(routing.problem ? [routing.problem] : [])];
    regionsDetail[region] = {
      ...detail,
      routing: routing.states[region] ?? null,
      ...(problems.length > 0 ? { problems } : {}),
    };
  });
  return {
    app: plan.name,
    strategy: plan.strategy,
    regions: plan.regions,
    activeRegion: state?.activeRegion ?? initialPrimary(plan),
    status: live ? 'FAILING_OVER' : (state?.status ?? 'ACTIVE'),
    ...(live
      ? {
          lock: {
            holder: lock.holder,
            epoch: lock.epoch,
            leaseExpiresAt: new Date(lock.leaseExpiresAt).toISOString(),
          },
          runningExecution: lock.holder,
        }
      : {}),
    ...(state?.lastFailoverAt ? { lastFailoverAt: state.lastFailoverAt } : {}),
    ...(state?.lastExecutionId ? { lastExecutionId: state.lastExecutionId } : {}),
    objectives: plan.objectives,
    regionsDetail,
  };
}

/** The writer role and replication lag of one region's member of a global cluster. */
interface ClusterRole {
  readonly isWriter: boolean;
  /** False for a cluster detached from its global database (a standalone writer). */
  readonly member: boolean;
}

async function regionReads(
  plan: Plan,
  region: string,
  deps: StatusDeps,
): Promise<Omit<RegionDetail, 'routing'>> {
  const problems: string[] = [];
  let attempted = 0;
  let answered = 0;
  const attempt = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    attempted++;
    try {
      const value = await read();
      answered++;
      return value;
    } catch (error: unknown) {
      // A terminal error (e.g. not found) is still an answer: the region is up.
      if (!(error instanceof SwitchyardError && error.retryable)) answered++;
      problems.push(`${what}: ${describeError(error).message}`);
      return undefined;
    }
  };

  const clusters = plan.database?.auroraGlobalClusters ?? [];
  const groups = plan.compute?.autoScalingGroups ?? [];
  const [roles, capacity] = await Promise.all([
    Promise.all(
      clusters.map(async (cluster) => {
        const role = await attempt(`writer of ${cluster.globalClusterId}`, () =>
          clusterRole(cluster, region, deps),
        );
        const lag =
          role?.member && !role.isWriter
            ? await attempt(`replication lag of ${cluster.globalClusterId}`, () =>
                deps.aurora.replicationLagMs(region, memberIn(cluster.members, region), deps.clock.now()),
              )
            : undefined;
        return { role, lag };
      }),
    ),
    Promise.all(
      groups.map(async (group): Promise<CapacityDetail> => {
        const seen = await attempt(`capacity of ${group.name}`, () =>
          deps.autoScaling.describe(region, memberIn(group.members, region)),
        );
        return {
          group: group.name,
          healthyInService: seen?.healthyInService ?? null,
          desired: seen?.desired ?? null,
        };
      }),
    ),
  ]);

  const writer =
    clusters.length === 0 || roles.some((r) => r.role === undefined)
      ? null
      : roles.every((r) => r.role?.isWriter);
  const lags = roles.flatMap((r) => (typeof r.lag === 'number' ? [r.lag] : []));
  return {
    writer,
    capacity,
    replicationLagMs: lags.length > 0 ? Math.max(...lags) : null,
    reachable: attempted === 0 || answered > 0,
    ...(problems.length > 0 ? { problems } : {}),
  };
}

/** Whether `region`'s cluster is the writer: as a global member, or detached and standalone. */
async function clusterRole(
  cluster: AuroraGlobalCluster,
  region: string,
  deps: StatusDeps,
): Promise<ClusterRole> {
  const arn = memberIn(cluster.members, region);
  const view = await deps.aurora.describeGlobalCluster(region, cluster.globalClusterId);
  const member = view.members.find((m) => m.clusterArn === arn);
  if (member) return { isWriter: member.isWriter, member: true };
  const standalone = await deps.aurora.describeCluster(region, arn);
  return { isWriter: !standalone.globalClusterId && standalone.status === 'available', member: false };
}

/**
 * Each region's routing: the ARC routing control when the plan has ARC (what the runbook moves),
 * else its role in the Route 53 failover records (null if the records disagree). ARC is read
 * through its five cluster endpoints, Route 53 through its control plane in us-east-1: neither is
 * a read of the region itself, so it does not count toward `reachable`.
 */
async function routingStates(
  plan: Plan,
  deps: StatusDeps,
): Promise<{ states: Record<string, RoutingState | null>; problem?: string }> {
  const arc = plan.traffic.arc;
  const route53 = plan.traffic.route53;
  try {
    if (arc) {
      const states = await deps.arc.getStates(arc.clusterEndpoints, Object.values(arc.routingControls));
      return {
        states: Object.fromEntries(
          plan.regions.map((region) => [region, states[memberIn(arc.routingControls, region)] ?? null]),
        ),
      };
    }
    if (route53) {
      const records = await Promise.all(
        route53.records.map((r) => deps.route53.listFailoverRecords(route53.hostedZoneId, r.name, r.type)),
      );
      return {
        states: Object.fromEntries(
          plan.regions.map((region) => {
            const roles = new Set(
              records.map((current) => current.find((r) => r.setIdentifier === region)?.failover ?? null),
            );
            return [region, roles.size === 1 ? ([...roles][0] ?? null) : null];
          }),
        ),
      };
    }
    return { states: {} };
  } catch (error: unknown) {
    return { states: {}, problem: `routing: ${describeError(error).message}` };
  }
}

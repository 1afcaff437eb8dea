import { describeError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { detectionMeaning, initialPrimary } from '../core/plan-queries.js';
import { memberIn } from '../core/plan-registry.js';
import type { ExecutionRecord, LockRecord, PlanState, PlanStatus } from '../core/records.js';
import {
  type AppObservation,
  holdsEveryWriter,
  isKnown,
  type ObserverDeps,
  observeApp,
  unknowns,
} from '../observer/observe.js';
import { READINESS_EVERY_MINUTES } from '../readiness/readiness.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { ReadinessRecord } from '../runbook/ports/readiness-results.js';

export type RoutingState = 'On' | 'Off' | 'PRIMARY' | 'SECONDARY';

/** One Auto Scaling group in one region; null where the read failed. */
export interface CapacityDetail {
  readonly group: string;
  /** Instances that serve: InService and healthy in the load balancer's target group. */
  readonly healthyInService: number | null;
  readonly desired: number | null;
  /** The group's warm pool there, when it has one: its state and how many instances it holds. */
  readonly warmPool?: { readonly poolState: string; readonly size: number };
}

/** How one region of a plan stands, read from that region's APIs; null where unknown. */
export interface RegionDetail {
  /** Whether this region holds the writer of every global cluster of the plan; null without a database. */
  readonly writer: boolean | null;
  readonly capacity: readonly CapacityDetail[];
  /** Its ARC routing control state (when configured), else PRIMARY when the zone's name servers answer it now. */
  readonly routing: RoutingState | null;
  /** The largest replication lag into this region's secondary clusters; null for the writer's region. */
  readonly replicationLagMs: number | null;
  /** False when none of this region's APIs answered (its reads are then null). */
  readonly reachable: boolean;
  /** What could not be read, and why. */
  readonly problems?: readonly string[];
  /**
   * The scheduled readiness evaluation's latest verdict toward this region, with its blocking
   * codes and when it was evaluated; absent for the active region and before the first evaluation.
   * A verdict is only as current as its evaluation: `ageSeconds` says how old it is, and `stale`
   * is set once it is older than two evaluation periods (the schedule missed one: a region that
   * went down since may still show READY).
   */
  readonly readiness?: {
    readonly verdict: 'READY' | 'NOT_READY';
    readonly blocking: readonly string[];
    readonly warnings: readonly string[];
    readonly evaluatedAt: string;
    /** Seconds (on the deps' clock, virtual in the sandbox) since `evaluatedAt`. */
    readonly ageSeconds: number;
    /** Older than {@link STALE_AFTER_SECONDS}. */
    readonly stale: boolean;
  };
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
  /** When the last run that made a region active finished (ISO); absent before the first. */
  readonly lastFailoverAt?: string;
  /** The last run that made a region active (SUCCEEDED): what `activeRegion` comes from. */
  readonly lastExecutionId?: string;
  /**
   * The app's newest execution, whatever its outcome (a newer FAILED or ABORTED run than
   * `lastExecutionId` included): null when none is on record, unknown when the read failed.
   */
  readonly latestExecution: LatestExecution | null | { readonly unknown: string };
  /**
   * Automatic detection: its mode, what it does in words (`meaning`, e.g. "an alarm starts a
   * failover that waits for an approver"), and until when (ISO) a new automatic failover is held
   * back by the plan's `cooldownSeconds` after the last one; absent when the plan has no detection.
   */
  readonly detection?: { readonly mode: string; readonly meaning: string; readonly cooldownUntil?: string };
  /** Why the app is DEGRADED, as the run or the reconciler that marked it said. */
  readonly statusReason?: string;
  readonly objectives: Plan['objectives'];
  /** Where users are sent now, as observed (authoritative DNS answer or routing control); null if unknown. */
  readonly trafficRegion: string | null;
  /** Per global cluster: the regions whose cluster takes writes now, as observed. */
  readonly writers: Readonly<Record<string, readonly string[]>>;
  readonly regionsDetail: Readonly<Record<string, RegionDetail>>;
}

/** The newest execution of an app, in brief: what ran, and how it ended (or that it still runs). */
export interface LatestExecution {
  readonly id: string;
  readonly status: ExecutionRecord['status'];
  readonly mode: ExecutionRecord['mode'];
  readonly trigger: ExecutionRecord['trigger'];
  readonly from: string;
  readonly to: string;
  readonly requestedBy: string;
  /** ISO times; `finishedAt` absent while it runs. */
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** Virtual or real seconds, as recorded (SUCCEEDED runs). */
  readonly rtoSeconds?: number;
  /** What ended a FAILED or ABORTED run. */
  readonly error?: { readonly name: string; readonly message: string };
}

type StatusDeps = Pick<RunbookDeps, 'plans' | 'clock' | 'store' | 'region' | 'readiness'> & ObserverDeps;

/** Whether a lock is held by a live execution: not released and its lease not run out. */
export function isLive(lock: LockRecord | undefined, now: number): lock is LockRecord {
  return lock !== undefined && !lock.released && lock.leaseExpiresAt >= now;
}

/**
 * The status of every app, in plan order. The state table is read for all apps at once (their
 * STATE and LOCK items in one BatchGetItem per 100 keys, their kept readiness in another, beside
 * the observations), so each app costs one Query of its own: its newest execution.
 */
export async function listAppStatuses(deps: StatusDeps): Promise<AppStatus[]> {
  const plans = deps.plans.list();
  const records = readRecords(plans, deps);
  return Promise.all(plans.map((plan) => appStatus(plan, deps, records)));
}

/** The status of one app ({@link UnknownAppError} if no plan has that name). */
export async function getAppStatus(app: string, deps: StatusDeps): Promise<AppStatus> {
  const plan = deps.plans.get(app);
  return appStatus(plan, deps, readRecords([plan], deps));
}

/** What the state table records of one app: its state and lock items, and its kept readiness. */
interface AppRecords {
  readonly state?: PlanState;
  readonly lock?: LockRecord;
  /** The scheduled readiness' latest result per target region (best effort: empty when unread). */
  readonly kept: readonly ReadinessRecord[];
}

/**
 * The records of `plans`' apps, by app name: states and locks in batches when the store can
 * (else two GetItems per app; a failed read fails the answer), and every app's readiness toward
 * every plan region in batches when the results can (else one Query per app). Readiness is best
 * effort: status answers without it.
 */
async function readRecords(
  plans: readonly Plan[],
  deps: StatusDeps,
): Promise<ReadonlyMap<string, AppRecords>> {
  const apps = plans.map((plan) => plan.name);
  const [statesAndLocks, kept] = await Promise.all([
    deps.store.getStatesAndLocks
      ? deps.store.getStatesAndLocks(apps)
      : Promise.all(
          apps.map(async (app) => {
            const [state, lock] = await Promise.all([deps.store.getState(app), deps.store.getLock(app)]);
            return [app, { ...(state ? { state } : {}), ...(lock ? { lock } : {}) }] as const;
          }),
        ).then((entries) => new Map(entries)),
    keptReadiness(plans, deps).catch(() => new Map<string, ReadinessRecord[]>()),
  ]);
  return new Map(
    apps.map((app) => [app, { ...statesAndLocks.get(app), kept: kept.get(app) ?? [] }] as const),
  );
}

/** Every app's kept readiness records, by app: one batched read when the port has it. */
async function keptReadiness(
  plans: readonly Plan[],
  deps: StatusDeps,
): Promise<ReadonlyMap<string, ReadinessRecord[]>> {
  if (!deps.readiness.getMany)
    return new Map(
      await Promise.all(
        plans.map(async (plan) => [plan.name, await deps.readiness.list(plan.name)] as const),
      ),
    );
  const found = await deps.readiness.getMany(
    plans.flatMap((plan) => plan.regions.map((region) => ({ app: plan.name, region }))),
  );
  const byApp = new Map<string, ReadinessRecord[]>();
  for (const record of found.values()) byApp.set(record.app, [...(byApp.get(record.app) ?? []), record]);
  return byApp;
}

/**
 * Assembles one app's status from its records (read for every app at once, `records`) and what
 * AWS says now through the observer (every region in parallel, best effort: a region that is down
 * costs its own reads, never the answer), plus its newest execution and the replication lag into
 * each secondary.
 */
async function appStatus(
  plan: Plan,
  deps: StatusDeps,
  records: Promise<ReadonlyMap<string, AppRecords>>,
): Promise<AppStatus> {
  const [mine, latest, seen, lags] = await Promise.all([
    records.then((all) => all.get(plan.name) ?? { kept: [] }),
    latestExecution(plan.name, deps),
    observeApp(plan, plan.regions, deps),
    Promise.all(plan.regions.map((region) => lagInto(plan, region, deps))),
  ]);
  const { state, lock, kept } = mine;
  const live = isLive(lock, deps.clock.now());
  const regionsDetail: Record<string, RegionDetail> = {};
  plan.regions.forEach((region, index) => {
    const problems = [...new Set([...unknowns(seen, region), ...(lags[index]?.problems ?? [])])];
    const holds = holdsEveryWriter(seen, region);
    regionsDetail[region] = {
      writer: plan.database ? (holds === 'unknown' ? null : holds) : null,
      capacity: seen.capacity.map((group) => {
        const there = group.regions[region];
        return {
          group: group.group,
          healthyInService: there && isKnown(there) ? there.healthyInService : null,
          desired: there && isKnown(there) ? there.desired : null,
          ...(there && isKnown(there) && there.warmPool ? { warmPool: there.warmPool } : {}),
        };
      }),
      routing: routingOf(seen, region),
      replicationLagMs: secondaryLag(seen, region, lags[index]?.lagMs ?? null),
      reachable: seen.reachable[region] !== false,
      ...(problems.length > 0 ? { problems } : {}),
      ...readinessDetail(
        kept.find((r) => r.region === region && region !== (state?.activeRegion ?? initialPrimary(plan))),
        deps.clock.now(),
      ),
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
    latestExecution: latest,
    ...(state?.status === 'DEGRADED' && state.statusReason ? { statusReason: state.statusReason } : {}),
    ...(plan.detection ? { detection: detectionOf(plan, state?.lastFailoverAt, deps.clock.now()) } : {}),
    objectives: plan.objectives,
    trafficRegion: isKnown(seen.traffic.region) ? seen.traffic.region : null,
    writers: Object.fromEntries(seen.clusters.map((c) => [c.globalClusterId, [...c.writers]])),
    regionsDetail,
  };
}

/**
 * The app's newest execution record (one Query, newest first, limit 1), in brief; null when none
 * is on record; unknown, with the reason, when the read failed (status answers without it).
 */
async function latestExecution(app: string, deps: StatusDeps): Promise<AppStatus['latestExecution']> {
  try {
    const [record] = await deps.store.listExecutions(app, { limit: 1 });
    if (!record) return null;
    return {
      id: record.id,
      status: record.status,
      mode: record.mode,
      trigger: record.trigger,
      from: record.from,
      to: record.to,
      requestedBy: record.requestedBy,
      startedAt: record.startedAt,
      ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
      ...(record.rtoSeconds !== undefined ? { rtoSeconds: record.rtoSeconds } : {}),
      ...(record.error ? { error: { name: record.error.name, message: record.error.message } } : {}),
    };
  } catch (error: unknown) {
    const { name, message } = describeError(error);
    return { unknown: `executions: ${name}: ${message}` };
  }
}

/** The plan's detection mode and its cooldown, as EvaluateAlarm applies it. */
function detectionOf(
  plan: Plan,
  lastFailoverAt: string | undefined,
  now: number,
): AppStatus['detection'] | undefined {
  const detection = plan.detection;
  if (!detection) return undefined;
  const until = lastFailoverAt ? Date.parse(lastFailoverAt) + detection.cooldownSeconds * 1000 : undefined;
  return {
    mode: detection.mode,
    meaning: detectionMeaning(detection.mode),
    ...(until !== undefined && until > now ? { cooldownUntil: new Date(until).toISOString() } : {}),
  };
}

/**
 * A region's routing as observed: its ARC routing control state when the plan has ARC, else
 * PRIMARY when the zone's name servers answer that region now (what users get), SECONDARY when
 * they answer another; null when unknown.
 */
function routingOf(seen: AppObservation, region: string): RoutingState | null {
  const control = seen.traffic.routingControls?.[region];
  if (control !== undefined) return isKnown(control) ? control : null;
  if (seen.traffic.mechanism !== 'route53' || !isKnown(seen.traffic.region)) return null;
  return seen.traffic.region === region ? 'PRIMARY' : 'SECONDARY';
}

/**
 * The lag read for `region`, kept only where the region's clusters are observed as secondaries
 * (members that take no writes): a writer's metric may still hold its last minutes as a secondary.
 */
function secondaryLag(seen: AppObservation, region: string, lagMs: number | null): number | null {
  const secondary = seen.clusters.some((c) => {
    const there = c.regions[region];
    return there !== undefined && isKnown(there) && there.member && !there.writable;
  });
  return secondary ? lagMs : null;
}

/** The largest replication lag into `region`'s secondary clusters, in ms; null when none or unknown. */
async function lagInto(
  plan: Plan,
  region: string,
  deps: StatusDeps,
): Promise<{ lagMs: number | null; problems: string[] }> {
  const problems: string[] = [];
  const lags = await Promise.all(
    (plan.database?.auroraGlobalClusters ?? []).map((cluster) =>
      deps.auroraLag
        .replicationLagMs(region, memberIn(cluster.members, region), deps.clock.now(), cluster.engine)
        .catch((error: unknown) => {
          problems.push(`replication lag of ${cluster.globalClusterId}: ${describeError(error).message}`);
          return undefined;
        }),
    ),
  );
  const known = lags.filter((l): l is number => typeof l === 'number');
  return { lagMs: known.length > 0 ? Math.max(...known) : null, problems };
}

/** A kept verdict older than this (two evaluation periods), in seconds, is stale. */
export const STALE_AFTER_SECONDS = 2 * READINESS_EVERY_MINUTES * 60;

function readinessDetail(record: ReadinessRecord | undefined, now: number): Pick<RegionDetail, 'readiness'> {
  if (!record) return {};
  const ageSeconds = Math.max(0, Math.floor((now - Date.parse(record.evaluatedAt)) / 1000));
  const codes = (severity: string) =>
    record.findings.filter((f) => f.severity === severity).map((f) => f.code);
  return {
    readiness: {
      verdict: record.verdict,
      blocking: codes('blocking'),
      warnings: codes('warning'),
      evaluatedAt: record.evaluatedAt,
      ageSeconds,
      stale: ageSeconds > STALE_AFTER_SECONDS,
    },
  };
}

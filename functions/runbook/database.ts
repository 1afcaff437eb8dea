import { isoNow } from '../core/clock.js';
import {
  CapacityNotReadyError,
  DatabasePromotionFailedError,
  ResourceBusyError,
  ThrottledError,
} from '../core/errors.js';
import type { AuroraGlobalCluster, Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import * as z from '../core/zod.js';
import {
  fence,
  nextPoll,
  PromotionStarted,
  parseInput,
  pollBudgetSeconds,
  pollThrottled,
  progressWith,
  ResourceItem,
  type RunbookDeps,
  RunContext,
  recordOutcome,
  recordStep,
  sharedReader,
  startProgress,
  stepKey,
  TrafficShifted,
  WAKE_FALLBACK_SECONDS,
  waitSeconds,
} from './context.js';
import { type GlobalClusterView, LAG_FRESH_MS } from './ports/aurora.js';
import { capacityReady, globalCluster } from './resources.js';
import { freshWakeRead, GlobalClusterRead, wakeReader } from './wake-reads.js';
import { moveTrafficIfReady } from './wake-traffic.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type DatabaseDeps = Pick<
  RunbookDeps,
  'aurora' | 'auroraLag' | 'autoScaling' | 'clock' | 'plans' | 'random' | 'store'
> &
  /** CheckDatabase's: to move the run's traffic as its own read sees the promotion done. */
  Partial<Pick<RunbookDeps, 'arc' | 'route53' | 'traffic'>>;

const PromoteInput = z.object({
  run: RunContext,
  resource: ResourceItem,
  /** Pilot light: CheckPrepare's outcome, with the promotion the waker started, if it did. */
  prepared: z.optional(
    z.looseObject({
      detail: z.optional(z.looseObject({ promotionStarted: z.optional(PromotionStarted) })),
    }),
  ),
});

/** What PromoteDatabase and CheckDatabase carry between polls. */
const DatabasePoll = z.looseObject({
  /** How the writer moves: `none` when the target already was the writer. */
  method: z.optional(z.enum(['switchover', 'failover', 'detach', 'none'])),
  /** The replication lag at promotion, in ms (null: CloudWatch had no datapoint at all). */
  rpoMs: z.optional(z.nullable(z.number().check(z.nonnegative()))),
  /**
   * ISO time of the lag datapoint `rpoMs` is, when it is older than the 5 minutes before the
   * promotion (`LAG_FRESH_MS`): the metric had stopped (the primary's region out), and the RPO is
   * the lag last seen then. Absent when the lag read was current.
   */
  rpoLastSeenAt: z.optional(z.string()),
  /** Polls in a row that showed no operation under way and no promotion. */
  idlePolls: z.optional(z.int().check(z.nonnegative())),
});
/** A database promotion's poll state. */
export const DatabaseProgress = progressWith(DatabasePoll);
export type DatabaseProgress = z.infer<typeof DatabaseProgress>;

/** The `$.wake` CheckDatabase receives: a WakeSignal (functions/runbook/wake-signal.ts), or the AwaitEvent Task's caught error. */
const WakeInput = z.optional(
  z.looseObject({
    by: z.optional(z.string()),
    ready: z.optional(
      z.object({ group: z.string().check(z.minLength(1)), readAt: z.string().check(z.minLength(1)) }),
    ),
    /** A shared read saw every group of the plan ready (the region poller's or an evacuation's). */
    capacityReady: z.optional(z.object({ readAt: z.string().check(z.minLength(1)) })),
    promoted: z.optional(
      z.object({
        writers: z.array(z.string().check(z.minLength(1))).check(z.maxLength(16)),
        readAt: z.string().check(z.minLength(1)),
      }),
    ),
    /** Traffic the waker moved once it saw the promotion done (carried to ShiftTraffic in the outcome). */
    shifted: z.optional(TrafficShifted),
    /** The switchover CheckCapacity made as it read the last group ready (followed, not made again). */
    promotion: z.optional(PromotionStarted),
    /** Else the global cluster CheckCapacity read beside the group (the gate decides on it while fresh). */
    cluster: z.optional(GlobalClusterRead),
  }),
);
type WakeInput = z.infer<typeof WakeInput>;

const CheckInput = z.object({
  run: RunContext,
  resource: ResourceItem,
  progress: DatabaseProgress,
  wake: WakeInput,
});

/** Polls in a row showing no operation and no promotion before the promotion counts as failed. */
const IDLE_POLLS_BEFORE_CONCLUDING = 3;

/**
 * PromoteDatabase: make the target region's cluster the writer of its global database.
 * Graceful: SwitchoverGlobalCluster (synchronises first: RPO 0), and only once the target's
 * capacity is ready, so that the writer never moves to a region that cannot serve.
 * Ungraceful: FailoverGlobalCluster with AllowDataLoss; the replication lag at promotion is the RPO.
 *
 * Idempotent: a target that is already the writer is done; an operation already under way toward
 * the target is waited on, never started twice (a retried step never flips anything back).
 */
export async function promoteDatabase(input: unknown, deps: DatabaseDeps): Promise<DatabaseProgress> {
  const { run, resource, prepared } = parseInput(PromoteInput, input, 'PromoteDatabase');
  const plan = deps.plans.get(run.app);
  const cluster = globalCluster(plan, resource.id);
  const started = prepared?.detail?.promotionStarted;
  const startedAt = started?.epoch === run.epoch ? started.at : isoNow(deps.clock);
  // Parked between checks (AwaitEvent), woken by capacity or RDS's event, else after the fallback.
  // In an evacuation (or with many apps failing over into the region), the shared read of RDS
  // wakes it, and its own fallback is longer.
  const progress = startProgress(
    deps.clock,
    waitSeconds(run, WAKE_FALLBACK_SECONDS, deps.plans),
    pollBudgetSeconds(plan) * 2,
  );
  const recorded = recordStep(run, deps, stepKey('PromoteDatabase', resource.id), {
    name: 'PromoteDatabase',
    resource: resource.id,
    status: 'RUNNING',
    startedAt,
  });
  if (started?.epoch === run.epoch) {
    // The waker made this step's call as it saw the reader (fenced at this epoch): follow it; the
    // check that follows reads the promotion as after any start.
    await recorded;
    return {
      ...progress,
      startedAt,
      phase: 'promoting',
      detail: {
        method: started.method,
        rpoMs: started.method === 'switchover' || started.method === 'none' ? 0 : (started.rpoMs ?? null),
        ...(started.rpoLastSeenAt ? { rpoLastSeenAt: started.rpoLastSeenAt } : {}),
        startedBy: started.by,
      },
    };
  }
  if (run.mode === 'graceful' && sharedReader(run, deps.plans) === 'region') {
    // The region's poller reads every parked run's capacity at once and wakes the gate when every
    // group is ready: the step parks on it at once rather than read the groups and the global
    // cluster itself while ScaleCapacity has only just asked for the capacity (200 such gates at
    // once kept RDS and Auto Scaling throttled). Nothing moves before the woken gate's read of the
    // global cluster and its fence. Not in an evacuation: parking there at once lengthened
    // `records50`'s slowest app by 20 s (pilot light reaches this gate with its capacity long ready).
    await recorded;
    return { ...progress, phase: 'waiting-for-capacity' };
  }
  if (run.mode === 'graceful') {
    // The step's entry is written beside the gate's reads, and before anything moves.
    return (
      (await gateOnCapacity(plan, run, cluster, progress, deps, recorded)) ?? {
        ...progress,
        phase: 'waiting-for-capacity',
      }
    );
  }
  // Ungraceful: the cluster, the lease and the lag (the RPO) at once, beside the step's entry. The
  // lease renewal is awaited only before a call that moves something (found done or under way,
  // the check that follows decides, fenced as always).
  const fenced = fence(run, deps);
  fenced.catch(() => undefined);
  const [view, lag] = await Promise.all([
    deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId),
    rpoLag(run, cluster, deps),
    recorded,
  ]);
  return startPromotion(run, cluster, progress, deps, { view, fenced, lag });
}

/** `gateOnCapacity`'s `readyGroup` when a fresh shared read saw every group of the plan ready. */
const EVERY_GROUP = Symbol('every group');

/**
 * The capacity gate of a graceful run: reads the target's capacity, the global cluster and renews
 * the lease at once (independent calls: the promotion needs all three), then starts the
 * switchover if capacity is ready, or goes on waiting for capacity (`waiting-for-capacity`).
 * `readyGroup` was read ready by the waker (`EVERY_GROUP`: every group), and `read` is the global
 * cluster as the waker read it a moment ago (fresh: `freshWakeRead`): neither is read again.
 */
async function gateOnCapacity(
  plan: Plan,
  run: RunContext,
  cluster: AuroraGlobalCluster,
  progress: DatabaseProgress,
  deps: DatabaseDeps,
  alongside?: Promise<unknown>,
  readyGroup?: string | typeof EVERY_GROUP,
  read?: GlobalClusterView,
): Promise<DatabaseProgress | undefined> {
  // Capacity that AWS throttled the read of is unknown, so not known to be ready: the writer waits,
  // and CheckDatabase polls the gate again (a throttled poll is polled again, see pollThrottled).
  // Every group read ready a moment ago (a shared read's wake, fresh) is not read again.
  const [ready, view] = await Promise.all([
    readyGroup === EVERY_GROUP
      ? true
      : capacityReady(plan, run, deps, readyGroup).catch((error: unknown) => {
          if (error instanceof ThrottledError) return false;
          throw error;
        }),
    read ?? deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId),
    fence(run, deps),
    alongside,
  ]);
  if (!ready) return undefined;
  return startPromotion(run, cluster, progress, deps, { view, fenced: Promise.resolve() });
}

/**
 * CheckDatabase: reads the promotion (or the capacity gate before it) after each wake-up or
 * fallback timeout of the AwaitEvent Task parked between checks, until done, bounded. A read that
 * AWS throttles is unknown, not a failure: it is read again after a backoff, within the same budget
 * ({@link pollThrottled}).
 */
export async function checkDatabase(input: unknown, deps: DatabaseDeps): Promise<DatabaseProgress> {
  const { run, resource, progress, wake } = parseInput(CheckInput, input, 'CheckDatabase');
  return pollThrottled(progress, `${resource.id} promotion to ${run.to}`, deps, () =>
    pollDatabase(run, resource, progress, wake, deps),
  );
}

async function pollDatabase(
  run: RunContext,
  resource: ResourceItem,
  progress: DatabaseProgress,
  wake: WakeInput,
  deps: DatabaseDeps,
): Promise<DatabaseProgress> {
  const plan = deps.plans.get(run.app);
  const cluster = globalCluster(plan, resource.id);
  const targetArn = memberIn(cluster.members, run.to);

  if (progress.phase === 'waiting-for-capacity') {
    // Woken by the capacity branch, which made the switchover itself as it read the last group
    // ready (fenced at this epoch): follow it; the check that follows reads the promotion.
    const made = wake?.promotion;
    if (made?.by === 'CheckCapacity' && made.epoch === run.epoch)
      return {
        ...progress,
        phase: 'promoting',
        detail: { method: made.method, rpoMs: 0, startedBy: made.by },
      };
    // Woken by the capacity branch: its group was read ready a moment ago; read the others. Woken
    // by a shared read that saw every group ready at most WAKE_READ_FRESH_MS (2 s) ago: read none.
    const readyGroup =
      wake?.by === 'shared-read' && freshWakeRead(wake.capacityReady, deps.clock.now())
        ? EVERY_GROUP
        : wake?.by === 'event'
          ? wake.ready?.group
          : undefined;
    // Woken by the capacity branch with the global cluster it read beside the group, at most
    // WAKE_READ_FRESH_MS (2 s) ago: decided on, not read again (the branch fences, then calls).
    const handed =
      wake?.by === 'event' &&
      wake.ready &&
      wake.cluster?.view.id === cluster.globalClusterId &&
      freshWakeRead(wake.cluster, deps.clock.now())
        ? wake.cluster.view
        : undefined;
    const started = await gateOnCapacity(plan, run, cluster, progress, deps, undefined, readyGroup, handed);
    if (started) return started;
    if (progress.attempt + 1 > progress.maxAttempts) {
      throw new CapacityNotReadyError(
        `${cluster.globalClusterId}: not promoted: capacity in ${run.to} did not become ready, so the writer stays in ${run.from}`,
      );
    }
    return nextPoll(progress, `${cluster.globalClusterId} waiting for capacity in ${run.to}`);
  }

  const method = progress.detail?.method;
  if (method === 'detach') {
    const standalone = await deps.aurora.describeCluster(run.to, targetArn);
    if (!standalone.globalClusterId && standalone.status === 'available')
      return finish(run, resource, progress, deps);
    return nextPoll(progress, `${cluster.globalClusterId} detach of ${targetArn}`);
  }

  // Woken by RDS's event (or parked when it was over): the read that woke it, a moment ago, found
  // no operation under way and the target the writer: decided on, not made again.
  // When the waker also moved traffic (fenced at this run's epoch), the outcome carries that to
  // ShiftTraffic, which follows the change instead of making it again.
  const done = wake?.shifted
    ? { ...progress, detail: { ...progress.detail, trafficShifted: wake.shifted } }
    : progress;
  const woken = wake?.promoted;
  if (woken && freshWakeRead(woken, deps.clock.now()) && woken.writers.includes(targetArn))
    return finish(run, resource, done, deps, { readBy: wakeReader(wake), readAt: woken.readAt });
  const view = await deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId);
  if (isPromoted(view, targetArn))
    return finish(run, resource, await movedAsRead(plan, run, resource, done, deps), deps);
  if (view.failover) {
    return nextPoll(progress, `${cluster.globalClusterId} ${method ?? 'promotion'} to ${run.to}`, {
      detail: { ...progress.detail, idlePolls: 0 },
    });
  }
  // Nothing under way and the target is not the writer. AWS may show an operation's state a little
  // late: conclude only after several such polls in a row, never on the first.
  const idlePolls = (progress.detail?.idlePolls ?? 0) + 1;
  if (idlePolls < IDLE_POLLS_BEFORE_CONCLUDING) {
    return nextPoll(progress, `${cluster.globalClusterId} ${method ?? 'promotion'} to ${run.to}`, {
      detail: { ...progress.detail, idlePolls },
    });
  }

  // No operation under way and the target is not the writer: the promotion did not happen.
  if (run.mode === 'ungraceful' && cluster.allowDetachAndPromote) {
    await fence(run, deps);
    const lag = await rpoLag(run, cluster, deps);
    await deps.aurora.detach(run.to, cluster.globalClusterId, targetArn);
    return nextPoll(progress, `${cluster.globalClusterId} detach`, {
      detail: {
        ...progress.detail,
        method: 'detach',
        // A lag read before (at the failover that did not happen) stands if this one finds none.
        ...(lag.rpoMs === null && typeof progress.detail?.rpoMs === 'number' ? {} : lag),
      },
    });
  }
  throw new DatabasePromotionFailedError(
    `${cluster.globalClusterId}: ${method ?? 'promotion'} to ${run.to} ended with the writer in ${view.writerRegion ?? 'no region'}` +
      (cluster.allowDetachAndPromote ? '' : '; detach-and-promote is not allowed by the plan'),
  );
}

export async function startPromotion(
  run: RunContext,
  cluster: AuroraGlobalCluster,
  progress: DatabaseProgress,
  deps: DatabaseDeps,
  read?: {
    readonly view: GlobalClusterView;
    /** The lease renewal made alongside the read, awaited before anything moves. */
    readonly fenced: Promise<void>;
    /** The replication lag read alongside (the RPO); read here when absent. */
    readonly lag?: RpoLag;
  },
): Promise<DatabaseProgress> {
  const targetArn = memberIn(cluster.members, run.to);
  const view = read?.view ?? (await deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId));
  if (isPromoted(view, targetArn)) {
    return { ...progress, phase: 'promoting', detail: { ...progress.detail, method: 'none', rpoMs: 0 } };
  }
  if (view.failover) {
    if (view.failover.toClusterArn === targetArn) {
      // Started by an earlier attempt of this step (e.g. the Lambda crashed after the call).
      return {
        ...progress,
        phase: 'promoting',
        detail: { ...progress.detail, method: view.failover.isDataLossAllowed ? 'failover' : 'switchover' },
      };
    }
    throw new ResourceBusyError(
      `${cluster.globalClusterId}: an operation toward ${view.failover.toClusterArn} is under way`,
    );
  }
  await (read ? read.fenced : fence(run, deps));
  if (run.mode === 'graceful') {
    await switchover(run, cluster, view, deps);
    return { ...progress, phase: 'promoting', detail: { method: 'switchover', rpoMs: 0 } };
  }
  // The replication lag just before promotion is the data at risk: that is the RPO.
  const lag = read?.lag ?? (await rpoLag(run, cluster, deps));
  try {
    await deps.aurora.failover(run.to, cluster.globalClusterId, targetArn);
  } catch (error: unknown) {
    await refusedForEngineVersions(error, run, cluster, view, deps);
    // Refused for the engine versions, and the plan allows the manual failover: detach the target.
    await deps.aurora.detach(run.to, cluster.globalClusterId, targetArn);
    return { ...progress, phase: 'promoting', detail: { method: 'detach', ...lag } };
  }
  return { ...progress, phase: 'promoting', detail: { method: 'failover', ...lag } };
}

/**
 * A graceful run's SwitchoverGlobalCluster toward its target, once the caller has read `view` (no
 * operation under way, the target not the writer) and renewed the lease: run in the primary's
 * region, as AWS documents the switchover: the region RDS names as the writer's now (the truth),
 * else the plan's source (a graceful switchover needs that region up). Used by PromoteDatabase's
 * capacity gate and by CheckCapacity, which makes it as it reads the last group ready.
 *
 * @throws DatabasePromotionFailedError AWS refused it for good (the engine versions differ)
 * @throws the switchover's error, unchanged, otherwise
 */
export async function switchover(
  run: RunContext,
  cluster: AuroraGlobalCluster,
  view: GlobalClusterView,
  deps: Pick<DatabaseDeps, 'aurora'>,
): Promise<void> {
  const targetArn = memberIn(cluster.members, run.to);
  await deps.aurora
    .switchover(view.writerRegion ?? run.from, cluster.globalClusterId, targetArn)
    .catch((error: unknown) => refusedForEngineVersions(error, run, cluster, view, deps));
}

/**
 * After a refused switchover or failover: rethrows `error` unless the target runs another engine
 * version than the global database, which AWS refuses for good ("You can perform managed
 * cross-Region switchovers [failovers] with Aurora Global Database only if the primary and
 * secondary DB clusters have the same major and minor engine versions"; the way out is the manual
 * failover, a detach: Aurora User Guide, "Using switchover or failover in Amazon Aurora Global
 * Database"). Then it returns (to detach) only for an ungraceful run whose plan allows
 * detach-and-promote, and otherwise ends the promotion with DatabasePromotionFailedError, saying
 * why, instead of retrying what cannot succeed. Reads what RDS says now, in the target's region.
 */
async function refusedForEngineVersions(
  error: unknown,
  run: RunContext,
  cluster: AuroraGlobalCluster,
  view: GlobalClusterView,
  deps: Pick<DatabaseDeps, 'aurora'>,
): Promise<void> {
  if (!(error instanceof ResourceBusyError)) throw error;
  const target = await deps.aurora.describeCluster(run.to, memberIn(cluster.members, run.to));
  if (!view.engineVersion || !target.engineVersion || view.engineVersion === target.engineVersion)
    throw error;
  const versions = `the global database runs ${cluster.engine} ${view.engineVersion} and ${target.id} in ${run.to} runs ${target.engineVersion}`;
  if (run.mode === 'ungraceful' && cluster.allowDetachAndPromote) return;
  throw new DatabasePromotionFailedError(
    `${cluster.globalClusterId}: AWS refuses a ${run.mode === 'graceful' ? 'switchover' : 'failover'} to ${run.to}: ${versions} (expected the same major and minor versions; ` +
      (run.mode === 'graceful'
        ? 'upgrade the older cluster, or fail over ungracefully with detach-and-promote allowed)'
        : 'the plan does not allow detach-and-promote, the manual failover)'),
    { cause: error },
  );
}

/**
 * `progress` with the run's traffic moved, when CheckDatabase's own read (after its park's
 * timeout, or a wake whose read was stale) sees the promotion done and nobody moved it yet: what
 * the waker, AwaitEvent and the region's poller do when they see it (`moveTrafficIfReady`,
 * wake-traffic.ts: the rest of the run recorded ready, fenced at the run's epoch, not an
 * evacuation's), so that the Map's end and ShiftTraffic's start are not waited for. Unchanged when
 * it moved nothing, or moving failed (ShiftTraffic then moves it as before).
 */
async function movedAsRead(
  plan: Plan,
  run: RunContext,
  resource: ResourceItem,
  progress: DatabaseProgress,
  deps: DatabaseDeps,
): Promise<DatabaseProgress> {
  const { arc, route53, traffic } = deps;
  if (progress.detail?.trafficShifted || run.evacuation || !arc || !route53 || !traffic) return progress;
  const shifted = await moveTrafficIfReady(
    plan,
    { kind: 'database', id: resource.id },
    run,
    'CheckDatabase',
    { ...deps, arc, route53, traffic },
  ).catch(() => undefined);
  return shifted ? { ...progress, detail: { ...progress.detail, trafficShifted: shifted } } : progress;
}

async function finish(
  run: RunContext,
  resource: ResourceItem,
  progress: DatabaseProgress,
  deps: DatabaseDeps,
  read?: { readonly readBy: string; readonly readAt: string },
): Promise<DatabaseProgress> {
  await recordOutcome(run, deps, stepKey('PromoteDatabase', resource.id), {
    name: 'PromoteDatabase',
    resource: resource.id,
    status: 'SUCCEEDED',
    startedAt: progress.startedAt,
    finishedAt: isoNow(deps.clock),
    detail: { ...progress.detail, ...read },
  });
  return { ...progress, done: true };
}

/** The RPO of an ungraceful promotion as the step records it (see `DatabasePoll`). */
export interface RpoLag {
  readonly rpoMs: number | null;
  readonly rpoLastSeenAt?: string;
}

/**
 * The data an ungraceful promotion loses: the target's replication lag, read in its region just
 * before the promotion. While the primary's region is out the lag metric stops, so the lag is the
 * last datapoint published (`lastReplicationLag`, up to CloudWatch's 15 days of 1-minute data),
 * labelled with its time when it is older than the 5 minutes a current reading spans; null only
 * when there is no datapoint at all (unknown, not a guess).
 */
export async function rpoLag(
  run: Pick<RunContext, 'to'>,
  cluster: AuroraGlobalCluster,
  deps: Pick<DatabaseDeps, 'auroraLag' | 'clock'>,
): Promise<RpoLag> {
  const targetArn = memberIn(cluster.members, run.to);
  const now = deps.clock.now();
  if (!deps.auroraLag.lastReplicationLag) {
    const lagMs = await deps.auroraLag.replicationLagMs(run.to, targetArn, now, cluster.engine);
    return { rpoMs: lagMs ?? null };
  }
  const last = await deps.auroraLag.lastReplicationLag(run.to, targetArn, now, cluster.engine);
  if (!last) return { rpoMs: null };
  // A datapoint the 5-minute read (`replicationLagMs`) would not return: the metric had stopped.
  const stale = now - last.at > LAG_FRESH_MS;
  return { rpoMs: last.lagMs, ...(stale ? { rpoLastSeenAt: new Date(last.at).toISOString() } : {}) };
}

/** Whether the target cluster is the global database's writer, with no switchover or failover under way. */
export function isPromoted(view: GlobalClusterView, targetArn: string): boolean {
  return !view.failover && view.members.some((m) => m.clusterArn === targetArn && m.isWriter);
}

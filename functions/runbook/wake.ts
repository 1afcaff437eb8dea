import { isoNow } from '../core/clock.js';
import { describeError, PreconditionFailedError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import type { LockRecord } from '../core/records.js';
import * as z from '../core/zod.js';
import { ensureRegionPoller } from '../evacuation/region-poller-start.js';
import { groupReadiness } from '../observer/observe.js';
import {
  fence,
  knownUnreachable,
  Progress,
  type PromotionStarted,
  parseInput,
  pollBudgetSeconds,
  ResourceItem,
  type RunbookDeps,
  RunContext,
  sharedReader,
  startProgress,
  stepKey,
  type TrafficShifted,
  WAKE_FALLBACK_SECONDS,
} from './context.js';
import { type RpoLag, rpoLag, startPromotion } from './database.js';
import { type TaskWait, type WaitKind, waitKey } from './ports/task-waits.js';
import { isReadPark, parkForRead } from './read-park.js';
import { capacityReady, globalCluster, resourcesOf } from './resources.js';
import { moveTrafficTo } from './traffic.js';
import { WAKE_READ_FRESH_MS } from './wake-reads.js';

export { freshWakeRead, WAKE_READ_FRESH_MS, wakeReader } from './wake-reads.js';

/**
 * Event-driven wake-ups of parked runbook steps (docs/architecture.md, "Wake-ups"). A step whose
 * wait AWS (or another branch) ends with an event parks on a `waitForTaskToken` Task (AwaitEvent)
 * whose own timeout is the poll fallback; the event's arrival answers the token (SendTaskSuccess),
 * and the step's check then decides on what AWS answers. An event is a hint, never the truth: the
 * waker reads AWS before it wakes anything and hands that read on; the woken check decides on it
 * while it is fresh ({@link WAKE_READ_FRESH_MS}), and reads AWS again otherwise.
 */

/**
 * The ports AwaitEvent reads (the composition root gives it no more), and those it moves traffic
 * through when the promotion it parks on is already over ({@link awaitEvent}).
 */
export type AwaitDeps = Pick<
  RunbookDeps,
  | 'arc'
  | 'aurora'
  | 'autoScaling'
  | 'clock'
  | 'plans'
  | 'region'
  | 'stateMachineArns'
  | 'route53'
  | 'stepFunctions'
  | 'store'
  | 'traffic'
  | 'waits'
>;
/**
 * The ports the event waker reads, and the traffic ports it moves traffic through once a
 * promotion is done and the rest of the run is ready ({@link wakeOnEvent}).
 */
export type WakeDeps = Pick<
  RunbookDeps,
  | 'random'
  | 'arc'
  | 'aurora'
  | 'auroraLag'
  | 'autoScaling'
  | 'clock'
  | 'plans'
  | 'region'
  | 'route53'
  | 'stepFunctions'
  | 'store'
  | 'traffic'
  | 'waits'
>;

const AwaitInput = z.object({
  run: RunContext,
  resource: ResourceItem,
  progress: Progress,
  taskToken: z.string().check(z.minLength(1)),
});

/**
 * What a parked database step waits for, from its poll state: the capacity gate (graceful, before
 * the switchover), pilot light's new reader, or the promotion under way.
 */
export function waitKindOf(progress: Pick<Progress, 'phase'>): WaitKind {
  if (progress.phase === 'waiting-for-capacity') return 'capacity';
  if (progress.phase === 'creating-reader') return 'reader';
  return 'promotion';
}

/**
 * The waits a shared read answers (a region evacuation's, functions/evacuation/shared-reads.ts, or
 * a region's poller, region-poller.ts): the promotion (DescribeGlobalClusters), the target's
 * capacity and each group (DescribeAutoScalingGroups and the load balancer). Pilot light's new
 * reader is left to its event and its own fallback.
 */
export const SHARED_READ_KINDS: ReadonlySet<WaitKind> = new Set(['promotion', 'capacity', 'group']);

/** What a woken step's Task returns (its `$.wake`): why it woke. */
export interface WakeSignal {
  readonly woken: true;
  /**
   * `event` (AWS's or the capacity branch's), `already` (done when it parked), or `shared-read` (a
   * region evacuation's read of every app's resources at once saw it done).
   */
  readonly by: 'event' | 'already' | 'shared-read';
  readonly detail?: string;
  /**
   * The capacity branch's wake: the group it found ready and when (ISO), by its own read of Auto
   * Scaling and the load balancer, what AWS answered, not a record we wrote. The woken database
   * branch reads only the plan's other groups.
   */
  readonly ready?: { readonly group: string; readonly readAt: string };
  /**
   * The event waker's read of RDS that let it wake a promotion (no operation under way; these
   * clusters the writers) and when (ISO): the woken check decides on it while it is fresh
   * ({@link freshWakeRead}) instead of reading the same again.
   */
  readonly promoted?: { readonly writers: readonly string[]; readonly readAt: string };
  /** The event waker's read of RDS that let it wake pilot light's reader wait: this instance available. */
  readonly reader?: { readonly instance: string; readonly readAt: string };
  /** Traffic the event waker moved before it woke the promotion (see {@link wakeOnEvent}). */
  readonly shifted?: TrafficShifted;
  /** The promotion the event waker started once it saw pilot light's new reader (see {@link wakeOnEvent}). */
  readonly promotion?: PromotionStarted;
}

/**
 * AwaitEvent: invoked by a `waitForTaskToken` Task. Stores the Task's token (`WAIT#` item), then
 * reads once whether what it waits for has already happened (an event that came between the
 * step's last check and the token being stored would otherwise be missed) and, if so, answers its
 * own token at once. Otherwise the Task waits for a wake or its own timeout (the poll fallback),
 * whichever comes first: every wait ends. A promotion already over moves the run's traffic first,
 * as the event waker would ({@link moveTrafficIfReady}); the wait is then parked again without
 * its run, so that the promotion's event, arriving later, does not move it a second time. An
 * input with `observe` is a step's park for the region poller's read instead ({@link parkForRead}).
 *
 * @throws InvalidInputError on a malformed input (the Task's Catch falls back to polling)
 */
export async function awaitEvent(
  input: unknown,
  deps: AwaitDeps,
): Promise<{ parked: true; already: boolean }> {
  if (isReadPark(input)) return parkForRead(input, deps); // Preflight's park for a shared read
  const { run, resource, progress, taskToken } = parseInput(AwaitInput, input, 'AwaitEvent');
  const plan = deps.plans.get(run.app);
  // The capacity branch parks only in an evacuation (AwaitCapacity), on its own group.
  const wait = resource.kind === 'capacity' ? 'group' : waitKindOf(progress);
  const now = deps.clock.now();
  const what = waitKey(wait, resource.id);
  const reader = SHARED_READ_KINDS.has(wait) ? sharedReader(run, deps.plans) : undefined;
  // A promotion's park keeps the run, so that its event's waker can move traffic itself once the
  // promotion is done (not in an evacuation: there traffic moves in the evacuation's batches).
  const keepRun = (wait === 'promotion' || wait === 'reader') && !run.evacuation;
  const parked: TaskWait = {
    app: run.app,
    executionId: run.executionId,
    what,
    token: taskToken,
    region: deps.region,
    parkedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + progress.nextPollSeconds * 1000).toISOString(),
    ...(reader === 'region' ? { shared: true } : {}),
  };
  await deps.waits.park(keepRun ? { ...parked, run } : parked);
  // A shared read sees what this step waits for within a second of the token being stored, and
  // wakes it: no read of the app's own. In an evacuation its poll (functions/evacuation/shared-reads.ts);
  // otherwise, with many apps failing over into the region, the region's poller, which the first
  // waiter starts (functions/evacuation/region-poller.ts). A poller that cannot be started leaves
  // the read to this step.
  const served =
    reader === 'evacuation' ||
    (reader === 'region' && (await ensureRegionPoller(deps.region, deps).catch(() => false)));
  const seen = served ? undefined : await happened(plan, run, wait, resource.id, deps);
  if (!seen) return { parked: true, already: false };
  const promoted = wait === 'promotion' && seen.promoted?.writers.includes(targetOf(plan, resource.id, run));
  const shifted = promoted
    ? await moveTrafficIfReady(plan, resource.id, run, 'AwaitEvent', deps, {
        // Parked again without its run: the promotion's event finds nothing to move.
        alongside: deps.waits.park(parked),
      }).catch(() => undefined) // the woken check and ShiftTraffic go on as before
    : undefined;
  await Promise.all([
    answer(deps, deps.region, taskToken, {
      woken: true,
      by: 'already',
      detail: what,
      ...seen,
      ...(shifted ? { shifted } : {}),
    }),
    // The reader's event, arriving later, must not start the promotion beside PromoteDatabase.
    wait === 'reader' && keepRun ? deps.waits.park(parked) : undefined,
  ]);
  return { parked: true, already: true };
}

/** The ARN of the run's target member of global cluster `globalClusterId`. */
function targetOf(plan: Plan, globalClusterId: string, run: Pick<RunContext, 'to'>): string {
  return memberIn(globalCluster(plan, globalClusterId).members, run.to);
}

/**
 * Wakes `app`'s execution `executionId` parked on `what`, if it is: SendTaskSuccess on the stored
 * token. A token already answered, timed out or of an ended execution (TaskTimedOut,
 * InvalidToken, TaskDoesNotExist) is harmless: false. Used by CheckCapacity when capacity is ready
 * (the database branch of a graceful run parks on it) and by the event waker.
 */
export async function wakeWait(
  app: string,
  executionId: string,
  what: string,
  signal: Pick<WakeSignal, 'detail' | 'ready'>,
  deps: Pick<RunbookDeps, 'stepFunctions' | 'waits'>,
): Promise<boolean> {
  const wait = await deps.waits.get(app, executionId, what);
  if (!wait) return false;
  return answer(deps, wait.region, wait.token, { woken: true, by: 'event', ...signal });
}

/**
 * Answers a stored wait now (SendTaskSuccess on its token, in the region whose Step Functions runs
 * it): true when it woke the step, false when the token was spent (answered, timed out, ended).
 * A region evacuation's shared read wakes apps so (functions/evacuation/shared-reads.ts).
 */
export function answerWait(
  wait: Pick<TaskWait, 'region' | 'token'>,
  signal: WakeSignal,
  deps: Pick<RunbookDeps, 'stepFunctions'>,
): Promise<boolean> {
  return answer(deps, wait.region, wait.token, signal);
}

async function answer(
  deps: Pick<RunbookDeps, 'stepFunctions'>,
  region: string,
  token: string,
  signal: WakeSignal,
): Promise<boolean> {
  try {
    await deps.stepFunctions.sendTaskSuccess(region, token, signal);
    return true;
  } catch (error) {
    if (error instanceof PreconditionFailedError) return false; // spent: answered, timed out or ended
    throw error;
  }
}

/**
 * Whether what a wait waits for holds now, read from AWS in the run's target region: undefined
 * when it does not, else what the read saw, for the woken check (as the event waker's read).
 */
async function happened(
  plan: Plan,
  run: RunContext,
  wait: WaitKind,
  resourceId: string,
  deps: Pick<RunbookDeps, 'aurora' | 'autoScaling' | 'clock'>,
): Promise<Pick<WakeSignal, 'promoted' | 'reader'> | undefined> {
  const readAt = isoNow(deps.clock);
  if (wait === 'capacity') return (await capacityReady(plan, run, deps)) ? {} : undefined;
  if (wait === 'group') {
    const group = plan.compute?.autoScalingGroups.find((g) => g.name === resourceId);
    return group !== undefined && (await groupReadiness(group, run.to, deps)).ready ? {} : undefined;
  }
  const cluster = globalCluster(plan, resourceId);
  const targetArn = memberIn(cluster.members, run.to);
  if (wait === 'reader') {
    const available = (await deps.aurora.instances(run.to, targetArn)).find((i) => i.status === 'available');
    return available ? { reader: { instance: available.id, readAt } } : undefined;
  }
  const view = await deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId);
  if (view.failover) return undefined;
  return { promoted: { writers: view.members.filter((m) => m.isWriter).map((m) => m.clusterArn), readAt } };
}

/**
 * The AWS events that wake a parked step, as EventBridge delivers them to the waker's rule
 * (Aurora User Guide, "Creating a rule that triggers on an Amazon Aurora event",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-cloud-watch-events.html: an
 * `RDS DB Cluster Event` or `RDS DB Instance Event` whose detail carries `EventID`, `SourceArn`,
 * `SourceIdentifier`, `Message`).
 */
export const WAKE_EVENT_IDS = {
  /** "Global switchover to DB cluster name in Region name finished." (DB cluster, global failover). */
  switchoverFinished: 'RDS-EVENT-0185',
  /** "Global failover to DB cluster name in Region name completed." (DB cluster, global failover). */
  failoverCompleted: 'RDS-EVENT-0238',
  /** "DB instance created." (DB instance, creation): pilot light's new reader. */
  instanceCreated: 'RDS-EVENT-0005',
} as const;
/** The event IDs are from Aurora User Guide, "Amazon RDS event categories and event messages for Aurora", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Events.Messages.html. */
export const WAKE_DETAIL_TYPES = ['RDS DB Cluster Event', 'RDS DB Instance Event'] as const;

const RdsEvent = z.object({
  source: z.literal('aws.rds'),
  'detail-type': z.enum(WAKE_DETAIL_TYPES),
  region: z.string().check(z.minLength(1)),
  detail: z.looseObject({
    EventID: z.string().check(z.minLength(1)),
    SourceArn: z.optional(z.string().check(z.minLength(1))),
    SourceIdentifier: z.string().check(z.minLength(1)),
  }),
});

/** What the waker did with one event. */
export interface WakeReport {
  readonly eventId: string;
  /** The steps it woke; `trafficMoved`: how it moved the run's traffic first, when it did. */
  readonly woken: { app: string; executionId: string; what: string; trafficMoved?: string }[];
  /** Why a matching wait was not woken (nothing parked, AWS not there yet, a spent token). */
  readonly skipped: string[];
}

/**
 * WakeOnEvent: the target of the EventBridge rule on the RDS events in {@link WAKE_EVENT_IDS}.
 * Finds the apps whose plan names the event's cluster (or, for an instance, the cluster it
 * belongs to, read from RDS), the execution holding each app's lock, and its parked wait; reads
 * AWS now (the event is a hint: a switchover still under way, or a reader not available, wakes
 * nothing) and answers the token. Idempotent: a duplicate or late event finds a spent token, or
 * nothing parked, and wakes nothing.
 *
 * A promotion's event may also move the run's traffic, before the wake, which saves the woken
 * check, the Map's end and ShiftTraffic's own start (about 0.5 s of a failover's control plane,
 * README "Benchmarks"): only when RDS shows the target the writer with nothing under way, every
 * other resource of the run is recorded ready (its step SUCCEEDED or SKIPPED: capacity at the
 * plan's threshold, the other clusters promoted: what ShiftTraffic's own check of the Map's
 * outcomes requires), the parked step's run still holds the lock at its epoch (renewed, `fence`,
 * before anything moves), its token has not expired (a duplicate event after the wake moves
 * nothing again), and the run is not part of an evacuation (whose traffic moves in batches).
 * The change is `moveTrafficTo`'s, idempotent; the wake carries it (`shifted`) to ShiftTraffic,
 * which follows it instead of making it again. If moving fails, the wake goes on without it and
 * ShiftTraffic moves traffic as before.
 *
 * @throws InvalidInputError when the event is not one of the rule's (the rule's pattern is wrong)
 */
export async function wakeOnEvent(input: unknown, deps: WakeDeps): Promise<WakeReport> {
  const event = parseInput(RdsEvent, input, 'WakeOnEvent');
  const { EventID: eventId, SourceIdentifier: sourceId } = event.detail;
  const kind: WaitKind | undefined =
    eventId === WAKE_EVENT_IDS.switchoverFinished || eventId === WAKE_EVENT_IDS.failoverCompleted
      ? 'promotion'
      : eventId === WAKE_EVENT_IDS.instanceCreated
        ? 'reader'
        : undefined;
  const report: WakeReport = { eventId, woken: [], skipped: [] };
  if (!kind) {
    report.skipped.push(`${eventId}: not an event any step waits for`);
    return report;
  }
  for (const plan of deps.plans.list()) {
    for (const cluster of plan.database?.auroraGlobalClusters ?? []) {
      const arn = cluster.members[event.region];
      if (!arn) continue;
      // A cluster event names its cluster; an instance event names the reader PrepareDatabase
      // added, whose id names its cluster.
      const clusterId = arn.split(':').pop() ?? '';
      if (kind === 'promotion' && clusterId !== sourceId && arn !== event.detail.SourceArn) continue;
      if (kind === 'reader' && !instanceOf(event.detail, clusterId)) continue;
      await wakeApp(plan, cluster.globalClusterId, arn, kind, event.region, event.detail, deps, report);
    }
  }
  return report;
}

async function wakeApp(
  plan: Plan,
  globalClusterId: string,
  clusterArn: string,
  kind: WaitKind,
  region: string,
  event: { readonly EventID: string; readonly SourceIdentifier: string; readonly SourceArn?: string },
  deps: WakeDeps,
  report: WakeReport,
): Promise<void> {
  const eventId = event.EventID;
  const what = waitKey(kind, globalClusterId);
  const parked = async (): Promise<
    | {
        holder: string;
        wait: TaskWait | undefined;
        mover: { run: RunContext; ready: Promise<boolean> } | undefined;
        starter: { run: RunContext; reads: Promise<PromotionReads> } | undefined;
      }
    | undefined
  > => {
    const lock = await deps.store.getLock(plan.name);
    if (!lock || lock.released) return undefined;
    const wait = await deps.waits.get(plan.name, lock.holder, what);
    // Whether this run may have its traffic moved here, read beside RDS (the record and the fence).
    const run = wait ? parkedRun(lock, wait, deps) : undefined;
    const mover =
      run && kind === 'promotion' ? { run, ready: othersReady(plan, globalClusterId, run, deps) } : undefined;
    // Pilot light's reader: what the promotion needs, read (and the lease renewed) beside RDS.
    const starter =
      run && kind === 'reader' ? { run, reads: promotionReads(plan, globalClusterId, run, deps) } : undefined;
    // Awaited, and reported, only once RDS shows what the event announces.
    mover?.ready.catch(() => undefined);
    starter?.reads.catch(() => undefined);
    return { holder: lock.holder, wait, mover, starter };
  };
  // Truth over claims: read what the event announces before waking anything, beside the lookup
  // of the parked step (one RDS read per event and cluster of the event's region).
  const instanceId = event.SourceArn?.split(':').pop() ?? event.SourceIdentifier;
  // What the read saw travels with the wake (`promoted`, `reader`), so the woken check need not
  // make the same read again a moment later.
  const readTruth = async (): Promise<Pick<WakeSignal, 'promoted' | 'reader'> | undefined> => {
    const readAt = isoNow(deps.clock);
    if (kind === 'reader') {
      const instances = await deps.aurora.instances(region, clusterArn);
      return instances.some((i) => i.id === instanceId && i.status === 'available')
        ? { reader: { instance: instanceId, readAt } }
        : undefined;
    }
    const view = await deps.aurora.describeGlobalCluster(region, globalClusterId);
    if (view.failover) return undefined;
    return { promoted: { writers: view.members.filter((m) => m.isWriter).map((m) => m.clusterArn), readAt } };
  };
  const [found, holds] = await Promise.all([parked(), readTruth()]);
  if (!found) {
    report.skipped.push(`${plan.name}: no execution holds the lock`);
    return;
  }
  if (!found.wait) {
    report.skipped.push(`${plan.name}: ${found.holder} is not parked on ${what}`);
    return;
  }
  if (!holds) {
    report.skipped.push(
      `${plan.name}: ${eventId} arrived, but RDS does not show it yet (the poll fallback decides)`,
    );
    return;
  }
  const detail = `${eventId} at ${isoNow(deps.clock)}`;
  const mover = found.mover;
  const shifted =
    mover && holds.promoted?.writers.includes(targetOf(plan, globalClusterId, mover.run))
      ? await mover.ready
          .then(
            (ready) => (ready ? moveTrafficFor(plan, mover.run, 'WakeOnEvent', deps) : undefined),
            (error: unknown) => {
              report.skipped.push(
                `${plan.name}: traffic left to ShiftTraffic (${describeError(error).message})`,
              );
              return undefined;
            },
          )
          .catch((error: unknown) => {
            report.skipped.push(
              `${plan.name}: traffic left to ShiftTraffic: moving it failed (${describeError(error).message})`,
            );
            return undefined;
          })
      : undefined;
  const starter = found.starter;
  const promotion =
    starter && holds.reader
      ? await startFor(plan, globalClusterId, starter.run, starter.reads, deps).catch((error: unknown) => {
          report.skipped.push(
            `${plan.name}: promotion left to PromoteDatabase (${describeError(error).message})`,
          );
          return undefined;
        })
      : undefined;
  const signal: WakeSignal = {
    woken: true,
    by: 'event',
    detail,
    ...holds,
    ...(shifted ? { shifted } : {}),
    ...(promotion ? { promotion } : {}),
  };
  if (await answer(deps, found.wait.region, found.wait.token, signal))
    report.woken.push({
      app: plan.name,
      executionId: found.holder,
      what,
      ...(shifted ? { trafficMoved: shifted.mechanism } : {}),
    });
  else report.skipped.push(`${plan.name}: the token of ${what} was already spent`);
}

/**
 * The run of a parked promotion whose traffic the event waker may move (see {@link wakeOnEvent}):
 * the run kept with its wait, still the lock's holder at its epoch, its token not expired (a
 * duplicate event after the wake moves nothing again), not in an evacuation. Else undefined.
 */
function parkedRun(
  lock: LockRecord,
  wait: TaskWait,
  deps: Pick<RunbookDeps, 'clock'>,
): RunContext | undefined {
  const parsed = RunContext.safeParse(wait.run);
  if (!parsed.success) return undefined;
  const run = parsed.data;
  const live = Date.parse(wait.expiresAt) > deps.clock.now();
  if (run.evacuation || !live || run.executionId !== lock.holder || run.epoch !== lock.epoch)
    return undefined;
  return run;
}

/**
 * Whether every resource of `run` but the promotion of `globalClusterId` is recorded ready on its
 * execution record (its step SUCCEEDED or SKIPPED: capacity at the plan's threshold, the other
 * clusters promoted: what ShiftTraffic's check of the Map's outcomes requires), read beside the
 * lease's renewal at the run's epoch (`fence`), made before anything moves. `alongside` is
 * written in the same round.
 *
 * @throws LockLostError the run no longer holds its epoch
 */
async function othersReady(
  plan: Plan,
  globalClusterId: string,
  run: RunContext,
  deps: Pick<RunbookDeps, 'store'>,
  alongside?: Promise<unknown>,
): Promise<boolean> {
  if (run.evacuation) return false; // its traffic moves in the evacuation's batches
  const [record] = await Promise.all([
    deps.store.getExecutionByKey(run.app, run.executionKey),
    fence(run, deps),
    alongside,
  ]);
  if (!record) return false;
  return resourcesOf(plan)
    .filter((r) => !(r.kind === 'database' && r.id === globalClusterId))
    .every((r) => {
      const step = record.steps[stepKey(r.kind === 'database' ? 'PromoteDatabase' : 'ScaleCapacity', r.id)];
      return step?.status === 'SUCCEEDED' || step?.status === 'SKIPPED';
    });
}

/** What the waker reads before it starts a promotion: the global cluster, capacity (graceful) or the lag (ungraceful). */
interface PromotionReads {
  readonly view: Awaited<ReturnType<RunbookDeps['aurora']['describeGlobalCluster']>>;
  readonly ready: boolean;
  /** Ungraceful: the RPO, as PromoteDatabase reads it (`rpoLag`). */
  readonly lag?: RpoLag;
}

/**
 * PromoteDatabase's reads, made by the waker beside its read of the new reader: the global
 * cluster, and graceful the target's capacity (the switchover's gate, read from AWS now), or
 * ungraceful the replication lag (the RPO); the lease renewed at the run's epoch at once.
 *
 * @throws LockLostError the run no longer holds its epoch
 */
async function promotionReads(
  plan: Plan,
  globalClusterId: string,
  run: RunContext,
  deps: Pick<RunbookDeps, 'aurora' | 'auroraLag' | 'autoScaling' | 'clock' | 'store'>,
): Promise<PromotionReads> {
  const cluster = globalCluster(plan, globalClusterId);
  const [view, ready, lag] = await Promise.all([
    deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId),
    run.mode === 'graceful' ? capacityReady(plan, run, deps) : Promise.resolve(true),
    run.mode === 'ungraceful' ? rpoLag(run, cluster, deps) : Promise.resolve(undefined),
    fence(run, deps),
  ]);
  return { view, ready, ...(lag ? { lag } : {}) };
}

/**
 * Starts `run`'s promotion as PromoteDatabase would, once the waker saw pilot light's new reader
 * available (see {@link wakeOnEvent}): `startPromotion` on the reads made beside that read (a
 * graceful run only with its capacity read ready). Undefined when it started nothing.
 */
async function startFor(
  plan: Plan,
  globalClusterId: string,
  run: RunContext,
  pending: Promise<PromotionReads>,
  deps: WakeDeps,
): Promise<PromotionStarted | undefined> {
  const { view, ready, lag } = await pending;
  if (!ready) return undefined;
  const at = isoNow(deps.clock);
  const progress = startProgress(deps.clock, WAKE_FALLBACK_SECONDS, pollBudgetSeconds(plan) * 2);
  const started = await startPromotion(run, globalCluster(plan, globalClusterId), progress, deps, {
    view,
    fenced: Promise.resolve(),
    ...(lag ? { lag } : {}),
  });
  const detail = started.detail;
  if (!detail?.method) return undefined;
  return {
    by: 'WakeOnEvent',
    at,
    epoch: run.epoch,
    method: detail.method,
    rpoMs: detail.rpoMs ?? null,
    ...(detail.rpoLastSeenAt ? { rpoLastSeenAt: detail.rpoLastSeenAt } : {}),
  };
}

/**
 * Moves `run`'s traffic to its target once its promotion of `globalClusterId` is seen done, when
 * the rest of the run is recorded ready ({@link othersReady}, fenced): what ShiftTraffic would do
 * a moment later, made here so that the woken check, the Map's end and ShiftTraffic's own start
 * are not waited for (docs/architecture.md, "Wake-ups"). Undefined when it moved nothing.
 *
 * @throws LockLostError the run no longer holds its epoch (nothing moved)
 */
export async function moveTrafficIfReady(
  plan: Plan,
  globalClusterId: string,
  run: RunContext,
  by: TrafficShifted['by'],
  deps: Pick<RunbookDeps, 'arc' | 'clock' | 'route53' | 'store' | 'traffic'>,
  options: { readonly alongside?: Promise<unknown> } = {},
): Promise<TrafficShifted | undefined> {
  if (!(await othersReady(plan, globalClusterId, run, deps, options.alongside))) return undefined;
  return moveTrafficFor(plan, run, by, deps);
}

/** Moves `run`'s traffic to its target now, `moveTrafficTo`'s one change (fenced by the caller). */
async function moveTrafficFor(
  plan: Plan,
  run: RunContext,
  by: TrafficShifted['by'],
  deps: Pick<RunbookDeps, 'arc' | 'clock' | 'route53' | 'traffic'>,
): Promise<TrafficShifted> {
  const at = isoNow(deps.clock);
  const moved = await moveTrafficTo(plan, run.to, run.from, deps, run.epoch, knownUnreachable(run));
  return {
    by,
    at,
    epoch: run.epoch,
    mechanism: moved.mechanism,
    ...(moved.endpoint ? { endpoint: moved.endpoint } : {}),
    ...(moved.changeId !== undefined ? { changeId: moved.changeId } : {}),
  };
}

/**
 * Whether an instance event names the reader PrepareDatabase adds to `clusterId`
 * ({@link readerInstanceId}): the id is the last part of `SourceArn`
 * (`arn:aws:rds:<region>:<account>:db:<id>`), else `SourceIdentifier`.
 */
function instanceOf(
  detail: { readonly SourceArn?: string; readonly SourceIdentifier: string },
  clusterId: string,
): boolean {
  return (detail.SourceArn?.split(':').pop() ?? detail.SourceIdentifier) === readerInstanceId(clusterId);
}

/** The id of the reader PrepareDatabase adds to a headless cluster (`<cluster>-switchyard-reader`). */
export function readerInstanceId(clusterId: string): string {
  return `${clusterId}-switchyard-reader`;
}

import { isoNow } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import * as z from '../core/zod.js';
import { ensureRegionPoller } from '../evacuation/region-poller-start.js';
import { groupReadiness } from '../observer/observe.js';
import {
  Progress,
  parseInput,
  ResourceItem,
  type RunbookDeps,
  RunContext,
  readerWatched,
  sharedReader,
} from './context.js';
import { type TaskWait, type WaitKind, waitKey } from './ports/task-waits.js';
import { isReadPark, parkForRead } from './read-park.js';
import { capacityReady, globalCluster } from './resources.js';
import { type PromotionReads, promotionReads, startFor } from './wake-promotion.js';
import {
  answerWait,
  POLLED_FOR_EVERY_RUN,
  readerInstanceId,
  SHARED_READ_KINDS,
  WAKE_DETAIL_TYPES,
  WAKE_EVENT_IDS,
  type WakeSignal,
  waitKindOf,
} from './wake-signal.js';
import { moveTrafficFor, moveTrafficIfReady, othersReady, parkedRun, targetOf } from './wake-traffic.js';

/**
 * Event-driven wake-ups of parked runbook steps (docs/architecture.md, "Wake-ups"). A step whose
 * wait AWS (or another branch) ends with an event parks on a `waitForTaskToken` Task (AwaitEvent)
 * whose own timeout is the poll fallback; the event's arrival answers the token (SendTaskSuccess),
 * and the step's check then decides on what AWS answers. An event is a hint, never the truth: the
 * waker reads AWS before it wakes anything and hands that read on; the woken check decides on it
 * while it is fresh (`WAKE_READ_FRESH_MS`, wake-reads.ts), and reads AWS again otherwise.
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
  // Pilot light's new reader: the region's poller watches it where no shared reader serves the
  // region (`readerWatched`), and starts the promotion as it sees it available (reader-watch.ts).
  const reader = SHARED_READ_KINDS.has(wait)
    ? (sharedReader(run, deps.plans) ??
      (POLLED_FOR_EVERY_RUN.has(wait) && !run.evacuation ? 'region' : undefined))
    : wait === 'reader' && readerWatched(run, deps.plans)
      ? 'region'
      : undefined;
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
  // otherwise the region's poller, which the first waiter starts (functions/evacuation/region-poller.ts):
  // for every run's promotion (every 333 ms for one app, at its budget's pace for many), and for
  // the other shared waits with many apps failing over into the region. A poller that cannot be
  // started leaves the read to this step. RDS's event still wakes it: whichever comes first.
  const served =
    reader === 'evacuation' ||
    (reader === 'region' && (await ensureRegionPoller(deps.region, deps).catch(() => false)));
  const seen = served ? undefined : await happened(plan, run, wait, resource.id, deps);
  if (!seen) return { parked: true, already: false };
  const promoted = wait === 'promotion' && seen.promoted?.writers.includes(targetOf(plan, resource.id, run));
  const shifted = promoted
    ? await moveTrafficIfReady(plan, resource, run, 'AwaitEvent', deps, {
        // Parked again without its run: the promotion's event finds nothing to move.
        alongside: deps.waits.park(parked),
      }).catch(() => undefined) // the woken check and ShiftTraffic go on as before
    : undefined;
  await Promise.all([
    answerWait(
      { region: deps.region, token: taskToken },
      {
        woken: true,
        by: 'already',
        detail: what,
        ...seen,
        ...(shifted ? { shifted } : {}),
      },
      deps,
    ),
    // The reader's event, arriving later, must not start the promotion beside PromoteDatabase.
    wait === 'reader' && keepRun ? deps.waits.park(parked) : undefined,
  ]);
  return { parked: true, already: true };
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
      run && kind === 'promotion'
        ? { run, ready: othersReady(plan, { kind: 'database', id: globalClusterId }, run, deps) }
        : undefined;
    // Pilot light's reader: what the promotion needs, read (and the lease renewed) beside RDS;
    // not for a wait the region's poller watches (`shared`), which it leaves to the watch.
    const starter =
      run && kind === 'reader' && !wait?.shared
        ? { run, reads: promotionReads(plan, globalClusterId, run, deps) }
        : undefined;
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
  if (kind === 'reader' && found.wait.shared) {
    // The region's poller watches this reader (functions/evacuation/reader-watch.ts): it starts
    // the promotion and then wakes the step, so a wake from here, arriving first, would leave the
    // promotion to PromoteDatabase while the watch makes it too. One waker per watched wait.
    report.skipped.push(`${plan.name}: the region poller watches ${what}`);
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
  if (await answerWait(found.wait, signal, deps))
    report.woken.push({
      app: plan.name,
      executionId: found.holder,
      what,
      ...(shifted ? { trafficMoved: shifted.mechanism } : {}),
    });
  else report.skipped.push(`${plan.name}: the token of ${what} was already spent`);
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

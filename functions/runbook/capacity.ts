import { isoNow } from '../core/clock.js';
import { CapacityNotReadyError, InvalidInputError } from '../core/errors.js';
import type { AutoScalingGroupPlan, Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import * as z from '../core/zod.js';
import { readinessOf } from '../observer/observe.js';
import {
  CAPACITY_WATCH_BUDGET_MS,
  capacityWatchMs,
  onlyFirstChecksRemain,
  WATCH_BUDGET_SPENT,
  watchCapacity,
} from './capacity-watch.js';
import {
  fence,
  nextPoll,
  POLL_SECONDS,
  type PromotionStarted,
  parseInput,
  pollBudgetSeconds,
  pollThrottled,
  progressWith,
  ResourceItem,
  type RunbookDeps,
  RunContext,
  recordStep,
  sharedReader,
  startProgress,
  stepKey,
  waitSeconds,
} from './context.js';
import { isPromoted, switchover } from './database.js';
import type { GlobalClusterView } from './ports/aurora.js';
import { type TaskWait, waitKey } from './ports/task-waits.js';
import { capacityReady } from './resources.js';
import type { GlobalClusterRead } from './wake-reads.js';
import { wakeWait } from './wake-signal.js';
import { moveTrafficIfReady, othersReady } from './wake-traffic.js';

/**
 * The ports and context ScaleCapacity reads (the composition root gives it no more): of Auto
 * Scaling, only the update (its bundle then carries no load balancer client).
 */
export type ScaleDeps = Pick<RunbookDeps, 'clock' | 'plans' | 'random' | 'store'> & {
  readonly autoScaling: Pick<RunbookDeps['autoScaling'], 'update'>;
};
/**
 * The ports and context CheckCapacity reads: it also wakes the database branch parked on it,
 * makes a graceful run's switchover as it reads the last group ready (RDS), and moves the run's
 * traffic when its group is the last resource to be ready (ARC, Route 53, the traffic switch).
 */
export type CapacityDeps = Pick<
  RunbookDeps,
  | 'autoScaling'
  | 'clock'
  | 'plans'
  | 'random'
  | 'store'
  | 'stepFunctions'
  | 'waits'
  | 'aurora'
  | 'arc'
  | 'route53'
  | 'traffic'
>;

/** Ungraceful mode accepts its minimum once capacity has not grown for this long. */
export const UNGRACEFUL_STALL_SECONDS = 30;

const ScaleInput = z.object({ run: RunContext, resource: ResourceItem });
/** What CheckCapacity carries between polls. */
const CapacityPoll = z.looseObject({
  /** InService and Healthy instances at the last poll. */
  healthyInService: z.optional(z.int().check(z.nonnegative())),
  /** Since when (epoch ms, virtual in the sandbox) that count has not changed. */
  stableSince: z.optional(z.number().check(z.nonnegative())),
});
/** A capacity wait's poll state. */
export const CapacityProgress = progressWith(CapacityPoll);
export type CapacityProgress = z.infer<typeof CapacityProgress>;

const CheckInput = z.object({ run: RunContext, resource: ResourceItem, progress: CapacityProgress });

/**
 * ScaleCapacity: set the target region's group to the plan's `active` profile. Idempotent: the
 * same profile twice is one change. Pilot light starts from zero; warm standby from its standby.
 */
export async function scaleCapacity(input: unknown, deps: ScaleDeps): Promise<CapacityProgress> {
  const { run, resource } = parseInput(ScaleInput, input, 'ScaleCapacity');
  const plan = deps.plans.get(run.app);
  const group = autoScalingGroup(plan, resource.id);
  const startedAt = isoNow(deps.clock);
  // Independent items (the record, the lock), written at once; both before the group changes.
  await Promise.all([
    recordStep(run, deps, stepKey('ScaleCapacity', resource.id), {
      name: 'ScaleCapacity',
      resource: resource.id,
      status: 'RUNNING',
      startedAt,
    }),
    fence(run, deps),
  ]);
  await deps.autoScaling.update(run.to, memberIn(group.members, run.to), group.active);
  // In an evacuation, or with many apps failing over into the region, the group is not polled
  // every second: the shared read of Auto Scaling (the evacuation's, or the region poller's) wakes
  // the parked check (AwaitCapacity) once the group is ready; this is its fallback.
  const shared = sharedReader(run, deps.plans);
  return {
    ...startProgress(
      deps.clock,
      waitSeconds(run, POLL_SECONDS.capacity, deps.plans),
      pollBudgetSeconds(plan),
      {
        phase: 'scaling',
      },
    ),
    ...(shared === 'region' ? { park: true } : {}),
  };
}

/**
 * CheckCapacity: polls until `healthyPercent` of the active desired capacity is InService and
 * Healthy. An ungraceful failover accepts the plan's documented minimum
 * (`ungracefulMinimumPercent`: serving degraded beats not serving) once capacity has stopped
 * growing for {@link UNGRACEFUL_STALL_SECONDS}; otherwise, when the budget runs out, it fails and
 * traffic does not move to an unready region. A poll that AWS throttles is unknown, not a failure:
 * it is polled again after a backoff, within the same budget ({@link pollThrottled}).
 */
export async function checkCapacity(input: unknown, deps: CapacityDeps): Promise<CapacityProgress> {
  const { run, resource, progress } = parseInput(CheckInput, input, 'CheckCapacity');
  return pollThrottled(progress, `${resource.id} capacity in ${run.to}`, deps, () =>
    pollCapacity(run, resource, progress, deps),
  );
}

async function pollCapacity(
  run: RunContext,
  resource: ResourceItem,
  polled: CapacityProgress,
  deps: CapacityDeps,
): Promise<CapacityProgress> {
  let progress = polled;
  const plan = deps.plans.get(run.app);
  const group = autoScalingGroup(plan, resource.id);
  const readAt = deps.clock.now();
  const here = switchoverHere(plan, run, deps);
  // The check right after a watch that spent its budget (`again`): the group may turn ready at
  // this very read, so what the switchover needs (the branch's wait, the global cluster) and the
  // fence are read and renewed beside it, as the watch does beside each of its reads, rather than
  // after it, in series. Once per watch budget (20 s), not every poll.
  const beside =
    progress.again && here
      ? Promise.all([switchoverReads(plan, run, deps), fence(run, deps)]).then(([reads]) => reads)
      : undefined;
  const [described, firstReads] = await Promise.all([
    deps.autoScaling.describe(run.to, memberIn(group.members, run.to), group.targetGroups?.[run.to]),
    beside,
  ]);
  let capacity = described;
  let readiness = readinessOf(group, capacity);
  let lastWait: TaskWait | undefined = firstReads?.wait;
  // Only the load balancer's first health checks remain: this invocation watches for them and acts
  // on what it sees (fenced beside every read), instead of the next poll finding out.
  const watch =
    readiness.ready ||
    !watchable(run, deps) ||
    !onlyFirstChecksRemain(group, capacity) ||
    !(await waitedOn(plan, run, resource, deps))
      ? undefined
      : await watchCapacity(
          group,
          run.to,
          deps,
          { capacity, readAt, extra: firstReads },
          {
            intervalMs: capacityWatchMs(run, deps.plans),
            budgetMs: Math.min(
              CAPACITY_WATCH_BUDGET_MS,
              (progress.maxAttempts - progress.attempt - 1) * progress.nextPollSeconds * 1000,
            ),
            // The fence, and the database branch's wait (it parks again every few seconds), beside
            // every read: the read that sees the group ready is followed by the switchover alone.
            each: async () => {
              const [, wait] = await Promise.all([
                fence(run, deps),
                here ? deps.waits.get(run.app, run.executionId, waitKey('capacity')) : undefined,
              ]);
              lastWait = wait;
            },
            ...(here ? { alongside: () => switchoverReads(plan, run, deps) } : {}),
          },
        );
  const watched = typeof watch === 'object' ? watch : undefined;
  if (watched) ({ capacity, readiness } = watched);
  // The seconds watched count against the poll budget, as polls every `nextPollSeconds` would.
  const watchedPolls = Math.floor((deps.clock.now() - readAt) / 1000 / progress.nextPollSeconds);
  if (!watched && watchedPolls > 0) progress = { ...progress, attempt: progress.attempt + watchedPolls };
  const now = deps.clock.now();
  const previous = progress.detail;
  const changed = previous?.healthyInService !== readiness.healthyInService;
  const stableSince = changed || previous?.stableSince === undefined ? now : previous.stableSince;
  const detail = {
    healthyInService: readiness.healthyInService,
    pending: readiness.pending,
    notServing: readiness.notServing,
    ...(readiness.warmPool ? { warmPool: readiness.warmPool.size } : {}),
    desired: group.active.desired,
    healthyPercent: readiness.healthyPercent,
    degraded: !readiness.ready,
    stableSince,
  };
  const lastPoll = progress.attempt + 1 > progress.maxAttempts;
  // Ungraceful: the source is down, so every second counts. Once the documented minimum is met and
  // capacity has stopped growing, move on degraded rather than wait out the whole budget.
  const stalled = now - stableSince >= UNGRACEFUL_STALL_SECONDS * 1000;
  const acceptDegraded = run.mode === 'ungraceful' && readiness.minimumMet && (stalled || lastPoll);
  if (readiness.ready || acceptDegraded) {
    // The outcome's epoch check (`recordOutcome`'s fence) is made once, beside the switchover's
    // reads, and awaited before anything is recorded or moved.
    const fenced = watched || firstReads ? Promise.resolve() : fence(run, deps);
    fenced.catch(() => undefined);
    const reads = watched ? watched.extra : firstReads;
    const kept = reads && { ...reads, wait: lastWait ?? reads.wait };
    const promotion = switchoverAsReady(plan, run, group.name, fenced, deps, kept);
    // The last resource to be ready (the promotion recorded done): traffic moves here, as the
    // waker moves it where the promotion is the last; ShiftTraffic follows (`trafficShifted`).
    const shifted = moveTrafficIfReady(plan, resource, run, 'CheckCapacity', deps, { fenced }).catch(
      () => undefined, // ShiftTraffic moves it as before
    );
    await fenced;
    const [trafficShifted] = await Promise.all([
      shifted,
      watched?.settled,
      recordStep(run, deps, stepKey('ScaleCapacity', resource.id), {
        name: 'ScaleCapacity',
        resource: resource.id,
        status: 'SUCCEEDED',
        startedAt: progress.startedAt,
        finishedAt: isoNow(deps.clock),
        detail,
      }),
      promotion.then((outcome) =>
        wakeDatabaseBranch(plan, run, group.name, new Date(now).toISOString(), deps, outcome),
      ),
    ]);
    return { ...progress, done: true, detail: { ...detail, ...(trafficShifted ? { trafficShifted } : {}) } };
  }
  if (lastPoll) {
    const memberName = memberIn(group.members, run.to);
    // Why not: launches that failed (AWS's own message), hooks not completed, targets not healthy.
    const failed = await deps.autoScaling
      .failedLaunches(run.to, memberName, Date.parse(progress.startedAt))
      .catch(() => undefined);
    const why = [
      readiness.pending > 0
        ? `${readiness.pending} still launching${readiness.waiting > 0 ? ` (${readiness.waiting} held at Pending:Wait by a lifecycle hook not completed)` : ''}`
        : undefined,
      readiness.notServing > 0
        ? `${readiness.notServing} InService but not healthy in the target group (${readiness.notServingReasons.join(', ')})`
        : undefined,
      failed && failed.count > 0
        ? `${failed.count} failed launch(es) since the step began, the latest: ${failed.latestMessage ?? 'no message'}`
        : undefined,
    ].filter((w) => w !== undefined);
    throw new CapacityNotReadyError(
      `${group.name} in ${run.to}: ${readiness.healthyInService}/${group.active.desired} InService and healthy in the load balancer (${readiness.healthyPercent}%) ` +
        `after ${progress.maxAttempts * progress.nextPollSeconds} s, expected at least ${group.healthyPercent}%` +
        (run.mode === 'ungraceful' ? ` (ungraceful minimum ${group.ungracefulMinimumPercent}%)` : '') +
        (why.length > 0 ? `; ${why.join('; ')}` : ''),
    );
  }
  // A watch that spent its budget with only first health checks left: the next check at once.
  return nextPoll(progress, `${group.name} capacity in ${run.to}`, {
    detail,
    ...(watch === WATCH_BUDGET_SPENT ? { again: true } : {}),
  });
}

/**
 * The capacity hand-off: a graceful run's database branch parks on `capacity` until the target
 * can serve (it never moves the writer first). This group being ready wakes it at once, instead
 * of it finding out at its next check; the database branch then reads the plan's other groups
 * itself. What {@link switchoverAsReady} made or read goes with the wake: the switchover it made
 * (followed), or else the global cluster it read (the woken gate decides on it while fresh), and
 * the wait's token it read (answered without reading the wait again while its Task runs; read
 * again if that token was spent). A wake that fails is only logged away: the parked branch's
 * fallback timeout reads capacity anyway.
 */
async function wakeDatabaseBranch(
  plan: Plan,
  run: RunContext,
  group: string,
  readAt: string,
  deps: Pick<RunbookDeps, 'clock' | 'stepFunctions' | 'waits'>,
  outcome: SwitchoverAsReady = {},
): Promise<void> {
  if (run.mode !== 'graceful' || (plan.database?.auroraGlobalClusters.length ?? 0) === 0) return;
  const { promotion, cluster, wait } = outcome;
  const signal = {
    detail: `${group} ready in ${run.to}`,
    ready: { group, readAt },
    ...(promotion ? { promotion } : cluster ? { cluster } : {}),
  };
  const wake = (known?: TaskWait) =>
    wakeWait(run.app, run.executionId, waitKey('capacity'), signal, deps, known).catch(() => false);
  // A token whose Task timed out meanwhile (it ends a moment before the item's `expiresAt`): the
  // branch may have parked again since, so the wait is read again and its new token woken.
  if (wait && Date.parse(wait.expiresAt) > deps.clock.now() && (await wake(wait))) return;
  await wake();
}

/**
 * How long (ms) the database branch's parked wait must still have before its Task's own timeout
 * for CheckCapacity to make the switchover for it: past that, the branch may be reading the gate
 * itself, and it alone decides (no two SwitchoverGlobalCluster calls race).
 */
export const SWITCHOVER_WAIT_MARGIN_MS = 1_000;

/**
 * The switchover made where capacity is seen ready (docs/architecture.md, "Wake-ups"), as the
 * event waker starts pilot light's promotion where it sees the reader: a graceful run's database
 * branch parked on `capacity` (its `WAIT#` item live for {@link SWITCHOVER_WAIT_MARGIN_MS} more)
 * is about to read the groups and the global cluster and switch over; CheckCapacity, having read
 * `readyGroup` ready, reads the plan's other groups, the global cluster and that wait at once,
 * and with the lease renewed (`fenced`) makes the same call (`switchover`, functions/runbook/database.ts)
 * instead: the hand-off's SendTaskSuccess, the woken check and its read are no longer between
 * capacity and the switchover. A plan of one global cluster only (each has its own branch), not
 * where a shared reader serves the run's waits (an evacuation, or the region's poller). Anything unread, not ready or refused makes nothing here: the woken branch's gate
 * decides as before (and reports a refusal). Never throws.
 *
 * When the wait ends within the margin, the switchover is the woken branch's, and this hands it
 * what it read: the wait (its token, so the wake reads nothing more) and, for a plan of one group
 * (no other CheckCapacity may make the switchover meanwhile), the global cluster with its read's
 * time, on which the branch's gate decides while it is at most `WAKE_READ_FRESH_MS` old, as a
 * waker's read (functions/runbook/wake-reads.ts): the branch then only fences and calls.
 *
 * @returns the switchover made (or found under way or done), for the woken branch to follow; or
 *   what was read, for the branch that makes it
 */
async function switchoverAsReady(
  plan: Plan,
  run: RunContext,
  readyGroup: string,
  fenced: Promise<void>,
  deps: CapacityDeps,
  kept?: SwitchoverReads,
): Promise<SwitchoverAsReady> {
  const cluster = plan.database?.auroraGlobalClusters[0];
  if (!switchoverHere(plan, run, deps) || !cluster) return {};
  let handed: SwitchoverAsReady = {};
  try {
    const live = (wait: TaskWait | undefined) =>
      wait !== undefined && Date.parse(wait.expiresAt) - deps.clock.now() > SWITCHOVER_WAIT_MARGIN_MS;
    // A wait kept from the watch whose Task has timed out since: the branch parks again every few
    // seconds, so the wait is read again (the new park's item) rather than given up on. One whose
    // Task still runs is that park's (only this step wakes it): kept, to switch over or wake on.
    const current = async (reads: SwitchoverReads): Promise<SwitchoverReads> =>
      reads.wait && Date.parse(reads.wait.expiresAt) > deps.clock.now()
        ? reads
        : { ...reads, wait: await deps.waits.get(run.app, run.executionId, waitKey('capacity')) };
    const [{ wait, view, readAt }, others] = await Promise.all([
      kept ? current(kept) : switchoverReads(plan, run, deps),
      capacityReady(plan, run, deps, readyGroup),
      fenced,
    ]);
    const oneGroup = (plan.compute?.autoScalingGroups.length ?? 0) === 1;
    handed = {
      ...(wait ? { wait } : {}),
      ...(oneGroup ? { cluster: { view, readAt: new Date(readAt).toISOString() } } : {}),
    };
    if (!live(wait) || !others) return handed;
    const targetArn = memberIn(cluster.members, run.to);
    const at = isoNow(deps.clock);
    const made = { by: 'CheckCapacity', at, epoch: run.epoch, rpoMs: 0 } as const;
    if (isPromoted(view, targetArn)) return { wait, promotion: { ...made, method: 'none' } };
    if (view.failover) return handed; // under way: the branch decides what it is
    await switchover(run, cluster, view, deps);
    return { wait, promotion: { ...made, method: 'switchover' } };
  } catch {
    // Refused or failed: the branch reads for itself (the wait, read, is still woken on).
    return handed.wait ? { wait: handed.wait } : {};
  }
}

/** What {@link switchoverAsReady} hands to the wake of the database branch. */
interface SwitchoverAsReady {
  /** The switchover made (or found under way or done) here, for the woken branch to follow. */
  readonly promotion?: PromotionStarted;
  /** The branch's parked wait as read here: its token, answered without reading it again. */
  readonly wait?: TaskWait;
  /** No switchover made here: the global cluster as read here, for the branch's gate to decide on while fresh. */
  readonly cluster?: GlobalClusterRead;
}

/**
 * Whether CheckCapacity makes a graceful run's switchover as it reads the last group ready
 * ({@link switchoverAsReady}): a plan of one global cluster (each has its own branch), and no
 * shared reader (an evacuation's, or the region's poller, wakes both branches at once: the
 * database branch's own gate decides there, as before).
 */
function switchoverHere(plan: Plan, run: RunContext, deps: Pick<CapacityDeps, 'plans'>): boolean {
  return (
    run.mode === 'graceful' &&
    sharedReader(run, deps.plans) === undefined &&
    (plan.database?.auroraGlobalClusters.length ?? 0) === 1
  );
}

/**
 * What the switchover made here reads besides capacity: the database branch's parked wait, and the
 * global cluster, read from `readAt` (epoch ms, virtual in the sandbox: when the calls were made).
 */
interface SwitchoverReads {
  readonly wait: TaskWait | undefined;
  readonly view: GlobalClusterView;
  readonly readAt: number;
}

async function switchoverReads(plan: Plan, run: RunContext, deps: CapacityDeps): Promise<SwitchoverReads> {
  const cluster = plan.database?.auroraGlobalClusters[0];
  if (!cluster) throw new InvalidInputError(`${plan.name}: no global cluster to switch over`);
  const readAt = deps.clock.now();
  const [wait, view] = await Promise.all([
    deps.waits.get(run.app, run.executionId, waitKey('capacity')),
    deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId),
  ]);
  return { wait, view, readAt };
}

/**
 * Whether the run waits on this group now, so that seeing it ready sooner moves something sooner:
 * the database branch parked on capacity (a graceful switchover made here), or every other
 * resource of the run recorded ready (its traffic moved here, `moveTrafficIfReady`). Read from our
 * own records (one or two GetItem), only to decide whether to watch: what the watch then acts on
 * is read from AWS and fenced. Pilot light's capacity, ready minutes before its reader, and an
 * ungraceful run's, ready before its failover ends, are not watched.
 */
async function waitedOn(
  plan: Plan,
  run: RunContext,
  resource: ResourceItem,
  deps: CapacityDeps,
): Promise<boolean> {
  const [wait, others] = await Promise.all([
    switchoverHere(plan, run, deps)
      ? deps.waits.get(run.app, run.executionId, waitKey('capacity'))
      : Promise.resolve(undefined),
    // A read, not an action: no fence here (the watch fences beside every read).
    othersReady(plan, resource, run, deps, undefined, Promise.resolve()).catch(() => false),
  ]);
  return wait !== undefined || others;
}

/** Whether this run watches its group's first health checks: no shared reader reads them for it, and the clock can wait. */
function watchable(run: RunContext, deps: Pick<CapacityDeps, 'plans' | 'clock'>): boolean {
  return sharedReader(run, deps.plans) === undefined && deps.clock.sleep !== undefined;
}

export function autoScalingGroup(plan: Plan, name: string): AutoScalingGroupPlan {
  const group = plan.compute?.autoScalingGroups.find((g) => g.name === name);
  if (!group) throw new InvalidInputError(`${plan.name}: no Auto Scaling group ${name} in the plan`);
  return group;
}

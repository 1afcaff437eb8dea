import { PreconditionFailedError } from '../core/errors.js';
import type { Progress, PromotionStarted, RunbookDeps, TrafficShifted } from './context.js';
import type { TaskWait, WaitKind } from './ports/task-waits.js';
import type { GlobalClusterRead } from './wake-reads.js';

// The vocabulary of wake-ups (docs/architecture.md, "Wake-ups"): what a woken step receives, the
// RDS events that wake one, and answering a parked step's token. Kept apart from the wake-ups
// themselves (wake.ts) so that those who only wake a step (CheckCapacity, the shared reads) or
// name the waker's events (the rule, the sandbox) import none of what the waker reads and starts.

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
 * reader is not among them: the region's poller watches it only where no shared reader serves the
 * region (`readerWatched`, context.ts; functions/evacuation/reader-watch.ts), and elsewhere it is
 * left to its event and its own fallback.
 */
export const SHARED_READ_KINDS: ReadonlySet<WaitKind> = new Set(['promotion', 'capacity', 'group']);

/**
 * The waits the region's poller serves for every run that is not an evacuation's, however few
 * plans run into the region (`REGION_POLLER_MIN_PLANS` decides the rest): the promotion, whose end
 * RDS announces only by an event about 0.5 s late (our assumption for "near-real time") and which
 * the poller reads at its budget's pace (every 333 ms for one app: `pollIntervalMs`,
 * functions/evacuation/poll-budget.ts). The event stays a wake path: whichever comes first.
 */
export const POLLED_FOR_EVERY_RUN: ReadonlySet<WaitKind> = new Set(['promotion']);

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
   * With `ready`, when the capacity branch leaves the switchover to the woken branch (its park ends
   * within `SWITCHOVER_WAIT_MARGIN_MS`): the global cluster as it read it beside the group, for the
   * woken gate to decide on while it is fresh (`freshWakeRead`) instead of reading it again.
   */
  readonly cluster?: GlobalClusterRead;
  /**
   * A shared read's wake of the database branch parked on `capacity` (the region poller's or an
   * evacuation's, `metWait`): every group of the plan read ready (the plan's `healthyPercent` of
   * its active desired serving), and when (ISO). The woken gate decides on it while it is fresh
   * (`freshWakeRead`) instead of reading the same groups again.
   */
  readonly capacityReady?: { readonly readAt: string };
  /**
   * The event waker's read of RDS that let it wake a promotion (no operation under way; these
   * clusters the writers) and when (ISO): the woken check decides on it while it is fresh
   * (`freshWakeRead`, wake-reads.ts) instead of reading the same again.
   */
  readonly promoted?: { readonly writers: readonly string[]; readonly readAt: string };
  /** The event waker's read of RDS that let it wake pilot light's reader wait: this instance available. */
  readonly reader?: { readonly instance: string; readonly readAt: string };
  /** Traffic the event waker moved before it woke the promotion (see `wakeOnEvent`, wake.ts). */
  readonly shifted?: TrafficShifted;
  /** The promotion the event waker started once it saw pilot light's new reader (see `wakeOnEvent`, wake.ts). */
  readonly promotion?: PromotionStarted;
}

/**
 * Wakes `app`'s execution `executionId` parked on `what`, if it is: SendTaskSuccess on the stored
 * token (`known`, when the caller read it a moment ago and its Task has not timed out: not read
 * again). A token already answered, timed out or of an ended execution (TaskTimedOut,
 * InvalidToken, TaskDoesNotExist) is harmless: false. Used by CheckCapacity when capacity is ready
 * (the database branch of a graceful run parks on it) and by the event waker.
 */
export async function wakeWait(
  app: string,
  executionId: string,
  what: string,
  signal: Pick<WakeSignal, 'detail' | 'ready' | 'cluster' | 'promotion'>,
  deps: Pick<RunbookDeps, 'stepFunctions' | 'waits'>,
  known?: TaskWait,
): Promise<boolean> {
  const wait = known ?? (await deps.waits.get(app, executionId, what));
  if (!wait) return false;
  return answerWait<WakeSignal>(wait, { woken: true, by: 'event', ...signal }, deps);
}

/**
 * Answers a stored wait now (SendTaskSuccess on its token, in the region whose Step Functions runs
 * it) with `signal`, the parked Task's result (a {@link WakeSignal}, or a parked read's shared
 * observation: functions/runbook/read-park.ts): true when it woke the step, false when the token
 * was spent (answered, timed out, ended). A region evacuation's shared read and the region poller
 * wake apps so (functions/evacuation/shared-reads.ts, region-poller.ts).
 */
export async function answerWait<Signal extends object = WakeSignal>(
  wait: Pick<TaskWait, 'region' | 'token'>,
  signal: Signal,
  deps: Pick<RunbookDeps, 'stepFunctions'>,
): Promise<boolean> {
  try {
    await deps.stepFunctions.sendTaskSuccess(wait.region, wait.token, signal);
    return true;
  } catch (error) {
    if (error instanceof PreconditionFailedError) return false; // spent: answered, timed out or ended
    throw error;
  }
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

/** The id of the reader PrepareDatabase adds to a headless cluster (`<cluster>-switchyard-reader`). */
export function readerInstanceId(clusterId: string): string {
  return `${clusterId}-switchyard-reader`;
}

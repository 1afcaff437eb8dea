import * as z from '../core/zod.js';
import { ensureRegionPoller } from '../evacuation/region-poller-start.js';
import type { AppObservation } from '../observer/observe.js';
import { parseInput, ReadPark, type RunbookDeps, RunContext } from './context.js';
import { OBSERVE_READS, type ObserveRead, type TaskWait, waitKey } from './ports/task-waits.js';
import { answerWait } from './wake-signal.js';

/**
 * A step that parks for the region poller's next read of its app (docs/architecture.md, "The
 * region poller"): Preflight, when many runs fail over into its region at once and the request's
 * dry run could not be decided on. Instead of each run reading RDS and Auto Scaling for itself
 * (a hundred Preflights at once keep both APIs throttled for minutes), it parks an `observe` wait
 * and the region's poller reads every parked app's observation once per pass through the batched
 * reads (one DescribeGlobalClusters and one DescribeDBClusters per 100 clusters per region, one
 * DescribeAutoScalingGroups per 100 groups), answering each wait with its app's observation and
 * the time of the read. The step decides on it only while it is fresh, and reads AWS itself
 * otherwise (truth over claims): a poller that never answers costs the park's timeout, never a
 * wrong decision.
 */

/** How long a step parks for a shared read before it reads AWS itself, in seconds (the Task's timeout). */
export const READ_PARK_SECONDS = 10;

const ReadParkInput = z.object({
  run: RunContext,
  observe: ReadPark,
  taskToken: z.string().check(z.minLength(1)),
});

/** Whether AwaitEvent's input is a read park ({@link parkForRead}) rather than a wait on a resource. */
export function isReadPark(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'observe' in input;
}

/**
 * The answer a parked step gets (its Task's result): the poller's observation of the app, read at
 * `readAt` (ISO), or, when no poller could be started, nothing (`observation` absent): the step
 * reads for itself.
 */
export interface SharedObservation {
  readonly woken: true;
  readonly by: 'shared-read' | 'already';
  readonly detail?: string;
  readonly observation?: AppObservation;
  readonly readAt?: string;
}

/**
 * AwaitEvent for a read park: stores the Task's token as a shared wait of the run's region
 * (`observe#<read>`, listed in the region's index for the poller) and makes sure the region's
 * poller runs. When none could be started, answers its own token at once without a read, so that
 * the step reads for itself now instead of waiting out the park.
 */
export async function parkForRead(
  input: unknown,
  deps: Pick<RunbookDeps, 'clock' | 'region' | 'stateMachineArns' | 'stepFunctions' | 'waits'>,
): Promise<{ parked: true; already: boolean }> {
  const { run, observe, taskToken } = parseInput(ReadParkInput, input, 'AwaitEvent');
  const now = deps.clock.now();
  const wait: TaskWait = {
    app: run.app,
    executionId: run.executionId,
    what: waitKey('observe', observe.read),
    token: taskToken,
    region: deps.region,
    parkedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + observe.seconds * 1000).toISOString(),
    shared: true,
  };
  await deps.waits.park(wait);
  if (await ensureRegionPoller(deps.region, deps).catch(() => false)) return { parked: true, already: false };
  const signal: SharedObservation = {
    woken: true,
    by: 'already',
    detail: 'no region poller: read it yourself',
  };
  await deps.stepFunctions.sendTaskSuccess(deps.region, taskToken, signal);
  return { parked: true, already: true };
}

/** The read an observe wait's key names (`observe#<read>`), or undefined for another kind of wait. */
export function observeReadOf(what: string): ObserveRead | undefined {
  const [kind, read] = what.split('#', 2);
  return kind === 'observe' ? OBSERVE_READS.find((r) => r === read) : undefined;
}

/**
 * Answers a parked read (SendTaskSuccess on its token, in the region whose Step Functions runs
 * it): true when it woke the step, false when the token was spent (answered, timed out, ended).
 * The one rule for answering a stored wait, {@link answerWait}, with a shared observation.
 */
export function answerRead(
  wait: Pick<TaskWait, 'region' | 'token'>,
  signal: SharedObservation,
  deps: Pick<RunbookDeps, 'stepFunctions'>,
): Promise<boolean> {
  return answerWait(wait, signal, deps);
}

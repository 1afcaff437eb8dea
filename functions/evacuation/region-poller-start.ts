import { describeError } from '../core/errors.js';
import type { RunbookDeps } from '../runbook/context.js';
import { stateMachineArnInRegion } from '../runbook/runbook-arns.js';

// How a region's poller of parked waits is started and how long it lives (the poller itself:
// region-poller.ts). Apart from it so that AwaitEvent, which starts it, carries none of its reads.

/**
 * Seconds the poller's state machine waits after an invocation that found nothing parked. While
 * something is parked its passes follow at the budget's pace inside the invocation instead
 * (`pollIntervalMs`, poll-budget.ts: 250 ms at the fastest).
 */
export const POLLER_SECONDS = 1;
/**
 * How long a lease lasts past its last renewal, in milliseconds (virtual in the sandbox): a
 * poller that died (its Lambda crashed past its retries) frees the region within this, and the
 * next waiter that parks starts another.
 */
export const POLLER_LEASE_MS = 5_000;
/** Invocations in a row with nothing parked before the poller ends (and frees its lease at once). */
export const POLLER_IDLE_POLLS = 10;
/**
 * Passes before a poller ends anyway (at least 30 minutes at 4 passes a second, 2 hours at one);
 * the state machine's own timeout is 4 hours; a waiter after it starts the next one.
 */
export const POLLER_MAX_POLLS = 7200;

/**
 * Makes sure `region`'s poller runs, from a step that just parked a shared wait there: claims the
 * lease when nobody holds it and starts the poller's state machine in `region`, named by the
 * lease's epoch (a second start of it is a no-op). True when a poller serves the region (it ran,
 * or this call started it); false when none could be started (no poller machine here, or the
 * start failed): the caller then reads for itself.
 */
export async function ensureRegionPoller(
  region: string,
  deps: Pick<RunbookDeps, 'clock' | 'waits' | 'stepFunctions' | 'stateMachineArns'>,
): Promise<boolean> {
  const machine = deps.stateMachineArns.poller;
  if (!machine) return false;
  const now = deps.clock.now();
  const lease = await deps.waits.claimPoller(region, now, now + POLLER_LEASE_MS);
  if (!lease) return true; // held: a poller runs (or one that died frees it within the lease)
  try {
    await deps.stepFunctions.start(
      region,
      stateMachineArnInRegion(machine, region),
      pollerExecutionName(region, lease.epoch),
      { poller: { region, epoch: lease.epoch } },
    );
  } catch (error: unknown) {
    // Already started (the name is taken): a poller runs. Anything else: none could be started.
    if (describeError(error).name !== 'ConflictError') return false;
  }
  return true;
}

/** The region poller's execution name (`poller-<region>-<epoch>`): one per lease claim. */
export function pollerExecutionName(region: string, epoch: number): string {
  return `poller-${region}-${epoch}`;
}

/**
 * Whether an execution name is a region poller's ({@link pollerExecutionName}): its calls are made
 * on behalf of the runs whose waits it serves (it reads, wakes, moves traffic and starts pilot
 * light's promotion for them), not a run of its own.
 */
export function isPollerExecution(name: string | undefined): boolean {
  return name?.startsWith('poller-') === true;
}

import { describeError, PreconditionFailedError, ResourceNotFoundError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { initialPrimary } from '../core/plan-queries.js';
import type { ExecutionRecord } from '../core/records.js';
import { type FailoverRequest, lockReason, newExecution, reservationLeaseSeconds } from './begin.js';
import type { RunbookDeps } from './context.js';
import type { ExecutionPointer } from './ports/state-store.js';
import { executionArnIn, runbookArnIn } from './runbook-arns.js';

/** A request with the execution id its starter chose (the Step Functions execution name). */
export type ReservedRequest = FailoverRequest & { readonly executionId: string };

/** What {@link reserveExecution} holds for a request. */
export interface Reservation {
  /** The execution's record: RUNNING, written before the runbook starts. */
  readonly record: ExecutionRecord;
  /** The lock epoch the reservation holds (Begin adopts it). */
  readonly epoch: number;
  /** The active region when the request was reserved: the failover's `from`. */
  readonly from: string;
  /**
   * True when this id already held the lock (a retry of the same request): its first attempt may
   * have started the runbook, so this attempt never gives the lock back on its own failure.
   */
  readonly reacquired: boolean;
}

/** The record's message prefix for a runbook whose StartExecution failed and that never ran. */
export const NOT_STARTED = 'StartExecution failed; the runbook never started';

/**
 * Reserves a failover before its runbook starts, so that of any number of requests for one app
 * exactly one is accepted and every accepted id has a record at once:
 * 1. the target must not be the active region (read first, to refuse without touching the lock),
 *    beside `options.before`, which must pass too before the lock is touched;
 * 2. the app's lock, for the new execution id, in one conditional write (the loser of a race gets
 *    FailoverInProgressError naming the holder);
 * 3. the target checked again under the lock (another failover may have finished in between);
 * 4. the execution record, RUNNING (one conditional put, idempotent by id, its id's pointer
 *    written beside step 3), once `options.gate`
 *    (the request's dry run, read meanwhile) has resolved; when it rejects, the lock is given
 *    back (a fresh grant only) and its error thrown: no record is written. `options.alongside`
 *    (the request's audit entry) is written at the same time.
 *
 * `options.held` is told the epoch as soon as the lock's conditional take succeeded (its fence:
 * before STATE's fence, which guards the state's writes), so the caller may act under it before
 * the record exists (the request prepares the target's capacity once its dry run passes);
 * `options.undo` undoes that when the reservation is given up, awaited before the lock is given
 * back.
 *
 * Idempotent by execution id: a retry re-acquires its own lock (same epoch) and finds its record.
 * An id whose record is already finished is refused and the lock given back.
 *
 * @throws PreconditionFailedError the target is the active region, or the id already ran
 * @throws FailoverInProgressError another execution holds the app's lock
 */
export async function reserveExecution(
  plan: Plan,
  request: ReservedRequest,
  deps: Pick<RunbookDeps, 'store' | 'clock'>,
  options: {
    /** Awaited beside the first state read, before the lock is taken: its rejection is thrown. */
    readonly before?: Promise<unknown>;
    readonly gate?: Promise<unknown>;
    /**
     * Written beside the record (the request's audit entry), given the active region: when it
     * fails, the reservation is given up (record FAILED, lock released; a fresh grant only).
     */
    readonly alongside?: (from: string) => Promise<unknown>;
    /** Told the lock's epoch once the lock is held, before the gate and the record. */
    readonly held?: (epoch: number) => void;
    /** Undoes what was done under the lock, before a fresh grant is given back; never throws. */
    readonly undo?: () => Promise<unknown>;
  } = {},
): Promise<Reservation> {
  const { store } = deps;
  const activeRegionOf = async () => {
    const state =
      (await store.getState(plan.name)) ?? (await store.initState(plan.name, initialPrimary(plan))).state;
    if (state.activeRegion === request.targetRegion && state.status === 'ACTIVE') {
      throw new PreconditionFailedError(
        `${plan.name}: already active in ${request.targetRegion}; expected a target other than the active ` +
          `region (one of ${plan.regions.filter((r) => r !== state.activeRegion).join(', ')})`,
      );
    }
    return state.activeRegion;
  };
  // The state read before the lock goes beside `options.before` (a graceful request's verdict):
  // both must pass before the lock is touched.
  await Promise.all([activeRegionOf(), options.before]);
  const id = request.executionId;
  let told: number | undefined;
  const tell = (epoch: number) => {
    if (told !== undefined) return;
    told = epoch;
    options.held?.(epoch);
  };
  const grant = await store
    .acquireLock(plan.name, id, reservationLeaseSeconds(plan, request.trigger) * 1000, {
      reason: lockReason(request),
      taken: tell,
    })
    .catch(async (error: unknown) => {
      // Taken, then failed (STATE's fence): what was done under it is undone, the lock given back.
      if (told !== undefined) {
        await options.undo?.();
        await store.releaseLock(plan.name, id, told).catch(() => undefined);
      }
      throw error;
    });
  tell(grant.epoch);
  // A failed release leaves the lock to its lease: the caller's error is the one worth reporting.
  const release = () => store.releaseLock(plan.name, id, grant.epoch).catch(() => undefined);
  let from: string;
  let record: ExecutionRecord;
  let beside: PromiseSettledResult<unknown>;
  try {
    // Under the lock the state is settled: no other execution can move it. The gate (the
    // request's dry run) must pass before the record exists; its refusal gives the lock back.
    // The id's pointer is written meanwhile, so the record is one write once the gate opens (a
    // pointer alone is no record: a refused gate leaves nothing a reader would take for one).
    const requestedAt = request.requestedAt ?? new Date(deps.clock.now()).toISOString();
    let pointed: ExecutionPointer | undefined;
    [from, pointed] = await Promise.all([
      activeRegionOf(),
      store.pointExecution?.(plan.name, id, requestedAt),
      options.gate,
    ]);
    const created = store.createExecution(newExecution(plan, request, id, from, requestedAt), pointed);
    const settled = await Promise.allSettled([created, options.alongside?.(from)]);
    beside = settled[1];
    ({ record } = await created);
  } catch (error: unknown) {
    if (!grant.reacquired) {
      await options.undo?.();
      await release();
    }
    throw error;
  }
  if (beside.status === 'rejected') {
    const reservation = { record, epoch: grant.epoch, from: record.from, reacquired: grant.reacquired };
    if (!grant.reacquired) await abandonReservation(plan, reservation, beside.reason, deps, options.undo);
    throw beside.reason;
  }
  if (!isOpen(record)) {
    // Finished: whatever held the lock under this id is over, so this grant is given back.
    await release();
    throw new PreconditionFailedError(
      `${plan.name}: execution ${id} already ran and is ${record.status}; expected a new execution id`,
    );
  }
  return { record, epoch: grant.epoch, from: record.from, reacquired: grant.reacquired };
}

/**
 * Starts the reserved runbook in the target region's Step Functions. If StartExecution fails and
 * the execution does not exist afterwards (DescribeExecution answers not found, or cannot be
 * asked), the reservation is given up (`undo`, the reservation's, run before the lock's release):
 * the record is closed FAILED with the error and the lock released, so nothing stays held; should the start have landed after all, its Begin finds the
 * record FAILED and refuses to run. A start that did land is a success. A retry whose first
 * attempt may have started the runbook gives nothing up when DescribeExecution cannot answer.
 *
 * @returns the execution's ARN
 * @throws the StartExecution error, unchanged, once the reservation is given up
 */
export async function startReserved(
  plan: Plan,
  request: ReservedRequest,
  reservation: Reservation,
  deps: Pick<RunbookDeps, 'store' | 'stepFunctions' | 'stateMachineArns' | 'clock'>,
  undo?: () => Promise<unknown>,
): Promise<string> {
  const region = request.targetRegion;
  const id = request.executionId;
  try {
    return await deps.stepFunctions.start(region, runbookArnIn(plan, region, deps), id, request);
  } catch (error: unknown) {
    const executionArn = executionArnIn(plan, region, id, deps);
    const started = await deps.stepFunctions.describe(region, executionArn).then(
      () => true,
      (e: unknown) => (e instanceof ResourceNotFoundError ? false : undefined),
    );
    if (started) return executionArn;
    // Unknown, for a retry whose first attempt may have started it: leave the reservation to
    // that execution (or to its lease) rather than free the lock under a running runbook.
    if (started === undefined && reservation.reacquired) throw error;
    await abandonReservation(plan, reservation, error, deps, undo);
    throw error;
  }
}

/**
 * Gives up a reservation whose runbook never started: closes the record FAILED with `error`
 * (message prefixed {@link NOT_STARTED}), then undoes what was done under the lock (`undo`, the
 * request's capacity given back), then releases the lock. Best effort, in this order, so a record
 * is never left RUNNING without its lock and the undo is fenced by a lock still held; what it
 * cannot do is left to the lease. Never throws: the caller's error is the one to answer with.
 */
export async function abandonReservation(
  plan: Plan,
  reservation: Reservation,
  error: unknown,
  deps: Pick<RunbookDeps, 'store'>,
  undo?: () => Promise<unknown>,
): Promise<void> {
  const { name, message } = describeError(error);
  await deps.store
    .finishExecution(plan.name, reservation.record.key, {
      status: 'FAILED',
      error: { name, message: `${NOT_STARTED}: ${message}` },
    })
    .then(() => undo?.())
    .then(() => deps.store.releaseLock(plan.name, reservation.record.id, reservation.epoch))
    .catch(() => undefined);
}

/**
 * Whether execution `id` of the plan's runbook exists in `region` (DescribeExecution).
 * @throws any error but not-found, unchanged (e.g. RegionUnavailableError)
 */
export async function executionExists(
  plan: Plan,
  region: string,
  id: string,
  deps: Pick<RunbookDeps, 'stepFunctions' | 'stateMachineArns'>,
): Promise<boolean> {
  try {
    await deps.stepFunctions.describe(region, executionArnIn(plan, region, id, deps));
    return true;
  } catch (error: unknown) {
    if (error instanceof ResourceNotFoundError) return false;
    throw error;
  }
}

/** Whether a record is still open (RUNNING or WAITING_APPROVAL). */
export function isOpen(record: Pick<ExecutionRecord, 'status'>): boolean {
  return record.status === 'RUNNING' || record.status === 'WAITING_APPROVAL';
}

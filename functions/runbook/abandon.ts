import { isoNow } from '../core/clock.js';
import { UnknownAppError } from '../core/errors.js';
import * as z from '../core/zod.js';
import { executionIdOf } from './begin.js';
import { type RunbookDeps, stepKey } from './context.js';
import { isOpen } from './reservation.js';
import { causeMessage } from './traffic.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type AbandonDeps = Pick<RunbookDeps, 'clock' | 'plans' | 'store'>;

// Deliberately loose: Begin may have failed because its input was bad, and this step must still
// free whatever an execution of that id holds. Only the app and the id are needed.
const AbandonInput = z.object({
  request: z.looseObject({
    plan: z.string().check(z.minLength(1)),
    executionId: z.optional(z.string().check(z.minLength(1))),
  }),
  executionArn: z.string().check(z.minLength(1)),
  error: z.object({ Error: z.string(), Cause: z.optional(z.string()) }),
});

export interface Abandoned {
  readonly executionId: string;
  /** Whether this execution held the app's lock and gave it back now. */
  readonly lockReleased: boolean;
  /** Whether its record was open (RUNNING, WAITING_APPROVAL) and is now FAILED. */
  readonly recordClosed: boolean;
  /** Why nothing was done, when nothing was. */
  readonly note?: string;
}

/**
 * AbandonExecution: the runbook's failure handling for BeginExecution (its ASL Catch), the one
 * step before RecordFailure can run. Begin may have crashed after it took the lock and wrote the
 * record (a Lambda that dies after its work), or failed after a reservation by the operator API;
 * either way this releases the lock if this execution holds it and closes its record FAILED with
 * the error, so that nothing stays held for the whole lease. It works from the execution's input
 * alone (the app, and the execution id from the input or `$$.Execution.Id`). Idempotent: a lock
 * it no longer holds is not touched, a closed record not rewritten.
 *
 * @returns what was released and closed
 * @throws any store error, unchanged (the ASL retries transient ones)
 */
export async function abandonExecution(input: unknown, deps: AbandonDeps): Promise<Abandoned> {
  const parsed = AbandonInput.safeParse(input);
  if (!parsed.success) {
    // No app to speak of: Begin refused the input before it could take any lock.
    return { executionId: '', lockReleased: false, recordClosed: false, note: 'input names no app' };
  }
  const { request, executionArn, error } = parsed.data;
  const executionId = executionIdOf(request, executionArn);
  let app: string;
  try {
    app = deps.plans.get(request.plan).name;
  } catch (e: unknown) {
    if (!(e instanceof UnknownAppError)) throw e;
    return { executionId, lockReleased: false, recordClosed: false, note: `no plan ${request.plan}` };
  }

  const message = `BeginExecution failed: ${causeMessage(error.Cause) || error.Error}`;
  const record = await deps.store.getExecution(app, executionId);
  let recordClosed = false;
  if (record && isOpen(record)) {
    // Begin may have set its entry SUCCEEDED beside a lock adoption that then failed (one round of
    // writes, `adoptReservation`): the record says what happened before it closes.
    await deps.store.recordStep(app, record.key, stepKey('BeginExecution'), {
      name: 'BeginExecution',
      status: 'FAILED',
      startedAt: record.steps[stepKey('BeginExecution')]?.startedAt ?? isoNow(deps.clock),
      finishedAt: isoNow(deps.clock),
      error: { name: error.Error, message },
    });
    await deps.store.finishExecution(app, record.key, {
      status: 'FAILED',
      error: { name: error.Error, message },
    });
    recordClosed = true;
  }
  // Conditioned on holder and epoch: a lock another execution took meanwhile is never freed.
  const lock = await deps.store.getLock(app);
  const lockReleased =
    lock !== undefined && lock.holder === executionId && !lock.released
      ? (await deps.store.releaseLock(app, executionId, lock.epoch)).released
      : false;
  if (recordClosed || lockReleased) {
    await deps.store.appendAudit({
      id: `${executionId}-abandoned`,
      at: isoNow(deps.clock),
      actor: 'switchyard',
      action: 'failover.failed',
      app,
      executionId,
      detail: `${error.Error} in BeginExecution: ${message}${lockReleased ? '; lock released' : ''}`,
    });
  }
  return { executionId, lockReleased, recordClosed };
}

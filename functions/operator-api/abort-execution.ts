import { isoNow } from '../core/clock.js';
import {
  ConflictError,
  describeError,
  PreconditionFailedError,
  ResourceNotFoundError,
} from '../core/errors.js';
import type { ExecutionRecord } from '../core/records.js';
import { FREE_TEXT_MAX_CHARS } from '../core/text-bounds.js';
import * as z from '../core/zod.js';
import type { RunbookDeps } from '../runbook/context.js';
import { FINISHED_EVENT } from '../runbook/finish.js';
import { GIVE_BACK_LEASE_MS, giveBackAsHolder } from '../runbook/give-back.js';
import { executionArnIn } from '../runbook/runbook-arns.js';
import { isLive } from './app-status.js';
import { findExecution } from './executions.js';
import type { Identity } from './request.js';

/** The body of `POST /apps/{app}/executions/{id}/abort`. */
export const AbortBody = z.strictObject({
  reason: z.string().check(z.trim(), z.minLength(1, 'a reason'), z.maxLength(FREE_TEXT_MAX_CHARS)),
});
export type AbortBody = z.infer<typeof AbortBody>;

/** The steps that change the world; once one has started, an abort leaves the app as they left it. */
const MUTATING_STEPS = new Set([
  'PrepareCapacity',
  'PrepareDatabase',
  'PromoteDatabase',
  'ScaleCapacity',
  'ShiftTraffic',
]);
/** Of those, the ones after which the writer and the traffic may disagree: the app needs a person. */
const RISKY_STEPS = new Set(['PromoteDatabase', 'ShiftTraffic']);

/**
 * What an abort touches: Step Functions (to stop the run), the state store (record, lock, state,
 * audit), the event bus (the finished event) and the clock.
 */
export type AbortDeps = Pick<
  RunbookDeps,
  'region' | 'plans' | 'clock' | 'store' | 'stepFunctions' | 'stateMachineArns' | 'events'
> & {
  /** The target's groups, read and scaled back to standby when aborted before the approval. */
  readonly autoScaling: Pick<RunbookDeps['autoScaling'], 'describe' | 'update'>;
};

/** The error name an aborted execution is stopped with and recorded with. */
export const ABORTED_ERROR = 'Aborted';

export interface AbortOutcome {
  readonly executionId: string;
  readonly app: string;
  readonly status: 'ABORTED';
  readonly abortedBy: string;
  readonly reason: string;
  /** Step Functions stopped the execution (false when it no longer existed there). */
  readonly stopped: boolean;
  readonly lockReleased: boolean;
  /** True when the writer or traffic may have moved: the app is marked DEGRADED for a person to check. */
  readonly degraded: boolean;
  /** The mutating steps that had started: they stay as they are; an abort undoes nothing. */
  readonly stepsTaken: readonly string[];
  /** What was done, in words. */
  readonly actions: readonly string[];
}

/**
 * Aborts a running or waiting execution: stops it in Step Functions (target region), then, since
 * a stopped execution runs no Catch path, does what its failure path would have: finishes the
 * record as ABORTED, marks the app DEGRADED if the database promotion or the traffic shift had
 * begun (an abort undoes nothing, so writer and traffic may disagree), and
 * releases the lock if this execution still holds it. Steps already taken stay taken, with one
 * exception: aborted while it waited for its approval, a run gives back the capacity it scaled
 * out during the wait (`approvals.capacity: before-approval`; {@link giveBackAsHolder}).
 */
export async function abortExecution(
  app: string,
  id: string,
  body: AbortBody,
  caller: Identity,
  deps: AbortDeps,
): Promise<AbortOutcome> {
  const record = await findExecution(app, id, deps);
  const plan = deps.plans.get(record.app);
  const what = `${record.app} execution ${record.id}`;
  if (record.status !== 'RUNNING' && record.status !== 'WAITING_APPROVAL') {
    throw new PreconditionFailedError(
      `${what} is ${record.status}; expected RUNNING or WAITING_APPROVAL to abort it`,
    );
  }
  const message = `aborted by ${caller.name}: ${body.reason}`;
  const actions: string[] = [];

  let stopped = true;
  try {
    await deps.stepFunctions.stop(
      record.to,
      executionArnIn(plan, record.to, record.id, deps),
      ABORTED_ERROR,
      message,
    );
    actions.push(`stopped the Step Functions execution in ${record.to}`);
  } catch (error: unknown) {
    // Gone from Step Functions (e.g. past its history retention): nothing runs, finish the record.
    // Anything else (the region not answering) refuses the abort: the runbook may still be running.
    if (!(error instanceof ResourceNotFoundError)) throw error;
    stopped = false;
    actions.push(`no Step Functions execution in ${record.to} to stop`);
  }

  let finished: ExecutionRecord;
  try {
    finished = await deps.store.finishExecution(record.app, record.key, {
      status: 'ABORTED',
      error: { name: ABORTED_ERROR, message },
    });
  } catch (error: unknown) {
    // A step that was running when the execution stopped finished it first.
    if (!(error instanceof ConflictError)) throw error;
    const current = await deps.store.getExecution(record.app, record.id);
    throw new PreconditionFailedError(
      `${what} finished as ${current?.status ?? 'unknown'} before the abort could record it; the execution was stopped`,
      { cause: error },
    );
  }
  actions.push('recorded the execution as ABORTED');
  // The record as finished: it has every step that ran before the stop.
  const taken = Object.values(finished.steps).filter((step) => MUTATING_STEPS.has(step.name));
  const stepsTaken = taken.map((step) =>
    step.resource ? `${step.name} ${step.resource} (${step.status})` : `${step.name} (${step.status})`,
  );
  const writerOrTrafficTouched = taken.some((step) => RISKY_STEPS.has(step.name));

  const lock = await deps.store.getLock(record.app);
  const held = lock !== undefined && lock.holder === record.id && !lock.released;
  let degraded = false;
  if (held && writerOrTrafficTouched) {
    degraded = await markDegraded(record, lock.epoch, deps).catch((error: unknown) => {
      actions.push(`could not mark ${record.app} DEGRADED: ${describeError(error).message}`);
      return false;
    });
    if (degraded) actions.push(`marked ${record.app} DEGRADED: the writer or traffic may have moved`);
  }
  // Before the approval nothing but capacity may have moved (`approvals.capacity:
  // before-approval` scales the target out while the approver decides): give it back, from what
  // Auto Scaling says now, while the lock is still this execution's.
  const beforeApproval =
    held && !writerOrTrafficTouched && record.status === 'WAITING_APPROVAL' && !record.approval?.decision;
  if (beforeApproval) {
    const notes = await giveBackAsHolder(
      plan,
      record.to,
      { id: record.id, epoch: lock.epoch, leaseMs: GIVE_BACK_LEASE_MS },
      deps,
    ).catch((error: unknown) => [
      `could not give the capacity scaled out before the approval back: ${describeError(error).message}`,
    ]);
    actions.push(...notes);
  }
  let lockReleased = false;
  if (held) {
    ({ released: lockReleased } = await deps.store.releaseLock(record.app, record.id, lock.epoch));
    actions.push(lockReleased ? 'released the lock' : 'the lock was no longer held by this execution');
  } else {
    actions.push(
      isLive(lock, deps.clock.now())
        ? `left the lock alone: it is held by ${lock?.holder}`
        : 'the execution held no lock',
    );
  }
  // A wait's scale-out was just given back (above): it does not stay taken.
  const staying = beforeApproval ? stepsTaken.filter((s) => !s.startsWith('PrepareCapacity')) : stepsTaken;
  if (staying.length > 0) actions.push(`steps already taken stay taken: ${staying.join(', ')}`);
  else actions.push('no change had begun');

  const now = isoNow(deps.clock);
  await deps.store.appendAudit({
    id: `${record.id}-aborted`,
    at: now,
    actor: caller.name,
    action: 'failover.aborted',
    app: record.app,
    executionId: record.id,
    detail: `${record.mode} failover ${record.from} -> ${record.to} ${message}; ${actions.join('; ')}`,
  });
  // Every execution ends with this event; the outcome is already recorded, so it is best effort.
  await deps.events
    .publish(deps.region, FINISHED_EVENT, {
      executionId: record.id,
      app: record.app,
      status: finished.status,
      from: record.from,
      to: record.to,
      error: ABORTED_ERROR,
      cause: message,
    })
    .catch(() => undefined);
  return {
    executionId: record.id,
    app: record.app,
    status: 'ABORTED',
    abortedBy: caller.name,
    reason: body.reason,
    stopped,
    lockReleased,
    degraded,
    stepsTaken,
    actions,
  };
}

/** Marks the app DEGRADED with the aborted execution's own epoch (the lock is still its). */
async function markDegraded(
  record: ExecutionRecord,
  epoch: number,
  deps: Pick<RunbookDeps, 'store'>,
): Promise<boolean> {
  const state = await deps.store.getState(record.app);
  if (!state) return false;
  await deps.store.setActive(record.app, {
    activeRegion: state.activeRegion,
    status: 'DEGRADED',
    expectedVersion: state.version,
    executionId: record.id,
    epoch,
  });
  return true;
}

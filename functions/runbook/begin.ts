import { isoNow } from '../core/clock.js';
import { ConflictError, InvalidInputError, PreconditionFailedError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { initialPrimary } from '../core/plan-queries.js';
import { assertPlanRegion } from '../core/plan-registry.js';
import {
  type AuditEntry,
  EXECUTION_TRIGGERS,
  type ExecutionRecord,
  FAILOVER_MODES,
} from '../core/records.js';
import * as z from '../core/zod.js';
import {
  EvacuationRef,
  parseInput,
  type RunbookDeps,
  type RunContext,
  recordStep,
  stepKey,
} from './context.js';
import type { NewExecution } from './ports/state-store.js';
import { DryRunReading, type PreflightResult, preflightByBegin } from './preflight.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type BeginDeps = Pick<RunbookDeps, 'clock' | 'plans' | 'region' | 'store'>;

/** The input of a runbook execution (docs/architecture.md, Runbooks). */
export const FailoverRequest = z.object({
  /** The app: the plan's name. */
  plan: z.string().check(z.minLength(1)),
  targetRegion: z.string().check(z.minLength(1)),
  mode: z.enum(FAILOVER_MODES),
  trigger: z.enum(EXECUTION_TRIGGERS),
  requestedBy: z.string().check(z.minLength(1)),
  reason: z._default(z.string().check(z.maxLength(1024)), ''),
  /** ISO time of the request (or alarm decision); defaults to the execution's start. */
  requestedAt: z.optional(z.string()),
  /** The execution id the operator API chose (the Step Functions execution name). */
  executionId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,80}$/))),
  /** The region evacuation this failover is part of (its traffic change is batched with the others'). */
  evacuation: z.optional(EvacuationRef),
  /**
   * The operator API's dry run, evaluated as Preflight would (functions/runbook/preflight.ts):
   * Begin hands it to Preflight, which decides on it instead of reading again while it is fresh.
   */
  dryRun: z.optional(DryRunReading),
  /**
   * What the starter's reservation holds (`reserveExecution`): the lock epoch and the record's key,
   * so that Begin adopts both in one round of reads and writes.
   */
  reserved: z.optional(
    z.object({
      epoch: z.int().check(z.positive()),
      key: z.string().check(z.minLength(1), z.maxLength(256)),
      /**
       * The active region the reservation read under the lock (the record's `from`): with it, Begin
       * adopts the reservation in one round of writes ({@link adoptReservation}).
       */
      from: z.optional(z.string().check(z.minLength(1))),
    }),
  ),
});
export type FailoverRequest = z.infer<typeof FailoverRequest>;

const BeginInput = z.object({
  request: FailoverRequest,
  executionArn: z.string().check(z.minLength(1)),
  startedAt: z.optional(z.string()),
});

/**
 * The working lease in seconds: long enough for every step between two renewals, since every
 * mutating step renews it to this length (see `fence`).
 */
export function leaseSecondsFor(plan: Plan): number {
  return plan.objectives.rtoSeconds * 4 + 600;
}

/**
 * The lease in seconds taken when an execution is reserved (by the operator API, detection or a
 * drill) and again by Begin: the working lease, plus the plan's approval timeout when this trigger
 * waits for an approver. A parked `waitForTaskToken` Task runs no code, so nothing could renew the
 * lease during the wait; the wait is bounded by that timeout (the Task's `TimeoutSecondsPath`), so
 * sizing the lease to cover it keeps the lock held, and a second request refused, for the whole
 * wait. RequestApproval renews it to the same length when the wait begins.
 */
export function reservationLeaseSeconds(plan: Plan, trigger: FailoverRequest['trigger']): number {
  return leaseSecondsFor(plan) + (approvalRequired(plan, trigger) ? plan.approvals.timeoutSeconds : 0);
}

/** Whether a request of this trigger waits for an approver. */
export function approvalRequired(plan: Plan, trigger: FailoverRequest['trigger']): boolean {
  if (trigger === 'operator') return plan.approvals.operatorFailover === 'required';
  if (trigger === 'alarm') return plan.detection?.mode === 'approval';
  return false; // a scheduled drill was approved when it was scheduled
}

/**
 * Whether a run of this trigger scales the target's groups out before any person decides: no
 * approver is needed (ScaleCapacity follows Preflight), or the plan scales them while the approval
 * waits (`approvals.capacity: before-approval`, the default). With `after-approval` the capacity
 * waits for the approver.
 */
export function scalesBeforeDecision(plan: Plan, trigger: FailoverRequest['trigger']): boolean {
  return !approvalRequired(plan, trigger) || plan.approvals.capacity === 'before-approval';
}

/**
 * Begin: validate the request, take the app's lock (lease + fencing epoch), write the execution
 * record. The operator API, detection and drills reserve both before they start the runbook
 * (`reserveExecution`): Begin then adopts the lock its own execution id already holds (the same
 * epoch: `reacquired`) and finds its record. When nobody reserved (a runbook started by hand),
 * Begin takes them itself. Idempotent: a retried Begin re-acquires its own lock and finds its
 * record. A failover runs in the control plane of the region it activates (static stability).
 *
 * When Begin fails for good, the runbook's Catch runs AbandonExecution, which releases the lock
 * and closes the record; Begin itself gives nothing back on an error (a reservation given back
 * between two attempts could be taken by another request, and the retry would then be refused).
 *
 * @throws InvalidInputError the input is not a failover request
 * @throws PreconditionFailedError wrong region, target already active, or the execution's record
 *   is already finished (its start was given up by the operator API)
 * @throws FailoverInProgressError another execution holds the app's lock
 */
export async function beginExecution(
  input: unknown,
  deps: BeginDeps,
): Promise<{ run: RunContext; dryRun: DryRunReading | null; preflight?: PreflightResult }> {
  const { request, executionArn, startedAt } = parseInput(BeginInput, input, 'BeginExecution');
  const plan = deps.plans.get(request.plan);
  assertPlanRegion(plan, request.targetRegion);
  if (request.targetRegion !== deps.region) {
    throw new PreconditionFailedError(
      `${plan.name}: a failover into ${request.targetRegion} must run in ${request.targetRegion}'s control plane, got ${deps.region}`,
    );
  }
  const executionId = executionIdOf(request, executionArn);
  const now = isoNow(deps.clock);
  if (request.reserved?.from !== undefined && request.executionId !== undefined) {
    const adopted = await adoptReservation(
      plan,
      request,
      request.reserved,
      executionId,
      now,
      startedAt,
      deps,
    );
    if (adopted) return adopted;
  }
  // Three independent reads and writes at once (a reserved run finds its lock and its record; the
  // order between them does not matter): the state, the lock, and the record the starter wrote.
  // A check that fails after the lock is taken ends in AbandonExecution, which gives it back.
  const [state, grant, reserved] = await Promise.all([
    deps.store
      .getState(plan.name)
      .then(async (found) => found ?? (await deps.store.initState(plan.name, initialPrimary(plan))).state),
    deps.store.acquireLock(plan.name, executionId, reservationLeaseSeconds(plan, request.trigger) * 1000, {
      reason: lockReason(request),
      // A starter that chose the id reserved the lock for it: adopt it in one write.
      held: request.executionId !== undefined,
      ...(request.reserved ? { epoch: request.reserved.epoch } : {}),
    }),
    // The reserved record by its key (one read), else through the id's pointer.
    (request.reserved
      ? deps.store.getExecutionByKey(plan.name, request.reserved.key)
      : Promise.resolve(undefined)
    ).then((found) => (found?.id === executionId ? found : deps.store.getExecution(plan.name, executionId))),
  ]);
  if (state.activeRegion === request.targetRegion && state.status === 'ACTIVE') {
    throw new PreconditionFailedError(
      `${plan.name}: already active in ${request.targetRegion}; expected a target other than the active region`,
    );
  }

  const requestedAt = request.requestedAt ?? startedAt ?? now;
  if (reserved && (reserved.to !== request.targetRegion || reserved.mode !== request.mode)) {
    throw new ConflictError(
      `${plan.name}: execution ${executionId} already exists for another request: got ${reserved.mode} to ` +
        `${reserved.to}, expected ${request.mode} to ${request.targetRegion}`,
    );
  }
  const record =
    reserved ??
    (
      await deps.store.createExecution(
        newExecution(plan, request, executionId, state.activeRegion, requestedAt),
      )
    ).record;
  if (record.status !== 'RUNNING' && record.status !== 'WAITING_APPROVAL') {
    throw new PreconditionFailedError(
      `${plan.name}: execution ${executionId} is already ${record.status}` +
        (record.error ? ` (${record.error.name}: ${record.error.message})` : '') +
        '; expected RUNNING: a finished execution never runs again',
    );
  }
  const run = runContextFor(plan, request, {
    executionId,
    key: record.key,
    from: record.from,
    epoch: grant.epoch,
    requestedAt,
  });
  // The first Begin of this execution (a retry finds its own step entry): audit it once.
  const firstAttempt = record.steps[stepKey('BeginExecution')] === undefined;
  // The request's dry run, fresh and blocking nothing, is Preflight's decision already: Begin
  // records it and the runbook goes on without the Preflight state (one Lambda hop less).
  const preflighted = preflightByBegin(run, request.dryRun, now, deps);
  // Independent items and entries, written at once.
  await Promise.all([
    preflighted ? recordStep(run, deps, stepKey('Preflight'), preflighted.step) : undefined,
    recordStep(run, deps, stepKey('BeginExecution'), {
      name: 'BeginExecution',
      status: 'SUCCEEDED',
      startedAt: now,
      finishedAt: isoNow(deps.clock),
      detail: { epoch: grant.epoch, from: run.from, to: run.to, reserved: grant.reacquired },
    }),
    firstAttempt ? deps.store.appendAudit(startedAudit(run, now)) : undefined,
  ]);
  if (preflighted) return { run, dryRun: null, preflight: preflighted.result };
  // The request's dry run goes on to Preflight (null: none; the ASL path must exist either way).
  return { run, dryRun: request.dryRun ?? null };
}

/**
 * Begin for a run the operator API reserved and handed over whole (`reserved` with its epoch,
 * record key and `from`): one round of writes instead of a round of reads and one of writes. The
 * lock is adopted at the reserved epoch (a conditional extension: it succeeds only if nobody has
 * held the lock since the reservation, so the reservation's check under that same lock, "not
 * already active in the target", still holds and the state need not be read again), while the
 * step entries are set in the record by one conditional write that touches only a record that is
 * still open (never a finished one, never creating one) and returns it, and the audit entry is
 * written (keyed by the execution's start, so a retry writes the same one).
 *
 * A record the write did not find (a starter that wrote none) falls back to the full Begin
 * (undefined). Should the adoption fail after the entries were written, the run goes to
 * AbandonExecution, which closes the record and records its BeginExecution step FAILED.
 *
 * @throws PreconditionFailedError the record is already finished (its start was given up)
 * @throws ConflictError the record is another request's (other target or mode)
 * @throws FailoverInProgressError the lock is no longer this execution's
 */
async function adoptReservation(
  plan: Plan,
  request: FailoverRequest,
  reserved: { readonly epoch: number; readonly key: string; readonly from?: string | undefined },
  executionId: string,
  now: string,
  startedAt: string | undefined,
  deps: BeginDeps,
): Promise<{ run: RunContext; dryRun: DryRunReading | null; preflight?: PreflightResult } | undefined> {
  const requestedAt = request.requestedAt ?? startedAt ?? now;
  const run = runContextFor(plan, request, {
    executionId,
    key: reserved.key,
    from: reserved.from ?? '',
    epoch: reserved.epoch,
    requestedAt,
  });
  const preflighted = preflightByBegin(run, request.dryRun, now, deps);
  const steps = {
    ...(preflighted ? { [stepKey('Preflight')]: preflighted.step } : {}),
    [stepKey('BeginExecution')]: {
      name: 'BeginExecution',
      status: 'SUCCEEDED' as const,
      startedAt: now,
      finishedAt: isoNow(deps.clock),
      detail: { epoch: reserved.epoch, from: run.from, to: run.to, reserved: true },
    },
  };
  const [grant, written] = await Promise.all([
    deps.store.acquireLock(plan.name, executionId, reservationLeaseSeconds(plan, request.trigger) * 1000, {
      reason: lockReason(request),
      held: true,
      epoch: reserved.epoch,
    }),
    deps.store.updateExecution(plan.name, reserved.key, { steps }).catch((error: unknown) => error),
    deps.store.appendAudit(startedAudit(run, startedAt ?? requestedAt)),
  ]);
  if (written instanceof InvalidInputError) return undefined; // no record at the key: the full Begin
  if (written instanceof ConflictError) {
    throw new PreconditionFailedError(
      `${plan.name}: execution ${executionId} is already finished (${written.message}); expected RUNNING: a finished execution never runs again`,
    );
  }
  if (written instanceof Error) throw written;
  const record = written as ExecutionRecord;
  if (record.id !== executionId || record.to !== request.targetRegion || record.mode !== request.mode) {
    throw new ConflictError(
      `${plan.name}: execution ${executionId} already exists for another request: got ${record.mode} to ` +
        `${record.to}, expected ${request.mode} to ${request.targetRegion}`,
    );
  }
  const adopted = { ...run, from: record.from, epoch: grant.epoch };
  if (preflighted) return { run: adopted, dryRun: null, preflight: preflighted.result };
  return { run: adopted, dryRun: request.dryRun ?? null };
}

/**
 * The run's context from its request and the record it runs under (`key`, `from`) at the lock
 * `epoch` it holds; `requestedAt` is an ISO-8601 instant. Begin and the reservation's adoption
 * build it alike.
 */
function runContextFor(
  plan: Plan,
  request: FailoverRequest,
  at: { executionId: string; key: string; from: string; epoch: number; requestedAt: string },
): RunContext {
  return {
    executionId: at.executionId,
    executionKey: at.key,
    app: plan.name,
    runbook: plan.strategy,
    mode: request.mode,
    trigger: request.trigger,
    requestedBy: request.requestedBy,
    reason: request.reason,
    from: at.from,
    to: request.targetRegion,
    epoch: at.epoch,
    requestedAt: at.requestedAt,
    approvalRequired: approvalRequired(plan, request.trigger),
    approvalTimeoutSeconds: plan.approvals.timeoutSeconds,
    leaseSeconds: leaseSecondsFor(plan),
    ...(request.evacuation ? { evacuation: request.evacuation } : {}),
  };
}

/** The audit entry of a run's start (keyed by its id, so a retry writes the same one) at `at`. */
function startedAudit(run: RunContext, at: string): AuditEntry {
  return {
    id: `${run.executionId}-begin`,
    at,
    actor: run.requestedBy,
    action: 'failover.started',
    app: run.app,
    executionId: run.executionId,
    detail: `${run.mode} ${run.runbook} failover ${run.from} -> ${run.to} (${run.trigger}): ${run.reason}`,
  };
}

/** The execution's id: the one its starter chose, else its Step Functions execution name. */
export function executionIdOf(request: Pick<FailoverRequest, 'executionId'>, executionArn: string): string {
  return request.executionId ?? executionArn.split(':').pop() ?? executionArn;
}

/** The reason the lock item carries: what runs, who asked and why. */
export function lockReason(request: FailoverRequest): string {
  return `${request.mode} failover to ${request.targetRegion} by ${request.requestedBy}: ${request.reason}`;
}

/** The execution record a request starts with (RUNNING; Begin and the reservation write the same). */
export function newExecution(
  plan: Plan,
  request: FailoverRequest,
  executionId: string,
  from: string,
  requestedAt: string,
): NewExecution {
  return {
    id: executionId,
    app: plan.name,
    runbook: plan.strategy,
    mode: request.mode,
    trigger: request.trigger,
    from,
    to: request.targetRegion,
    requestedBy: request.requestedBy,
    reason: request.reason,
    startedAt: requestedAt,
    status: 'RUNNING',
  };
}

import * as z from 'zod';
import { isoNow } from '../core/clock.js';
import { PreconditionFailedError } from '../core/errors.js';
import { initialPrimary, type Plan } from '../core/plan.js';
import { assertPlanRegion } from '../core/plan-registry.js';
import { parseInput, type RunbookDeps, type RunContext, recordStep, stepKey } from './context.js';

/** The input of a runbook execution (design.md §3). */
export const FailoverRequest = z.object({
  /** The app: the plan's name. */
  plan: z.string().min(1),
  targetRegion: z.string().min(1),
  mode: z.enum(['graceful', 'ungraceful']),
  trigger: z.enum(['operator', 'alarm', 'schedule']),
  requestedBy: z.string().min(1),
  reason: z.string().max(1024).default(''),
  /** ISO time of the request (or alarm decision); defaults to the execution's start. */
  requestedAt: z.string().optional(),
  /** The execution id the operator API chose (the Step Functions execution name). */
  executionId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,80}$/)
    .optional(),
});
export type FailoverRequest = z.infer<typeof FailoverRequest>;

const BeginInput = z.object({
  request: FailoverRequest,
  executionArn: z.string().min(1),
  startedAt: z.string().optional(),
});

/** The lease covers the whole run; every mutating step renews it (see `fence`). */
export function leaseSecondsFor(plan: Plan): number {
  return plan.objectives.rtoSeconds * 4 + 600;
}

/** Whether a request of this trigger waits for an approver. */
export function approvalRequired(plan: Plan, trigger: FailoverRequest['trigger']): boolean {
  if (trigger === 'operator') return plan.approvals.operatorFailover === 'required';
  if (trigger === 'alarm') return plan.detection?.mode === 'approval';
  return false; // a scheduled drill was approved when it was scheduled
}

/**
 * Begin: validate the request, take the app's lock (lease + fencing epoch), write the execution
 * record. Idempotent: a retried Begin re-acquires its own lock (same epoch) and finds its record.
 * A failover runs in the control plane of the region it activates (static stability).
 */
export async function beginExecution(input: unknown, deps: RunbookDeps): Promise<{ run: RunContext }> {
  const { request, executionArn, startedAt } = parseInput(BeginInput, input, 'BeginExecution');
  const plan = deps.plans.get(request.plan);
  assertPlanRegion(plan, request.targetRegion);
  if (request.targetRegion !== deps.region) {
    throw new PreconditionFailedError(
      `${plan.name}: a failover into ${request.targetRegion} must run in ${request.targetRegion}'s control plane, got ${deps.region}`,
    );
  }
  const state =
    (await deps.store.getState(plan.name)) ??
    (await deps.store.initState(plan.name, initialPrimary(plan))).state;
  const executionId = request.executionId ?? executionArn.split(':').pop() ?? executionArn;
  if (state.activeRegion === request.targetRegion && state.status === 'ACTIVE') {
    throw new PreconditionFailedError(
      `${plan.name}: already active in ${request.targetRegion}; expected a target other than the active region`,
    );
  }

  const now = isoNow(deps.clock);
  const leaseSeconds = leaseSecondsFor(plan);
  const grant = await deps.store.acquireLock(plan.name, executionId, leaseSeconds * 1000, {
    reason: `${request.mode} failover to ${request.targetRegion} by ${request.requestedBy}: ${request.reason}`,
  });
  try {
    const requestedAt = request.requestedAt ?? startedAt ?? now;
    const needsApproval = approvalRequired(plan, request.trigger);
    const { record } = await deps.store.createExecution({
      id: executionId,
      app: plan.name,
      runbook: plan.strategy,
      mode: request.mode,
      trigger: request.trigger,
      from: state.activeRegion,
      to: request.targetRegion,
      requestedBy: request.requestedBy,
      reason: request.reason,
      startedAt: requestedAt,
      status: 'RUNNING',
    });
    const run: RunContext = {
      executionId,
      executionKey: record.key,
      app: plan.name,
      runbook: plan.strategy,
      mode: request.mode,
      trigger: request.trigger,
      requestedBy: request.requestedBy,
      reason: request.reason,
      from: record.from,
      to: request.targetRegion,
      epoch: grant.epoch,
      requestedAt,
      approvalRequired: needsApproval,
      approvalTimeoutSeconds: plan.approvals.timeoutSeconds,
      leaseSeconds,
    };
    await recordStep(run, deps, stepKey('BeginExecution'), {
      name: 'BeginExecution',
      status: 'SUCCEEDED',
      startedAt: now,
      finishedAt: isoNow(deps.clock),
      detail: { epoch: grant.epoch, from: run.from, to: run.to },
    });
    if (!grant.reacquired) {
      await deps.store.appendAudit({
        id: `${executionId}-begin`,
        at: now,
        actor: request.requestedBy,
        action: 'failover.started',
        app: plan.name,
        executionId,
        detail: `${request.mode} ${plan.strategy} failover ${run.from} -> ${run.to} (${request.trigger}): ${request.reason}`,
      });
    }
    return { run };
  } catch (error: unknown) {
    // Begin failed after taking the lock: give it back so that the app is not wedged.
    await deps.store.releaseLock(plan.name, executionId, grant.epoch).catch(() => undefined);
    throw error;
  }
}

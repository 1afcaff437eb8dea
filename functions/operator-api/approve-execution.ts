import { isoNow } from '../core/clock.js';
import { ForbiddenError, PreconditionFailedError } from '../core/errors.js';
import { type ExecutionSummary, summaryOf } from '../core/execution-views.js';
import type { ApprovalRecord, ExecutionRecord } from '../core/records.js';
import { FREE_TEXT_MAX_CHARS } from '../core/text-bounds.js';
import * as z from '../core/zod.js';
import { type RunbookDeps, recordStep, stepKey } from '../runbook/context.js';
import { findExecution } from './executions.js';
import type { Identity } from './request.js';

/** The body of `POST /apps/{app}/executions/{id}/approve`: nothing, or a comment for the record. */
export const ApproveBody = z.strictObject({
  comment: z.optional(z.string().check(z.trim(), z.maxLength(FREE_TEXT_MAX_CHARS))),
});
export type ApproveBody = z.infer<typeof ApproveBody>;

/** What an approval touches: the execution record and audit, and Step Functions (the task token). */
export type ApproveDeps = Pick<RunbookDeps, 'plans' | 'clock' | 'store' | 'stepFunctions'>;

export interface ApprovalGranted {
  readonly executionId: string;
  readonly app: string;
  readonly decision: 'APPROVED';
  readonly approvedBy: string;
  /** True when this caller had already approved it (a retry): nothing new was decided. */
  readonly alreadyApproved: boolean;
  readonly execution: ExecutionSummary;
}

/**
 * Approves a failover that waits for an approver. The approver must not be its requester. The
 * decision is written first, as a compare-and-set from WAITING_APPROVAL (of two approvers at once,
 * one wins; the other gets a conflict), so that the runbook's RTO excludes the wait; then the
 * waiting task's token is sent to Step Functions in the execution's target region, which resumes
 * the runbook. A retry by the same approver answers with the approval, sending the token again in
 * case the first attempt's send was lost.
 */
export async function approveExecution(
  app: string,
  id: string,
  body: ApproveBody,
  caller: Identity,
  deps: ApproveDeps,
): Promise<ApprovalGranted> {
  const record = await findExecution(app, id, deps);
  const approval = record.approval;
  const what = `${record.app} execution ${record.id}`;

  if (approval?.decision === 'APPROVED') {
    if (approval.decidedBy !== caller.name) {
      throw new PreconditionFailedError(
        `${what} was already approved by ${approval.decidedBy ?? 'someone'} at ${approval.decidedAt ?? 'an unknown time'}; expected an execution waiting for approval`,
      );
    }
    // A retry by the same approver: finish what the first attempt may not have (send, step, audit).
    if (record.status === 'RUNNING') await deliver(record, approval, body, caller, deps, true);
    return granted(record.id, record.app, caller, true, summaryOf(record));
  }
  if (record.status !== 'WAITING_APPROVAL' || !approval?.taskToken) {
    throw new PreconditionFailedError(
      `${what} is ${record.status}${approval?.decision ? ` (approval ${approval.decision})` : ''}; expected WAITING_APPROVAL to approve it`,
    );
  }
  if (record.requestedBy === caller.name) {
    throw new ForbiddenError(
      `self-approval refused: ${what} was requested by ${record.requestedBy}, approved by ${caller.name}; expected an approver other than the requester`,
    );
  }

  const decided: ApprovalRecord = {
    ...approval,
    decision: 'APPROVED',
    decidedBy: caller.name,
    decidedAt: isoNow(deps.clock),
  };
  const updated = await deps.store.updateExecution(record.app, record.key, {
    status: 'RUNNING',
    approval: decided,
    expectedStatus: 'WAITING_APPROVAL',
  });
  await deliver(record, decided, body, caller, deps, false);
  return granted(record.id, record.app, caller, false, summaryOf(updated));
}

/**
 * Sends the waiting task its token, then records the step and the audit entry (both idempotent:
 * fixed keys). On a retry, a task that no longer waits means the first send arrived.
 */
async function deliver(
  record: ExecutionRecord,
  decided: ApprovalRecord,
  body: ApproveBody,
  caller: Identity,
  deps: ApproveDeps,
  retry: boolean,
): Promise<void> {
  const decidedAt = decided.decidedAt ?? isoNow(deps.clock);
  if (decided.taskToken) {
    await deps.stepFunctions
      .sendTaskSuccess(record.to, decided.taskToken, { approvedBy: caller.name, approvedAt: decidedAt })
      .catch((error: unknown) => {
        if (!(retry && error instanceof PreconditionFailedError)) throw error;
      });
  }
  await recordStep({ app: record.app, executionKey: record.key }, deps, stepKey('RequestApproval'), {
    name: 'RequestApproval',
    status: 'SUCCEEDED',
    startedAt: decided.requestedAt,
    finishedAt: decidedAt,
    detail: { approvedBy: caller.name, ...(body.comment ? { comment: body.comment } : {}) },
  });
  await deps.store.appendAudit({
    id: `${record.id}-approval-granted`,
    at: decidedAt,
    actor: caller.name,
    action: 'approval.granted',
    app: record.app,
    executionId: record.id,
    detail:
      `${record.mode} failover ${record.from} -> ${record.to} requested by ${record.requestedBy} approved` +
      (body.comment ? `: ${body.comment}` : ''),
  });
}

function granted(
  executionId: string,
  app: string,
  caller: Identity,
  alreadyApproved: boolean,
  execution: ExecutionSummary,
): ApprovalGranted {
  return { executionId, app, decision: 'APPROVED', approvedBy: caller.name, alreadyApproved, execution };
}

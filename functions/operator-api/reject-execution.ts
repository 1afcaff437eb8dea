import { isoNow } from '../core/clock.js';
import { PreconditionFailedError } from '../core/errors.js';
import { type ExecutionSummary, summaryOf } from '../core/execution-views.js';
import type { ApprovalRecord } from '../core/records.js';
import { FREE_TEXT_MAX_CHARS } from '../core/text-bounds.js';
import * as z from '../core/zod.js';
import { type RunbookDeps, recordStep, stepKey } from '../runbook/context.js';
import { findExecution } from './executions.js';
import type { Identity } from './request.js';

/** The body of `POST /apps/{app}/executions/{id}/reject`: why, for the record. */
export const RejectBody = z.strictObject({
  comment: z
    .string()
    .check(z.trim(), z.minLength(1, 'a comment saying why'), z.maxLength(FREE_TEXT_MAX_CHARS)),
});
export type RejectBody = z.infer<typeof RejectBody>;

/** The error name the waiting task is failed with; the runbook's failure path records it (ABORTED). */
export const APPROVAL_REJECTED_ERROR = 'ApprovalRejected';

/** What a rejection touches: the execution record, and Step Functions (the waiting task). */
export type RejectDeps = Pick<RunbookDeps, 'plans' | 'clock' | 'store' | 'stepFunctions'>;

export interface ApprovalRejected {
  readonly executionId: string;
  readonly app: string;
  readonly decision: 'REJECTED';
  readonly rejectedBy: string;
  readonly comment: string;
  readonly execution: ExecutionSummary;
}

/**
 * Rejects a failover that waits for an approver. The decision is written first, as a
 * compare-and-set on WAITING_APPROVAL with no decision yet (against a concurrent approval, one
 * wins), then the waiting task is failed in the execution's target region: the runbook's failure
 * path records the execution ABORTED (nothing had changed yet) and releases the lock. Anyone with
 * the approver role may reject, the requester included (withdrawing one's own request).
 */
export async function rejectExecution(
  app: string,
  id: string,
  body: RejectBody,
  caller: Identity,
  deps: RejectDeps,
): Promise<ApprovalRejected> {
  const record = await findExecution(app, id, deps);
  const approval = record.approval;
  const what = `${record.app} execution ${record.id}`;
  if (record.status !== 'WAITING_APPROVAL' || !approval?.taskToken || approval.decision) {
    throw new PreconditionFailedError(
      `${what} is ${record.status}${approval?.decision ? ` (approval ${approval.decision} by ${approval.decidedBy ?? 'someone'})` : ''}; expected WAITING_APPROVAL to reject it`,
    );
  }
  const decided: ApprovalRecord = {
    ...approval,
    decision: 'REJECTED',
    decidedBy: caller.name,
    decidedAt: isoNow(deps.clock),
  };
  const updated = await deps.store.updateExecution(record.app, record.key, {
    status: 'WAITING_APPROVAL',
    approval: decided,
    expectedStatus: 'WAITING_APPROVAL',
  });
  const message = `rejected by ${caller.name}: ${body.comment}`;
  await deps.stepFunctions.sendTaskFailure(record.to, approval.taskToken, APPROVAL_REJECTED_ERROR, message);
  await recordStep({ app: record.app, executionKey: record.key }, deps, stepKey('RequestApproval'), {
    name: 'RequestApproval',
    status: 'FAILED',
    startedAt: decided.requestedAt,
    finishedAt: decided.decidedAt,
    error: { name: APPROVAL_REJECTED_ERROR, message },
    detail: { rejectedBy: caller.name, comment: body.comment },
  });
  await deps.store.appendAudit({
    id: `${record.id}-approval-rejected`,
    at: decided.decidedAt ?? isoNow(deps.clock),
    actor: caller.name,
    action: 'approval.rejected',
    app: record.app,
    executionId: record.id,
    detail: `${record.mode} failover ${record.from} -> ${record.to} requested by ${record.requestedBy} rejected: ${body.comment}`,
  });
  return {
    executionId: record.id,
    app: record.app,
    decision: 'REJECTED',
    rejectedBy: caller.name,
    comment: body.comment,
    execution: summaryOf(updated),
  };
}

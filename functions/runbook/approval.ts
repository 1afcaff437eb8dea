import * as z from 'zod';
import { isoNow } from '../core/clock.js';
import { parseInput, type RunbookDeps, RunContext, recordStep, stepKey } from './context.js';

const RequestApprovalInput = z.object({ run: RunContext, taskToken: z.string().min(1) });

/**
 * RequestApproval: invoked by a `waitForTaskToken` Task. It parks the execution: the token is
 * stored on the execution record, where the operator API finds it when an approver (never the
 * requester) answers. The Task's own timeout (the plan's approval timeout) ends the wait.
 */
export async function requestApproval(input: unknown, deps: RunbookDeps): Promise<{ waiting: true }> {
  const { run, taskToken } = parseInput(RequestApprovalInput, input, 'RequestApproval');
  const now = isoNow(deps.clock);
  await deps.store.updateExecution(run.app, run.executionKey, {
    status: 'WAITING_APPROVAL',
    approval: { requestedAt: now, taskToken },
  });
  await recordStep(run, deps, stepKey('RequestApproval'), {
    name: 'RequestApproval',
    status: 'RUNNING',
    startedAt: now,
  });
  await deps.store.appendAudit({
    id: `${run.executionId}-approval-requested`,
    at: now,
    actor: run.requestedBy,
    action: 'approval.requested',
    app: run.app,
    executionId: run.executionId,
    detail: `${run.mode} failover ${run.from} -> ${run.to} waits for an approver (timeout ${run.approvalTimeoutSeconds} s)`,
  });
  return { waiting: true };
}

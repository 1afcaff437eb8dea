import { isoNow } from '../core/clock.js';
import * as z from '../core/zod.js';
import { parseInput, type RunbookDeps, RunContext, recordStep, stepKey } from './context.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type ApprovalDeps = Pick<RunbookDeps, 'clock' | 'store'>;

const RequestApprovalInput = z.object({ run: RunContext, taskToken: z.string().check(z.minLength(1)) });

/**
 * RequestApproval: invoked by a `waitForTaskToken` Task. It parks the execution: the token is
 * stored on the execution record, where the operator API finds it when an approver (never the
 * requester) answers. The Task's own timeout (the plan's approval timeout) ends the wait.
 *
 * The lease is renewed first, to cover the whole wait plus the working lease: a parked Task runs
 * no code, so nothing could renew it during the wait, and a lease that lapsed mid-wait would let
 * a second request take the app. The wait is bounded by the approval timeout, so this bounds it.
 *
 * @throws LockLostError the execution no longer holds its lock: it does not park
 */
export async function requestApproval(input: unknown, deps: ApprovalDeps): Promise<{ waiting: true }> {
  const { run, taskToken } = parseInput(RequestApprovalInput, input, 'RequestApproval');
  await deps.store.renewLock(
    run.app,
    run.executionId,
    run.epoch,
    (run.approvalTimeoutSeconds + run.leaseSeconds) * 1000,
  );
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

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
 * The lease is renewed to cover the whole wait plus the working lease: a parked Task runs no
 * code, so nothing could renew it during the wait, and a lease that lapsed mid-wait would let a
 * second request take the app. The wait is bounded by the approval timeout, so this bounds it.
 * The renewal, the record's token and the step's entry and audit are independent items, written
 * at once (one DynamoDB round trip): nothing here moves AWS. An execution that lost its lock
 * fails this Task (LockLostError) and RecordFailure closes the record; should an approver answer
 * the token in the moment before, the run resumes only to fail the next step's fence: every step
 * that moves AWS renews the lock at its epoch first.
 *
 * @throws LockLostError the execution no longer holds its lock: it does not park
 */
export async function requestApproval(input: unknown, deps: ApprovalDeps): Promise<{ waiting: true }> {
  const { run, taskToken } = parseInput(RequestApprovalInput, input, 'RequestApproval');
  const now = isoNow(deps.clock);
  await Promise.all([
    deps.store.renewLock(
      run.app,
      run.executionId,
      run.epoch,
      (run.approvalTimeoutSeconds + run.leaseSeconds) * 1000,
    ),
    deps.store.updateExecution(run.app, run.executionKey, {
      status: 'WAITING_APPROVAL',
      approval: { requestedAt: now, taskToken },
    }),
    recordStep(run, deps, stepKey('RequestApproval'), {
      name: 'RequestApproval',
      status: 'RUNNING',
      startedAt: now,
    }),
    deps.store.appendAudit({
      id: `${run.executionId}-approval-requested`,
      at: now,
      actor: run.requestedBy,
      action: 'approval.requested',
      app: run.app,
      executionId: run.executionId,
      detail: `${run.mode} failover ${run.from} -> ${run.to} waits for an approver (timeout ${run.approvalTimeoutSeconds} s)`,
    }),
  ]);
  return { waiting: true };
}

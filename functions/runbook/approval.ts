import { isoNow } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import type { StepRecord } from '../core/records.js';
import * as z from '../core/zod.js';
import { parseInput, type RunbookDeps, RunContext, recordStep, stepKey } from './context.js';

/**
 * The ports and context this use case reads (the composition root gives it no more): of Auto
 * Scaling, only the update (the target's groups scaled out while the approver decides).
 */
export type ApprovalDeps = Pick<RunbookDeps, 'clock' | 'plans' | 'store'> & {
  readonly autoScaling: Pick<RunbookDeps['autoScaling'], 'update'>;
};

/** The step name of a group scaled out before the approval (`approvals.capacity: before-approval`). */
export const PREPARE_CAPACITY_STEP = 'PrepareCapacity';

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
 * at once (one DynamoDB round trip). An execution that lost its lock fails this Task
 * (LockLostError) and RecordFailure closes the record; should an approver answer the token in the
 * moment before, the run resumes only to fail the next step's fence: every step that moves AWS
 * renews the lock at its epoch first.
 *
 * Then, unless the plan says `approvals.capacity: after-approval`, the target region's Auto
 * Scaling groups go to their active profile while the approver decides
 * ({@link scaleOutWhileWaiting}): the renewal above, at the run's epoch, is their fence.
 *
 * @throws LockLostError the execution no longer holds its lock: it does not park, nothing scales
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
  const plan = deps.plans.get(run.app);
  if (plan.approvals.capacity === 'before-approval') await scaleOutWhileWaiting(plan, run, deps);
  return { waiting: true };
}

/**
 * Scales the target region's Auto Scaling groups to their active profile as the approval wait
 * begins: the instances launch (or leave the warm pool) while a person decides, as an SRE would
 * warm the standby before deciding, instead of after the approval. It harms nothing in the active
 * region and is undone on the failure path (RecordFailure and an abort before approval scale a run
 * that was never approved back to standby, from what Auto Scaling reports). The database
 * promotion and traffic still wait for the approval.
 *
 * Best effort ({@link scaleOutTarget}): a group that does not scale here is recorded FAILED and
 * scaled by ScaleCapacity after the approval as before; it never fails the approval wait. The
 * caller has renewed the lock at the run's epoch just before (the fence). Each group's outcome is
 * recorded as a `PrepareCapacity` step.
 */
async function scaleOutWhileWaiting(plan: Plan, run: RunContext, deps: ApprovalDeps): Promise<void> {
  const outcomes = await scaleOutTarget(plan, run.to, deps);
  await Promise.all(
    outcomes.map(
      (outcome) =>
        recordStep(
          run,
          deps,
          stepKey(PREPARE_CAPACITY_STEP, outcome.resource),
          preparedStep(outcome, 'scaled out while the approval waits (approvals.capacity: before-approval)'),
        ).catch(() => undefined), // the record is the story, not the work: ScaleCapacity records it again
    ),
  );
}

/** One group's outcome of {@link scaleOutTarget}: ISO times, and the error when the update failed. */
export interface PreparedGroup {
  /** The group's name in the plan. */
  readonly resource: string;
  readonly desired: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: { readonly name: string; readonly message: string };
}

/**
 * Each of the plan's Auto Scaling groups in `region` to its active profile, every group's
 * `UpdateAutoScalingGroup` at once (idempotent: the same profile twice is one change). Best effort:
 * a group whose update fails (throttled, the region not answering) is answered FAILED with its
 * error, never thrown; ScaleCapacity, the step of record, scales it again. The caller must hold
 * the app's lock, proven by a conditional write at its epoch just before (the fence). `only`: the
 * names of the groups to scale (every group without it).
 */
export async function scaleOutTarget(
  plan: Plan,
  region: string,
  deps: Pick<ApprovalDeps, 'clock' | 'autoScaling'>,
  only?: ReadonlySet<string>,
): Promise<PreparedGroup[]> {
  return Promise.all(
    (plan.compute?.autoScalingGroups ?? [])
      .filter((group) => only?.has(group.name) ?? true)
      .map(async (group) => {
        const startedAt = isoNow(deps.clock);
        const outcome = await deps.autoScaling
          .update(region, memberIn(group.members, region), group.active)
          .then(
            () => ({ status: 'SUCCEEDED' as const }),
            (error: unknown) => ({ status: 'FAILED' as const, error: describeError(error) }),
          );
        return {
          resource: group.name,
          desired: group.active.desired,
          startedAt,
          finishedAt: isoNow(deps.clock),
          ...outcome,
        };
      }),
  );
}

/** The `PrepareCapacity` step entry of one group's outcome; `why` says who scaled it and when. */
export function preparedStep(outcome: PreparedGroup, why: string): StepRecord {
  const { desired, ...entry } = outcome;
  return { name: PREPARE_CAPACITY_STEP, ...entry, detail: { desired, why } };
}

import type { Plan } from '../core/plan.js';
import type { RunbookDeps, RunContext } from './context.js';
import type { TrafficBatchEntry } from './ports/traffic-batches.js';

/**
 * The app's side of an evacuation's traffic batch (the evacuation's side, the flusher, is
 * `functions/evacuation/traffic-batch.ts`; docs/architecture.md, "Region evacuation", tells the
 * design). A run that is part of an evacuation, once ShiftTraffic has found every resource of ITS
 * OWN app ready and renewed its lock, queues its traffic change instead of making the call; the
 * evacuation's flusher moves the queued apps of one ARC cluster or one hosted zone together, and
 * CheckTraffic follows the entry. Whatever the flusher does not take in time, or gives back, the
 * run moves itself, as it would outside an evacuation: batching never makes an app wait without
 * bound nor fail for another's sake.
 */

/** Seconds between CheckTraffic's reads of a queued entry. */
export const BATCH_POLL_SECONDS = 1;
/**
 * Seconds an entry may stay QUEUED without the flusher touching it (taking it into a call, putting
 * it back, or setting when its hosted zone is tried again) before the run takes it back and moves
 * its own traffic: several of the evacuation's polls (1 s apart while entries are queued), so that
 * a stopped evacuation costs an app at most this much. A flusher that is backing off a busy or
 * throttled zone keeps its entries (their `retryAt` counts as a touch): the apps making their own
 * calls to the same zone would only meet the same refusal, many times over.
 */
export const BATCH_WAIT_SECONDS = 10;
/**
 * Seconds an entry may stay QUEUED in all, touched or not, before the run takes it back: half of
 * the shortest traffic budget (120 s, `pollBudgetSeconds`), so that the run still has 60 s for its
 * own change, the time Route 53 says a change generally takes to reach every name server (Route 53
 * API Reference, ChangeResourceRecordSets,
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
 */
export const BATCH_HOLD_SECONDS = 60;
/**
 * Seconds an entry may stay CLAIMED (or SUBMITTED, for Route 53) without the flusher touching it
 * before the run stops waiting on the flusher: twice a function's 30 s timeout, so a flusher that
 * died mid-call is not waited on. The flusher touches the SUBMITTED entries of a change it still
 * follows every half of this, so that one GetChange a poll serves every app of a change that
 * takes long (a change Route 53 holds PENDING), not one GetChange per app. Moving traffic is
 * idempotent, so the run making the same change again is safe.
 */
export const BATCH_CLAIM_SECONDS = 60;

/** Whether a plan's traffic change can join a batch: ARC routing controls or Route 53 records. */
export function batchableMechanism(plan: Plan): TrafficBatchEntry['mechanism'] | undefined {
  if (plan.traffic.arc) return 'arc';
  if (plan.traffic.route53?.method === 'records') return 'route53';
  return undefined;
}

/** Queues the run's traffic change in its evacuation's batch (idempotent for a retried step). */
export async function queueTraffic(
  run: RunContext,
  mechanism: TrafficBatchEntry['mechanism'],
  deps: Pick<RunbookDeps, 'clock' | 'trafficBatches'>,
): Promise<TrafficBatchEntry> {
  const evacuation = run.evacuation;
  if (!evacuation) throw new Error(`${run.app}: queueTraffic called for a run outside an evacuation`);
  const now = deps.clock.now();
  return deps.trafficBatches.enqueue({
    evacuationId: evacuation.id,
    app: run.app,
    executionId: run.executionId,
    epoch: run.epoch,
    from: run.from,
    to: run.to,
    mechanism,
    status: 'QUEUED',
    queuedAt: now,
    updatedAt: now,
  });
}

/** What CheckTraffic does next for a queued change. */
export type BatchOutcome =
  /** The flusher has not moved it yet: poll again. */
  | { readonly kind: 'wait'; readonly entry: TrafficBatchEntry }
  /** ARC took it (`endpoint`), or Route 53's change reached every name server. */
  | { readonly kind: 'moved'; readonly entry: TrafficBatchEntry }
  /** Route 53 accepted it in `changeId` and the flusher stopped following it: follow it here. */
  | { readonly kind: 'follow-change'; readonly entry: TrafficBatchEntry; readonly changeId: string }
  /** Not batched: the run moves its own traffic (`why`). */
  | { readonly kind: 'shift-self'; readonly why: string };

/**
 * Reads the run's entry and decides: moved, still waiting, or the run's own call after all (the
 * flusher released it; it stayed QUEUED untouched for {@link BATCH_WAIT_SECONDS}, or queued for
 * {@link BATCH_HOLD_SECONDS} in all, which the run claims back with a conditional write so that the
 * flusher cannot take it too; or the flusher held it untouched past {@link BATCH_CLAIM_SECONDS}).
 */
export async function batchOutcome(
  run: RunContext,
  deps: Pick<RunbookDeps, 'clock' | 'trafficBatches'>,
): Promise<BatchOutcome> {
  const evacuation = run.evacuation;
  if (!evacuation) return { kind: 'shift-self', why: 'the run is not part of an evacuation' };
  const entry = await deps.trafficBatches.get(evacuation.id, run.app);
  if (!entry || entry.executionId !== run.executionId)
    return {
      kind: 'shift-self',
      why: `no entry of ${run.executionId} in evacuation ${evacuation.id}'s queue`,
    };
  const now = deps.clock.now();
  // Seconds since the flusher last touched the entry (a zone backed off until `retryAt` counts as
  // touched until then).
  const age = (now - Math.max(entry.updatedAt, entry.retryAt ?? 0)) / 1000;
  switch (entry.status) {
    case 'MOVED':
    case 'INSYNC':
      return { kind: 'moved', entry };
    case 'RELEASED':
      return { kind: 'shift-self', why: `released by the evacuation: ${entry.note ?? 'no reason given'}` };
    case 'QUEUED': {
      const queuedFor = (now - entry.queuedAt) / 1000;
      if (age < BATCH_WAIT_SECONDS && queuedFor < BATCH_HOLD_SECONDS) return { kind: 'wait', entry };
      const why =
        age >= BATCH_WAIT_SECONDS
          ? `not taken into a batch within ${BATCH_WAIT_SECONDS} s`
          : `still queued after ${BATCH_HOLD_SECONDS} s${entry.note ? ` (${entry.note})` : ''}`;
      const taken = await deps.trafficBatches.transition(entry, ['QUEUED'], {
        status: 'RELEASED',
        updatedAt: now,
        note: why,
      });
      // Not taken back: the flusher claimed it meanwhile; follow that on the next poll.
      return taken ? { kind: 'shift-self', why } : { kind: 'wait', entry };
    }
    case 'CLAIMED':
    case 'SUBMITTED': {
      if (age < BATCH_CLAIM_SECONDS) return { kind: 'wait', entry };
      if (entry.status === 'SUBMITTED' && entry.changeId)
        return { kind: 'follow-change', entry, changeId: entry.changeId };
      return {
        kind: 'shift-self',
        why: `held by the evacuation's flusher for over ${BATCH_CLAIM_SECONDS} s`,
      };
    }
  }
}

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
 * Seconds an entry may stay QUEUED before the run takes it back and moves its own traffic: several
 * of the evacuation's polls (1 s apart while entries are queued), so that a flusher held back by
 * throttling or a stopped evacuation costs an app at most this much.
 */
export const BATCH_WAIT_SECONDS = 10;
/**
 * Seconds an entry may stay CLAIMED (or SUBMITTED, for Route 53) before the run stops waiting on
 * the flusher: twice a function's 30 s timeout, so a flusher that died mid-call is not waited on.
 * Moving traffic is idempotent, so the run making the same change again is safe.
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
 * flusher released it; it stayed QUEUED past {@link BATCH_WAIT_SECONDS}, which the run claims back
 * with a conditional write so that the flusher cannot take it too; or the flusher held it past
 * {@link BATCH_CLAIM_SECONDS}).
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
  // A queued entry waits from when it was queued; a claimed one from when the flusher took it.
  const age = (now - (entry.status === 'QUEUED' ? entry.queuedAt : entry.updatedAt)) / 1000;
  switch (entry.status) {
    case 'MOVED':
    case 'INSYNC':
      return { kind: 'moved', entry };
    case 'RELEASED':
      return { kind: 'shift-self', why: `released by the evacuation: ${entry.note ?? 'no reason given'}` };
    case 'QUEUED': {
      if (age < BATCH_WAIT_SECONDS) return { kind: 'wait', entry };
      const why = `not taken into a batch within ${BATCH_WAIT_SECONDS} s`;
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

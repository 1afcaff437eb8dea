import { isoNow } from '../core/clock.js';
import type { Plan } from '../core/plan.js';
import {
  fence,
  type PromotionStarted,
  pollBudgetSeconds,
  type RunbookDeps,
  type RunContext,
  startProgress,
  WAKE_FALLBACK_SECONDS,
} from './context.js';
import { type DatabaseDeps, type RpoLag, rpoLag, startPromotion } from './database.js';
import { capacityReady, globalCluster } from './resources.js';

// Starting pilot light's promotion as soon as the one that watches the new reader sees it available
// (the region poller's watch, functions/evacuation/reader-watch.ts, or the event waker, wake.ts),
// as PromoteDatabase would a moment later (docs/architecture.md, "Wake-ups").

/** What is read before a promotion is started: the global cluster, capacity (graceful) or the lag (ungraceful). */
export interface PromotionReads {
  readonly view: Awaited<ReturnType<RunbookDeps['aurora']['describeGlobalCluster']>>;
  readonly ready: boolean;
  /** Ungraceful: the RPO, as PromoteDatabase reads it (`rpoLag`). */
  readonly lag?: RpoLag;
}

/**
 * PromoteDatabase's reads, made by the one that watches pilot light's new reader (the event
 * waker beside its read of the reader, or the region poller beside its watch, kept at most
 * `WAKE_READ_FRESH_MS` old): the global cluster, and graceful the target's capacity (the
 * switchover's gate, read from AWS now), or ungraceful the replication lag (the RPO); the lease
 * renewed at the run's epoch beside them (`fence`), unless the caller passes its own `fenced`.
 *
 * @throws LockLostError the run no longer holds its epoch
 */
export async function promotionReads(
  plan: Plan,
  globalClusterId: string,
  run: RunContext,
  deps: Pick<RunbookDeps, 'aurora' | 'auroraLag' | 'autoScaling' | 'clock' | 'store'>,
  fenced?: Promise<void>,
): Promise<PromotionReads> {
  const cluster = globalCluster(plan, globalClusterId);
  const [view, ready, lag] = await Promise.all([
    deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId),
    run.mode === 'graceful' ? capacityReady(plan, run, deps) : Promise.resolve(true),
    run.mode === 'ungraceful' ? rpoLag(run, cluster, deps) : Promise.resolve(undefined),
    fenced ?? fence(run, deps),
  ]);
  return { view, ready, ...(lag ? { lag } : {}) };
}

/**
 * Starts `run`'s promotion as PromoteDatabase would, once `by` saw pilot light's new reader
 * available (the event waker, `wakeOnEvent` in wake.ts, or the region poller's watch,
 * functions/evacuation/reader-watch.ts): `startPromotion` on the reads made beside that read (a
 * graceful run only with its capacity read ready; `pending` settles once the lease is renewed).
 * Undefined when it started nothing.
 */
export async function startFor(
  plan: Plan,
  globalClusterId: string,
  run: RunContext,
  pending: Promise<PromotionReads>,
  deps: DatabaseDeps,
  by: PromotionStarted['by'] = 'WakeOnEvent',
): Promise<PromotionStarted | undefined> {
  const { view, ready, lag } = await pending;
  if (!ready) return undefined;
  const at = isoNow(deps.clock);
  const progress = startProgress(deps.clock, WAKE_FALLBACK_SECONDS, pollBudgetSeconds(plan) * 2);
  const started = await startPromotion(run, globalCluster(plan, globalClusterId), progress, deps, {
    view,
    fenced: Promise.resolve(),
    ...(lag ? { lag } : {}),
  });
  const detail = started.detail;
  if (!detail?.method) return undefined;
  return {
    by,
    at,
    epoch: run.epoch,
    method: detail.method,
    rpoMs: detail.rpoMs ?? null,
    ...(detail.rpoLastSeenAt ? { rpoLastSeenAt: detail.rpoLastSeenAt } : {}),
  };
}

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

// Starting pilot light's promotion as soon as the event waker (wake.ts, wakeOnEvent) sees the new
// reader available, as PromoteDatabase would a moment later (docs/architecture.md, "Wake-ups").

/** What the waker reads before it starts a promotion: the global cluster, capacity (graceful) or the lag (ungraceful). */
export interface PromotionReads {
  readonly view: Awaited<ReturnType<RunbookDeps['aurora']['describeGlobalCluster']>>;
  readonly ready: boolean;
  /** Ungraceful: the RPO, as PromoteDatabase reads it (`rpoLag`). */
  readonly lag?: RpoLag;
}

/**
 * PromoteDatabase's reads, made by the waker beside its read of the new reader: the global
 * cluster, and graceful the target's capacity (the switchover's gate, read from AWS now), or
 * ungraceful the replication lag (the RPO); the lease renewed at the run's epoch at once.
 *
 * @throws LockLostError the run no longer holds its epoch
 */
export async function promotionReads(
  plan: Plan,
  globalClusterId: string,
  run: RunContext,
  deps: Pick<RunbookDeps, 'aurora' | 'auroraLag' | 'autoScaling' | 'clock' | 'store'>,
  early?: EarlyPromotionReads,
): Promise<PromotionReads> {
  const cluster = globalCluster(plan, globalClusterId);
  const reads = early?.region === run.to ? early : undefined;
  const [view, ready, lag] = await Promise.all([
    reads?.view ?? deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId),
    run.mode === 'graceful' ? (reads?.ready ?? capacityReady(plan, run, deps)) : Promise.resolve(true),
    run.mode === 'ungraceful' ? (reads?.lag ?? rpoLag(run, cluster, deps)) : Promise.resolve(undefined),
    fence(run, deps),
  ]);
  return { view, ready, ...(lag ? { lag } : {}) };
}

/**
 * {@link promotionReads}' reads of AWS, started by the waker as the reader's event arrives, beside
 * its read of the reader and its lookup of the parked run (whose mode says which it needs): the
 * global cluster, the target's capacity and its replication lag in `region`. Every error is kept
 * for the read that uses it.
 */
export interface EarlyPromotionReads {
  readonly region: string;
  readonly view: Promise<PromotionReads['view']>;
  readonly ready: Promise<boolean>;
  readonly lag: Promise<RpoLag>;
}

/** Starts {@link EarlyPromotionReads} for pilot light's promotion into `region`. */
export function earlyPromotionReads(
  plan: Plan,
  globalClusterId: string,
  region: string,
  deps: Pick<RunbookDeps, 'aurora' | 'auroraLag' | 'autoScaling' | 'clock'>,
): EarlyPromotionReads {
  const cluster = globalCluster(plan, globalClusterId);
  const reads = {
    region,
    view: deps.aurora.describeGlobalCluster(region, cluster.globalClusterId),
    ready: capacityReady(plan, { to: region }, deps),
    lag: rpoLag({ to: region }, cluster, deps),
  };
  for (const read of [reads.view, reads.ready, reads.lag]) read.catch(() => undefined);
  return reads;
}

/**
 * Starts `run`'s promotion as PromoteDatabase would, once the waker saw pilot light's new reader
 * available (see `wakeOnEvent`, wake.ts): `startPromotion` on the reads made beside that read (a
 * graceful run only with its capacity read ready). Undefined when it started nothing.
 */
export async function startFor(
  plan: Plan,
  globalClusterId: string,
  run: RunContext,
  pending: Promise<PromotionReads>,
  deps: DatabaseDeps,
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
    by: 'WakeOnEvent',
    at,
    epoch: run.epoch,
    method: detail.method,
    rpoMs: detail.rpoMs ?? null,
    ...(detail.rpoLastSeenAt ? { rpoLastSeenAt: detail.rpoLastSeenAt } : {}),
  };
}

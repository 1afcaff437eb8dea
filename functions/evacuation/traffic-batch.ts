import { describeError, RetryableError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { RoutingControlState } from '../runbook/ports/arc.js';
import type { EvacuationRecord } from '../runbook/ports/evacuations.js';
import type { TrafficBatchEntry } from '../runbook/ports/traffic-batches.js';
import { BATCH_CLAIM_SECONDS } from '../runbook/traffic-queue.js';

/**
 * The evacuation's side of traffic batching: AdvanceEvacuation drains the evacuation's traffic
 * queue (entries its apps' ShiftTraffic wrote once each app's own resources were ready; see
 * `functions/runbook/traffic-queue.ts`) on every poll. Queued apps on one ARC cluster share
 * `UpdateRoutingControlStates` calls; queued apps in one hosted zone share one Route 53 change
 * batch. Each app's controls or records stay in one call, so that ARC's safety rules and Route
 * 53's atomicity judge each app's end state whole.
 */

/**
 * "Number of routing controls per UpdateRoutingControlStates operation call: 10" (ARC Developer
 * Guide, "Quotas for routing control",
 * https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.quotas.html).
 */
export const ARC_CONTROLS_PER_UPDATE = 10;
/**
 * Updates one flush sends to one cluster: "Number of mutating API calls to a cluster endpoint, per
 * second: 3" (same page). The adapter picks an endpoint per call, so three calls a poll stay within
 * one endpoint's second even if all three land on it; apps beyond them wait for the next poll.
 */
export const ARC_UPDATES_PER_FLUSH = 3;
/**
 * The longest a hosted zone's batched change waits after Route 53 refused one for rate or for a
 * change to the zone still being processed (`PriorRequestNotComplete`), in milliseconds: the waits
 * grow as 1, 2, 4, 8, 16 s with full jitter ("Use exponential backoff to retry requests at
 * progressively longer intervals between each retry. Introduce jitter between retries", AWS
 * Well-Architected Reliability Pillar, REL05-BP03,
 * https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/rel_mitigate_interaction_failure_limit_retries.html;
 * Route 53's own advice for throttling and PriorRequestNotComplete is error retries with
 * exponential backoff: AWS Knowledge Center, "How can I avoid Route 53 API throttling errors?",
 * https://repost.aws/knowledge-center/route-53-avoid-throttling-errors). Far inside an entry's
 * hold (`BATCH_HOLD_SECONDS`, 60 s), so a busy zone is tried several times before any app gives
 * up on the batch.
 */
export const ROUTE53_RETRY_CAP_MS = 16_000;

/** What one flush did, for the poll's answer and the tests. */
export interface FlushSummary {
  /** Calls made (ARC updates and Route 53 change batches), and the apps they carried. */
  readonly calls: number;
  readonly appsMoved: number;
  /** Apps given back to their own runbook (refused batch, lock not the one queued). */
  readonly released: number;
  /** Entries still waiting for the flusher (queued, or a Route 53 change not yet INSYNC). */
  readonly pending: number;
}

type FlushDeps = Pick<
  RunbookDeps,
  'arc' | 'clock' | 'plans' | 'random' | 'route53' | 'store' | 'trafficBatches'
>;

/**
 * One pass over the evacuation's traffic queue:
 * 1. every Route 53 change the batch submitted is asked once (`GetChange`), not once per app, and
 *    its entries marked INSYNC when it reached every name server; while it is PENDING its entries
 *    are touched every half {@link BATCH_CLAIM_SECONDS}, so their apps keep waiting on this one
 *    GetChange rather than each asking Route 53 itself;
 * 2. every QUEUED entry whose app's lock is still held by the execution and epoch that queued it is
 *    claimed (a conditional write: the app may take it back at the same time); an entry whose lock
 *    moved on is released (its own runbook then finds the lock lost, as it would without a batch).
 *    A hosted zone backed off (an entry's `retryAt` still ahead) is not claimed: its new entries
 *    are given the same `retryAt`, so that their apps wait for it too;
 * 3. the claimed entries of one ARC cluster go out in updates of at most
 *    {@link ARC_CONTROLS_PER_UPDATE} controls ({@link ARC_UPDATES_PER_FLUSH} a pass), those of one
 *    hosted zone in one change batch within Route 53's maximums per request (the adapter defers
 *    what would not fit to the next pass); a call that throttles or finds no endpoint puts its
 *    entries back in the queue (a Route 53 zone then backs off, {@link ROUTE53_RETRY_CAP_MS}), and
 *    a call refused for what it carries (a safety rule, an invalid batch) releases them: each app
 *    then makes its own call, so one app's problem is only that app's.
 */
export async function flushTraffic(record: EvacuationRecord, deps: FlushDeps): Promise<FlushSummary> {
  const entries = await deps.trafficBatches.list(record.id);
  const counts = { calls: 0, appsMoved: 0, released: 0 };
  const now = () => deps.clock.now();

  // 1. Route 53 changes in flight: one GetChange per change, not one per app.
  const submitted = entries.filter((e) => e.status === 'SUBMITTED' && e.changeId);
  for (const changeId of new Set(submitted.map((e) => e.changeId as string))) {
    const status = await deps.route53.getChangeStatus(changeId).catch(() => 'PENDING' as const);
    const ofChange = submitted.filter((e) => e.changeId === changeId);
    if (status === 'INSYNC') {
      await Promise.all(
        ofChange.map((e) =>
          deps.trafficBatches.transition(e, ['SUBMITTED'], { status: 'INSYNC', updatedAt: now() }),
        ),
      );
      continue;
    }
    // Still PENDING: tell its apps the flusher still follows it (a write per app every 30 s).
    await Promise.all(
      ofChange
        .filter((e) => now() - e.updatedAt >= (BATCH_CLAIM_SECONDS * 1000) / 2)
        .map((e) =>
          deps.trafficBatches.transition(e, ['SUBMITTED'], {
            status: 'SUBMITTED',
            updatedAt: now(),
            note: `change ${changeId} still PENDING`,
          }),
        ),
    );
  }

  // 2. Claim what is queued, under the lock that queued it; a zone backed off waits.
  const queued = entries.filter((e) => e.status === 'QUEUED');
  const backedOff = zoneBackoffs(queued, deps, now());
  const locks = await Promise.all(queued.map((e) => deps.store.getLock(e.app).catch(() => undefined)));
  const claimed: TrafficBatchEntry[] = [];
  await Promise.all(
    queued.map(async (entry, i) => {
      const lock = locks[i];
      const held =
        lock !== undefined &&
        !lock.released &&
        lock.holder === entry.executionId &&
        lock.epoch === entry.epoch &&
        lock.leaseExpiresAt >= now();
      if (!held) {
        const note = `the app's lock is not held by ${entry.executionId} at epoch ${entry.epoch} (got ${lock ? `${lock.holder} epoch ${lock.epoch}${lock.released ? ', released' : ''}` : 'no lock'})`;
        if (await release(entry, note, deps)) counts.released += 1;
        return;
      }
      const backoff = backedOff.get(groupKey(deps.plans.get(entry.app), entry));
      if (backoff) {
        // The zone is tried again at `retryAt`: an entry that joined since learns it (one write).
        if ((entry.retryAt ?? 0) < backoff.retryAt)
          await deps.trafficBatches.transition(entry, ['QUEUED'], {
            status: 'QUEUED',
            updatedAt: now(),
            retryAt: backoff.retryAt,
            refusals: backoff.refusals,
            note: backoff.note,
          });
        return;
      }
      const taken = await deps.trafficBatches.transition(entry, ['QUEUED'], {
        status: 'CLAIMED',
        updatedAt: now(),
      });
      if (taken) claimed.push(taken);
    }),
  );

  // 3. One call for many: per ARC cluster, per hosted zone.
  const groups = new Map<string, TrafficBatchEntry[]>();
  for (const entry of claimed.sort((a, b) => a.queuedAt - b.queuedAt || a.app.localeCompare(b.app))) {
    const key = groupKey(deps.plans.get(entry.app), entry);
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  for (const [key, group] of groups) {
    const done = key.startsWith('arc ')
      ? await flushArc(group, deps, now)
      : await flushRoute53(key.slice('route53 '.length), group, deps, now);
    counts.calls += done.calls;
    counts.appsMoved += done.appsMoved;
    counts.released += done.released;
  }

  const after = await deps.trafficBatches.list(record.id);
  const pending = after.filter((e) => ['QUEUED', 'CLAIMED', 'SUBMITTED'].includes(e.status)).length;
  return { ...counts, pending };
}

/**
 * The hosted zones whose next batched call is backed off (`retryAt` of one of their queued entries
 * still ahead), by batch key: until when, after how many refusals in a row, and why.
 */
function zoneBackoffs(
  queued: readonly TrafficBatchEntry[],
  deps: Pick<FlushDeps, 'plans'>,
  now: number,
): Map<string, { retryAt: number; refusals: number; note: string }> {
  const zones = new Map<string, { retryAt: number; refusals: number; note: string }>();
  for (const entry of queued) {
    if (entry.mechanism !== 'route53' || (entry.retryAt ?? 0) <= now) continue;
    const key = groupKey(deps.plans.get(entry.app), entry);
    const known = zones.get(key);
    if (!known || (entry.retryAt as number) > known.retryAt)
      zones.set(key, {
        retryAt: entry.retryAt as number,
        refusals: Math.max(entry.refusals ?? 0, known?.refusals ?? 0),
        note: entry.note ?? 'the zone is backed off',
      });
  }
  return zones;
}

/** The batch an entry joins: its ARC cluster (its endpoints, sorted) or its hosted zone. */
function groupKey(plan: Plan, entry: TrafficBatchEntry): string {
  if (entry.mechanism === 'arc' && plan.traffic.arc)
    return `arc ${plan.traffic.arc.clusterEndpoints
      .map((e) => e.endpoint)
      .sort()
      .join(' ')}`;
  return `route53 ${plan.traffic.route53?.hostedZoneId ?? ''}`;
}

type Tally = { calls: number; appsMoved: number; released: number };

/** The routing control states that move one app: its target On, every other region Off. */
function statesOf(plan: Plan, entry: TrafficBatchEntry): Record<string, RoutingControlState> {
  return Object.fromEntries(
    Object.entries(plan.traffic.arc?.routingControls ?? {}).map(([region, arn]) => [
      arn,
      region === entry.to ? 'On' : 'Off',
    ]),
  );
}

async function flushArc(
  group: readonly TrafficBatchEntry[],
  deps: FlushDeps,
  now: () => number,
): Promise<Tally> {
  const tally: Tally = { calls: 0, appsMoved: 0, released: 0 };
  const endpoints = deps.plans.get(group[0]?.app ?? '').traffic.arc?.clusterEndpoints ?? [];
  // Whole apps per update, at most ARC_CONTROLS_PER_UPDATE controls each.
  const updates: { entries: TrafficBatchEntry[]; states: Record<string, RoutingControlState> }[] = [];
  for (const entry of group) {
    const states = statesOf(deps.plans.get(entry.app), entry);
    const last = updates.at(-1);
    const size = Object.keys(states).length;
    if (last && Object.keys(last.states).length + size <= ARC_CONTROLS_PER_UPDATE) {
      last.entries.push(entry);
      Object.assign(last.states, states);
    } else updates.push({ entries: [entry], states: { ...states } });
  }
  // The source region of an evacuation is the one failing: its endpoint is tried last.
  const unreachable = new Set(group.filter((e) => e.from !== e.to).map((e) => e.from));
  for (const [index, update] of updates.entries()) {
    if (index >= ARC_UPDATES_PER_FLUSH) {
      await requeue(
        update.entries,
        'waiting for the next pass (ARC takes 3 updates per second per endpoint)',
        deps,
        now,
      );
      continue;
    }
    tally.calls += 1;
    try {
      const endpoint = await deps.arc.setActive(endpoints, update.states, unreachable);
      await Promise.all(
        update.entries.map((e) =>
          deps.trafficBatches.transition(e, ['CLAIMED'], {
            status: 'MOVED',
            updatedAt: now(),
            endpoint: endpoint.region,
            batchSize: update.entries.length,
          }),
        ),
      );
      tally.appsMoved += update.entries.length;
    } catch (error: unknown) {
      tally.released += await settleFailure(update.entries, error, deps, now);
    }
  }
  return tally;
}

async function flushRoute53(
  hostedZoneId: string,
  group: readonly TrafficBatchEntry[],
  deps: FlushDeps,
  now: () => number,
): Promise<Tally> {
  const tally: Tally = { calls: 0, appsMoved: 0, released: 0 };
  // One change batch per zone per pass (a second one would meet PriorRequestNotComplete), as many
  // apps as Route 53's maximums per request let it carry (the adapter defers the rest).
  tally.calls += 1;
  try {
    const { changeId, changed, refused, deferred } = await deps.route53.setPrimaryMany(
      hostedZoneId,
      group.map((entry) => {
        const plan = deps.plans.get(entry.app);
        return {
          key: entry.app,
          records: plan.traffic.route53?.records ?? [],
          primaryRegion: entry.to,
          secondaryRegion:
            entry.from !== entry.to ? entry.from : (plan.regions.find((r) => r !== entry.to) as string),
        };
      }),
    );
    for (const { key, error } of refused) {
      const entry = group.find((e) => e.app === key);
      if (entry && (await release(entry, `refused before the batch: ${describeError(error).message}`, deps)))
        tally.released += 1;
    }
    await requeue(
      group.filter((e) => deferred.includes(e.app)),
      "waiting for the next change batch (this one is full to Route 53's maximums per request)",
      deps,
      now,
    );
    const carried = group.filter((e) => !refused.some((r) => r.key === e.app) && !deferred.includes(e.app));
    await Promise.all(
      carried.map((e) =>
        deps.trafficBatches.transition(
          e,
          ['CLAIMED'],
          changeId && changed.includes(e.app)
            ? { status: 'SUBMITTED', updatedAt: now(), changeId, batchSize: changed.length }
            : { status: 'INSYNC', updatedAt: now(), note: 'already so: nothing to change' },
        ),
      ),
    );
    tally.appsMoved += carried.length;
  } catch (error: unknown) {
    if (error instanceof RetryableError) {
      // The zone is busy with another change, or Route 53 throttled us: back the zone off.
      const refusals = Math.max(...group.map((e) => e.refusals ?? 0)) + 1;
      const ceiling = Math.min(ROUTE53_RETRY_CAP_MS, 1_000 * 2 ** (refusals - 1));
      const retryAt = now() + Math.max(1_000, Math.floor(deps.random.next() * ceiling));
      const { name, message } = describeError(error);
      await requeue(group, `${name}: ${message} (zone tried again in ${retryAt - now()} ms)`, deps, now, {
        retryAt,
        refusals,
      });
    } else tally.released += await settleFailure(group, error, deps, now);
  }
  return tally;
}

/**
 * A batched call failed: throttled or unreachable, its entries go back in the queue (the next
 * pass, or the app itself after its wait, tries again); refused for what it carried, they are
 * released, and each app makes its own call, so that the refusal lands on the app it concerns.
 * Returns how many were released.
 */
async function settleFailure(
  entries: readonly TrafficBatchEntry[],
  error: unknown,
  deps: FlushDeps,
  now: () => number,
): Promise<number> {
  const { name, message } = describeError(error);
  if (error instanceof RetryableError) {
    await requeue(entries, `${name}: ${message}`, deps, now);
    return 0;
  }
  const released = await Promise.all(
    entries.map((e) => release(e, `the batched call was refused (${name}: ${message})`, deps)),
  );
  return released.filter(Boolean).length;
}

async function requeue(
  entries: readonly TrafficBatchEntry[],
  note: string,
  deps: FlushDeps,
  now: () => number,
  backoff?: { readonly retryAt: number; readonly refusals: number },
): Promise<void> {
  // Back to QUEUED, touched: the app waits on (at most BATCH_HOLD_SECONDS since it queued).
  await Promise.all(
    entries.map((e) =>
      deps.trafficBatches.transition(e, ['CLAIMED'], {
        status: 'QUEUED',
        updatedAt: now(),
        note,
        ...(backoff ?? {}),
      }),
    ),
  );
}

async function release(
  entry: TrafficBatchEntry,
  note: string,
  deps: Pick<FlushDeps, 'clock' | 'trafficBatches'>,
): Promise<boolean> {
  const done = await deps.trafficBatches.transition(entry, ['QUEUED', 'CLAIMED'], {
    status: 'RELEASED',
    updatedAt: deps.clock.now(),
    note,
  });
  return done !== undefined;
}

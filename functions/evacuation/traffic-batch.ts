import { describeError, RetryableError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { RoutingControlState } from '../runbook/ports/arc.js';
import type { EvacuationRecord } from '../runbook/ports/evacuations.js';
import type { TrafficBatchEntry } from '../runbook/ports/traffic-batches.js';

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
 * Changes one Route 53 change batch carries at most. Route 53 takes up to 1,000 `ResourceRecord`
 * elements and 32,000 characters of `Value` elements per request, an UPSERT counting twice (Route 53
 * Developer Guide, "Quotas", Maximums on API requests,
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html; Route 53 API
 * Reference, ChangeResourceRecordSets). Our changes are alias records (no `ResourceRecord` nor
 * `Value` element at all); counting every change as one UPSERT of one element, 500 stays within
 * the element limit whatever the records are.
 */
export const ROUTE53_CHANGES_PER_BATCH = 500;

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

type FlushDeps = Pick<RunbookDeps, 'arc' | 'clock' | 'plans' | 'route53' | 'store' | 'trafficBatches'>;

/**
 * One pass over the evacuation's traffic queue:
 * 1. every Route 53 change the batch submitted is asked once (`GetChange`), and its entries marked
 *    INSYNC when it reached every name server;
 * 2. every QUEUED entry whose app's lock is still held by the execution and epoch that queued it is
 *    claimed (a conditional write: the app may take it back at the same time); an entry whose lock
 *    moved on is released (its own runbook then finds the lock lost, as it would without a batch);
 * 3. the claimed entries of one ARC cluster go out in updates of at most
 *    {@link ARC_CONTROLS_PER_UPDATE} controls ({@link ARC_UPDATES_PER_FLUSH} a pass), those of one
 *    hosted zone in one change batch; a call that throttles or finds no endpoint puts its entries
 *    back in the queue for the next pass, and a call refused for what it carries (a safety rule,
 *    an invalid batch) releases them: each app then makes its own call, so one app's problem is
 *    only that app's.
 */
export async function flushTraffic(record: EvacuationRecord, deps: FlushDeps): Promise<FlushSummary> {
  const entries = await deps.trafficBatches.list(record.id);
  const counts = { calls: 0, appsMoved: 0, released: 0 };
  const now = () => deps.clock.now();

  // 1. Route 53 changes in flight: one GetChange per change, not one per app.
  const submitted = entries.filter((e) => e.status === 'SUBMITTED' && e.changeId);
  for (const changeId of new Set(submitted.map((e) => e.changeId as string))) {
    const status = await deps.route53.getChangeStatus(changeId).catch(() => 'PENDING' as const);
    if (status !== 'INSYNC') continue;
    await Promise.all(
      submitted
        .filter((e) => e.changeId === changeId)
        .map((e) => deps.trafficBatches.transition(e, ['SUBMITTED'], { status: 'INSYNC', updatedAt: now() })),
    );
  }

  // 2. Claim what is queued, under the lock that queued it.
  const queued = entries.filter((e) => e.status === 'QUEUED');
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
  // One change batch per zone per pass (a second one would meet PriorRequestNotComplete).
  const batch: TrafficBatchEntry[] = [];
  let changes = 0;
  for (const entry of group) {
    const records = deps.plans.get(entry.app).traffic.route53?.records.length ?? 0;
    if (batch.length > 0 && changes + 2 * records > ROUTE53_CHANGES_PER_BATCH) break;
    batch.push(entry);
    changes += 2 * records;
  }
  await requeue(
    group.filter((e) => !batch.includes(e)),
    'waiting for the next change batch',
    deps,
    now,
  );
  if (batch.length === 0) return tally;
  tally.calls += 1;
  try {
    const { changeId, changed, refused } = await deps.route53.setPrimaryMany(
      hostedZoneId,
      batch.map((entry) => {
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
      const entry = batch.find((e) => e.app === key);
      if (entry && (await release(entry, `refused before the batch: ${describeError(error).message}`, deps)))
        tally.released += 1;
    }
    const carried = batch.filter((e) => !refused.some((r) => r.key === e.app));
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
    tally.released += await settleFailure(batch, error, deps, now);
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
): Promise<void> {
  // Back to QUEUED: the app's own wait still runs from when it queued (`queuedAt`).
  await Promise.all(
    entries.map((e) =>
      deps.trafficBatches.transition(e, ['CLAIMED'], { status: 'QUEUED', updatedAt: now(), note }),
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

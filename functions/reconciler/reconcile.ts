import { isoNow } from '../core/clock.js';
import { describeError, FailoverInProgressError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { initialPrimary } from '../core/plan-queries.js';
import { memberIn } from '../core/plan-registry.js';
import type { LockRecord, PlanState, PlanStatus } from '../core/records.js';
import * as z from '../core/zod.js';
import { batchedReads } from '../observer/batched-reads.js';
import {
  type AppObservation,
  capacityLevel,
  isKnown,
  observeApp,
  withCapacity,
  writerRegion,
} from '../observer/observe.js';
import { isLive } from '../operator-api/app-status.js';
import type { RunbookDeps } from '../runbook/context.js';
import { trafficFollowsWriter } from '../runbook/finish.js';
import type { ReconcileMark } from '../runbook/ports/reconcile-marks.js';
import { moveTrafficTo } from '../runbook/traffic.js';
import { readsTargetHealth } from './read-cadence.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type ReconcileDeps = Pick<
  RunbookDeps,
  | 'arc'
  | 'aurora'
  | 'auroraLag'
  | 'autoScaling'
  | 'clock'
  | 'dns'
  | 'events'
  | 'marks'
  | 'plans'
  | 'region'
  | 'route53'
  | 'store'
  | 'traffic'
>;

/** The EventBridge detail-type of the event the reconciler emits when it corrects something. */
export const RECONCILED_EVENT = 'Switchyard Reconciled';
/** The EventBridge detail-type of the event it emits for what it cannot resolve safely. */
export const DRIFT_EVENT = 'Switchyard Drift Detected';

/** How often the reconciler runs in every region, in minutes (EventBridge's finest rate). */
export const RECONCILE_EVERY_MINUTES = 1;

/**
 * How many apps one reconciliation judges and acts on at once, after observing every app together
 * (batched reads: a region that is down waits out its client timeouts, about 16 s with the default
 * transport policy, once for all apps). Acting is a few state-table writes and, rarely, a traffic
 * change per app.
 */
const APPS_IN_PARALLEL = 25;

/**
 * How long a scheduled pass's lease on the reconciler's duty runs, in ms (virtual in the sandbox):
 * the leading region renews it every pass; another region's scheduled pass skips while it runs
 * and takes it over once it has ended. With passes every minute, the other region takes over at
 * its second pass after the leader's last renewal: one pass missed, not more.
 */
export const RECONCILER_LEASE_TTL_MS = 90_000;

/** Failed attempts at one action before the reconciler reports it as drift instead. */
const ACT_FAILURES_BEFORE_DRIFT = 3;

/** How long the reconciler holds an app's lock while it acts (ms): one minute covers its calls. */
const RECONCILER_LEASE_MS = 60_000;

/**
 * What the reconciler finds when it compares the observed truth with the recorded state. Each
 * finding but `consistent` names what it would do and why; `drift` and `unknown` are reported,
 * never guessed at.
 */
export type Finding =
  | { readonly kind: 'consistent'; readonly why: string }
  | { readonly kind: 'move-traffic'; readonly to: string; readonly from: string | null; readonly why: string }
  | {
      readonly kind: 'set-record';
      readonly activeRegion: string;
      readonly status: PlanStatus;
      readonly why: string;
    }
  | {
      readonly kind: 'fence-writer';
      readonly globalClusterId: string;
      readonly region: string;
      readonly clusterArn: string;
      /** The region whose writer stays: where traffic is. */
      readonly keep: string;
      readonly why: string;
    }
  | { readonly kind: 'drift'; readonly why: string }
  | { readonly kind: 'unknown'; readonly why: string };

/**
 * Compares what AWS says (an observation of every plan region) with the recorded state and
 * decides what, if anything, can be made consistent safely and unambiguously. Pure: no reads.
 *
 * - Two writers (a returning old writer after a detach-and-promote): fence the old one when the
 *   plan allows it and traffic is on the detached new one; else drift.
 * - Traffic follows the writer: when one region holds every writer and traffic goes elsewhere,
 *   move it there if that region can serve (see {@link trafficFollowsWriter}); else drift.
 * - The record follows the truth: the recorded active region and status are set to what is
 *   observed. ACTIVE only when writer, traffic and ready capacity are together, in one region, and
 *   no cluster is detached from its global database; DEGRADED otherwise.
 * Regions that do not answer at all (down) cannot serve and are left out of every decision; any
 * other unknown blocks the decisions it touches.
 */
export function assess(plan: Plan, state: PlanState, seen: AppObservation): Finding {
  const blocking: string[] = [];
  for (const cluster of seen.clusters)
    for (const [region, s] of Object.entries(cluster.regions))
      if (!isKnown(s) && seen.reachable[region] !== false) blocking.push(s.unknown);
  if (!isKnown(seen.traffic.region)) blocking.push(seen.traffic.region.unknown);
  if (blocking.length > 0) return { kind: 'unknown', why: `cannot tell: ${blocking.join('; ')}` };
  const traffic = seen.traffic.region as string | null;

  for (const cluster of seen.clusters) {
    if (cluster.writers.length < 2) continue;
    const detached = cluster.writers.filter((r) => {
      const s = cluster.regions[r];
      return s !== undefined && isKnown(s) && !s.member;
    });
    const returning = cluster.writers.filter((r) => !detached.includes(r));
    const spec = plan.database?.auroraGlobalClusters.find(
      (c) => c.globalClusterId === cluster.globalClusterId,
    );
    const keep = detached[0];
    const old = returning[0];
    if (detached.length === 1 && returning.length === 1 && keep && old && traffic === keep && spec) {
      const why = `${cluster.globalClusterId}: the old writer in ${old} came back and takes writes while the detached cluster in ${keep} serves users`;
      if (spec.fenceReturningWriter === 'remove-instances')
        return {
          kind: 'fence-writer',
          globalClusterId: cluster.globalClusterId,
          region: old,
          clusterArn: memberIn(spec.members, old),
          keep,
          why,
        };
      return {
        kind: 'drift',
        why: `${why}; the plan does not let Switchyard fence it (fenceReturningWriter: none): stop writes to ${old} (delete its instances), reconcile the writes it took after the detach, then rebuild the global database from ${keep}`,
      };
    }
    return {
      kind: 'drift',
      why: `${cluster.globalClusterId}: writable clusters in ${cluster.writers.join(' and ')} (users sent to ${traffic ?? 'no region'}); a person must choose the writer`,
    };
  }

  let truth: string;
  if (plan.database) {
    if (seen.clusters.some((c) => c.moving)) return { kind: 'consistent', why: 'a promotion is under way' };
    const writer = writerRegion(seen);
    if (!writer) {
      const where = seen.clusters
        .map((c) => `${c.globalClusterId}: ${c.writers.join(', ') || 'none'}`)
        .join('; ');
      const silent = seen.regions.filter((r) => seen.reachable[r] === false);
      return {
        kind: 'drift',
        why:
          `no one region that answers holds every writer (${where})` +
          (silent.length > 0 ? `; ${silent.join(', ')} did not answer` : ''),
      };
    }
    if (traffic !== writer) {
      const decision = trafficFollowsWriter(plan, seen, writer, traffic);
      if (decision.move) return { kind: 'move-traffic', to: writer, from: traffic, why: decision.why };
      return {
        kind: 'drift',
        why: `users are sent to ${traffic ?? 'no region'} but the writer is in ${writer}: ${decision.why}`,
      };
    }
    truth = writer;
  } else {
    if (traffic === null) return { kind: 'drift', why: 'users are sent to none of the plan regions' };
    truth = traffic;
  }

  const level = capacityLevel(seen, truth);
  // An unknown capacity read is not a change of status: decide nothing on it.
  if (level === 'unknown') return { kind: 'unknown', why: `cannot tell the capacity in ${truth}` };
  const detached = seen.clusters.filter((c) => Object.values(c.regions).some((s) => isKnown(s) && !s.member));
  const healthy = level === 'ready' && detached.length === 0;
  const status: PlanStatus = healthy ? 'ACTIVE' : 'DEGRADED';
  if (state.activeRegion === truth && (state.status === status || (state.status === 'DEGRADED' && !healthy)))
    return { kind: 'consistent', why: `writer, traffic and the record agree on ${truth}` };
  const reasons = [
    state.activeRegion !== truth
      ? `recorded ${state.activeRegion}, observed writer and traffic in ${truth}`
      : '',
    level !== 'ready' ? `capacity in ${truth} is ${level}` : '',
    detached.length > 0
      ? `${detached.map((c) => c.globalClusterId).join(', ')} detached from its global database`
      : '',
  ].filter(Boolean);
  return {
    kind: 'set-record',
    activeRegion: truth,
    status,
    why: reasons.join('; ') || `recorded ${state.status}, observed everything in ${truth}`,
  };
}

/**
 * The one region whose capacity {@link assess} weighs for `seen` (an observation of writers and
 * traffic): the region holding every writer, or for an app without a database the region users are
 * sent to; none when neither is one known region (assess then decides without capacity).
 */
export function capacityNeededIn(plan: Plan, seen: AppObservation): string | undefined {
  if (plan.database) return writerRegion(seen) ?? undefined;
  const traffic = seen.traffic.region;
  return isKnown(traffic) && traffic !== null ? traffic : undefined;
}

/** What one reconciliation of one app did. */
export interface ReconcileOutcome {
  readonly app: string;
  readonly finding: Finding['kind'];
  /** `acted`: it changed AWS or the record; `reported`: drift recorded; `settling`: waiting out the settle time. */
  readonly result: 'nothing-to-do' | 'settling' | 'acted' | 'reported' | 'skipped';
  readonly detail: string;
}

const ReconcileEvent = z.looseObject({
  detail: z.optional(z.looseObject({ app: z.optional(z.string()) })),
});

/**
 * Reconcile: for every app (or the one an execution-finished event names), compare the observed
 * truth with the recorded state and converge where it is safe and unambiguous, under the app's
 * lock and its fencing epoch. Runs on a schedule (every minute) in every region and after every
 * execution that ends FAILED or ABORTED. Of the scheduled passes, the region holding the
 * reconciler's lease ({@link RECONCILER_LEASE_TTL_MS}) works and the others skip; when the leader
 * stops renewing it (its region down, or cut off from the table's majority), the next region to
 * pass after it ends takes over. An execution's pass (one app) always runs. It never fights a running execution (a live lock means:
 * skip), and acts only on a finding that has held, unchanged, for the plan's `reconcile.settleSeconds`
 * (so it does not chase a state in motion), once.
 *
 * One pass: read every app's state and mark (BatchGetItem); observe every app at once, through
 * {@link batchedReads} (one call per region answers every app's global clusters, clusters and
 * groups, one per ARC cluster every routing control: a region that is down costs its timeouts
 * once, not once per app): writers and traffic in every region, then each app's groups in the one
 * region its finding weighs ({@link capacityNeededIn}); judge every app ({@link assess}); read
 * the lock of every app where a repair or a mark's write is in question (a finding other than
 * consistent, or a mark to clear: BatchGetItem), and skip those whose lock is live; then act app
 * by app, {@link APPS_IN_PARALLEL} at a time. An app whose truth agrees with its record and whose
 * mark is clear needs nothing more: its lock is not read (a pass changes nothing of it, held or not).
 * Reading the lock after observing, not before, means an app an execution holds is observed too.
 * Every pass reads AWS anew: nothing is kept from one pass to the next. A scheduled pass reads the
 * target groups' health of a steady app one pass in five ({@link readsTargetHealth}), and asks each
 * DNS record of one of the zone's name servers, a different one each minute, and of all of them
 * when that one does not name the recorded active region (`DnsSample`, ports/dns.ts): a server
 * that answers otherwise is found within four passes.
 */
export async function reconcile(input: unknown, deps: ReconcileDeps): Promise<ReconcileOutcome[]> {
  const parsed = ReconcileEvent.safeParse(input);
  const only = parsed.success ? parsed.data.detail?.app : undefined;
  const plans = deps.plans.list().filter((p) => only === undefined || p.name === only);
  const now = deps.clock.now();
  const failed = (plan: Plan, error: unknown): ReconcileOutcome => ({
    app: plan.name,
    finding: 'unknown',
    result: 'skipped',
    detail: `reconciliation failed: ${describeError(error).name}: ${describeError(error).message}`,
  });

  // The scheduled pass runs in every region; one leads (a lease in the state table) and the others
  // skip while its lease runs. A region that cannot tell (the table did not answer) reconciles:
  // two passes at once are safe (each act is under the app's lock), none at all is not.
  if (only === undefined && deps.marks.lead) {
    const holder = `reconciler-${deps.region}`;
    const leads = await deps.marks.lead(holder, now, RECONCILER_LEASE_TTL_MS).catch(() => true);
    if (!leads)
      return plans.map((plan) => ({
        app: plan.name,
        finding: 'consistent',
        result: 'skipped',
        detail: `another region's reconciler leads (its lease runs; ${holder} takes over once it ends)`,
      }));
  }

  const records = await recordsOfAll(plans, deps).catch((error: unknown) =>
    plans.map((plan) => failed(plan, error)),
  );
  const reads = batchedReads(deps);
  // Writers and traffic in every region first; then capacity only where the finding needs it (the
  // region that holds the writer, or takes the traffic), every app's at once, so that its reads are
  // batched too. A scheduled pass asks each record of one name server in turn, expecting the
  // recorded active region, and of every server when that one answers otherwise (DnsSample); a
  // pass after an execution ended asks every server.
  const turn = Math.floor(now / (RECONCILE_EVERY_MINUTES * 60_000));
  const firstLook = await Promise.all(
    records.map((r, i) => {
      const plan = plans[i] as Plan;
      if ('result' in r) return r;
      const dnsSample = only === undefined ? { expect: r.recorded.activeRegion, turn } : undefined;
      return observeApp(plan, plan.regions, reads, {
        capacityIn: [],
        ...(dnsSample ? { dnsSample } : {}),
      }).then((seen) => ({ ...r, seen }));
    }),
  );
  const observed = await Promise.all(
    firstLook.map((o, i) => {
      const plan = plans[i] as Plan;
      if ('result' in o) return o;
      const region = capacityNeededIn(plan, o.seen);
      if (region === undefined) return o;
      const targetHealth =
        only !== undefined ||
        readsTargetHealth(plan.name, o.recorded, o.mark, o.seen.traffic.region, region, turn);
      return withCapacity(o.seen, plan, [region], reads, { targetHealth }).then((seen) => ({ ...o, seen }));
    }),
  );

  // Judge every app; then read the locks of those where a repair (or a mark's write) is in question.
  const judged = observed.map((o, i) =>
    'result' in o ? o : { ...o, finding: assess(plans[i] as Plan, o.recorded, o.seen) },
  );
  const inQuestion = (j: (typeof judged)[number]): j is Exclude<typeof j, ReconcileOutcome> =>
    !('result' in j) &&
    (j.finding.kind !== 'consistent' || j.mark === undefined || (j.mark.value?.fingerprint ?? '') !== '');
  const locks = await locksOf(
    plans.filter((_, i) => inQuestion(judged[i] as (typeof judged)[number])).map((p) => p.name),
    deps,
  ).catch((error: unknown) => error);

  const outcomes: ReconcileOutcome[] = [];
  for (let i = 0; i < plans.length; i += APPS_IN_PARALLEL) {
    outcomes.push(
      ...(await Promise.all(
        judged.slice(i, i + APPS_IN_PARALLEL).map((o, j) => {
          const plan = plans[i + j] as Plan;
          if ('result' in o) return o;
          if (inQuestion(o)) {
            if (!(locks instanceof Map)) return failed(plan, locks);
            const lock = locks.get(plan.name);
            if (isLive(lock, now))
              return {
                app: plan.name,
                finding: 'consistent',
                result: 'skipped',
                detail: `${lock.holder} holds the lock`,
              } satisfies ReconcileOutcome;
          }
          return reconcileApp(plan, o, now, deps).catch((error: unknown) => failed(plan, error));
        }),
      )),
    );
  }
  return outcomes;
}

/** What one pass read of an app's records before observing it. */
interface Records {
  readonly recorded: PlanState;
  /** The app's reconcile mark, when read with the others (else reconcileApp reads it). */
  readonly mark?: { readonly value: ReconcileMark | undefined };
}

/**
 * Every app's state and reconcile mark: at once when the marks read many apps' `STATE` items per
 * call (BatchGetItem: the mark is kept in the state's item, so one key per app reads both), else
 * each app's state alone (and reconcileApp reads its mark). Per app, its records (the state
 * initialised when absent). Throws when a batched read fails.
 */
async function recordsOfAll(plans: readonly Plan[], deps: ReconcileDeps): Promise<Records[]> {
  const read = await deps.marks.getWithStates?.(plans.map((p) => p.name));
  return Promise.all(
    plans.map(async (plan): Promise<Records> => {
      const state = read ? read.get(plan.name)?.state : await deps.store.getState(plan.name);
      const recorded = state ?? (await deps.store.initState(plan.name, initialPrimary(plan))).state;
      return { recorded, ...(read ? { mark: { value: read.get(plan.name)?.mark } } : {}) };
    }),
  );
}

/**
 * The lock of each of `apps` (absent when never locked): at once when the store reads many items
 * per call (BatchGetItem), else app by app. Throws when a read fails.
 */
async function locksOf(
  apps: readonly string[],
  deps: ReconcileDeps,
): Promise<ReadonlyMap<string, LockRecord>> {
  const locks = new Map<string, LockRecord>();
  if (apps.length === 0) return locks;
  const stored = await deps.store.getStatesAndLocks?.(apps, ['lock']);
  await Promise.all(
    apps.map(async (app) => {
      const lock = stored ? stored.get(app)?.lock : await deps.store.getLock(app);
      if (lock) locks.set(app, lock);
    }),
  );
  return locks;
}

/** Judges one app's observation against its record, and acts when the finding has settled. */
async function reconcileApp(
  plan: Plan,
  { seen, mark: read, finding }: Records & { readonly seen: AppObservation; readonly finding: Finding },
  now: number,
  deps: ReconcileDeps,
): Promise<ReconcileOutcome> {
  const mark = read ? read.value : await deps.marks.get(plan.name);

  if (finding.kind === 'consistent') {
    if (mark && mark.fingerprint !== '')
      await deps.marks.put(plan.name, { fingerprint: '', since: isoNow(deps.clock), detail: finding.why });
    return { app: plan.name, finding: finding.kind, result: 'nothing-to-do', detail: finding.why };
  }
  const fingerprint = fingerprintOf(finding);
  if (!mark || mark.fingerprint !== fingerprint) {
    // Since the pass began (not since its reads returned): the next pass, a minute later, compares
    // its own start with this one.
    await deps.marks.put(plan.name, { fingerprint, since: new Date(now).toISOString(), detail: finding.why });
    return { app: plan.name, finding: finding.kind, result: 'settling', detail: finding.why };
  }
  if (mark.actedAt) {
    return {
      app: plan.name,
      finding: finding.kind,
      result: 'nothing-to-do',
      detail: `already handled at ${mark.actedAt}: ${finding.why}`,
    };
  }
  const settleMs = plan.reconcile.settleSeconds * 1000;
  if (now - Date.parse(mark.since) < settleMs) {
    return { app: plan.name, finding: finding.kind, result: 'settling', detail: finding.why };
  }

  const holder = `reconciler-${deps.region}`;
  let grant: { epoch: number };
  try {
    grant = await deps.store.acquireLock(plan.name, holder, RECONCILER_LEASE_MS, {
      reason: `reconcile: ${finding.why}`,
    });
  } catch (error: unknown) {
    if (error instanceof FailoverInProgressError)
      return { app: plan.name, finding: finding.kind, result: 'skipped', detail: error.message };
    throw error;
  }
  try {
    // Under the lock, look again: another region's reconciler may have acted in the meantime.
    const again = await deps.marks.get(plan.name);
    if (again?.fingerprint !== fingerprint || again.actedAt) {
      return {
        app: plan.name,
        finding: finding.kind,
        result: 'nothing-to-do',
        detail: 'handled by another pass',
      };
    }
    try {
      const result = await act(plan, finding, seen, holder, grant.epoch, deps);
      await deps.marks.put(plan.name, { ...again, actedAt: isoNow(deps.clock), detail: finding.why });
      return { app: plan.name, finding: finding.kind, result, detail: finding.why };
    } catch (error: unknown) {
      // An action that keeps failing (a permission, a protection) is reported, not retried forever.
      const failures = (again.failures ?? 0) + 1;
      const why = `${finding.why}; acting failed ${failures} time(s): ${describeError(error).name}: ${describeError(error).message}`;
      if (failures < ACT_FAILURES_BEFORE_DRIFT) {
        await deps.marks.put(plan.name, { ...again, failures });
        throw error;
      }
      await act(plan, { kind: 'drift', why }, seen, holder, grant.epoch, deps);
      await deps.marks.put(plan.name, { ...again, failures, actedAt: isoNow(deps.clock), detail: why });
      return { app: plan.name, finding: 'drift', result: 'reported', detail: why };
    }
  } finally {
    await deps.store.releaseLock(plan.name, holder, grant.epoch).catch(() => undefined);
  }
}

async function act(
  plan: Plan,
  finding: Exclude<Finding, { kind: 'consistent' }>,
  seen: AppObservation,
  holder: string,
  epoch: number,
  deps: ReconcileDeps,
): Promise<'acted' | 'reported'> {
  // Re-read under the lock: the record to change is the one now, not the one before the lock.
  const state = await deps.store.getState(plan.name);
  if (!state) throw new Error(`${plan.name}: no plan state`);
  const at = isoNow(deps.clock);
  const record = (activeRegion: string, status: PlanStatus) =>
    deps.store.setActive(plan.name, {
      activeRegion,
      status,
      expectedVersion: state.version,
      // The record keeps naming the last execution; the reconciler is no execution.
      executionId: state.lastExecutionId ?? holder,
      epoch,
      ...(status === 'DEGRADED' ? { reason: `reconciler: ${finding.why}` } : {}),
    });
  const audit = (action: string, detail: string) =>
    deps.store.appendAudit({
      id: `${holder}-${Date.parse(at)}-${action}`,
      at,
      actor: 'switchyard-reconciler',
      action,
      app: plan.name,
      detail,
    });
  const emit = (type: string, detail: Record<string, unknown>) =>
    deps.events.publish(deps.region, type, { app: plan.name, ...detail }).catch(() => undefined);

  switch (finding.kind) {
    case 'move-traffic': {
      const from = finding.from ?? plan.regions.find((r) => r !== finding.to) ?? finding.to;
      await deps.store.renewLock(plan.name, holder, epoch, RECONCILER_LEASE_MS);
      await moveTrafficTo(plan, finding.to, from, deps, epoch);
      // DEGRADED until a later pass sees writer, traffic and ready capacity together.
      await record(finding.to, 'DEGRADED');
      await audit(
        'reconciler.traffic-moved',
        `traffic moved from ${finding.from ?? 'no region'} to ${finding.to}: ${finding.why}`,
      );
      await emit(RECONCILED_EVENT, {
        action: 'traffic-moved',
        from: finding.from,
        to: finding.to,
        why: finding.why,
      });
      return 'acted';
    }
    case 'set-record': {
      await record(finding.activeRegion, finding.status);
      await audit(
        'reconciler.record-corrected',
        `recorded ${state.activeRegion} ${state.status}, now ${finding.activeRegion} ${finding.status}: ${finding.why}`,
      );
      await emit(RECONCILED_EVENT, {
        action: 'record-corrected',
        activeRegion: finding.activeRegion,
        status: finding.status,
        why: finding.why,
      });
      return 'acted';
    }
    case 'fence-writer': {
      await deps.store.renewLock(plan.name, holder, epoch, RECONCILER_LEASE_MS);
      const removed = await deps.aurora.removeInstances(finding.region, finding.clusterArn);
      const next =
        `${finding.why}: fenced by deleting its instances (${removed.join(', ') || 'none left'}). Next: reconcile the writes ` +
        `${finding.region} took after the detach (its volume keeps them), then rebuild the global database from ${finding.keep}`;
      await record(finding.keep, 'DEGRADED');
      await audit('reconciler.writer-fenced', next);
      await emit(DRIFT_EVENT, {
        action: 'writer-fenced',
        region: finding.region,
        cluster: finding.clusterArn,
        why: next,
      });
      return 'acted';
    }
    case 'drift':
    case 'unknown': {
      if (state.status !== 'DEGRADED') await record(state.activeRegion, 'DEGRADED');
      await audit('reconciler.drift', finding.why);
      await emit(DRIFT_EVENT, { action: 'drift', why: finding.why, observedAt: seen.at });
      return 'reported';
    }
  }
}

/** The same finding (kind and what it would act on) gives the same fingerprint. */
function fingerprintOf(finding: Exclude<Finding, { kind: 'consistent' }>): string {
  switch (finding.kind) {
    case 'move-traffic':
      return `move-traffic:${finding.from ?? 'none'}->${finding.to}`;
    case 'set-record':
      return `set-record:${finding.activeRegion}:${finding.status}`;
    case 'fence-writer':
      return `fence-writer:${finding.globalClusterId}:${finding.region}`;
    case 'drift':
    case 'unknown':
      return finding.kind === 'unknown' ? 'unknown' : `drift:${finding.why}`;
  }
}

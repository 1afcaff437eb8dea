import { isoNow } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import { batchedReads, type ReadPorts } from '../observer/batched-reads.js';
import { readinessOf } from '../observer/observe.js';
import type { RunbookDeps } from '../runbook/context.js';
import { isPromoted } from '../runbook/database.js';
import type { GlobalClusterView } from '../runbook/ports/aurora.js';
import type { GroupCapacity } from '../runbook/ports/auto-scaling.js';
import type { EvacuationApp, EvacuationRecord } from '../runbook/ports/evacuations.js';
import { waitKey } from '../runbook/ports/task-waits.js';
import { answerWait, type WakeSignal } from '../runbook/wake-signal.js';

/**
 * A region evacuation's shared reads (docs/architecture.md, "Shared reads"). While an evacuation
 * runs, each of its apps' runbooks waits on the same kinds of fact in the same target region: its
 * global database's promotion, its Auto Scaling groups' capacity. Read one app at a time, a hundred
 * apps poll RDS and Auto Scaling far past their API rates (RDS: 12 calls per second per region).
 * So the evacuation reads each target region once per poll, for every app at once, and wakes the
 * apps' parked steps whose condition it saw met; their own reads become a slow fallback
 * (`EVACUATION_FALLBACK_SECONDS`, functions/runbook/context.ts).
 *
 * Per target region and poll, through the batched reads (functions/observer/batched-reads.ts): one
 * unfiltered `DescribeGlobalClusters` (every global cluster, 100 a page) while some app still waits
 * for its promotion, and one `DescribeAutoScalingGroups` per 100 groups still waited for, with the
 * load balancer's `DescribeTargetHealth` once per target group of those (that API takes one). The
 * reads are AWS's answers, never a record of ours; a woken step still reads its own resource before
 * it acts (truth over claims), so a shared read that was wrong costs a read, never a wrong step.
 */

/** The pool of wake-ups (waits read, tokens answered) one pass runs at once. */
export const WAKES_AT_ONCE = 25;

/** What one pass of the shared reads did. */
export interface SharedReadSummary {
  /** Target regions with failovers under way (each read at most once this pass). */
  readonly regions: number;
  /** Steps woken, as `<app> <what>`. */
  readonly woken: string[];
  /** Reads that failed this pass (throttled, unreachable): the apps' own fallbacks cover them. */
  readonly errors: string[];
}

/** A condition one app's run waits for, which the shared read saw met. */
interface Met {
  readonly app: EvacuationApp;
  readonly what: string;
  readonly signal: WakeSignal;
}

/**
 * One pass: reads every target region of the evacuation's running apps (`STARTED`) once, and
 * answers each parked wait (`WAIT#` item, AwaitEvent) whose condition the reads show met: the
 * promotion done (the target is the writer, nothing under way), a group ready (the plan's
 * `healthyPercent` of its active desired capacity serving), every group of the app ready (the
 * database branch of a graceful run waits for that). Updates each app's `woken` in place (the
 * caller saves the record). A read that fails is this pass's only: the apps' own fallback polls go
 * on, and the next pass reads again.
 */
export async function wakeFromSharedReads(
  record: EvacuationRecord,
  deps: Pick<RunbookDeps, 'aurora' | 'autoScaling' | 'arc' | 'clock' | 'plans' | 'stepFunctions' | 'waits'>,
): Promise<SharedReadSummary> {
  const running = record.apps.filter((a) => a.status === 'STARTED' && a.executionId);
  const byRegion = new Map<string, EvacuationApp[]>();
  for (const app of running) byRegion.set(app.to, [...(byRegion.get(app.to) ?? []), app]);
  const errors: string[] = [];
  const met = (
    await Promise.all(
      [...byRegion].map(async ([region, apps]) => {
        // Only what some app's run may still wait for: a wait the shared read already answered is
        // not read again (its step reads for itself from then on).
        const waiting = apps.map((app) => ({ app, plan: deps.plans.get(app.app) }));
        // Both read through the batched reads: every app's read of a kind is one call.
        const reads = batchedReads(deps);
        const [globals, groups] = await Promise.all([
          readGlobals(region, waiting, reads).catch((error: unknown) => failed(errors, region, error)),
          readGroups(region, waiting, record.mode, reads).catch((error: unknown) =>
            failed(errors, region, error),
          ),
        ]);
        const readAt = isoNow(deps.clock);
        return waiting.flatMap(({ app, plan }) =>
          metFor(app, plan, record.mode, region, globals, groups, readAt),
        );
      }),
    )
  ).flat();

  const now = deps.clock.now();
  const woken: string[] = [];
  for (let i = 0; i < met.length; i += WAKES_AT_ONCE) {
    await Promise.all(
      met.slice(i, i + WAKES_AT_ONCE).map(async ({ app, what, signal }) => {
        try {
          const wait = await deps.waits.get(app.app, app.executionId as string, what);
          // Not parked there (yet, or any more): the next pass looks again.
          if (!wait || Date.parse(wait.expiresAt) <= now) return;
          if (await answerWait(wait, signal, deps)) {
            app.woken = { ...app.woken, [what]: wait.parkedAt };
            woken.push(`${app.app} ${what}`);
          }
        } catch (error: unknown) {
          failed(errors, `${app.app} ${what}`, error);
        }
      }),
    );
  }
  return { regions: byRegion.size, woken, errors };
}

/** An app of the evacuation whose run is under way, and its plan. */
interface Running {
  readonly app: EvacuationApp;
  readonly plan: Plan;
}

/** Whether `app`'s run may still park on `what`: the shared read has not answered it yet. */
function open(app: EvacuationApp, what: string): boolean {
  return app.woken?.[what] === undefined;
}

/**
 * The global clusters of `region` that a running app still waits to see promoted, by id, read
 * together through the batched reads (one DescribeGlobalClusters for all); undefined (no call)
 * when none is. A read that failed leaves its clusters out and is thrown after (one error for the
 * pass: a batch fails every read it covered alike).
 */
async function readGlobals(
  region: string,
  running: readonly Running[],
  reads: ReadPorts,
): Promise<ReadonlyMap<string, GlobalClusterView> | undefined> {
  const ids = new Set<string>();
  for (const { app, plan } of running)
    for (const cluster of plan.database?.auroraGlobalClusters ?? [])
      if (open(app, waitKey('promotion', cluster.globalClusterId))) ids.add(cluster.globalClusterId);
  return readGlobalsIn(region, ids, reads);
}

/**
 * The global clusters `ids`, as `region` answers, read together through the batched reads (one
 * DescribeGlobalClusters for all); undefined (no call) for none. When a read failed, the first
 * failure is thrown once every read ended.
 */
export async function readGlobalsIn(
  region: string,
  ids: ReadonlySet<string>,
  reads: ReadPorts,
): Promise<ReadonlyMap<string, GlobalClusterView> | undefined> {
  if (ids.size === 0) return undefined;
  return settled(
    [...ids].map(async (id) => [id, await reads.aurora.describeGlobalCluster(region, id)] as const),
  );
}

/**
 * The Auto Scaling groups `names` of `region`, with their load balancer health, read together
 * through the batched reads (DescribeAutoScalingGroups for 100 names a call, then the load
 * balancer once per target group); undefined (no call) for none.
 */
export async function readGroupsIn(
  region: string,
  names: ReadonlySet<string>,
  reads: ReadPorts,
): Promise<ReadonlyMap<string, GroupCapacity> | undefined> {
  if (names.size === 0) return undefined;
  return settled(
    [...names].map(async (name) => [name, await reads.autoScaling.describe(region, name)] as const),
  );
}

/**
 * The groups in `region` that a running app may still wait for (its group's own wait, or, in a
 * graceful evacuation, the database branch's wait for every group), by the region's group name,
 * read together through the batched reads (DescribeAutoScalingGroups for 100 names a call, then
 * the load balancer once per target group); undefined (no call) when there is none.
 */
async function readGroups(
  region: string,
  running: readonly Running[],
  mode: EvacuationRecord['mode'],
  reads: ReadPorts,
): Promise<ReadonlyMap<string, GroupCapacity> | undefined> {
  const names = new Set<string>();
  for (const { app, plan } of running)
    for (const group of plan.compute?.autoScalingGroups ?? [])
      if (open(app, waitKey('group', group.name)) || (mode === 'graceful' && open(app, waitKey('capacity'))))
        names.add(memberIn(group.members, region));
  return readGroupsIn(region, names, reads);
}

/** The answered reads by key; when some failed, the first failure is thrown once every read ended. */
async function settled<T>(reads: readonly Promise<readonly [string, T]>[]): Promise<ReadonlyMap<string, T>> {
  const outcomes = await Promise.allSettled(reads);
  const failure = outcomes.find((o) => o.status === 'rejected');
  if (failure) throw failure.reason;
  return new Map(outcomes.map((o) => (o as PromiseFulfilledResult<readonly [string, T]>).value));
}

/** The conditions of `app`'s run that the reads show met. */
function metFor(
  app: EvacuationApp,
  plan: Plan,
  mode: EvacuationRecord['mode'],
  region: string,
  globals: ReadonlyMap<string, GlobalClusterView> | undefined,
  groups: ReadonlyMap<string, GroupCapacity> | undefined,
  readAt: string,
): Met[] {
  const detail = `shared read of ${region} at ${readAt}`;
  const met: Met[] = [];
  for (const cluster of plan.database?.auroraGlobalClusters ?? []) {
    const view = globals?.get(cluster.globalClusterId);
    if (view && isPromoted(view, memberIn(cluster.members, region)))
      met.push({
        app,
        what: waitKey('promotion', cluster.globalClusterId),
        signal: { woken: true, by: 'shared-read', detail },
      });
  }
  const planGroups = plan.compute?.autoScalingGroups ?? [];
  let allReady = planGroups.length > 0 && groups !== undefined;
  for (const group of planGroups) {
    const capacity = groups?.get(memberIn(group.members, region));
    const ready = capacity !== undefined && readinessOf(group, capacity).ready;
    allReady &&= ready;
    if (ready)
      met.push({
        app,
        what: waitKey('group', group.name),
        signal: { woken: true, by: 'shared-read', detail, ready: { group: group.name, readAt } },
      });
  }
  // Only a graceful run's database branch waits for capacity (it never moves the writer first).
  if (allReady && mode === 'graceful' && (plan.database?.auroraGlobalClusters.length ?? 0) > 0)
    met.push({ app, what: waitKey('capacity'), signal: { woken: true, by: 'shared-read', detail } });
  return met.filter((m) => open(app, m.what));
}

function failed(errors: string[], what: string, error: unknown): undefined {
  const { name, message } = describeError(error);
  errors.push(`${what}: ${name}: ${message}`);
  return undefined;
}

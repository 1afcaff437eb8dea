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
import { type WaitKind, waitKey } from '../runbook/ports/task-waits.js';
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

/** The conditions of `app`'s run that the reads show met (the waits it may park on, {@link metWait}). */
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
  const reads: SharedReads = { region, globals, groups, readAt, detail };
  const waits: [WaitKind, string | undefined][] = [
    ...(plan.database?.auroraGlobalClusters ?? []).map(
      (c) => ['promotion', c.globalClusterId] as [WaitKind, string],
    ),
    ...(plan.compute?.autoScalingGroups ?? []).map((g) => ['group', g.name] as [WaitKind, string]),
    // Only a graceful run's database branch waits for capacity (it never moves the writer first).
    ...(mode === 'graceful' && (plan.database?.auroraGlobalClusters.length ?? 0) > 0
      ? [['capacity', undefined] as [WaitKind, undefined]]
      : []),
  ];
  return waits.flatMap(([kind, resource]) => {
    const what = waitKey(kind, resource);
    const signal = open(app, what) ? metWait(plan, kind, resource, reads) : undefined;
    return signal ? [{ app, what, signal }] : [];
  });
}

/** One region's shared reads (a pass of the evacuation's, or of the region's poller). */
export interface SharedReads {
  readonly region: string;
  /** The global clusters read, by id; undefined when none was (or the read failed). */
  readonly globals: ReadonlyMap<string, GlobalClusterView> | undefined;
  /** The groups read, by the region's group name; undefined when none was (or the read failed). */
  readonly groups: ReadonlyMap<string, GroupCapacity> | undefined;
  /** ISO time of the reads. */
  readonly readAt: string;
  /** Who read, for the woken step's record (`shared read of <region> at <readAt>`). */
  readonly detail: string;
}

/**
 * Whether the shared reads show a wait of `plan` met (one rule for the evacuation's shared reads
 * and the region's poller), and if so what the woken step is handed: `promotion` of `resource`
 * (the global cluster id) done, the target the writer and nothing under way, with the writers
 * read (the woken check decides on them while fresh); `group` `resource` ready (the plan's
 * `healthyPercent` of its active desired capacity serving), with the group and the time; or
 * `capacity`, every group of the plan ready, with the time (`capacityReady`). Undefined when not
 * met, or not read.
 */
export function metWait(
  plan: Plan,
  kind: WaitKind | string | undefined,
  resource: string | undefined,
  reads: SharedReads,
): WakeSignal | undefined {
  const { region, globals, groups, readAt, detail } = reads;
  if (kind === 'promotion') {
    const cluster = plan.database?.auroraGlobalClusters.find((c) => c.globalClusterId === resource);
    const view = cluster ? globals?.get(cluster.globalClusterId) : undefined;
    if (!cluster || !view || !isPromoted(view, memberIn(cluster.members, region))) return undefined;
    return {
      woken: true,
      by: 'shared-read',
      detail,
      promoted: { writers: view.members.filter((m) => m.isWriter).map((m) => m.clusterArn), readAt },
    };
  }
  if (kind !== 'group' && kind !== 'capacity') return undefined;
  const planGroups = (plan.compute?.autoScalingGroups ?? []).filter(
    (g) => kind === 'capacity' || g.name === resource,
  );
  const ready =
    planGroups.length > 0 &&
    planGroups.every((g) => {
      const capacity = groups?.get(memberIn(g.members, region));
      return capacity !== undefined && readinessOf(g, capacity).ready;
    });
  if (!ready) return undefined;
  return {
    woken: true,
    by: 'shared-read',
    detail,
    ...(kind === 'group' && resource ? { ready: { group: resource, readAt } } : {}),
    ...(kind === 'capacity' ? { capacityReady: { readAt } } : {}),
  };
}

function failed(errors: string[], what: string, error: unknown): undefined {
  const { name, message } = describeError(error);
  errors.push(`${what}: ${name}: ${message}`);
  return undefined;
}

import { isoNow } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import * as z from '../core/zod.js';
import { batchedReads } from '../observer/batched-reads.js';
import { type ObserverDeps, observeApp } from '../observer/observe.js';
import { parseInput, type RunbookDeps } from '../runbook/context.js';
import type { TaskWait } from '../runbook/ports/task-waits.js';
import { firstRetryableUnknown } from '../runbook/preflight.js';
import { answerRead, observeReadOf, type SharedObservation } from '../runbook/read-park.js';
import { answerWait } from '../runbook/wake-signal.js';
import {
  POLLER_IDLE_POLLS,
  POLLER_LEASE_MS,
  POLLER_MAX_POLLS,
  POLLER_SECONDS,
} from './region-poller-start.js';
import { metWait, readGlobalsIn, readGroupsIn, type SharedReads, WAKES_AT_ONCE } from './shared-reads.js';

/**
 * A region's poller of parked waits (docs/architecture.md, "Shared reads"): the evacuation's
 * shared reads, for failovers that are not part of an evacuation. When many apps fail over into
 * one region at once (each app's alarm fired on its own, or each team scripted its own
 * `switchyard failover`), each run's parked steps wait on the same kinds of fact there: its global
 * database's promotion, its groups' capacity. Read app by app, a hundred runs poll RDS and Auto
 * Scaling far past their API rates (RDS: 12 calls per second per region) and starve each other's
 * steps. So one poller per region reads, once per {@link POLLER_SECONDS}, every parked wait's
 * facts through the batched reads (one unfiltered DescribeGlobalClusters, one
 * DescribeAutoScalingGroups per 100 groups and the load balancer once per target group), and
 * answers the waits it sees met: O(1) reads per region and cadence, whatever the number of apps.
 *
 * The first waiter starts it (AwaitEvent, {@link ensureRegionPoller}), under a lease in the state
 * table (`POLLER#<region>` / `LEASE`, one conditional write): of any number of waiters, one starts
 * the region poller's state machine, which renews the lease at every poll and ends after
 * {@link POLLER_IDLE_POLLS} polls with nothing parked. What it reads is AWS's answer, never a
 * record of ours; a woken step decides on that read only while it is fresh, and reads AWS itself
 * otherwise. A poller that stopped costs latency, never a wait: each parked wait still ends at its
 * own timeout, the 30 s fallback (`EVACUATION_FALLBACK_SECONDS`), and its step reads for itself.
 */

const PollInput = z.object({
  poller: z.object({
    region: z.string().check(z.minLength(1)),
    epoch: z.int().check(z.positive()),
  }),
  progress: z.nullish(
    z.object({ attempt: z.int().check(z.nonnegative()), idle: z.int().check(z.nonnegative()) }),
  ),
});

/**
 * What a pass reads through: RDS, Auto Scaling and ARC for the parked waits, and (for the parked
 * reads, `observe` waits) the rest of the observer's ports; without them, observe waits are left
 * to their own timeout (the step then reads for itself).
 */
export type PollerDeps = Pick<
  RunbookDeps,
  'aurora' | 'autoScaling' | 'arc' | 'clock' | 'plans' | 'stepFunctions'
> &
  Partial<Pick<RunbookDeps, 'auroraLag' | 'dns' | 'region' | 'traffic'>>;

/** What one pass of the region poller returns to its Wait + Choice loop. */
export interface PollerProgress {
  readonly done: boolean;
  readonly nextPollSeconds: number;
  readonly attempt: number;
  /** Passes in a row that found nothing parked. */
  readonly idle: number;
  /** Waits parked in the region at this pass, and the ones it woke. */
  readonly parked: number;
  readonly woken: number;
  /** Calls of this pass's shared reads, by kind (at most one batch each, whatever the apps). */
  readonly reads: { readonly globalClusters: number; readonly groups: number; readonly observed?: number };
  /** Up to three reads or wakes that failed this pass (the waits' own fallbacks cover them). */
  readonly errors?: string[];
  /** Why it ended, when it did. */
  readonly ended?: string;
}

/**
 * PollRegion, one pass of a region's poller: renews its lease (a poller whose lease another took
 * ends at once), lists the shared waits parked in the region (one Query), reads what they wait for
 * once for all of them, and answers the waits it sees met. Ends after {@link POLLER_IDLE_POLLS}
 * passes with nothing parked, or {@link POLLER_MAX_POLLS} passes, freeing the lease so that the
 * next waiter starts a poller at once. A read that fails is this pass's only.
 */
export async function pollRegion(
  input: unknown,
  deps: PollerDeps & Pick<RunbookDeps, 'waits'>,
): Promise<PollerProgress> {
  const { poller, progress } = parseInput(PollInput, input, 'PollRegion');
  const attempt = (progress?.attempt ?? -1) + 1;
  const now = deps.clock.now();
  const base = { nextPollSeconds: POLLER_SECONDS, attempt, reads: { globalClusters: 0, groups: 0 } };
  if (!(await deps.waits.renewPoller(poller.region, poller.epoch, now + POLLER_LEASE_MS)))
    return { ...base, done: true, idle: 0, parked: 0, woken: 0, ended: 'another poller holds the lease' };
  const parked = latestParks(await deps.waits.listShared(poller.region, now));
  const pass = await wakeParked(poller.region, parked, deps);
  const idle = parked.length === 0 ? (progress?.idle ?? 0) + 1 : 0;
  const ended =
    idle >= POLLER_IDLE_POLLS
      ? `nothing parked for ${idle} passes`
      : attempt + 1 >= POLLER_MAX_POLLS
        ? `${POLLER_MAX_POLLS} passes`
        : undefined;
  // Ending frees the lease now (renewed to now), so that the next waiter starts a poller at once.
  if (ended) await deps.waits.renewPoller(poller.region, poller.epoch, deps.clock.now());
  return {
    ...base,
    done: ended !== undefined,
    idle,
    parked: parked.length,
    woken: pass.woken,
    reads: pass.reads,
    ...(pass.errors.length > 0 ? { errors: pass.errors.slice(0, 3) } : {}),
    ...(ended ? { ended } : {}),
  };
}

/** Each execution's latest park per wait (a step that parked again left its earlier token spent). */
function latestParks(waits: readonly TaskWait[]): TaskWait[] {
  const latest = new Map<string, TaskWait>();
  for (const wait of waits) {
    const key = `${wait.app}#${wait.executionId}#${wait.what}`;
    const seen = latest.get(key);
    if (!seen || seen.parkedAt < wait.parkedAt) latest.set(key, wait);
  }
  return [...latest.values()];
}

/**
 * Reads, once for all `parked` waits of `region`, what they wait for, and answers each wait whose
 * condition the reads show met, by the evacuation's rule (`metWait`, shared-reads.ts): a promotion
 * done (the target the writer, nothing under way), a group ready (the plan's `healthyPercent` of
 * its active desired capacity serving), every group of the app ready (a graceful run's database
 * branch waits for that).
 */
export async function wakeParked(
  region: string,
  parked: readonly TaskWait[],
  deps: PollerDeps,
): Promise<{ woken: number; errors: string[]; reads: PollerProgress['reads'] }> {
  const errors: string[] = [];
  const fail = (what: string, error: unknown): undefined => {
    const { name, message } = describeError(error);
    errors.push(`${what}: ${name}: ${message}`);
    return undefined;
  };
  const ids = new Set<string>();
  const names = new Set<string>();
  const plans: ReadonlyMap<string, Plan> = new Map(deps.plans.list().map((p) => [p.name, p]));
  const known = parked.flatMap((wait) => {
    const plan = plans.get(wait.app);
    if (!plan) return [];
    const [kind, resource] = wait.what.split('#', 2);
    if (kind === 'promotion' && resource) ids.add(resource);
    for (const group of plan.compute?.autoScalingGroups ?? [])
      if (kind === 'capacity' || (kind === 'group' && group.name === resource))
        names.add(memberIn(group.members, region));
    return [{ wait, plan, kind, resource }];
  });
  const reads = batchedReads(deps);
  const [globals, groups, observed] = await Promise.all([
    readGlobalsIn(region, ids, reads).catch((error: unknown) => fail(`${region} global clusters`, error)),
    readGroupsIn(region, names, reads).catch((error: unknown) => fail(`${region} groups`, error)),
    observeParked(region, parked, plans, reads),
  ]);
  const readAt = isoNow(deps.clock);
  const shared: SharedReads = {
    region,
    globals,
    groups,
    readAt,
    detail: `region poller's read of ${region} at ${readAt}`,
  };
  const met = known.flatMap(({ wait, plan, kind, resource }) => {
    const signal = metWait(plan, kind, resource, shared);
    return signal ? [{ wait, signal }] : [];
  });
  const answers: { wait: TaskWait; answer: () => Promise<boolean> }[] = [
    ...met.map(({ wait, signal }) => ({ wait, answer: () => answerWait(wait, signal, deps) })),
    ...observed.map(({ wait, signal }) => ({ wait, answer: () => answerRead(wait, signal, deps) })),
  ];
  let woken = 0;
  for (let i = 0; i < answers.length; i += WAKES_AT_ONCE) {
    await Promise.all(
      answers.slice(i, i + WAKES_AT_ONCE).map(async ({ wait, answer }) => {
        try {
          if (await answer()) woken++;
        } catch (error: unknown) {
          fail(`${wait.app} ${wait.what}`, error);
        }
      }),
    );
  }
  return {
    woken,
    errors,
    reads: {
      globalClusters: globals === undefined ? 0 : 1,
      groups: groups === undefined ? 0 : 1,
      ...(observed.length > 0 ? { observed: observed.length } : {}),
    },
  };
}

/**
 * The parked reads (`observe` waits: Preflight's and VerifyService's, functions/runbook/
 * read-park.ts) of `region`, each answered with its app's observation: every app observed at once
 * through `reads`, the batched reads, so that N apps cost one DescribeGlobalClusters and one
 * DescribeDBClusters per 100 clusters per region read, one DescribeAutoScalingGroups per 100
 * groups, one GetMetricData per region and one ListRoutingControls per ARC cluster, as the
 * reconciler reads every app (target health, which the load balancer reads one target group at a
 * time, stays one call per group; warm pools are not read, see below). An observation with a read
 * that failed retryably leaves its wait parked for the next pass (each wait's own timeout bounds
 * it: the step then reads for itself). None without the observer's ports.
 */
async function observeParked(
  region: string,
  parked: readonly TaskWait[],
  plans: ReadonlyMap<string, Plan>,
  reads: PollerDeps,
): Promise<{ wait: TaskWait; signal: SharedObservation }[]> {
  const { auroraLag, dns, traffic } = reads;
  if (!auroraLag || !dns || !traffic || !reads.region) return [];
  const deps: ObserverDeps = { ...reads, auroraLag, dns, traffic, region: reads.region };
  const readAt = isoNow(deps.clock);
  return Promise.all(
    parked.flatMap((wait) => {
      const read = observeReadOf(wait.what);
      const plan = plans.get(wait.app);
      if (!read || !plan) return [];
      const regions = read === 'preflight-graceful' ? plan.regions : [region];
      return [
        // No DescribeWarmPool (one group a call): how many pool instances are warmed only refines
        // a warning; the pool's existence and size are in the group's own answer.
        observeApp(plan, regions, deps, { lag: read !== 'verify' }).then((observation) =>
          // A read AWS throttled or failed retryably is no answer: the wait stays parked for the
          // next pass (its own timeout bounds it), rather than every parked step retrying at once.
          firstRetryableUnknown(observation, regions)
            ? []
            : [
                {
                  wait,
                  signal: {
                    woken: true,
                    by: 'shared-read',
                    detail: `region poller's read of ${regions.join(', ')} at ${readAt}`,
                    observation,
                    readAt,
                  } satisfies SharedObservation,
                },
              ],
        ),
      ];
    }),
  ).then((answers) => answers.flat());
}

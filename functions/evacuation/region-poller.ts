import { isoNow } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import * as z from '../core/zod.js';
import { batchedReads } from '../observer/batched-reads.js';
import { type ObserverDeps, observeApp } from '../observer/observe.js';
import { parseInput, type RunbookDeps, RunContext, type TrafficShifted } from '../runbook/context.js';
import type { TaskWait } from '../runbook/ports/task-waits.js';
import { firstRetryableUnknown } from '../runbook/preflight.js';
import { answerRead, observeReadOf, type SharedObservation } from '../runbook/read-park.js';
import { answerWait, type WakeSignal } from '../runbook/wake-signal.js';
import { moveTrafficIfReady, targetOf } from '../runbook/wake-traffic.js';
import { nextBackoffMs, type PassCalls, POLL_BURST_MS, pollIntervalMs } from './poll-budget.js';
import { type KeptReads, PARK_MARGIN_MS, watchReaders } from './reader-watch.js';
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
    z.object({
      attempt: z.int().check(z.nonnegative()),
      idle: z.int().check(z.nonnegative()),
      backoffMs: z.optional(z.number().check(z.nonnegative())),
      answered: z.optional(z.array(z.string())),
    }),
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
  Partial<
    Pick<RunbookDeps, 'auroraLag' | 'dns' | 'random' | 'region' | 'route53' | 'store' | 'traffic' | 'waits'>
  >;

/** What one pass of the region poller returns to its Wait + Choice loop. */
export interface PollerProgress {
  readonly done: boolean;
  readonly nextPollSeconds: number;
  readonly attempt: number;
  /** The throttling back-off carried to the next invocation, in milliseconds (0: none). */
  readonly backoffMs: number;
  /** Invocations in a row that found nothing parked. */
  readonly idle: number;
  /** Waits parked in the region at this pass, and the ones it woke. */
  readonly parked: number;
  readonly woken: number;
  /** Calls of the last pass's shared reads, by kind (at most one batch each, whatever the apps). */
  readonly reads: { readonly globalClusters: number; readonly groups: number; readonly observed?: number };
  /** The last pass's API calls by service, which set its interval (`pollIntervalMs`). */
  readonly calls?: PassCalls;
  /** Up to three reads or wakes that failed this invocation (the waits' own fallbacks cover them). */
  readonly errors?: string[];
  /** The parks answered and still listed (`<expiresAt>#<app>#<executionId>#<what>#<parkedAt>`). */
  readonly answered?: string[];
  /** Why it ended, when it did. */
  readonly ended?: string;
}

/**
 * PollRegion, a run of passes of a region's poller. Each pass renews its lease (a poller whose
 * lease another took ends at once) beside listing the shared waits parked in the region (one
 * Query), reads what they wait for once for all of them, and answers the waits it sees met. While
 * something is parked, passes follow each other at the budget's pace (`pollIntervalMs`,
 * poll-budget.ts: every 250 ms for one app's failover, slower as the parked apps' reads grow, never
 * more than a quarter of a service's sustained rate, backing off after a throttled read) for up to
 * `POLL_BURST_MS` (10 s) of this invocation; with nothing parked it returns at once and its state
 * machine waits {@link POLLER_SECONDS}. Ends after {@link POLLER_IDLE_POLLS} invocations with
 * nothing parked, or {@link POLLER_MAX_POLLS} passes, freeing the lease so that the next waiter
 * starts a poller at once. A read that fails is this pass's only. Without a clock that can wait
 * (unit tests' fakes) an invocation is one pass.
 */
export async function pollRegion(
  input: unknown,
  deps: PollerDeps & Pick<RunbookDeps, 'waits'>,
): Promise<PollerProgress> {
  const { poller, progress } = parseInput(PollInput, input, 'PollRegion');
  const started = deps.clock.now();
  let attempt = progress?.attempt ?? -1;
  let backoffMs = progress?.backoffMs ?? 0;
  // The parks answered already (woken, or their token found spent): not answered again while they
  // stay listed (until they expire, or their step parks again under a new `parkedAt`).
  const answered = new Set((progress?.answered ?? []).filter((key) => key > new Date(started).toISOString()));
  let busy = false;
  let woken = 0;
  const errors: string[] = [];
  // The promotion reads the watch of pilot light's readers keeps fresh, across this invocation's passes.
  const kept: KeptReads = new Map();
  for (;;) {
    attempt++;
    const passStart = deps.clock.now();
    const pass = await onePass(poller, passStart, answered, kept, deps);
    if (pass === 'lease lost') {
      const base = {
        nextPollSeconds: POLLER_SECONDS,
        attempt,
        backoffMs,
        reads: { globalClusters: 0, groups: 0 },
      };
      return { ...base, done: true, idle: 0, parked: 0, woken, ended: 'another poller holds the lease' };
    }
    busy ||= pass.parked > 0;
    woken += pass.woken;
    errors.push(...pass.errors);
    backoffMs = nextBackoffMs(backoffMs, pass.throttled);
    const interval = pollIntervalMs(pass.calls, backoffMs);
    const sleep = deps.clock.sleep?.bind(deps.clock);
    // The next pass starts one interval after this one started: the budget counts calls per
    // interval, whatever this pass's own reads took.
    const wait = passStart + interval - deps.clock.now();
    // An invocation that found nothing parked returns at once (its state machine waits a second);
    // one that did keeps passing, through the gaps between a step's parks, for the burst.
    if (!busy || !sleep || attempt + 1 >= POLLER_MAX_POLLS) return finish(pass, 0);
    if (wait > 0) await sleep(wait);
    if (deps.clock.now() - started >= POLL_BURST_MS) return finish(pass, 0);
  }

  async function finish(last: PassResult, rest: number): Promise<PollerProgress> {
    const idle = busy ? 0 : (progress?.idle ?? 0) + 1;
    const ended =
      idle >= POLLER_IDLE_POLLS
        ? `nothing parked for ${idle} passes`
        : attempt + 1 >= POLLER_MAX_POLLS
          ? `${POLLER_MAX_POLLS} passes`
          : undefined;
    // Ending frees the lease now (renewed to now), so that the next waiter starts a poller at once.
    if (ended) await deps.waits.renewPoller(poller.region, poller.epoch, deps.clock.now());
    const interval = pollIntervalMs(last.calls, backoffMs);
    return {
      done: ended !== undefined,
      // Step Functions' Wait takes whole seconds: a busy poller's next invocation follows at once
      // (this one slept out its last interval); an idle one's a second later. Without a clock that
      // can wait, the budget's interval rounded up.
      nextPollSeconds: !busy
        ? POLLER_SECONDS
        : deps.clock.sleep
          ? rest
          : Math.max(POLLER_SECONDS, Math.ceil(interval / 1_000)),
      attempt,
      backoffMs,
      idle,
      parked: last.parked,
      woken,
      reads: last.reads,
      calls: last.calls,
      ...(answered.size > 0 ? { answered: [...answered] } : {}),
      ...(errors.length > 0 ? { errors: errors.slice(0, 3) } : {}),
      ...(ended ? { ended } : {}),
    };
  }
}

/** One pass's outcome (see {@link onePass}). */
interface PassResult {
  readonly parked: number;
  readonly woken: number;
  readonly errors: string[];
  readonly throttled: boolean;
  readonly calls: PassCalls;
  readonly reads: PollerProgress['reads'];
}

/**
 * One pass: the lease renewed beside the parked waits' Query, then the shared reads and wakes of
 * the parks not in `answered`, to which it adds those it answered.
 */
async function onePass(
  poller: { readonly region: string; readonly epoch: number },
  now: number,
  answered: Set<string>,
  kept: KeptReads,
  deps: PollerDeps & Pick<RunbookDeps, 'waits'>,
): Promise<PassResult | 'lease lost'> {
  const [held, listed] = await Promise.all([
    deps.waits.renewPoller(poller.region, poller.epoch, now + POLLER_LEASE_MS),
    deps.waits.listShared(poller.region, now),
  ]);
  if (!held) return 'lease lost';
  const parked = latestParks(listed).filter((wait) => !answered.has(answeredKey(wait)));
  const pass = parked.length > 0 ? await wakeParked(poller.region, parked, deps, kept) : undefined;
  for (const wait of pass?.answered ?? []) answered.add(answeredKey(wait));
  return {
    parked: parked.length,
    woken: pass?.woken ?? 0,
    errors: pass?.errors ?? [],
    throttled: pass?.throttled ?? false,
    calls: pass?.calls ?? {},
    reads: pass?.reads ?? { globalClusters: 0, groups: 0 },
  };
}

/** A park's key in the poller's `answered` (its expiry first, so that old keys are dropped by it). */
function answeredKey(wait: TaskWait): string {
  return `${wait.expiresAt}#${wait.app}#${wait.executionId}#${wait.what}#${wait.parkedAt}`;
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
 * branch waits for that). A promotion parked with its run (not an evacuation's) has its traffic
 * moved first when the rest of the run is recorded ready ({@link moveParkedTraffic}), as the event
 * waker would. `throttled` when AWS throttled (or failed retryably) a read of this pass: nothing
 * that read covered was answered. `calls`: the API calls of the reads, by service, for the budget.
 */
export async function wakeParked(
  region: string,
  parked: readonly TaskWait[],
  deps: PollerDeps,
  kept: KeptReads = new Map(),
): Promise<{
  woken: number;
  /** The waits it answered: woken, or their token found spent. */
  answered: TaskWait[];
  errors: string[];
  reads: PollerProgress['reads'];
  throttled: boolean;
  calls: PassCalls;
}> {
  const errors: string[] = [];
  let throttled = false;
  const fail = (what: string, error: unknown): undefined => {
    const { name, message } = describeError(error);
    if (RETRYABLE_READ_ERRORS.has(name)) throttled = true;
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
  const { ports, calls } = countedPorts(deps);
  const reads = batchedReads(ports);
  const [globals, groups, observed, readers] = await Promise.all([
    readGlobalsIn(region, ids, reads).catch((error: unknown) => fail(`${region} global clusters`, error)),
    readGroupsIn(region, names, reads).catch((error: unknown) => fail(`${region} groups`, error)),
    observeParked(region, parked, plans, reads),
    watchParkedReaders(region, known, kept, reads).catch((error: unknown) =>
      fail(`${region} pilot light readers`, error),
    ),
  ]);
  if (observed.left > 0) throttled = true;
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
    return signal ? [{ wait, plan, resource, signal }] : [];
  });
  const answers: { wait: TaskWait; answer: () => Promise<boolean> }[] = [
    ...met.map(({ wait, plan, resource, signal }) => ({
      wait,
      answer: async () => {
        const shifted = await moveParkedTraffic(plan, wait, resource, signal, deps).catch(() => undefined);
        return answerWait(wait, shifted ? { ...signal, shifted } : signal, deps);
      },
    })),
    ...observed.answers.map(({ wait, signal }) => ({ wait, answer: () => answerRead(wait, signal, deps) })),
    ...(readers ?? []),
  ];
  let woken = 0;
  const answered: TaskWait[] = [];
  for (let i = 0; i < answers.length; i += WAKES_AT_ONCE) {
    await Promise.all(
      answers.slice(i, i + WAKES_AT_ONCE).map(async ({ wait, answer }) => {
        try {
          if (await answer()) woken++;
          answered.push(wait);
        } catch (error: unknown) {
          fail(`${wait.app} ${wait.what}`, error);
        }
      }),
    );
  }
  return {
    woken,
    answered,
    errors,
    throttled,
    calls,
    reads: {
      globalClusters: globals === undefined ? 0 : 1,
      groups: groups === undefined ? 0 : 1,
      ...(observed.answers.length > 0 ? { observed: observed.answers.length } : {}),
    },
  };
}

/**
 * The parked reader waits among `known` (pilot light's new reader, `reader#<globalClusterId>`),
 * watched through `reads` ({@link watchReaders}); none without the ports a promotion needs (the
 * lag, the state store, the seeded randomness).
 */
function watchParkedReaders(
  region: string,
  known: readonly { wait: TaskWait; plan: Plan; kind: string | undefined; resource: string | undefined }[],
  kept: KeptReads,
  reads: PollerDeps,
): Promise<{ wait: TaskWait; answer: () => Promise<boolean> }[]> {
  const { auroraLag, random, store } = reads;
  const waits = known.flatMap(({ wait, plan, kind, resource }) =>
    kind === 'reader' && resource ? [{ wait, plan, resource }] : [],
  );
  if (waits.length === 0 || !auroraLag || !random || !store) return Promise.resolve([]);
  return watchReaders(region, waits, kept, { ...reads, auroraLag, random, store });
}

/** Errors of a read that mean "ask again later": the pass backs off (`nextBackoffMs`). */
const RETRYABLE_READ_ERRORS: ReadonlySet<string> = new Set(['ThrottledError', 'TransientAwsError']);

/**
 * `deps`' RDS and Auto Scaling ports, counting the API calls made through them for the pass's
 * budget: one a port call, but a list call by its pages (100 names a DescribeAutoScalingGroups,
 * 100 ids a filtered DescribeDBClusters, 100 global clusters a DescribeGlobalClusters page, as their
 * API references give `MaxRecords`).
 */
function countedPorts(deps: PollerDeps): { ports: PollerDeps; calls: { rds: number; autoscaling: number } } {
  const calls = { rds: 0, autoscaling: 0 };
  const pages = (n: number) => Math.max(1, Math.ceil(n / 100));
  const counting = <T extends object>(port: T, service: keyof typeof calls): T =>
    new Proxy(port, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const listed = Array.isArray(args[1]) ? args[1].length : undefined;
          const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
          calls[service] +=
            listed !== undefined ? pages(listed) : Array.isArray(result) ? pages(result.length) : 1;
          return result;
        };
      },
    });
  return {
    ports: {
      ...deps,
      aurora: counting(deps.aurora, 'rds'),
      autoScaling: counting(deps.autoScaling, 'autoscaling'),
    },
    calls,
  };
}

/**
 * Moves the traffic of a run whose promotion the poller read done, before its wake, as the event
 * waker does (`moveTrafficIfReady`, wake-traffic.ts: the rest of the run recorded ready, read
 * beside the lease's renewal at the run's epoch): only for a promotion parked with its run (not an
 * evacuation's, whose traffic moves in batches), its token not expired, the target the writer in
 * the read. The wait is parked again without its run in the same round, so that RDS's event,
 * arriving later, moves nothing a second time. Undefined when it moved nothing.
 *
 * @throws LockLostError the run no longer holds its epoch (nothing moved; the wake goes on)
 */
async function moveParkedTraffic(
  plan: Plan,
  wait: TaskWait,
  resource: string | undefined,
  signal: WakeSignal,
  deps: PollerDeps,
): Promise<TrafficShifted | undefined> {
  const { route53, store, traffic } = deps;
  if (!signal.promoted || !resource || !wait.run || !route53 || !store || !traffic) return undefined;
  const parsed = RunContext.safeParse(wait.run);
  // Not a park about to time out: its step, woken by the timeout, reads RDS and may move it itself.
  const live = Date.parse(wait.expiresAt) - deps.clock.now() > PARK_MARGIN_MS;
  if (!parsed.success || parsed.data.evacuation || !live) return undefined;
  const run = parsed.data;
  if (!signal.promoted.writers.includes(targetOf(plan, resource, run))) return undefined;
  const { run: _kept, shared: _shared, ...withoutRun } = wait;
  return moveTrafficIfReady(
    plan,
    { kind: 'database', id: resource },
    run,
    'RegionPoller',
    { ...deps, route53, store, traffic },
    { alongside: deps.waits?.park(withoutRun) },
  );
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
): Promise<{ answers: { wait: TaskWait; signal: SharedObservation }[]; left: number }> {
  const { auroraLag, dns, traffic } = reads;
  if (!auroraLag || !dns || !traffic || !reads.region) return { answers: [], left: 0 };
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
  ).then((answers) => ({
    answers: answers.flat(),
    left: answers.filter((a) => a.length === 0).length,
  }));
}

import { isoNow } from '../core/clock.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import { fence, type RunbookDeps, RunContext } from '../runbook/context.js';
import type { TaskWait } from '../runbook/ports/task-waits.js';
import { globalCluster } from '../runbook/resources.js';
import { type PromotionReads, promotionReads, startFor } from '../runbook/wake-promotion.js';
import { WAKE_READ_FRESH_MS } from '../runbook/wake-reads.js';
import { answerWait, type WakeSignal } from '../runbook/wake-signal.js';

// The region poller's watch of pilot light's new readers (docs/architecture.md, "The region
// poller"): the one that sees the reader available starts the promotion, on reads of what the
// promotion needs kept fresh beside the watch, so the observation is followed by the call alone.

/**
 * How long a park must still have before its Task times out for the poller to act on it, in
 * milliseconds (virtual in the sandbox): the pass's action and answer take a few round trips, and
 * a step woken by its timeout reads AWS and acts itself (CheckDatabase moves traffic, CheckPrepare
 * hands the promotion to PromoteDatabase), so both must not. The poller only wakes a park closer
 * to its end.
 */
export const PARK_MARGIN_MS = 1_000;

/**
 * How old the kept promotion reads may grow before the watch reads them again, in milliseconds
 * (virtual in the sandbox): under `WAKE_READ_FRESH_MS` (2 s), the age a read may have when a
 * promotion is started on it, by the longest pass interval with those reads in it (two RDS calls
 * at the poller's budget, 667 ms) and a pass's own read (RDS's 0.25 s): so the reads made before a
 * refresh still serve while the refresh is under way.
 */
export const KEEP_FRESH_MS = 1_000;

/**
 * The promotion reads a watch keeps for one parked reader wait, when they were started (epoch ms),
 * and, once they answered, what they answered (`settled`).
 */
interface Kept {
  readonly at: number;
  readonly reads: Promise<PromotionReads>;
  settled?: PromotionReads;
}

/** Starts {@link Kept} reads at `at`, which record their answer in it once they have it. */
function keep(at: number, reads: Promise<PromotionReads>): Kept {
  const kept: Kept = { at, reads };
  reads.then(
    (answer) => {
      kept.settled = answer;
    },
    () => undefined,
  );
  return kept;
}

/**
 * The kept reads to start a promotion on at `now`: the latest if they answered, else the ones
 * before them while still at most `WAKE_READ_FRESH_MS` old (a refresh under way is not waited
 * for: its capacity read, Auto Scaling then the load balancer, outlasts the reader's), else the
 * latest once they answer. Undefined when none is fresh enough.
 */
function freshest(latest: Kept | undefined, before: Kept | undefined, now: number): Kept | undefined {
  const fresh = (k: Kept | undefined): k is Kept => k !== undefined && now - k.at <= WAKE_READ_FRESH_MS;
  if (latest?.settled) return fresh(latest) ? latest : undefined;
  if (before?.settled && fresh(before)) return before;
  return fresh(latest) ? latest : undefined;
}

/** The promotion reads kept across one invocation's passes, by wait (`<executionId>#<what>`). */
export type KeptReads = Map<string, Kept>;

/** A parked reader wait (`reader#<globalClusterId>`) of `plan`. */
export interface ReaderWait {
  readonly wait: TaskWait;
  readonly plan: Plan;
  readonly resource: string;
}

/**
 * Watches the readers `waits` wait for in `region`, one DescribeDBInstances of each target cluster
 * (the waits of the runs `readerWatched` gives the poller, functions/runbook/context.ts: fewer than `REGION_POLLER_MIN_PLANS` plans run
 * into the region, so at most a few such reads a pass, counted in the pass's budget by `deps`).
 * Beside each read, for a run parked with its run context at least {@link PARK_MARGIN_MS} from its
 * timeout: the run's lease renewed at its epoch (`fence`) and, once older than
 * {@link KEEP_FRESH_MS}, the promotion's reads again (`promotionReads`: the global cluster, and the
 * target's capacity or the replication lag). Returns, per wait whose reader the read shows
 * available, the answer to make: start the promotion on those reads (`startFor`, when they are at
 * most `WAKE_READ_FRESH_MS` old and a graceful run's capacity was read ready), then wake the step
 * with the reader read and the promotion started, which CheckPrepare carries to PromoteDatabase.
 * A read that failed throws (the caller records it; the wait's own fallback covers it).
 *
 * @throws the RDS read's error, for the caller's pass
 */
export async function watchReaders(
  region: string,
  waits: readonly ReaderWait[],
  kept: KeptReads,
  deps: Pick<
    RunbookDeps,
    'aurora' | 'auroraLag' | 'autoScaling' | 'clock' | 'plans' | 'random' | 'stepFunctions' | 'store'
  >,
): Promise<{ wait: TaskWait; answer: () => Promise<boolean> }[]> {
  const now = deps.clock.now();
  const watched = await Promise.all(
    waits.map(async ({ wait, plan, resource }) => {
      const cluster = globalCluster(plan, resource);
      const parsed = RunContext.safeParse(wait.run);
      const live = Date.parse(wait.expiresAt) - now > PARK_MARGIN_MS;
      const run = parsed.success && !parsed.data.evacuation && live ? parsed.data : undefined;
      const key = `${wait.executionId}#${wait.what}`;
      const before = kept.get(key);
      const reads =
        run && (!before || now - before.at > KEEP_FRESH_MS)
          ? keep(now, promotionReads(plan, resource, run, deps, Promise.resolve()))
          : before;
      if (reads) kept.set(key, reads);
      const readAt = isoNow(deps.clock);
      const available = (await deps.aurora.instances(region, memberIn(cluster.members, region))).find(
        (i) => i.status === 'available',
      );
      const chosen = freshest(reads, before === reads ? undefined : before, deps.clock.now());
      return available ? [{ wait, plan, resource, run, chosen, instance: available.id, readAt }] : [];
    }),
  );
  return watched.flat().map(({ wait, plan, resource, run, chosen, instance, readAt }) => ({
    wait,
    answer: async () => {
      const promotion =
        run && chosen
          ? await startFor(
              plan,
              resource,
              run,
              Promise.all([chosen.reads, fence(run, deps)]).then(([r]) => r),
              deps,
              'RegionPoller',
            ).catch(() => undefined) // PromoteDatabase starts it, on its own read
          : undefined;
      kept.delete(`${wait.executionId}#${wait.what}`);
      const signal: WakeSignal = {
        woken: true,
        by: 'shared-read',
        detail: `region poller's read of ${region} at ${readAt}`,
        reader: { instance, readAt },
        ...(promotion ? { promotion } : {}),
      };
      return answerWait(wait, signal, deps);
    },
  }));
}

import type { AutoScalingGroupPlan } from '../core/plan.js';
import type { PlanRegistry } from '../core/plan-registry.js';
import { type GroupReadiness, readinessOf } from '../observer/observe.js';
import type { RunbookDeps, RunContext } from './context.js';
import type { GroupCapacity } from './ports/auto-scaling.js';
import { WAKE_READ_FRESH_MS } from './wake-reads.js';

// CheckCapacity's watch of the load balancer's first health checks (docs/architecture.md,
// "Wake-ups"): the invocation that sees the group ready acts on it (the switchover, the traffic),
// with the other reads that action needs kept fresh beside the watch.

/**
 * The shortest interval between two reads of the watch, start to start, in milliseconds (real in
 * AWS, virtual in the sandbox): a group turning healthy is seen within it.
 */
export const CAPACITY_WATCH_MIN_MS = 250;
/**
 * The load balancer's `Describe*` calls a second that every plan failing over into one region
 * may spend on the watch at once: 80% of ELB's 10 a second (the ELB User Guide's example of the
 * non-mutating actions' bucket: "a bucket size of 40 tokens" and "a refill rate of 10 tokens per
 * second", "Request throttling for the ELB API",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html).
 */
export const CAPACITY_WATCH_ELB_PER_SECOND = 8;
/**
 * How long one CheckCapacity invocation watches, in milliseconds, before it hands back to the
 * state machine's 1 s poll (which still ends the wait, bounded by the poll budget): under the
 * function's 30 s timeout (infra/constructs/control-plane-function.ts) with room for the action
 * that follows the sight, and the Task's 60 s. Between two watches the group is not seen for
 * about 1.1 s (the poll's Wait and the next invoke): with 8 s watches a group turning ready fell
 * into that gap about one time in eight (docs/performance.md, round 8), with 20 s one in twenty.
 */
export const CAPACITY_WATCH_BUDGET_MS = 20_000;
/**
 * When the watch reads the group itself (DescribeAutoScalingGroups and every target group) and
 * what the action needs again, in milliseconds after the last such read started: early enough
 * that the new read is in before the old one is `WAKE_READ_FRESH_MS` (2 s) old.
 */
export const CAPACITY_REFRESH_AFTER_MS = 1_500;

/**
 * The watch's interval for a run into `run.to`, in milliseconds: {@link CAPACITY_WATCH_MIN_MS},
 * or longer when the plans that can fail over into that region, all watching at once, would
 * together ask the load balancer more than {@link CAPACITY_WATCH_ELB_PER_SECOND} times a second
 * (one target group each). Five or more such plans have a shared reader and never watch.
 */
export function capacityWatchMs(run: Pick<RunContext, 'to'>, plans: Pick<PlanRegistry, 'list'>): number {
  const into = plans.list().filter((p) => p.regions.includes(run.to)).length;
  return Math.max(CAPACITY_WATCH_MIN_MS, Math.ceil((1000 * into) / CAPACITY_WATCH_ELB_PER_SECOND));
}

/**
 * Whether only the load balancer's first health checks stand between `group` and ready: enough
 * instances are InService and registered, and those not yet healthy are `initial` (registered,
 * first checks under way: "After you register a target, it must pass one health check to be
 * considered healthy", ALB User Guide, "Health checks for Application Load Balancer target
 * groups"), so the group turns ready at a health check, which no event announces.
 */
export function onlyFirstChecksRemain(group: AutoScalingGroupPlan, capacity: GroupCapacity): boolean {
  const initial = capacity.notServing.filter((n) => n.state === 'initial').length;
  if (initial === 0) return false;
  return (
    Math.round((1000 * (capacity.healthyInService + initial)) / group.active.desired) / 10 >=
    group.healthyPercent
  );
}

/** What {@link watchCapacity} returns when its budget ran out with only first health checks left. */
export const WATCH_BUDGET_SPENT = 'budget spent';

/** A read of the group, made (started) at `readAt` (epoch ms), with what the action needs read beside it. */
export interface CapacityRead<T> {
  readonly capacity: GroupCapacity;
  readonly readAt: number;
  /** What the caller's action needs, read beside the group (`alongside`); undefined without. */
  readonly extra: T | undefined;
}

/** What {@link watchCapacity} saw: the group ready, and the reads kept beside it (at most 2 s old). */
export interface WatchedCapacity<T> extends CapacityRead<T> {
  readonly readiness: GroupReadiness;
  /** The background read still under way when the group was seen ready, for the caller to await after its action. */
  readonly settled: Promise<void>;
}

/**
 * Watches `group` in `region` while only its first health checks remain ({@link onlyFirstChecksRemain}):
 * every `intervalMs` (start to start) the target groups' health alone (`reassess`: DescribeTargetHealth,
 * no DescribeAutoScalingGroups), with `each` (the caller's fence) made beside every such read, so
 * that the read that sees the group ready is followed by the action, not by another round. The
 * group itself and `alongside` (what the action needs) are read again in the background once
 * their read is {@link CAPACITY_REFRESH_AFTER_MS} old, so that both are at most
 * `WAKE_READ_FRESH_MS` old when the group is seen ready. Returns that sight; {@link WATCH_BUDGET_SPENT}
 * when the budget (`budgetMs`, ms) ran out with only first health checks still left (the caller's
 * next check should follow at once); or undefined when something other than a first health check
 * now stands in the way (a target unhealthy, an instance gone: the state machine's polls decide),
 * or the clock cannot wait. Nothing is left running, except a background read handed back
 * (`settled`) when the group was seen ready; the error of `each` (a lost lock) ends the watch.
 */
export async function watchCapacity<T>(
  group: AutoScalingGroupPlan,
  region: string,
  deps: Pick<RunbookDeps, 'autoScaling' | 'clock'>,
  first: CapacityRead<T>,
  options: {
    readonly intervalMs: number;
    readonly budgetMs: number;
    readonly each?: () => Promise<unknown>;
    readonly alongside?: () => Promise<T>;
  },
): Promise<WatchedCapacity<T> | typeof WATCH_BUDGET_SPENT | undefined> {
  const sleep = deps.clock.sleep?.bind(deps.clock);
  if (!sleep) return undefined;
  const targetGroups = group.targetGroups?.[region];
  let latest: CapacityRead<T> = first;
  let refreshing: Promise<void> | undefined;
  const refresh = () => {
    const readAt = deps.clock.now();
    // A read that failed keeps the last one, which ages out of the window: unknown is not ready.
    refreshing = Promise.all([
      deps.autoScaling.describe(region, latest.capacity.name, targetGroups),
      options.alongside?.(),
    ]).then(
      ([capacity, extra]) => {
        latest = { capacity, readAt, extra };
      },
      () => undefined,
    );
    const current = refreshing;
    void current.then(() => {
      if (refreshing === current) refreshing = undefined;
    });
    return current;
  };
  const age = () => deps.clock.now() - latest.readAt;
  const settled = () => refreshing ?? Promise.resolve();
  const deadline = deps.clock.now() + options.budgetMs;
  let nextAt = first.readAt + options.intervalMs;
  // What the action needs, read at once when the first read came without it.
  if (options.alongside && first.extra === undefined) void refresh();
  try {
    while (nextAt <= deadline) {
      const wait = nextAt - deps.clock.now();
      if (wait > 0) await sleep(wait);
      nextAt = Math.max(nextAt + options.intervalMs, deps.clock.now());
      if (!refreshing && age() >= CAPACITY_REFRESH_AFTER_MS) void refresh();
      const base = latest;
      const [capacity] = await Promise.all([
        deps.autoScaling.reassess
          ? deps.autoScaling.reassess(region, base.capacity)
          : deps.autoScaling.describe(region, base.capacity.name, targetGroups),
        options.each?.(),
      ]);
      const readiness = readinessOf(group, capacity);
      if (readiness.ready && deps.clock.now() - base.readAt <= WAKE_READ_FRESH_MS) {
        // A refresh still under way is not waited for: the caller awaits it after its action.
        return { capacity, readAt: base.readAt, extra: base.extra, readiness, settled: settled() };
      }
      if (readiness.ready) {
        // The group's own read is too old to stand beside the health seen: read it all again.
        await (refreshing ?? refresh());
        const again = readinessOf(group, latest.capacity);
        if (again.ready && deps.clock.now() - latest.readAt <= WAKE_READ_FRESH_MS)
          return { ...latest, readiness: again, settled: Promise.resolve() };
        continue;
      }
      if (!onlyFirstChecksRemain(group, capacity)) {
        await refreshing;
        return undefined;
      }
    }
    await refreshing;
    return WATCH_BUDGET_SPENT;
  } catch (error: unknown) {
    await refreshing;
    throw error;
  }
}

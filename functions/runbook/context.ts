import { type Clock, isoNow } from '../core/clock.js';
import { InvalidInputError, ThrottledError, WaitTimedOutError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import type { PlanRegistry } from '../core/plan-registry.js';
import { formatProblem, problemsFromIssue } from '../core/problems.js';
import type { Random } from '../core/random.js';
import { EXECUTION_TRIGGERS, FAILOVER_MODES, STRATEGIES, type StepRecord } from '../core/records.js';
import * as z from '../core/zod.js';
import type { StateMachineKey } from '../handlers/registry.js';
import type { ArcRoutingControls } from './ports/arc.js';
import type { AuroraGlobalClusters, AuroraReplicationLag } from './ports/aurora.js';
import type { AutoScalingGroups } from './ports/auto-scaling.js';
import type { CloudWatchAlarms } from './ports/cloudwatch.js';
import type { DnsAnswers } from './ports/dns.js';
import type { EvacuationStore } from './ports/evacuations.js';
import type { EventPublisher } from './ports/events.js';
import type { ReadinessResults } from './ports/readiness-results.js';
import type { ReconcileMarks } from './ports/reconcile-marks.js';
import type { Route53Records } from './ports/route53.js';
import type { StateStore } from './ports/state-store.js';
import type { StepFunctions } from './ports/step-functions.js';
import type { TaskWaits } from './ports/task-waits.js';
import { OBSERVE_READS } from './ports/task-waits.js';
import type { TrafficBatches } from './ports/traffic-batches.js';
import type { TrafficSwitch } from './ports/traffic-switch.js';

/**
 * What every runbook step needs: this control plane's region, its plans, its clock, and the
 * adapters (ports) it acts through. Built once per Lambda cold start (AWS) or per region (sandbox).
 */
export interface RunbookDeps {
  /** The region whose control plane runs the step. */
  readonly region: string;
  readonly plans: PlanRegistry;
  readonly clock: Clock;
  readonly random: Random;
  readonly store: StateStore;
  /** The reconciler's findings and since when they hold. */
  readonly marks: ReconcileMarks;
  /** The latest readiness per app and target region. */
  readonly readiness: ReadinessResults;
  /** Region evacuations: their records (functions/evacuation/). */
  readonly evacuations: EvacuationStore;
  readonly aurora: AuroraGlobalClusters;
  /** The secondaries' replication lag (CloudWatch), apart from the RDS API. */
  readonly auroraLag: AuroraReplicationLag;
  readonly autoScaling: AutoScalingGroups;
  readonly route53: Route53Records;
  /** Route 53's data plane: what the zone's name servers answer now. */
  readonly dns: DnsAnswers;
  readonly arc: ArcRoutingControls;
  /** The health-checks traffic method's switch: the state table item its health endpoints read. */
  readonly traffic: TrafficSwitch;
  /** The traffic queue of region evacuations: one ARC update or Route 53 change for many apps. */
  readonly trafficBatches: TrafficBatches;
  readonly alarms: CloudWatchAlarms;
  readonly stepFunctions: StepFunctions;
  /** Parked steps' task tokens, answered by wake-ups (functions/runbook/wake.ts). */
  readonly waits: TaskWaits;
  readonly events: EventPublisher;
  /** This region's state machine ARNs: a runbook per strategy, and `detection`. */
  readonly stateMachineArns: Partial<Record<StateMachineKey, string>>;
}

/**
 * A region evacuation a run is part of: its id and the region whose control plane runs it (whose
 * AdvanceEvacuation flushes the evacuation's traffic queue, `functions/evacuation/traffic-batch.ts`).
 */
export const EvacuationRef = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  region: z.string().check(z.minLength(1)),
});
export type EvacuationRef = z.infer<typeof EvacuationRef>;

/** The `$.run` object every step after Begin receives: who, what, where, and the lock it holds. */
export const RunContext = z.object({
  executionId: z.string().check(z.minLength(1)),
  executionKey: z.string().check(z.minLength(1)),
  app: z.string().check(z.minLength(1)),
  runbook: z.enum(STRATEGIES),
  mode: z.enum(FAILOVER_MODES),
  trigger: z.enum(EXECUTION_TRIGGERS),
  requestedBy: z.string().check(z.minLength(1)),
  reason: z.string(),
  from: z.string().check(z.minLength(1)),
  to: z.string().check(z.minLength(1)),
  epoch: z.int().check(z.positive()),
  /** ISO time the failover was asked for (or decided on, for alarms): RTO runs from here. */
  requestedAt: z.string().check(z.minLength(1)),
  approvalRequired: z.boolean(),
  approvalTimeoutSeconds: z.int().check(z.positive()),
  /** How long the lock's lease runs from each step that renews it. */
  leaseSeconds: z.int().check(z.positive()),
  /** The region evacuation the run is part of, if any: its traffic change is batched (ShiftTraffic). */
  evacuation: z.optional(EvacuationRef),
});
export type RunContext = z.infer<typeof RunContext>;

/**
 * Regions whose ARC cluster endpoint failed earlier in this run, carried from step to step in the
 * step input (Preflight's result, then the traffic and verification `progress`), so that every
 * later ARC call tries those endpoints last (`endpointOrder` in functions/aws/arc.ts).
 */
export const UnreachableRegionList = z.optional(
  z.array(z.string().check(z.minLength(1))).check(z.maxLength(16)),
);

/**
 * The ARC endpoint memory a step starts from: what earlier steps learnt, and, in an ungraceful
 * run, the source region (the run exists because that region is failing).
 */
export function knownUnreachable(
  run: Pick<RunContext, 'mode' | 'from'>,
  learnt?: readonly string[],
): Set<string> {
  return new Set([...(run.mode === 'ungraceful' ? [run.from] : []), ...(learnt ?? [])]);
}

/**
 * Traffic already moved for this run by the step that saw its promotion done (WakeOnEvent on the
 * promotion's event, or AwaitEvent finding it over as it parked; functions/runbook/wake.ts): with
 * the writer in the target and every other resource of the run recorded ready, it moved traffic
 * itself, fenced at the run's lock epoch, before it woke the database branch, which carries this
 * in its outcome (`detail.trafficShifted`). ShiftTraffic then follows that change instead of
 * making it again (a second Route 53 change would start its propagation over). `at` is the ISO time of the change, `mechanism`, `endpoint` and `changeId` as
 * `moveTrafficTo` (functions/runbook/traffic.ts) returns them.
 */
export const TrafficShifted = z.object({
  /**
   * Who moved it: the event waker, AwaitEvent finding the promotion over as it parked,
   * CheckCapacity reading the last group ready after the promotion was recorded done, the region's
   * poller reading the promotion done (functions/evacuation/region-poller.ts), or CheckDatabase's
   * own read seeing it done (functions/runbook/database.ts).
   */
  by: z.enum(['WakeOnEvent', 'AwaitEvent', 'CheckCapacity', 'RegionPoller', 'CheckDatabase']),
  at: z.string().check(z.minLength(1)),
  epoch: z.int().check(z.positive()),
  mechanism: z.enum(['arc', 'route53', 'health-checks', 'none']),
  endpoint: z.optional(z.string()),
  changeId: z.optional(z.nullable(z.string())),
});
export type TrafficShifted = z.infer<typeof TrafficShifted>;

/**
 * A promotion the event waker started for this run (functions/runbook/wake-promotion.ts): on pilot light's
 * "DB instance created" event, with the new reader available, the run holding its lock epoch
 * (renewed first), and, graceful, the target's capacity read ready, it made the promotion
 * PromoteDatabase would make a moment later (`startPromotion`, functions/runbook/database.ts).
 * CheckPrepare carries it in its outcome (`detail.promotionStarted`) and PromoteDatabase follows it
 * instead of reading and calling again. CheckCapacity does the same for a graceful run whose
 * database branch waits for capacity: it makes the switchover as it reads the last group ready, and
 * hands it to the woken CheckDatabase (`wake.promotion`). `at` is the ISO time of the call; `method` and `rpoMs` (the
 * replication lag just before an ungraceful failover, null when CloudWatch had no datapoint) as
 * PromoteDatabase records them.
 */
export const PromotionStarted = z.object({
  /**
   * Who saw what let it start: pilot light's reader available (the region poller's watch,
   * RegionPoller, or the reader's event, WakeOnEvent), or a graceful run's last group read ready
   * (CheckCapacity).
   */
  by: z.enum(['RegionPoller', 'WakeOnEvent', 'CheckCapacity']),
  at: z.string().check(z.minLength(1)),
  epoch: z.int().check(z.positive()),
  method: z.enum(['switchover', 'failover', 'detach', 'none']),
  rpoMs: z.optional(z.nullable(z.number().check(z.nonnegative()))),
  /** ISO time of the lag datapoint `rpoMs` is, when older than a current reading (see `rpoLag`). */
  rpoLastSeenAt: z.optional(z.string()),
});
export type PromotionStarted = z.infer<typeof PromotionStarted>;

/** A resource a Map iteration prepares. */
export const ResourceItem = z.object({
  kind: z.enum(['database', 'capacity']),
  /** Global cluster id, or the plan's ASG name. */
  id: z.string().check(z.minLength(1)),
});
export type ResourceItem = z.infer<typeof ResourceItem>;

/**
 * What a step parked for the region poller's read asks for (functions/runbook/read-park.ts): the
 * read, and how long it parks (its Task's `TimeoutSecondsPath`, seconds).
 */
export const ReadPark = z.object({
  read: z.enum(OBSERVE_READS),
  seconds: z.int().check(z.positive(), z.lte(60)),
});
export type ReadPark = z.infer<typeof ReadPark>;

/**
 * What a polling step returns to its Wait + Choice loop. `attempt`/`maxAttempts` bound the loop:
 * the check throws {@link WaitTimedOutError} past its budget, so no loop runs forever.
 */
export const Progress = z.object({
  done: z.boolean(),
  nextPollSeconds: z.int().check(z.gte(1), z.lte(60)),
  attempt: z.int().check(z.nonnegative()),
  maxAttempts: z.int().check(z.positive()),
  startedAt: z.string(),
  phase: z.optional(z.string()),
  detail: z.optional(z.record(z.string(), z.unknown())),
  /** Regions whose ARC cluster endpoint did not answer earlier in the run: tried last (arc.ts). */
  unreachableRegions: UnreachableRegionList,
  /**
   * Set while polls are throttled (see {@link pollThrottled}): how many polls in a row AWS
   * throttled, and the step's own interval (seconds) that the next answered poll returns to.
   */
  throttled: z.optional(
    z.object({
      polls: z.int().check(z.positive()),
      basePollSeconds: z.int().check(z.gte(1), z.lte(60)),
    }),
  ),
  /**
   * True when a shared reader (its region's poller, {@link sharedReader}) serves the wait: the
   * capacity branch parks between checks (AwaitCapacity) instead of polling, as in an evacuation.
   */
  park: z.optional(z.boolean()),
  /**
   * True when the next check follows at once, without the loop's Wait (the runbooks' Choice goes
   * straight back to the check): CheckCapacity's watch of the first health checks spent its
   * invocation's budget with only those checks left (functions/runbook/capacity-watch.ts), so the
   * group may turn ready any moment and a second's Wait would leave it unseen. One poll only:
   * {@link nextPoll} drops it.
   */
  again: z.optional(z.boolean()),
  /**
   * Set when the step parks for the region poller's next read of its app (VerifyService; see
   * functions/runbook/read-park.ts): what to read and how long to park (the Task's timeout).
   */
  observe: z.optional(ReadPark),
  /**
   * The park's answer (its Task's `ResultPath`): the poller's read of the app, or the park's
   * error; the step decides on a read only while it is fresh, and reads AWS itself otherwise.
   */
  sharedRead: z.optional(z.looseObject({})),
});
export type Progress = z.infer<typeof Progress>;

/**
 * A polling step's {@link Progress} with its own typed `detail`: what the step carries from one poll
 * to the next (e.g. the promotion method, the Route 53 change id). The detail schema should be a
 * `z.looseObject`, so keys it does not name pass through unchanged.
 */
export function progressWith<D extends z.ZodMiniType<Record<string, unknown>>>(detail: D) {
  return z.extend(Progress, { detail: z.optional(detail) });
}

/** Parses a step's input; {@link InvalidInputError} lists every problem (path, got, expected). */
export function parseInput<T extends z.ZodMiniType>(schema: T, input: unknown, step: string): z.infer<T> {
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .flatMap((issue) => problemsFromIssue(issue, step))
    .map((p) => formatProblem({ ...p, path: p.path || '(input)' }));
  throw new InvalidInputError(`${step}: invalid input: ${problems.join('; ')}`);
}

/** Renews the lock's lease, proving this execution still holds its epoch before it mutates. */
export async function fence(run: RunContext, deps: Pick<RunbookDeps, 'store'>): Promise<void> {
  await deps.store.renewLock(run.app, run.executionId, run.epoch, run.leaseSeconds * 1000);
}

/** Writes one step's entry on the execution record. */
export async function recordStep(
  run: Pick<RunContext, 'app' | 'executionKey'>,
  deps: Pick<RunbookDeps, 'store'>,
  key: string,
  step: StepRecord,
): Promise<void> {
  await deps.store.recordStep(run.app, run.executionKey, key, step);
}

/**
 * Writes a step's entry that claims an outcome (SUCCEEDED, or SKIPPED as already done) after
 * proving, by renewing its lease (`fence`), that this execution still holds its lock epoch. A step
 * often finds its work already done (the writer already in the target, capacity already ready);
 * if another execution took the lock meanwhile, that work may be the other's, and this execution
 * must not record it as its own: it throws instead and takes the failure path.
 *
 * @throws LockLostError another execution holds the lock now (nothing is recorded)
 */
export async function recordOutcome(
  run: RunContext,
  deps: Pick<RunbookDeps, 'store'>,
  key: string,
  step: StepRecord,
): Promise<void> {
  await fence(run, deps);
  await recordStep(run, deps, key, step);
}

/** The key of a step's entry: its name, and the resource for per-resource steps. */
export function stepKey(name: string, resource?: string): string {
  return resource ? `${name}#${resource}` : name;
}

/** A fresh poll budget: `budgetSeconds` of polling every `pollSeconds`. */
export function startProgress<D extends Record<string, unknown> = never>(
  clock: Clock,
  pollSeconds: number,
  budgetSeconds: number,
  fields: Partial<Pick<Progress, 'phase' | 'done'>> & { readonly detail?: D } = {},
): Omit<Progress, 'detail'> & { detail?: D } {
  return {
    done: false,
    nextPollSeconds: pollSeconds,
    attempt: 0,
    maxAttempts: Math.max(1, Math.ceil(budgetSeconds / pollSeconds)),
    startedAt: isoNow(clock),
    ...fields,
  };
}

/**
 * The next poll of a loop, or {@link WaitTimedOutError} when its budget is spent. A poll that was
 * answered ends a run of throttled polls: the loop returns to its own interval.
 */
export function nextPoll(progress: Progress, what: string, fields: Partial<Progress> = {}): Progress {
  const attempt = progress.attempt + 1;
  const { throttled, observe: _observe, sharedRead: _read, again: _again, ...rest } = progress;
  const pollSeconds = throttled?.basePollSeconds ?? progress.nextPollSeconds;
  if (attempt > progress.maxAttempts) {
    throw new WaitTimedOutError(
      `${what}: not done after ${progress.maxAttempts} polls every ${pollSeconds} s (since ${progress.startedAt})`,
    );
  }
  return { ...rest, nextPollSeconds: pollSeconds, ...fields, attempt, done: false };
}

/**
 * The longest wait (seconds) after a throttled poll: the cap of Step Functions' own retry
 * backoff in the runbooks (`MaxDelaySeconds: 20`), so a throttled poll never waits longer than a
 * throttled step would be retried after.
 */
export const MAX_THROTTLED_POLL_SECONDS = 20;

/**
 * Runs one poll of a polling step (a Check* step). When AWS throttles a call of the poll even
 * after the SDK's own retries ({@link ThrottledError}), what the poll reads is unknown this time:
 * that is not a failure of the step (unknown is a value, not a verdict). The step polls again
 * after an exponential backoff with full jitter (base x 2^polls in a row, capped at
 * {@link MAX_THROTTLED_POLL_SECONDS}), as AWS advises clients that are throttled ("Use exponential
 * backoff to retry requests at progressively longer intervals between each retry. Introduce
 * jitter between retries", AWS Well-Architected Reliability Pillar, REL05-BP03 "Control and limit
 * retry calls", https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/rel_mitigate_interaction_failure_limit_retries.html).
 * The wait stays bounded: a backed-off poll spends the polls of the budget its wait covers, and a
 * budget spent while throttled is a {@link WaitTimedOutError} that says so. Every poll is idempotent
 * (a step's reads, and the idempotent actions a poll may take), so polling again is safe.
 *
 * @param poll the poll itself: returns the next progress, or throws as the step does.
 * @throws WaitTimedOutError the budget ran out while AWS throttled the polls
 */
export async function pollThrottled<P extends Progress>(
  progress: P,
  what: string,
  deps: Pick<RunbookDeps, 'random'>,
  poll: () => Promise<P>,
): Promise<P> {
  try {
    return await poll();
  } catch (error: unknown) {
    if (!(error instanceof ThrottledError)) throw error;
    const basePollSeconds = progress.throttled?.basePollSeconds ?? progress.nextPollSeconds;
    const polls = (progress.throttled?.polls ?? 0) + 1;
    const cap = Math.min(basePollSeconds * 2 ** polls, MAX_THROTTLED_POLL_SECONDS);
    // Full jitter over [base, cap] in whole seconds (a Wait state's Seconds is an integer).
    const wait = Math.max(basePollSeconds, Math.ceil(deps.random.next() * cap));
    const attempt = progress.attempt + Math.ceil(wait / basePollSeconds);
    if (attempt > progress.maxAttempts) {
      throw new WaitTimedOutError(
        `${what}: not done after ${progress.maxAttempts} polls every ${basePollSeconds} s (since ${progress.startedAt}); the last ${polls} poll(s) were throttled by AWS (${error.message})`,
      );
    }
    return {
      ...progress,
      attempt,
      done: false,
      nextPollSeconds: wait,
      throttled: { polls, basePollSeconds },
    };
  }
}

/**
 * How long one wait of a runbook may poll: the plan's RTO objective (at least two minutes). A wait
 * that outlasts the objective has already failed it; failing the step says so and frees the app.
 */
export function pollBudgetSeconds(plan: Plan): number {
  return Math.max(120, plan.objectives.rtoSeconds);
}

/** Seconds between polls. Cheap calls poll every second; Route 53's API allows 5 calls/s per account. */
export const POLL_SECONDS = { database: 1, capacity: 1, traffic: 2, verify: 1 } as const;

/**
 * How long a step parked on an event waits before it reads AWS anyway (the Task's timeout, so
 * every wait ends): the poll fallback when the event is lost. Events are best effort ("Amazon RDS
 * emits events on a best effort basis": Aurora User Guide, "Monitoring Amazon Aurora events",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/working-with-events.html). Five
 * seconds, not one: a parked step reads RDS once per fallback, not every second, which an
 * evacuation of many apps needs under RDS's API rate (sandbox/quotas.ts).
 */
export const WAKE_FALLBACK_SECONDS = 5;

/**
 * The poll fallback (seconds) of a parked step, or of a capacity wait, when a shared reader serves
 * it ({@link sharedReader}): its evacuation, or its region's poller, reads RDS and Auto Scaling
 * once per second for every app (functions/evacuation/shared-reads.ts, region-poller.ts) and wakes
 * the steps whose condition it sees met, so an app's own read is only the fallback for a poller
 * that stopped. At 30 s, 100 apps add 100 / 30 =
 * 3.4 RDS reads per second (and as many Auto Scaling reads) beside the evacuation's one, inside
 * RDS's 12 per second per region (sandbox/quotas.ts), where each app's own 5 s fallback, with the
 * parking read, was 40 per second.
 */
export const EVACUATION_FALLBACK_SECONDS = 30;

/**
 * From how many plans run in a region (a region their runbooks fail over into) the waits of runs
 * into it that are not part of an evacuation are served by the region's poller
 * (functions/evacuation/region-poller.ts) instead of each run reading for itself. Below it, each
 * run's own reads fit the API rates (RDS: 12 per second per region; a parked step reads every
 * {@link WAKE_FALLBACK_SECONDS} s, a capacity wait every second against Auto Scaling's 20), and a
 * poller's table query and lease renewal every second would cost more than they save. Four apps
 * waiting at once poll Auto Scaling 4 to 8 times a second; a hundred poll it far past its rate.
 */
export const REGION_POLLER_MIN_PLANS = 5;

/**
 * Who reads what a run's parked steps wait for (the promotion, the target's capacity): its region
 * evacuation's poll (`evacuation`), the target region's poller of parked waits (`region`: the
 * deployment runs at least {@link REGION_POLLER_MIN_PLANS} plans into that region), or each step
 * itself (undefined).
 */
export function sharedReader(
  run: Pick<RunContext, 'evacuation' | 'to'>,
  plans: Pick<PlanRegistry, 'list'>,
): 'evacuation' | 'region' | undefined {
  if (run.evacuation) return 'evacuation';
  const into = plans.list().filter((p) => p.regions.includes(run.to)).length;
  return into >= REGION_POLLER_MIN_PLANS ? 'region' : undefined;
}

/**
 * Seconds between a step's own reads while it waits: `seconds` (its own cadence), or, when a shared
 * reader serves its waits ({@link sharedReader}: its evacuation, or its region's poller),
 * {@link EVACUATION_FALLBACK_SECONDS} (the shared read wakes it sooner; its own read is the
 * fallback for a reader that stopped).
 */
export function waitSeconds(
  run: Pick<RunContext, 'evacuation' | 'to'>,
  seconds: number,
  plans: Pick<PlanRegistry, 'list'>,
): number {
  return sharedReader(run, plans) ? Math.max(seconds, EVACUATION_FALLBACK_SECONDS) : seconds;
}

/**
 * Whether the region's poller watches `run`'s new pilot-light reader (functions/evacuation/
 * reader-watch.ts) and starts its promotion as it sees it available: a run that is not an
 * evacuation's, into a region no shared reader serves ({@link sharedReader}: with fewer than
 * {@link REGION_POLLER_MIN_PLANS} plans into it, the watch's reads of each app fit RDS's rate).
 * Elsewhere the reader's event and the step's own fallback read decide, as before.
 */
export function readerWatched(
  run: Pick<RunContext, 'evacuation' | 'to'>,
  plans: Pick<PlanRegistry, 'list'>,
): boolean {
  return sharedReader(run, plans) === undefined;
}

/**
 * Seconds between CheckPrepare's own reads of the new reader: {@link EVACUATION_FALLBACK_SECONDS}
 * while the region's poller watches it ({@link readerWatched}: its own read is the fallback for a
 * poller that stopped, and a park about to time out is one the poller leaves to the step), else
 * {@link WAKE_FALLBACK_SECONDS}.
 */
export function readerWaitSeconds(
  run: Pick<RunContext, 'evacuation' | 'to'>,
  plans: Pick<PlanRegistry, 'list'>,
): number {
  return readerWatched(run, plans) ? EVACUATION_FALLBACK_SECONDS : WAKE_FALLBACK_SECONDS;
}

import { isoNow } from '../core/clock.js';
import {
  CapacityNotReadyError,
  DatabasePromotionFailedError,
  describeError,
  ThrottledError,
} from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import * as z from '../core/zod.js';
import { type AppObservation, observeApp } from '../observer/observe.js';
import {
  fence,
  knownUnreachable,
  nextPoll,
  POLL_SECONDS,
  parseInput,
  pollBudgetSeconds,
  progressWith,
  ResourceItem,
  type RunbookDeps,
  RunContext,
  recordOutcome,
  recordStep,
  startProgress,
  stepKey,
  TrafficShifted,
  UnreachableRegionList,
} from './context.js';
import type { UnreachableRegions } from './ports/arc.js';
import { BATCH_POLL_SECONDS, batchableMechanism, batchOutcome, queueTraffic } from './traffic-queue.js';
import {
  DNS_RECHECK_MS,
  dnsFollowed,
  followDnsFresh,
  selfVerifies,
  type VerifyDeps,
  verifyOnArrival,
} from './verify.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type TrafficDeps = Pick<
  RunbookDeps,
  'arc' | 'clock' | 'dns' | 'plans' | 'region' | 'route53' | 'store' | 'traffic' | 'trafficBatches'
>;

/**
 * What CheckTraffic reads: the traffic ports, and VerifyService's, to verify in the invocation that
 * sees the change reach the name servers (`verifyOnArrival`, verify.ts).
 */
export type CheckTrafficDeps = TrafficDeps & VerifyDeps;

/** One Map iteration's outcome (see the ASL's ResourceReady / ResourceFailed states). */
export const PreparedResource = z.object({
  resource: ResourceItem,
  status: z.enum(['READY', 'FAILED']),
  detail: z.optional(z.record(z.string(), z.unknown())),
  error: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
});
export type PreparedResource = z.infer<typeof PreparedResource>;

/** The traffic change the waker made for this run (at its epoch), from the Map's outcomes, if any. */
function shiftedByWaker(run: RunContext, prepared: readonly PreparedResource[]): TrafficShifted | undefined {
  for (const p of prepared) {
    const progress = p.detail?.detail as { trafficShifted?: unknown } | undefined;
    const parsed = TrafficShifted.safeParse(progress?.trafficShifted);
    if (parsed.success && parsed.data.epoch === run.epoch) return parsed.data;
  }
  return undefined;
}

const ShiftInput = z.object({
  run: RunContext,
  prepared: z.array(PreparedResource),
  /** What Preflight learnt about ARC's endpoints (its `unreachableRegions`). */
  unreachableRegions: UnreachableRegionList,
});
/** What ShiftTraffic and CheckTraffic carry between polls. */
const TrafficPoll = z.looseObject({
  mechanism: z.optional(z.enum(['arc', 'route53', 'health-checks', 'none'])),
  /** The Route 53 change to wait on until INSYNC (null: no change was needed). */
  changeId: z.optional(z.nullable(z.string())),
  /** The ARC endpoint's region that took the change. */
  endpoint: z.optional(z.string()),
  /** Why Route 53 refused the change the last time (it is retried on the next poll). */
  lastError: z.optional(z.string()),
});
/** A traffic shift's poll state. */
export const TrafficProgress = progressWith(TrafficPoll);
export type TrafficProgress = z.infer<typeof TrafficProgress>;

const CheckInput = z.object({ run: RunContext, progress: TrafficProgress });

/**
 * ShiftTraffic: only once every resource is ready (capacity at `healthyPercent`, or an ungraceful
 * failover's documented minimum, and the writer in the target), move traffic in one change:
 * ARC routing controls (target On, others Off, one call, any of the cluster's endpoints) when the
 * plan has them, else one atomic Route 53 change batch swapping PRIMARY and SECONDARY. A run that
 * is part of a region evacuation queues that change in the evacuation's batch instead (phase
 * `batched`, `traffic-queue.ts`), and CheckTraffic follows it.
 */
export async function shiftTraffic(input: unknown, deps: TrafficDeps): Promise<TrafficProgress> {
  const { run, prepared, unreachableRegions } = parseInput(ShiftInput, input, 'ShiftTraffic');
  const plan = deps.plans.get(run.app);
  assertAllReady(plan, run, prepared);
  const shifted = shiftedByWaker(run, prepared);
  const startedAt = shifted?.at ?? isoNow(deps.clock);
  // Independent items (the record, the lock), written at once; both before anything moves.
  await Promise.all([
    recordStep(run, deps, stepKey('ShiftTraffic'), { name: 'ShiftTraffic', status: 'RUNNING', startedAt }),
    fence(run, deps),
  ]);
  const progress = {
    ...startProgress(deps.clock, POLL_SECONDS.traffic, trafficBudgetSeconds(plan)),
    unreachableRegions: [...knownUnreachable(run, unreachableRegions)],
  };
  if (shifted) return followShift(run, deps, progress, shifted);
  const batchable = run.evacuation ? batchableMechanism(plan) : undefined;
  if (batchable) {
    // Part of an evacuation: the evacuation moves this app's traffic with the others' (one call
    // for many), now that this app's own resources are ready; CheckTraffic follows the entry.
    const entry = await queueTraffic(run, batchable, deps);
    return {
      ...progress,
      nextPollSeconds: BATCH_POLL_SECONDS,
      maxAttempts: Math.ceil(trafficBudgetSeconds(plan) / BATCH_POLL_SECONDS),
      phase: 'batched',
      detail: { mechanism: batchable, batch: entry.evacuationId },
    };
  }
  return tryShift(plan, run, deps, progress);
}

/**
 * ShiftTraffic when the event waker already moved traffic for this run ({@link TrafficShifted}):
 * the same outcome as its own change, without making it again. ARC's update is done; a Route 53
 * change is followed until INSYNC, a health-checks switch until the checkers see it (CheckTraffic).
 */
function followShift(
  run: RunContext,
  deps: TrafficDeps,
  fresh: TrafficProgress,
  shifted: TrafficShifted,
): Promise<TrafficProgress> | TrafficProgress {
  // The change was made at `at`: the step's entry and its poll budget run from there.
  const progress = { ...fresh, startedAt: shifted.at };
  const detail = {
    mechanism: shifted.mechanism,
    ...(shifted.endpoint ? { endpoint: shifted.endpoint } : {}),
    ...(shifted.changeId !== undefined ? { changeId: shifted.changeId } : {}),
    shiftedBy: shifted.by,
  };
  if (shifted.mechanism === 'route53' && shifted.changeId)
    return { ...progress, phase: 'propagating', detail };
  if (shifted.mechanism === 'health-checks') return { ...progress, phase: 'detecting', detail };
  return finishShift(run, deps, { ...progress, detail });
}

/**
 * CheckTraffic of a change queued in an evacuation's batch (see `traffic-queue.ts`): finishes once
 * the flusher has moved it, follows a Route 53 change the flusher stopped following, or makes the
 * run's own call when the batch did not take it.
 */
async function followBatch(
  plan: Plan,
  run: RunContext,
  deps: TrafficDeps,
  progress: TrafficProgress,
): Promise<TrafficProgress> {
  const outcome = await batchOutcome(run, deps);
  const mechanism = batchableMechanism(plan);
  switch (outcome.kind) {
    case 'wait':
      return nextPoll(progress, `${plan.name}: traffic change queued in evacuation ${run.evacuation?.id}`);
    case 'moved': {
      const { entry } = outcome;
      return finishShift(run, deps, {
        ...progress,
        detail: {
          mechanism,
          batch: entry.evacuationId,
          ...(entry.batchSize !== undefined ? { batchSize: entry.batchSize } : {}),
          ...(entry.endpoint ? { endpoint: entry.endpoint } : {}),
          ...(entry.changeId ? { changeId: entry.changeId } : {}),
        },
      });
    }
    case 'follow-change':
      return nextPoll(progress, `Route 53 change ${outcome.changeId}`, {
        phase: 'propagating',
        detail: { mechanism: 'route53', changeId: outcome.changeId, batch: outcome.entry.evacuationId },
      });
    case 'shift-self':
      await fence(run, deps);
      return tryShift(plan, run, deps, {
        ...progress,
        nextPollSeconds: POLL_SECONDS.traffic,
        detail: { ...progress.detail, unbatched: outcome.why },
      });
  }
}

/**
 * Makes the change, or, when Route 53 answers that a change to the zone is still being applied
 * (`PriorRequestNotComplete`, or throttling), comes back to it on the next poll: Route 53 says a
 * change is generally applied within 60 s (Route 53 API Reference, ChangeResourceRecordSets), and
 * the poll budget (at least 120 s, see `pollBudgetSeconds`) spans that window. The change is
 * idempotent, so a retry after an accepted change makes none.
 */
async function tryShift(
  plan: Plan,
  run: RunContext,
  deps: TrafficDeps,
  progress: TrafficProgress,
): Promise<TrafficProgress> {
  let moved: Awaited<ReturnType<typeof moveTrafficTo>>;
  const unreachable = knownUnreachable(run, progress.unreachableRegions);
  try {
    moved = await moveTrafficTo(plan, run.to, run.from, deps, run.epoch, unreachable);
  } catch (error: unknown) {
    if (!(error instanceof ThrottledError) || plan.traffic.arc) throw error;
    return nextPoll(progress, `Route 53 change to ${run.to} (still refused: ${error.message})`, {
      unreachableRegions: [...unreachable],
      phase: 'retrying-change',
      detail: { mechanism: 'route53', lastError: error.message },
    });
  }
  const learnt = { ...progress, unreachableRegions: [...unreachable] };
  if (moved.mechanism === 'route53' && moved.changeId) {
    return { ...learnt, phase: 'propagating', detail: { mechanism: 'route53', changeId: moved.changeId } };
  }
  if (moved.mechanism === 'health-checks') {
    // The switch is written; users move once Route 53's checkers have seen it (CheckTraffic).
    return { ...learnt, phase: 'detecting', detail: { ...moved } };
  }
  return finishShift(run, deps, { ...learnt, detail: { ...moved } });
}

/**
 * Seconds a health-checks plan needs for Route 53 to see a switch: one checker interval to the
 * next check, then `failureThreshold` consecutive checks (Route 53 Developer Guide, "How Amazon
 * Route 53 determines whether a health check is healthy"). Zero for other methods. The DNS TTL
 * comes on top for users' resolvers.
 */
export function healthCheckDetectionSeconds(plan: Plan): number {
  const route53 = plan.traffic.route53;
  if (route53?.method !== 'health-checks') return 0;
  return route53.healthChecks.intervalSeconds * (route53.healthChecks.failureThreshold + 1);
}

/** The traffic step's poll budget: the runbook's, and at least twice the checkers' detection. */
function trafficBudgetSeconds(plan: Plan): number {
  return Math.max(pollBudgetSeconds(plan), 2 * healthCheckDetectionSeconds(plan) + 60);
}

/**
 * Points traffic at `to` in one change: ARC routing controls (`to` On, every other Off, one call,
 * any of the cluster's endpoints) when the plan has them; with `traffic.route53.method`
 * `health-checks`, one conditional write of the traffic switch in this region's replica of the
 * state table at lock `epoch` (no Route 53 API call); else one atomic Route 53 change batch
 * making `to` PRIMARY (`from`, or the next plan region, SECONDARY), tried first without a read
 * (`setPrimary`'s `swapFirst`). Idempotent. Throws
 * `LockLostError` when a newer epoch wrote the switch.
 */
export async function moveTrafficTo(
  plan: Plan,
  to: string,
  from: string,
  deps: Pick<RunbookDeps, 'arc' | 'route53' | 'traffic' | 'clock'>,
  epoch: number,
  unreachable?: UnreachableRegions,
): Promise<{
  mechanism: 'arc' | 'route53' | 'health-checks' | 'none';
  endpoint?: string;
  changeId?: string | null;
}> {
  const arc = plan.traffic.arc;
  if (arc) {
    const states = Object.fromEntries(
      Object.entries(arc.routingControls).map(
        ([region, arn]) => [arn, region === to ? 'On' : 'Off'] as const,
      ),
    );
    const endpoint = await deps.arc.setActive(arc.clusterEndpoints, states, unreachable);
    return { mechanism: 'arc', endpoint: endpoint.region };
  }
  const route53 = plan.traffic.route53;
  if (!route53) return { mechanism: 'none' };
  if (route53.method === 'health-checks') {
    await deps.traffic.set(plan.name, to, epoch, isoNow(deps.clock));
    return { mechanism: 'health-checks' };
  }
  const secondary = from !== to ? from : (plan.regions.find((r) => r !== to) as string);
  // Tried first as a swap of the records as we leave them (one call, refused whole when a record
  // differs; then read and changed as they stand): a run's change follows its promotion at once.
  const changeId = await deps.route53.setPrimary(route53.hostedZoneId, route53.records, to, secondary, {
    swapFirst: true,
  });
  return { mechanism: 'route53', changeId: changeId ?? null };
}

/**
 * CheckTraffic: polls a Route 53 change until it is INSYNC on every name server; with the
 * health-checks method, polls the zone's authoritative name servers (Route 53's data plane) until
 * they answer the target for every record, which they do once the health checkers have seen the
 * switch. Bounded. As the change arrives it also verifies the service in the same invocation
 * ({@link arrived}); VerifyService follows that verdict.
 */
export async function checkTraffic(input: unknown, deps: CheckTrafficDeps): Promise<TrafficProgress> {
  const { run, progress } = parseInput(CheckInput, input, 'CheckTraffic');
  const plan = deps.plans.get(run.app);
  if (progress.phase === 'batched') return followBatch(plan, run, deps, progress);
  if (progress.phase === 'retrying-change') {
    await fence(run, deps);
    return tryShift(plan, run, deps, progress);
  }
  if (progress.phase === 'detecting') {
    if (await answeredByTarget(plan, run.to, deps)) return arrived(plan, run, deps, progress);
    return nextPoll(progress, `Route 53 health checkers' view of the switch to ${run.to}`);
  }
  const changeId = progress.detail?.changeId;
  if (typeof changeId !== 'string') return finishShift(run, deps, progress);
  // The name servers first (a DNS question: no API quota, 20 ms): when every one of them already
  // answers the target for every record, the change is applied, and the step does not wait for
  // GetChange's round trip (300 ms in us-east-1) to say so.
  if (await answeredByTarget(plan, run.to, deps)) return arrived(plan, run, deps, progress);
  let status: 'PENDING' | 'INSYNC';
  try {
    status = await deps.route53.getChangeStatus(changeId);
  } catch (error: unknown) {
    // The change was accepted; GetChange failing does not undo it. Ask the name servers (Route
    // 53's data plane) what they answer: when every record already sends users to the target, the
    // change is applied. Otherwise poll again, bounded.
    if (await answeredByTarget(plan, run.to, deps)) return arrived(plan, run, deps, progress);
    return nextPoll(progress, `Route 53 change ${changeId} (GetChange: ${describeError(error).message})`);
  }
  if (status === 'INSYNC') return arrived(plan, run, deps, progress);
  // Route 53 emits no event when a change is INSYNC, and its name servers answer from a change once
  // it has reached them: asked every DNS_RECHECK_MS (a DNS question uses no API quota) for most of
  // the poll cycle ({@link PROPAGATION_DNS_BUDGET_MS}, then a 1 s wait and the next GetChange),
  // the step ends within a quarter second of their answer whenever in the cycle it comes, instead
  // of at the next poll. The re-check's time is spent from the poll budget.
  const asking = deps.clock.now();
  if (selfVerifies(run, deps)) {
    // This step verifies as the servers answer: the writer, capacity and routing are read beside
    // its questions and kept fresh (verify.ts, followDnsFresh), so the answer completes the checks.
    const unreachable = knownUnreachable(run, progress.unreachableRegions);
    const observe = () => observeApp(plan, [run.to], deps, { unreachable });
    const followed = await followDnsFresh(plan, run.to, deps, undefined, observe, PROPAGATION_DNS_BUDGET_MS);
    if (followed) {
      const done = await arrived(plan, run, deps, progress, followed.seen);
      await followed.settled;
      return done;
    }
  } else if (await dnsFollowed(plan, run.to, deps, PROPAGATION_DNS_BUDGET_MS))
    return arrived(plan, run, deps, progress);
  const spent = Math.floor((deps.clock.now() - asking) / 1000 / POLL_SECONDS.traffic);
  return nextPoll({ ...progress, attempt: progress.attempt + spent }, `Route 53 change ${changeId}`, {
    nextPollSeconds: PROPAGATION_WAIT_SECONDS,
  });
}

/**
 * How long CheckTraffic asks the name servers, in milliseconds (real in AWS, virtual in the
 * sandbox), while a Route 53 change is PENDING, before it hands back to the state machine's wait
 * ({@link PROPAGATION_WAIT_SECONDS}) and the next `GetChange`: 8 s of questions and a 1 s wait,
 * so that nine tenths of the cycle is watched (it was 3 s of 5.3: the change reaching the name
 * servers in the rest waited for the next poll, 1.15 s on average). A change is "generally"
 * applied to every name server "within 60 seconds" (Route 53 API Reference,
 * "ChangeResourceRecordSets",
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html) and no
 * event says when, so the answer is watched, not predicted. DNS questions use no API quota
 * ({@link DNS_RECHECK_MS}); `GetChange`, which does, comes every 9 s or so instead of 5. Far under
 * the Task's 60 s timeout.
 */
export const PROPAGATION_DNS_BUDGET_MS = 8_000;
/** The state machine's wait between CheckTraffic's polls of a PENDING change, in seconds. */
export const PROPAGATION_WAIT_SECONDS = 1;

/** Whether the zone's authoritative name servers answer `to` for every record of the plan. */
async function answeredByTarget(plan: Plan, to: string, deps: TrafficDeps): Promise<boolean> {
  const records = plan.traffic.route53?.records ?? [];
  const answers = await Promise.all(
    records.map((r) => deps.dns.answeredRegion(deps.region, r).catch(() => undefined)),
  );
  return records.length > 0 && answers.every((a) => a === to);
}

/**
 * The traffic change has reached the zone's name servers (or `GetChange` says INSYNC): ShiftTraffic's
 * outcome is recorded, and beside it the service is verified in this invocation
 * (`verifyOnArrival`: one observation of the target as they answer); the verdict, when every check
 * held, goes to VerifyService in `detail.verified`.
 *
 * @throws LockLostError the run no longer holds its epoch
 */
async function arrived(
  plan: Plan,
  run: RunContext,
  deps: CheckTrafficDeps,
  progress: TrafficProgress,
  seen?: AppObservation,
): Promise<TrafficProgress> {
  const unreachable = knownUnreachable(run, progress.unreachableRegions);
  const { alongside: done, verified } = await verifyOnArrival(
    plan,
    run,
    deps,
    finishShift(run, deps, progress),
    { unreachable, ...(seen ? { seen } : {}) },
  );
  return verified ? { ...done, detail: { ...done.detail, verified } } : done;
}

async function finishShift(
  run: RunContext,
  deps: TrafficDeps,
  progress: TrafficProgress,
): Promise<TrafficProgress> {
  await recordOutcome(run, deps, stepKey('ShiftTraffic'), {
    name: 'ShiftTraffic',
    status: 'SUCCEEDED',
    startedAt: progress.startedAt,
    finishedAt: isoNow(deps.clock),
    detail: progress.detail ?? {},
  });
  // The verification loop starts now, with a fresh budget.
  return {
    ...progress,
    done: true,
    nextPollSeconds: POLL_SECONDS.verify,
    attempt: 0,
    startedAt: isoNow(deps.clock),
  };
}

/** Refuses to move traffic to a region that is not ready, saying which resource and why. */
function assertAllReady(plan: Plan, run: RunContext, prepared: readonly PreparedResource[]): void {
  const failed = prepared.filter((p) => p.status !== 'READY');
  if (failed.length === 0) return;
  const reasons = failed.map(
    (p) =>
      `${p.resource.kind} ${p.resource.id}: ${p.error?.Error ?? 'not ready'}: ${causeMessage(p.error?.Cause)}`,
  );
  const message = `${plan.name}: traffic not shifted to ${run.to}: ${reasons.join('; ')}`;
  // Name the root cause: capacity that never became ready also keeps a graceful promotion waiting.
  const capacityFailed = failed.some(
    (p) => p.resource.kind === 'capacity' || p.error?.Error === 'CapacityNotReadyError',
  );
  throw capacityFailed ? new CapacityNotReadyError(message) : new DatabasePromotionFailedError(message);
}

/** A Step Functions `Cause` from a Lambda error is JSON with an `errorMessage`; else plain text. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

import { isoNow } from '../core/clock.js';
import type { Plan } from '../core/plan.js';
import * as z from '../core/zod.js';
import {
  type AppObservation,
  capacityLevel,
  holdsEveryWriter,
  isKnown,
  observeApp,
  unknowns,
} from '../observer/observe.js';
import {
  knownUnreachable,
  nextPoll,
  POLL_SECONDS,
  Progress,
  parseInput,
  type RunbookDeps,
  RunContext,
  recordOutcome,
  recordStep,
  sharedReader,
  stepKey,
} from './context.js';
import type { UnreachableRegions } from './ports/arc.js';
import { READ_PARK_SECONDS } from './read-park.js';
import { freshWakeRead, WAKE_READ_FRESH_MS } from './wake-reads.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type VerifyDeps = Pick<
  RunbookDeps,
  'arc' | 'aurora' | 'auroraLag' | 'autoScaling' | 'clock' | 'dns' | 'plans' | 'region' | 'store' | 'traffic'
>;

const VerifyInput = z.object({ run: RunContext, progress: Progress });

/**
 * A verification made by the step that saw the traffic change reach the name servers, in the same
 * invocation ({@link verifyOnArrival}: CheckTraffic), and recorded as VerifyService's outcome at
 * the run's epoch (fenced). It travels in the traffic step's output (`progress.detail.verified`),
 * which is VerifyService's input: VerifyService follows it instead of reading AWS again. `verifiedAt`
 * is the ISO time the observation that verified answered.
 */
export const VerifiedOnArrival = z.object({
  by: z.literal('CheckTraffic'),
  epoch: z.int().check(z.positive()),
  verifiedAt: z.string().check(z.minLength(1)),
  underCapacity: z.boolean(),
  notes: z.array(z.string()),
});
export type VerifiedOnArrival = z.infer<typeof VerifiedOnArrival>;

/** Whether a region serves an app, judged on an observation: each check, and why not. */
export interface ServiceVerdict {
  /** Every global cluster's writer is in the region. Unknown when a read failed. */
  readonly writer: boolean | 'unknown';
  /** Capacity at `healthyPercent` (or, ungraceful, at `ungracefulMinimumPercent`). */
  readonly capacity: boolean | 'unknown';
  /** Users are sent there: the authoritative DNS answer and/or the routing control. */
  readonly traffic: boolean | 'unknown';
  /** Served, but below the plan's `healthyPercent` (an ungraceful failover at its minimum). */
  readonly underCapacity: boolean;
  readonly notes: string[];
}

/**
 * VerifyService: the target region serves, by what users get: every global cluster's writer is
 * there, capacity is at its threshold, and the authoritative DNS answer (Route 53 plans) and the
 * routing control (ARC plans) send users there. Reads AWS through the observer each poll; polls
 * until all hold, bounded. A run never succeeds while the name still resolves elsewhere. When
 * CheckTraffic already verified this run as the change reached the name servers and recorded this
 * step's outcome ({@link verifyOnArrival}; its output's `detail.verified` at the run's epoch),
 * follows that verdict without reading again.
 */
export async function verifyService(input: unknown, deps: VerifyDeps): Promise<Progress> {
  const { run, progress: given } = parseInput(VerifyInput, input, 'VerifyService');
  const { observe: _observe, sharedRead, ...progress } = given;
  const plan = deps.plans.get(run.app);
  const unreachable = knownUnreachable(run, progress.unreachableRegions);
  const early = VerifiedOnArrival.safeParse(progress.detail?.verified);
  if (early.success && early.data.epoch === run.epoch) {
    // CheckTraffic verified as the name servers answered, and recorded this step's outcome (fenced).
    const { by, verifiedAt, underCapacity, notes } = early.data;
    const detail = { verifiedAt, underCapacity, notes, verifiedBy: by };
    return { ...progress, done: true, detail, unreachableRegions: [...unreachable] };
  }
  // Many runs into this region at once: each poll parks for the region poller's read of every
  // parked app in one batch (functions/runbook/read-park.ts) instead of reading for itself; the
  // read it brings back is decided on while fresh, else this poll reads AWS itself.
  const park = sharedReader(run, deps.plans) === 'region' ? VERIFY_PARK : undefined;
  const shared = sharedRead as { observation?: AppObservation; readAt?: string } | undefined;
  const observed =
    shared?.observation &&
    typeof shared.readAt === 'string' &&
    freshWakeRead({ readAt: shared.readAt }, deps.clock.now())
      ? shared.observation
      : undefined;
  if (park && progress.attempt === 0 && !sharedRead) {
    await recordStep(run, deps, stepKey('VerifyService'), {
      name: 'VerifyService',
      status: 'RUNNING',
      startedAt: progress.startedAt,
    });
    return { ...progress, observe: park };
  }
  // The step's entry is written beside the first observation (independent round trips).
  const readAt = observed ? Date.parse(shared?.readAt ?? '') : deps.clock.now();
  const observeNow = () => observeApp(plan, [run.to], deps, { unreachable });
  let [seen] = await Promise.all([
    observed ?? observeNow(),
    progress.attempt === 0 && !park
      ? recordStep(run, deps, stepKey('VerifyService'), {
          name: 'VerifyService',
          status: 'RUNNING',
          startedAt: progress.startedAt,
        })
      : undefined,
  ]);
  let verdict = judgeService(plan, seen, run.to, run.mode);
  let watchedMs = 0;
  let settled: Promise<void> | undefined;
  if (onlyDnsLags(plan, seen, verdict, run.to)) {
    // Only the name servers lag: watch them, with the other checks kept fresh beside them (runs a
    // shared reader serves, an evacuation's or many into the region, observe again once they
    // answer instead, as before: their reads stay few).
    const asking = deps.clock.now();
    const followed = !selfVerifies(run, deps)
      ? (await dnsFollowed(plan, run.to, deps)) && { seen: await observeNow(), settled: undefined }
      : await followDnsFresh(plan, run.to, deps, { seen, readAt }, observeNow);
    watchedMs = deps.clock.now() - asking;
    if (followed) {
      seen = followed.seen;
      verdict = judgeService(plan, seen, run.to, run.mode);
      settled = followed.settled;
    }
  }
  if (serves(verdict)) {
    const detail = await recordVerified(run, deps, progress.startedAt, verdict);
    await settled;
    return { ...progress, done: true, detail, unreachableRegions: [...unreachable] };
  }
  await settled;
  // The time spent watching the name servers is spent from the poll budget (bounded).
  const spent = Math.floor(watchedMs / 1000 / POLL_SECONDS.verify);
  const polled = { ...progress, attempt: progress.attempt + spent };
  return nextPoll(polled, `verification of ${run.to} (${verdict.notes.join('; ')})`, {
    detail: { notes: verdict.notes, ...(observed ? { readBy: 'the region poller (RunEvacuation)' } : {}) },
    unreachableRegions: [...unreachable],
    ...(park ? { observe: park } : {}),
  });
}

/** Every check holds: the writer, capacity and traffic are all known to be in the target. */
function serves(verdict: ServiceVerdict): boolean {
  return verdict.writer === true && verdict.capacity === true && verdict.traffic === true;
}

/**
 * Records VerifyService's outcome, SUCCEEDED at now (the verified time the RTO ends at), fenced
 * (`recordOutcome`). Returns the step's detail.
 *
 * @throws LockLostError the run no longer holds its epoch (nothing is recorded)
 */
async function recordVerified(
  run: RunContext,
  deps: Pick<RunbookDeps, 'clock' | 'store'>,
  startedAt: string,
  verdict: ServiceVerdict,
  by?: VerifiedOnArrival['by'],
  now: string = isoNow(deps.clock),
): Promise<{ verifiedAt: string; underCapacity: boolean; notes: string[]; verifiedBy?: string }> {
  const detail = {
    verifiedAt: now,
    underCapacity: verdict.underCapacity,
    notes: verdict.notes,
    ...(by ? { verifiedBy: by } : {}),
  };
  await recordOutcome(run, deps, stepKey('VerifyService'), {
    name: 'VerifyService',
    status: 'SUCCEEDED',
    startedAt,
    finishedAt: now,
    detail,
  });
  return detail;
}

/**
 * VerifyService's checks, made by the step that sees a traffic change reach the zone's name
 * servers (CheckTraffic), in the same invocation: judged on `options.seen` (an observation kept
 * fresh while it watched the servers, `followDnsFresh`, with their answer of now in it) or else on
 * one observation of the target (the writer, capacity, the routing and the servers' answers again,
 * every read at once) started as they answered; beside whatever the caller writes then
 * (`alongside`: its own fenced outcome). When every check holds, VerifyService's outcome is
 * recorded (fenced, after `alongside`; verified at the judgement's time), and the returned
 * {@link VerifiedOnArrival} goes to VerifyService in the step's output, so that no invoke, state
 * transition and second round of reads stand between the answer and the verified time.
 * Undefined when a check does not hold (VerifyService then polls as ever, and fails the run
 * clearly if it never holds) or when a shared reader serves the run's verification
 * ({@link selfVerifies}).
 *
 * @throws LockLostError the run no longer holds its epoch (nothing is recorded)
 */
export async function verifyOnArrival<T>(
  plan: Plan,
  run: RunContext,
  deps: VerifyDeps,
  alongside: Promise<T>,
  options: { readonly unreachable?: UnreachableRegions; readonly seen?: AppObservation } = {},
): Promise<{ readonly alongside: T; readonly verified?: VerifiedOnArrival }> {
  if (!selfVerifies(run, deps)) return { alongside: await alongside };
  const startedAt = isoNow(deps.clock);
  const judged = (async () => {
    const unreachable = options.unreachable ?? knownUnreachable(run);
    const seen = options.seen ?? (await observeApp(plan, [run.to], deps, { unreachable }));
    return { verdict: judgeService(plan, seen, run.to, run.mode), at: isoNow(deps.clock) };
  })();
  const [{ verdict, at }, result] = await Promise.all([judged, alongside]);
  if (!serves(verdict)) return { alongside: result };
  const by = 'CheckTraffic';
  const detail = await recordVerified(run, deps, startedAt, verdict, by, at);
  return { alongside: result, verified: { by, epoch: run.epoch, ...detail } };
}

/**
 * Whether the step that sees traffic arrive verifies the run itself ({@link verifyOnArrival}):
 * not when a shared reader serves it (many runs into the region, whose VerifyService parks for the
 * region poller's batched read, or an evacuation): their reads stay batched, as before.
 */
export function selfVerifies(run: RunContext, deps: Pick<RunbookDeps, 'plans'>): boolean {
  return sharedReader(run, deps.plans) === undefined;
}

/**
 * VerifyService's park for the region poller's read (functions/runbook/read-park.ts): its target,
 * without lag, for at most {@link READ_PARK_SECONDS} before it reads for itself.
 */
const VERIFY_PARK = { read: 'verify', seconds: READ_PARK_SECONDS } as const;

/**
 * How often VerifyService asks the zone's name servers again while only their answer lags, in
 * milliseconds (real in AWS, virtual in the sandbox). DNS questions go to Route 53's authoritative
 * name servers, its data plane: Route 53's quotas meter its API (five requests per second per
 * account) and list no quota on DNS queries (Route 53 Developer Guide, "Quotas",
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html), so asking
 * sub-second costs no quota an evacuation of many apps needs.
 */
export const DNS_RECHECK_MS = 250;
/**
 * How often a run that verifies itself ({@link selfVerifies}: no shared reader, so at most a few
 * runs into its region at once) asks the name servers while it watches them with its other checks
 * kept fresh ({@link followDnsFresh}), in milliseconds: the answer is seen within a tenth of a
 * second of reaching them (a quarter at {@link DNS_RECHECK_MS}). DNS questions use no API quota
 * (see {@link DNS_RECHECK_MS}); runs served by a shared reader (evacuations, many runs into a
 * region) keep the quarter second.
 */
export const FOLLOW_DNS_RECHECK_MS = 100;
/**
 * How long one VerifyService invocation keeps asking, in milliseconds, before it hands back to
 * the state machine's 1 s poll (which still ends the wait, bounded by the poll budget): 8 s, as
 * CheckTraffic's watch of a Route 53 change (`PROPAGATION_DNS_BUDGET_MS`), so that an ARC
 * routing control's health check following the new state (seconds) ends within one watch
 * instead of in a 1 s poll's gap (it was 3 s). Far under the Task's 60 s timeout.
 */
export const DNS_RECHECK_BUDGET_MS = 8_000;
/**
 * How old VerifyService's reads of the writer, capacity and routing control may be, in
 * milliseconds (virtual in the sandbox), when the name servers' answer completes the checks:
 * every check holds within this window. The same age a read handed to a step may have to be
 * decided on (`WAKE_READ_FRESH_MS`, wake-reads.ts). While it watches the name servers, the step
 * reads the rest again in the background once its read is {@link REFRESH_AFTER_MS} old.
 */
export const VERIFY_READ_FRESH_MS = WAKE_READ_FRESH_MS;
/**
 * When VerifyService reads the writer, capacity and routing control again beside its DNS
 * questions, in milliseconds after its last such read started: early enough that the new read
 * (about 250 ms: RDS's round trip) is in before the old one is {@link VERIFY_READ_FRESH_MS} old.
 */
export const REFRESH_AFTER_MS = 1_500;

/**
 * True when the writer and capacity hold in `region`, its routing control (ARC plans) is On, and
 * only the name servers' answer still names another region: the one fact that follows the
 * change within seconds (ARC's routing control health check, a Route 53 change reaching every
 * server) and that AWS emits no event for.
 */
function onlyDnsLags(plan: Plan, seen: AppObservation, verdict: ServiceVerdict, region: string): boolean {
  if (verdict.writer !== true || verdict.capacity !== true || verdict.traffic !== false) return false;
  const { routingControls, dns } = seen.traffic;
  if (routingControls && routingControls[region] !== 'On') return false;
  const answers = Object.values(dns ?? {});
  return (
    (plan.traffic.route53?.records.length ?? 0) > 0 &&
    answers.length > 0 &&
    answers.every((a) => isKnown(a)) &&
    answers.some((a) => a !== region)
  );
}

/**
 * Asks the name servers every {@link DNS_RECHECK_MS} for up to `budgetMs` (milliseconds,
 * {@link DNS_RECHECK_BUDGET_MS} unless given) whether every record of the plan resolves to
 * `region` now. False when the budget ran out, a
 * question failed, the plan has no record, or the clock cannot wait: the state machine's poll
 * takes over. Also CheckTraffic's, while a Route 53 change is PENDING.
 */
export async function dnsFollowed(
  plan: Plan,
  region: string,
  deps: Pick<RunbookDeps, 'clock' | 'dns' | 'region'>,
  budgetMs: number = DNS_RECHECK_BUDGET_MS,
): Promise<boolean> {
  const records = plan.traffic.route53?.records ?? [];
  const sleep = deps.clock.sleep?.bind(deps.clock);
  if (!sleep || records.length === 0) return false;
  const deadline = deps.clock.now() + budgetMs;
  while (deps.clock.now() + DNS_RECHECK_MS <= deadline) {
    await sleep(DNS_RECHECK_MS);
    const answers = await Promise.all(
      records.map((record) => deps.dns.answeredRegion(deps.region, record).catch(() => undefined)),
    );
    if (answers.every((a) => a === region)) return true;
  }
  return false;
}

/** An observation of the app and when its reads started (epoch milliseconds). */
interface TimedObservation {
  readonly seen: AppObservation;
  readonly readAt: number;
}

/**
 * Watches the name servers (every {@link FOLLOW_DNS_RECHECK_MS}, up to `budgetMs`) until every record of
 * the plan resolves to `region`, while the rest of the checks (`first`: the writer, capacity, the
 * routing control) are read again in the background whenever their read is
 * {@link REFRESH_AFTER_MS} old, so that when the servers answer, a read at most
 * {@link VERIFY_READ_FRESH_MS} old stands beside their answer and no second round of reads follows
 * it. Returns that observation with the answers of now in it (to be judged), or undefined when
 * the budget ran out, a question failed, the plan has no record or the clock cannot wait. Without
 * `first`, the first read starts beside the first questions. A read still in flight when the
 * servers answer is handed back (`settled`) for the caller to await after its writes; one in
 * flight when the watch ends without an answer is awaited here (nothing is left running).
 */
export async function followDnsFresh(
  plan: Plan,
  region: string,
  deps: Pick<RunbookDeps, 'clock' | 'dns' | 'region'>,
  first: TimedObservation | undefined,
  observe: () => Promise<AppObservation>,
  budgetMs: number = DNS_RECHECK_BUDGET_MS,
): Promise<FollowedDns | undefined> {
  const records = plan.traffic.route53?.records ?? [];
  const sleep = deps.clock.sleep?.bind(deps.clock);
  if (!sleep || records.length === 0) return undefined;
  let latest = first;
  let refreshing: Promise<void> | undefined;
  const refresh = () => {
    const readAt = deps.clock.now();
    refreshing = observe().then((seen) => {
      latest = { seen, readAt };
      refreshing = undefined;
    });
    return refreshing;
  };
  const age = () => (latest ? deps.clock.now() - latest.readAt : Number.POSITIVE_INFINITY);
  const deadline = deps.clock.now() + budgetMs;
  if (!first) void refresh(); // the first read, beside the first questions
  try {
    while (deps.clock.now() + FOLLOW_DNS_RECHECK_MS <= deadline) {
      await sleep(FOLLOW_DNS_RECHECK_MS);
      if (!refreshing && age() >= REFRESH_AFTER_MS) void refresh();
      const answers = await Promise.all(
        records.map((record) => deps.dns.answeredRegion(deps.region, record).catch(() => undefined)),
      );
      if (!answers.every((a) => a === region)) continue;
      // A read under way is the fresher one; a read older than the window is made again.
      if (age() > VERIFY_READ_FRESH_MS) await (refreshing ?? refresh());
      if (age() > VERIFY_READ_FRESH_MS) await refresh();
      if (!latest) return undefined;
      const dns = Object.fromEntries(records.map((record) => [record.name, region]));
      const seen = { ...latest.seen, traffic: { ...latest.seen.traffic, region, dns } };
      // A refresh still under way is not waited for here: the caller awaits it after its writes.
      return { seen, settled: refreshing ?? Promise.resolve() };
    }
    await refreshing;
    return undefined;
  } catch (error: unknown) {
    await refreshing;
    throw error;
  }
}

/**
 * What {@link followDnsFresh} found: the observation to judge, and the background read still under
 * way when the name servers answered (`settled`), for the caller to await before it returns.
 */
export interface FollowedDns {
  readonly seen: AppObservation;
  readonly settled: Promise<void>;
}

/**
 * Judges whether `region` serves `plan` on an observation that covers it. Pure: no reads.
 * Unknown facts stay unknown; a caller must not act on them.
 */
export function judgeService(
  plan: Plan,
  seen: AppObservation,
  region: string,
  mode: RunContext['mode'],
): ServiceVerdict {
  const notes: string[] = [...unknowns(seen)];
  const writer = plan.database ? holdsEveryWriter(seen, region) : true;
  if (writer === false) {
    for (const cluster of seen.clusters) {
      const there = cluster.regions[region];
      if (cluster.moving) notes.push(`${cluster.globalClusterId}: a promotion is under way`);
      else if (there && isKnown(there) && !there.writable)
        notes.push(
          `${cluster.globalClusterId}: no writer in ${region} (writers: ${cluster.writers.join(', ') || 'none seen'})`,
        );
    }
  }

  const level = capacityLevel(seen, region);
  const capacity =
    level === 'unknown' ? 'unknown' : level === 'ready' || (mode === 'ungraceful' && level === 'minimum');
  if (capacity === false) {
    for (const group of seen.capacity) {
      const there = group.regions[region];
      if (there && isKnown(there) && !there.ready)
        notes.push(
          `${group.group} in ${region} at ${there.healthyPercent}% healthy (${there.healthyInService}/${there.activeDesired})`,
        );
    }
  }

  let traffic: boolean | 'unknown' = true;
  const { routingControls, dns } = seen.traffic;
  if (routingControls) {
    const state = routingControls[region];
    if (!state || !isKnown(state)) traffic = 'unknown';
    else if (state !== 'On') {
      traffic = false;
      notes.push(`routing control of ${region} is ${state}`);
    }
  }
  for (const [name, answer] of Object.entries(dns ?? {})) {
    if (!isKnown(answer)) traffic = traffic === false ? false : 'unknown';
    else if (answer !== region) {
      traffic = false;
      notes.push(`${name} resolves to ${answer ?? 'none of the plan regions'}, expected ${region}`);
    }
  }
  if (!routingControls && !dns) traffic = true; // a plan with no traffic lever: nothing to move
  return { writer, capacity, traffic, underCapacity: level === 'minimum', notes };
}

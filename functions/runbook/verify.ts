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
  Progress,
  parseInput,
  type RunbookDeps,
  RunContext,
  recordOutcome,
  recordStep,
  sharedReader,
  stepKey,
} from './context.js';
import { READ_PARK_SECONDS } from './read-park.js';
import { freshWakeRead } from './wake-reads.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type VerifyDeps = Pick<
  RunbookDeps,
  'arc' | 'aurora' | 'auroraLag' | 'autoScaling' | 'clock' | 'dns' | 'plans' | 'region' | 'store' | 'traffic'
>;

const VerifyInput = z.object({ run: RunContext, progress: Progress });

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
 * until all hold, bounded. A run never succeeds while the name still resolves elsewhere.
 */
export async function verifyService(input: unknown, deps: VerifyDeps): Promise<Progress> {
  const { run, progress: given } = parseInput(VerifyInput, input, 'VerifyService');
  const { observe: _observe, sharedRead, ...progress } = given;
  const plan = deps.plans.get(run.app);
  const unreachable = knownUnreachable(run, progress.unreachableRegions);
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
  let [seen] = await Promise.all([
    observed ?? observeApp(plan, [run.to], deps, { unreachable }),
    progress.attempt === 0 && !park
      ? recordStep(run, deps, stepKey('VerifyService'), {
          name: 'VerifyService',
          status: 'RUNNING',
          startedAt: progress.startedAt,
        })
      : undefined,
  ]);
  let verdict = judgeService(plan, seen, run.to, run.mode);
  if (onlyDnsLags(plan, seen, verdict, run.to) && (await dnsFollowed(plan, run.to, deps))) {
    // The name servers answer the target now: observe everything again, so that every check holds
    // at once (the writer and capacity read before the wait are not taken on trust).
    seen = await observeApp(plan, [run.to], deps, { unreachable });
    verdict = judgeService(plan, seen, run.to, run.mode);
  }
  if (verdict.writer === true && verdict.capacity === true && verdict.traffic === true) {
    const now = isoNow(deps.clock);
    const detail = { verifiedAt: now, underCapacity: verdict.underCapacity, notes: verdict.notes };
    await recordOutcome(run, deps, stepKey('VerifyService'), {
      name: 'VerifyService',
      status: 'SUCCEEDED',
      startedAt: progress.startedAt,
      finishedAt: now,
      detail,
    });
    return { ...progress, done: true, detail, unreachableRegions: [...unreachable] };
  }
  return nextPoll(progress, `verification of ${run.to} (${verdict.notes.join('; ')})`, {
    detail: { notes: verdict.notes, ...(observed ? { readBy: 'the region poller (RunEvacuation)' } : {}) },
    unreachableRegions: [...unreachable],
    ...(park ? { observe: park } : {}),
  });
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
 * How long one VerifyService invocation keeps asking, in milliseconds, before it hands back to
 * the state machine's 1 s poll (which still ends the wait, bounded by the poll budget). Far under
 * the Task's 60 s timeout.
 */
export const DNS_RECHECK_BUDGET_MS = 3_000;

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

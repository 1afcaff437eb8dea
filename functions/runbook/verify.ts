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
  stepKey,
} from './context.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type VerifyDeps = Pick<
  RunbookDeps,
  'arc' | 'aurora' | 'autoScaling' | 'clock' | 'dns' | 'plans' | 'region' | 'store' | 'traffic'
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
  const { run, progress } = parseInput(VerifyInput, input, 'VerifyService');
  const plan = deps.plans.get(run.app);
  if (progress.attempt === 0) {
    await recordStep(run, deps, stepKey('VerifyService'), {
      name: 'VerifyService',
      status: 'RUNNING',
      startedAt: progress.startedAt,
    });
  }
  const unreachable = knownUnreachable(run, progress.unreachableRegions);
  const seen = await observeApp(plan, [run.to], deps, { unreachable });
  const verdict = judgeService(plan, seen, run.to, run.mode);
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
    detail: { notes: verdict.notes },
    unreachableRegions: [...unreachable],
  });
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

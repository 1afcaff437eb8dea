import { isoNow } from '../core/clock.js';
import { CapacityNotReadyError, InvalidInputError } from '../core/errors.js';
import type { AutoScalingGroupPlan, Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import * as z from '../core/zod.js';
import { groupReadiness } from '../observer/observe.js';
import {
  fence,
  nextPoll,
  POLL_SECONDS,
  parseInput,
  pollBudgetSeconds,
  pollThrottled,
  progressWith,
  ResourceItem,
  type RunbookDeps,
  RunContext,
  recordOutcome,
  recordStep,
  sharedReader,
  startProgress,
  stepKey,
  waitSeconds,
} from './context.js';
import { waitKey } from './ports/task-waits.js';
import { wakeWait } from './wake-signal.js';

/**
 * The ports and context ScaleCapacity reads (the composition root gives it no more): of Auto
 * Scaling, only the update (its bundle then carries no load balancer client).
 */
export type ScaleDeps = Pick<RunbookDeps, 'clock' | 'plans' | 'random' | 'store'> & {
  readonly autoScaling: Pick<RunbookDeps['autoScaling'], 'update'>;
};
/** The ports and context CheckCapacity reads: it also wakes the database branch parked on it. */
export type CapacityDeps = Pick<
  RunbookDeps,
  'autoScaling' | 'clock' | 'plans' | 'random' | 'store' | 'stepFunctions' | 'waits'
>;

/** Ungraceful mode accepts its minimum once capacity has not grown for this long. */
export const UNGRACEFUL_STALL_SECONDS = 30;

const ScaleInput = z.object({ run: RunContext, resource: ResourceItem });
/** What CheckCapacity carries between polls. */
const CapacityPoll = z.looseObject({
  /** InService and Healthy instances at the last poll. */
  healthyInService: z.optional(z.int().check(z.nonnegative())),
  /** Since when (epoch ms, virtual in the sandbox) that count has not changed. */
  stableSince: z.optional(z.number().check(z.nonnegative())),
});
/** A capacity wait's poll state. */
export const CapacityProgress = progressWith(CapacityPoll);
export type CapacityProgress = z.infer<typeof CapacityProgress>;

const CheckInput = z.object({ run: RunContext, resource: ResourceItem, progress: CapacityProgress });

/**
 * ScaleCapacity: set the target region's group to the plan's `active` profile. Idempotent: the
 * same profile twice is one change. Pilot light starts from zero; warm standby from its standby.
 */
export async function scaleCapacity(input: unknown, deps: ScaleDeps): Promise<CapacityProgress> {
  const { run, resource } = parseInput(ScaleInput, input, 'ScaleCapacity');
  const plan = deps.plans.get(run.app);
  const group = autoScalingGroup(plan, resource.id);
  const startedAt = isoNow(deps.clock);
  // Independent items (the record, the lock), written at once; both before the group changes.
  await Promise.all([
    recordStep(run, deps, stepKey('ScaleCapacity', resource.id), {
      name: 'ScaleCapacity',
      resource: resource.id,
      status: 'RUNNING',
      startedAt,
    }),
    fence(run, deps),
  ]);
  await deps.autoScaling.update(run.to, memberIn(group.members, run.to), group.active);
  // In an evacuation, or with many apps failing over into the region, the group is not polled
  // every second: the shared read of Auto Scaling (the evacuation's, or the region poller's) wakes
  // the parked check (AwaitCapacity) once the group is ready; this is its fallback.
  const shared = sharedReader(run, deps.plans);
  return {
    ...startProgress(
      deps.clock,
      waitSeconds(run, POLL_SECONDS.capacity, deps.plans),
      pollBudgetSeconds(plan),
      {
        phase: 'scaling',
      },
    ),
    ...(shared === 'region' ? { park: true } : {}),
  };
}

/**
 * CheckCapacity: polls until `healthyPercent` of the active desired capacity is InService and
 * Healthy. An ungraceful failover accepts the plan's documented minimum
 * (`ungracefulMinimumPercent`: serving degraded beats not serving) once capacity has stopped
 * growing for {@link UNGRACEFUL_STALL_SECONDS}; otherwise, when the budget runs out, it fails and
 * traffic does not move to an unready region. A poll that AWS throttles is unknown, not a failure:
 * it is polled again after a backoff, within the same budget ({@link pollThrottled}).
 */
export async function checkCapacity(input: unknown, deps: CapacityDeps): Promise<CapacityProgress> {
  const { run, resource, progress } = parseInput(CheckInput, input, 'CheckCapacity');
  return pollThrottled(progress, `${resource.id} capacity in ${run.to}`, deps, () =>
    pollCapacity(run, resource, progress, deps),
  );
}

async function pollCapacity(
  run: RunContext,
  resource: ResourceItem,
  progress: CapacityProgress,
  deps: CapacityDeps,
): Promise<CapacityProgress> {
  const plan = deps.plans.get(run.app);
  const group = autoScalingGroup(plan, resource.id);
  const readiness = await groupReadiness(group, run.to, deps);
  const now = deps.clock.now();
  const previous = progress.detail;
  const changed = previous?.healthyInService !== readiness.healthyInService;
  const stableSince = changed || previous?.stableSince === undefined ? now : previous.stableSince;
  const detail = {
    healthyInService: readiness.healthyInService,
    pending: readiness.pending,
    notServing: readiness.notServing,
    ...(readiness.warmPool ? { warmPool: readiness.warmPool.size } : {}),
    desired: group.active.desired,
    healthyPercent: readiness.healthyPercent,
    degraded: !readiness.ready,
    stableSince,
  };
  const lastPoll = progress.attempt + 1 > progress.maxAttempts;
  // Ungraceful: the source is down, so every second counts. Once the documented minimum is met and
  // capacity has stopped growing, move on degraded rather than wait out the whole budget.
  const stalled = now - stableSince >= UNGRACEFUL_STALL_SECONDS * 1000;
  const acceptDegraded = run.mode === 'ungraceful' && readiness.minimumMet && (stalled || lastPoll);
  if (readiness.ready || acceptDegraded) {
    await Promise.all([
      recordOutcome(run, deps, stepKey('ScaleCapacity', resource.id), {
        name: 'ScaleCapacity',
        resource: resource.id,
        status: 'SUCCEEDED',
        startedAt: progress.startedAt,
        finishedAt: isoNow(deps.clock),
        detail,
      }),
      wakeDatabaseBranch(plan, run, group.name, new Date(now).toISOString(), deps),
    ]);
    return { ...progress, done: true, detail };
  }
  if (lastPoll) {
    const memberName = memberIn(group.members, run.to);
    // Why not: launches that failed (AWS's own message), hooks not completed, targets not healthy.
    const failed = await deps.autoScaling
      .failedLaunches(run.to, memberName, Date.parse(progress.startedAt))
      .catch(() => undefined);
    const why = [
      readiness.pending > 0
        ? `${readiness.pending} still launching${readiness.waiting > 0 ? ` (${readiness.waiting} held at Pending:Wait by a lifecycle hook not completed)` : ''}`
        : undefined,
      readiness.notServing > 0
        ? `${readiness.notServing} InService but not healthy in the target group (${readiness.notServingReasons.join(', ')})`
        : undefined,
      failed && failed.count > 0
        ? `${failed.count} failed launch(es) since the step began, the latest: ${failed.latestMessage ?? 'no message'}`
        : undefined,
    ].filter((w) => w !== undefined);
    throw new CapacityNotReadyError(
      `${group.name} in ${run.to}: ${readiness.healthyInService}/${group.active.desired} InService and healthy in the load balancer (${readiness.healthyPercent}%) ` +
        `after ${progress.maxAttempts * progress.nextPollSeconds} s, expected at least ${group.healthyPercent}%` +
        (run.mode === 'ungraceful' ? ` (ungraceful minimum ${group.ungracefulMinimumPercent}%)` : '') +
        (why.length > 0 ? `; ${why.join('; ')}` : ''),
    );
  }
  return nextPoll(progress, `${group.name} capacity in ${run.to}`, { detail });
}

/**
 * The capacity hand-off: a graceful run's database branch parks on `capacity` until the target
 * can serve (it never moves the writer first). This group being ready wakes it at once, instead
 * of it finding out at its next check; the database branch then reads every group itself. A wake
 * that fails is only logged away: the parked branch's fallback timeout reads capacity anyway.
 */
async function wakeDatabaseBranch(
  plan: Plan,
  run: RunContext,
  group: string,
  readAt: string,
  deps: Pick<RunbookDeps, 'stepFunctions' | 'waits'>,
): Promise<void> {
  if (run.mode !== 'graceful' || (plan.database?.auroraGlobalClusters.length ?? 0) === 0) return;
  const signal = { detail: `${group} ready in ${run.to}`, ready: { group, readAt } };
  await wakeWait(run.app, run.executionId, waitKey('capacity'), signal, deps).catch(() => false);
}

export function autoScalingGroup(plan: Plan, name: string): AutoScalingGroupPlan {
  const group = plan.compute?.autoScalingGroups.find((g) => g.name === name);
  if (!group) throw new InvalidInputError(`${plan.name}: no Auto Scaling group ${name} in the plan`);
  return group;
}

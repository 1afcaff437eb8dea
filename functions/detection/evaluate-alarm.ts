import { parseAlarmArn } from '../core/arns.js';
import { isoNow } from '../core/clock.js';
import { FailoverInProgressError, PreconditionFailedError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { initialPrimary } from '../core/plan-queries.js';
import * as z from '../core/zod.js';
import { parseInput, type RunbookDeps } from '../runbook/context.js';
import {
  executionExists,
  isOpen,
  type Reservation,
  type ReservedRequest,
  reserveExecution,
  startReserved,
} from '../runbook/reservation.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type DetectionDeps = Pick<
  RunbookDeps,
  'alarms' | 'clock' | 'events' | 'plans' | 'region' | 'stateMachineArns' | 'stepFunctions' | 'store'
>;

/** The EventBridge event CloudWatch sends on every alarm state change. */
const AlarmStateChange = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  region: z.string(),
  resources: z.array(z.string()).check(z.minLength(1)),
  detail: z.object({ alarmName: z.string(), state: z.object({ value: z.string() }) }),
});

/** The detection state machine's re-check, after waiting out the rest of `sustainSeconds`. */
const Recheck = z.object({ recheck: z.object({ app: z.string(), alarmArn: z.string() }) });

const EvaluateAlarmInput = z.union([AlarmStateChange, Recheck]);

export type Decision =
  | { action: 'none'; app?: string; reason: string }
  | { action: 'wait'; app: string; alarmArn: string; waitSeconds: number; reason: string }
  | { action: 'notify'; app: string; reason: string }
  | { action: 'started'; app: string; executionId: string; to: string; reason: string };

/** Who the runbook records as requester of an alarm-driven failover. */
export const DETECTION_ACTOR = 'switchyard:detection';

/**
 * EvaluateAlarm: the decision between a CloudWatch alarm and a runbook (docs/architecture.md, detection).
 * For each plan listing the alarm: act when at least `minAlarms` of its alarms have been in ALARM
 * continuously for `sustainSeconds`, no failover ran within `cooldownSeconds`, and none is under
 * way. `automatic` starts an ungraceful failover to the first healthy standby region; `approval`
 * starts one that waits for an approver; `notify` only tells. A not-yet-sustained alarm starts
 * the detection state machine, which calls back here when the rest of the wait has passed.
 */
export async function evaluateAlarm(input: unknown, deps: DetectionDeps): Promise<Decision> {
  const event = parseInput(EvaluateAlarmInput, input, 'EvaluateAlarm');
  const alarmArn = 'recheck' in event ? event.recheck.alarmArn : (event.resources[0] as string);
  const plans = deps.plans
    .list()
    .filter((p) =>
      'recheck' in event ? p.name === event.recheck.app : p.detection?.alarms.includes(alarmArn),
    );
  const decisions: Decision[] = [];
  for (const plan of plans) decisions.push(await decide(plan, alarmArn, deps));
  return (
    decisions.find((d) => d.action !== 'none') ??
    decisions[0] ?? { action: 'none', reason: `no plan watches ${alarmArn}` }
  );
}

async function decide(plan: Plan, alarmArn: string, deps: DetectionDeps): Promise<Decision> {
  const detection = plan.detection;
  if (!detection) return { action: 'none', app: plan.name, reason: 'the plan has no detection' };
  const now = deps.clock.now();
  // Read every alarm of the plan in its own region; an unreachable region's alarms count as not firing.
  const byRegion = new Map<string, string[]>();
  for (const arn of detection.alarms) {
    const { region, name } = parseAlarmArn(arn);
    byRegion.set(region, [...(byRegion.get(region) ?? []), name]);
  }
  const states = (
    await Promise.all(
      [...byRegion].map(([region, names]) =>
        // This region's alarms must be read (a throttle is retried by the caller); another region's
        // are best effort: if it does not answer, its alarms count as not firing.
        region === deps.region
          ? deps.alarms.alarmStates(region, names)
          : deps.alarms.alarmStates(region, names).catch(() => []),
      ),
    )
  ).flat();
  const firing = states.filter((s) => s.state === 'ALARM');
  const sustainMs = detection.sustainSeconds * 1000;
  const sustained = firing.filter((s) => now - s.transitionedAt >= sustainMs);
  if (firing.length < detection.minAlarms) {
    return {
      action: 'none',
      app: plan.name,
      reason: `${firing.length} of ${detection.alarms.length} alarm(s) in ALARM, ${detection.minAlarms} needed`,
    };
  }
  if (sustained.length < detection.minAlarms) {
    // Wait until enough alarms will have been firing for sustainSeconds, then decide again.
    const ready =
      firing.map((s) => s.transitionedAt + sustainMs).sort((a, b) => a - b)[detection.minAlarms - 1] ??
      now + sustainMs;
    const waitSeconds = Math.max(1, Math.ceil((ready - now) / 1000));
    await startSustainWait(
      plan,
      alarmArn,
      waitSeconds,
      Math.min(...firing.map((s) => s.transitionedAt)),
      deps,
    );
    return {
      action: 'wait',
      app: plan.name,
      alarmArn,
      waitSeconds,
      reason: `alarms firing, not yet for ${detection.sustainSeconds} s`,
    };
  }

  const state = await deps.store.getState(plan.name);
  const active = state?.activeRegion ?? initialPrimary(plan);
  if (state?.lastFailoverAt && now - Date.parse(state.lastFailoverAt) < detection.cooldownSeconds * 1000) {
    return audit(plan, deps, {
      action: 'none',
      app: plan.name,
      reason: `cooldown: last failover at ${state.lastFailoverAt}, cooldown ${detection.cooldownSeconds} s`,
    });
  }
  const lock = await deps.store.getLock(plan.name);
  if (lock && !lock.released && lock.leaseExpiresAt >= now) {
    return { action: 'none', app: plan.name, reason: `failover ${lock.holder} already under way` };
  }
  const firingRegions = new Set(firing.map((s) => parseAlarmArn(s.arn).region));
  const target =
    plan.regions.find((r) => r !== active && !firingRegions.has(r)) ?? plan.regions.find((r) => r !== active);
  if (!target) return { action: 'none', app: plan.name, reason: 'no standby region' };
  const reason = `${sustained.length} alarm(s) in ALARM for ${detection.sustainSeconds} s: ${sustained.map((s) => s.name).join(', ')}`;
  if (detection.mode === 'notify') {
    await deps.events
      .publish(deps.region, 'Switchyard Failover Recommended', {
        app: plan.name,
        from: active,
        to: target,
        reason,
      })
      .catch(() => undefined);
    return audit(plan, deps, { action: 'notify', app: plan.name, reason });
  }

  // One decision per alarm episode: the id derives from when the alarm started firing.
  const episode = new Date(Math.min(...sustained.map((s) => s.transitionedAt)))
    .toISOString()
    .replace(/[-:.]/g, '');
  const executionId = `${plan.name}-alarm-${episode}`.slice(0, 80);
  const request: ReservedRequest = {
    plan: plan.name,
    targetRegion: target,
    mode: 'ungraceful',
    trigger: 'alarm',
    requestedBy: DETECTION_ACTOR,
    reason,
    requestedAt: isoNow(deps.clock),
    executionId,
  };
  // Reserved like an operator's request (lock and record before the start), so that a decision
  // that loses the lock to another failover starts no runbook. An episode decided before (the
  // event delivered again) is not started twice; one whose decision died between its reservation
  // and its start is started now.
  const decided = await deps.store.getExecution(plan.name, executionId);
  if (!decided || (isOpen(decided) && !(await executionExists(plan, target, executionId, deps)))) {
    let reservation: Reservation;
    try {
      reservation = await reserveExecution(plan, request, deps);
    } catch (error: unknown) {
      if (error instanceof FailoverInProgressError || error instanceof PreconditionFailedError) {
        return audit(plan, deps, { action: 'none', app: plan.name, reason: `not started: ${error.message}` });
      }
      throw error;
    }
    await startReserved(plan, request, reservation, deps);
  }
  return audit(plan, deps, { action: 'started', app: plan.name, executionId, to: target, reason });
}

async function startSustainWait(
  plan: Plan,
  alarmArn: string,
  waitSeconds: number,
  since: number,
  deps: DetectionDeps,
): Promise<void> {
  const arn = deps.stateMachineArns.detection;
  if (!arn) return;
  const name =
    `${plan.name}-sustain-${new Date(since).toISOString().replace(/[-:.]/g, '')}-${Math.round(deps.clock.now() / 1000)}`.slice(
      0,
      80,
    );
  await deps.stepFunctions.start(deps.region, arn, name, { app: plan.name, alarmArn, waitSeconds });
}

async function audit<D extends Decision>(plan: Plan, deps: DetectionDeps, decision: D): Promise<D> {
  const at = isoNow(deps.clock);
  await deps.store.appendAudit({
    id: `detection-${plan.name}-${at}`,
    at,
    actor: DETECTION_ACTOR,
    action: `detection.${decision.action}`,
    app: plan.name,
    detail: decision.reason,
    ...(decision.action === 'started' ? { executionId: decision.executionId } : {}),
  });
  return decision;
}

import { createHash } from 'node:crypto';
import { isoNow } from '../core/clock.js';
import { PreconditionFailedError, WaitTimedOutError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { initialPrimary } from '../core/plan-queries.js';
import type { DrillReport, ExecutionRecord } from '../core/records.js';
import * as z from '../core/zod.js';
import { parseInput, type RunbookDeps } from '../runbook/context.js';
import {
  executionExists,
  type ReservedRequest,
  reserveExecution,
  startReserved,
} from '../runbook/reservation.js';
import { executionArnIn, stateMachineArnInRegion } from '../runbook/runbook-arns.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type DrillDeps = Pick<
  RunbookDeps,
  'clock' | 'events' | 'plans' | 'region' | 'stateMachineArns' | 'stepFunctions' | 'store'
>;

/** Who the runbook records as requester of a drill's failovers. */
export const DRILL_ACTOR = 'switchyard:drill';

/** The event a drill schedule sends (infra/constructs/drill-schedules.ts). */
const ScheduledDrill = z.object({
  source: z.literal('switchyard.drill-schedule'),
  app: z.string().check(z.minLength(1)),
  kind: z.optional(z.enum(['switchover-and-back', 'switchover'])),
  soakSeconds: z.optional(z.int().check(z.nonnegative())),
  schedule: z.optional(z.string()),
});

/** A drill an operator starts now (operator API `POST /apps/{app}/drills`). */
const RequestedDrill = z.object({
  source: z.literal('switchyard.drill-request'),
  app: z.string().check(z.minLength(1)),
  requestedBy: z.string().check(z.minLength(1)),
  kind: z.optional(z.enum(['switchover-and-back', 'switchover'])),
  soakSeconds: z.optional(z.int().check(z.nonnegative())),
});

/** The drill state machine's `$.drill`. */
export const DrillContext = z.object({
  id: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,60}$/)),
  app: z.string(),
  home: z.string(),
  target: z.string(),
  kind: z.enum(['switchover-and-back', 'switchover']),
  soakSeconds: z.int().check(z.nonnegative()),
  requestedBy: z.string(),
  startedAt: z.string(),
  schedule: z.optional(z.string()),
  /** What started it: the plan's schedule, or a person through the API (absent: drills of before). */
  trigger: z.optional(z.enum(['schedule', 'operator'])),
  /** {@link planSha256} of the plan the drill ran (absent: drills of before). */
  planSha256: z.optional(z.string()),
});
export type DrillContext = z.infer<typeof DrillContext>;

/**
 * The plan's version: the SHA-256 (hex) of the plan as loaded (the validated plan, defaults
 * filled, as JSON). Two drills with the same hash ran the same plan; a drill's report keeps the
 * hash of the plan it ran.
 */
export function planSha256(plan: Plan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex');
}

/** One thing readiness found: the shape of the readiness evaluation's findings. */
export interface ReadinessFinding {
  readonly code: string;
  readonly severity: 'blocking' | 'warning';
  readonly resource: string;
  readonly message: string;
}

/**
 * How ready the target region was just before the drill's first leg changed anything: what the
 * first leg's Preflight (run in the target region) recorded. `UNKNOWN` when no Preflight ran.
 */
export interface ReadinessBefore {
  readonly source: 'preflight';
  readonly region: string;
  /** ISO, when Preflight finished (or started, if it never finished). */
  readonly at?: string;
  readonly verdict: 'READY' | 'NOT_READY' | 'UNKNOWN';
  readonly findings: readonly ReadinessFinding[];
  /** What Preflight measured, e.g. `lagMs` per global cluster (replication lag into the target). */
  readonly measured?: Readonly<Record<string, unknown>>;
}

/** One leg of a drill: a runbook execution it started, and how its polling stands. */
const Leg = z.object({
  executionId: z.string(),
  region: z.string(),
  done: z.boolean(),
  status: z.string(),
  attempt: z.int().check(z.nonnegative()),
});
type Leg = z.infer<typeof Leg>;

const Phase = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('switchover'), drill: DrillContext }),
  z.object({ phase: z.literal('failback'), drill: DrillContext }),
  z.object({ phase: z.literal('check'), drill: DrillContext, leg: Leg }),
  z.object({
    phase: z.literal('record'),
    drill: DrillContext,
    legs: z.optional(z.array(z.nullable(Leg))),
    error: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
  }),
]);

const RunDrillInput = z.union([ScheduledDrill, RequestedDrill, Phase]);

/** A runbook leg gets this many checks, 10 s apart: an hour, far beyond any plan's objective. */
const MAX_CHECKS = 360;

export type DrillStart =
  | { action: 'started'; drillId: string; home: string; target: string }
  | { action: 'skipped'; app: string; reason: string };

/**
 * RunDrill: the quarterly DR test (docs/contracts.md, Plan `drills`). A drill is a graceful activation of a
 * standby region and, for `switchover-and-back`, a graceful failback after `soakSeconds`; the
 * report is the evidence: each leg's RTO and RPO against the plan's objectives.
 *
 * The schedule fires in every region; only the control plane of the app's active region starts
 * the drill (the table says which), so exactly one region runs it and a passive or failed region
 * skips it. The drill state machine (`state-machines/drill.asl.json`) calls back here for each
 * phase; each leg runs in the control plane of the region it activates, like any failover.
 */
export async function runDrill(input: unknown, deps: DrillDeps): Promise<unknown> {
  const event = parseInput(RunDrillInput, input, 'RunDrill');
  if (!('phase' in event)) return startDrill(event, deps);
  return runPhase(event, deps);
}

async function runPhase(event: z.infer<typeof Phase>, deps: DrillDeps): Promise<unknown> {
  const plan = deps.plans.get(event.drill.app);
  switch (event.phase) {
    case 'switchover':
      return startLeg(plan, event.drill, event.drill.target, 'there', deps);
    case 'failback':
      return startLeg(plan, event.drill, event.drill.home, 'back', deps);
    case 'check':
      return checkLeg(plan, event.leg, deps);
    case 'record':
      return recordDrill(
        plan,
        event.drill,
        (event.legs ?? []).filter((l): l is Leg => l !== null),
        event.error,
        deps,
      );
  }
}

/** A drill an operator asks for through the operator API. */
export const DrillRequestBody = z.strictObject({
  kind: z.optional(z.enum(['switchover-and-back', 'switchover'])),
  soakSeconds: z.optional(z.int().check(z.gte(0), z.lte(86_400))),
});

/**
 * Starts a drill of `app` now, for an operator: in the control plane of the app's active region,
 * wherever the request arrived.
 */
export function requestDrill(
  app: string,
  body: z.infer<typeof DrillRequestBody>,
  requestedBy: string,
  deps: DrillDeps,
): Promise<DrillStart> {
  return startDrill({ source: 'switchyard.drill-request', app, requestedBy, ...body }, deps);
}

async function startDrill(
  event: z.infer<typeof ScheduledDrill> | z.infer<typeof RequestedDrill>,
  deps: DrillDeps,
): Promise<DrillStart> {
  const plan = deps.plans.get(event.app);
  const state = await deps.store.getState(plan.name);
  const home = state?.activeRegion ?? initialPrimary(plan);
  // A schedule fires in every region: only the active region's control plane acts on it.
  if (event.source === 'switchyard.drill-schedule' && home !== deps.region) {
    return {
      action: 'skipped',
      app: plan.name,
      reason: `${plan.name} is active in ${home}; its control plane runs the drill`,
    };
  }
  const lock = await deps.store.getLock(plan.name);
  if (lock && !lock.released && lock.leaseExpiresAt >= deps.clock.now()) {
    return { action: 'skipped', app: plan.name, reason: `failover ${lock.holder} is under way` };
  }
  const target = plan.regions.find((r) => r !== home) as string;
  const now = isoNow(deps.clock);
  const stamp = now.replace(/[-:.]/g, '').slice(0, 15);
  const drill: DrillContext = {
    id: `drill-${plan.name}-${stamp}`.slice(0, 60),
    app: plan.name,
    home,
    target,
    kind: event.kind ?? plan.drills?.kind ?? 'switchover-and-back',
    soakSeconds: event.soakSeconds ?? plan.drills?.soakSeconds ?? 600,
    requestedBy: 'requestedBy' in event ? event.requestedBy : DRILL_ACTOR,
    startedAt: now,
    ...('schedule' in event && event.schedule ? { schedule: event.schedule } : {}),
    trigger: event.source === 'switchyard.drill-schedule' ? 'schedule' : 'operator',
    planSha256: planSha256(plan),
  };
  const machine = deps.stateMachineArns.drill;
  if (!machine)
    throw new PreconditionFailedError(`${plan.name}: no drill state machine is configured in ${deps.region}`);
  await deps.stepFunctions.start(home, stateMachineArnInRegion(machine, home), drill.id, { drill });
  await deps.store.appendAudit({
    id: `${drill.id}-started`,
    at: now,
    actor: drill.requestedBy,
    action: 'drill.started',
    app: plan.name,
    detail: `${drill.kind} drill: ${home} -> ${target}${drill.kind === 'switchover-and-back' ? ` and back after ${drill.soakSeconds} s` : ''}`,
  });
  return { action: 'started', drillId: drill.id, home, target };
}

async function startLeg(
  plan: Plan,
  drill: DrillContext,
  to: string,
  suffix: 'there' | 'back',
  deps: DrillDeps,
): Promise<Leg> {
  const executionId = `${drill.id}-${suffix}`;
  const request: ReservedRequest = {
    plan: plan.name,
    targetRegion: to,
    mode: 'graceful',
    trigger: 'schedule',
    requestedBy: drill.requestedBy,
    reason: `DR drill ${drill.id} (${drill.kind})`,
    requestedAt: isoNow(deps.clock),
    executionId,
  };
  // Reserved like an operator's request (lock and record before the start), so that a leg refused
  // by a running failover starts no runbook: the phase fails and the drill records why. A retried
  // phase whose first attempt started the leg answers with it; one that died before the start
  // reserves again (idempotent by id) and starts it.
  if (await executionExists(plan, to, executionId, deps)) {
    return { executionId, region: to, done: false, status: 'RUNNING', attempt: 0 };
  }
  const reservation = await reserveExecution(plan, request, deps);
  await startReserved(plan, request, reservation, deps);
  return { executionId, region: to, done: false, status: 'RUNNING', attempt: 0 };
}

async function checkLeg(plan: Plan, leg: Leg, deps: DrillDeps): Promise<Leg> {
  const view = await deps.stepFunctions.describe(
    leg.region,
    executionArnIn(plan, leg.region, leg.executionId, deps),
  );
  if (view.status !== 'RUNNING') return { ...leg, done: true, status: view.status };
  if (leg.attempt + 1 > MAX_CHECKS) {
    throw new WaitTimedOutError(
      `${plan.name}: drill leg ${leg.executionId} still running after ${MAX_CHECKS} checks`,
    );
  }
  return { ...leg, attempt: leg.attempt + 1 };
}

async function recordDrill(
  plan: Plan,
  drill: DrillContext,
  legs: Leg[],
  error: { Error: string; Cause?: string } | undefined,
  deps: DrillDeps,
): Promise<DrillReport> {
  const records = await Promise.all(legs.map((leg) => deps.store.getExecution(plan.name, leg.executionId)));
  const executions = records.filter((r): r is ExecutionRecord => r !== undefined);
  const expectedLegs = drill.kind === 'switchover-and-back' ? 2 : 1;
  const problems: string[] = [];
  if (error) problems.push(`${error.Error}: ${error.Cause ?? ''}`.trim());
  if (executions.length < expectedLegs) problems.push(`${executions.length} of ${expectedLegs} leg(s) ran`);
  for (const e of executions) {
    if (e.status !== 'SUCCEEDED') problems.push(`${e.id} ${e.status}${e.error ? `: ${e.error.name}` : ''}`);
    else if ((e.rtoSeconds ?? Number.POSITIVE_INFINITY) > plan.objectives.rtoSeconds) {
      problems.push(`${e.id} RTO ${e.rtoSeconds} s above the objective of ${plan.objectives.rtoSeconds} s`);
    } else if ((e.rpoSeconds ?? 0) > plan.objectives.rpoSeconds) {
      problems.push(`${e.id} RPO ${e.rpoSeconds} s above the objective of ${plan.objectives.rpoSeconds} s`);
    }
  }
  const aborted = executions.some((e) => e.status === 'ABORTED');
  const report: DrillReport = {
    id: drill.id,
    app: plan.name,
    at: drill.startedAt,
    outcome: problems.length === 0 ? 'PASSED' : aborted ? 'ABORTED' : 'FAILED',
    executionIds: legs.map((l) => l.executionId),
    detail: {
      kind: drill.kind,
      home: drill.home,
      target: drill.target,
      soakSeconds: drill.soakSeconds,
      finishedAt: isoNow(deps.clock),
      objectives: plan.objectives,
      legs: executions.map((e) => ({
        id: e.id,
        from: e.from,
        to: e.to,
        status: e.status,
        rtoSeconds: e.rtoSeconds ?? null,
        rpoSeconds: e.rpoSeconds ?? null,
      })),
      problems,
      ...(drill.schedule ? { schedule: drill.schedule } : {}),
      startedBy: {
        kind: drill.trigger ?? (drill.requestedBy === DRILL_ACTOR ? 'schedule' : 'operator'),
        by: drill.requestedBy,
        ...(drill.schedule ? { schedule: drill.schedule } : {}),
      },
      ...(drill.planSha256 ? { planSha256: drill.planSha256 } : {}),
      readinessBefore: readinessBefore(plan, drill, executions[0]),
    },
  };
  await deps.store.putDrillReport(report);
  await deps.store.appendAudit({
    id: `${drill.id}-finished`,
    at: isoNow(deps.clock),
    actor: drill.requestedBy,
    action: `drill.${report.outcome.toLowerCase()}`,
    app: plan.name,
    detail:
      problems.length === 0
        ? `drill passed: ${executions.map((e) => `${e.to} RTO ${e.rtoSeconds} s RPO ${e.rpoSeconds} s`).join('; ')}`
        : problems.join('; '),
  });
  await deps.events.publish(deps.region, 'Switchyard Drill Finished', { ...report }).catch(() => undefined);
  return report;
}

/** What the first leg's Preflight recorded, as a readiness verdict of the drill's target region. */
function readinessBefore(
  plan: Plan,
  drill: DrillContext,
  first: ExecutionRecord | undefined,
): ReadinessBefore {
  const step = first?.steps.Preflight;
  if (!first || !step) {
    return {
      source: 'preflight',
      region: drill.target,
      verdict: 'UNKNOWN',
      findings: [],
    };
  }
  const verdict = step.status === 'SUCCEEDED' ? 'READY' : step.status === 'FAILED' ? 'NOT_READY' : 'UNKNOWN';
  return {
    source: 'preflight',
    region: first.to,
    at: step.finishedAt ?? step.startedAt,
    verdict,
    findings: step.error
      ? [{ code: step.error.name, severity: 'blocking', resource: plan.name, message: step.error.message }]
      : [],
    ...(step.detail ? { measured: step.detail } : {}),
  };
}

import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { EVENT_SOURCE } from '../functions/aws/events.js';
import type { DrillReport, ExecutionRecord } from '../functions/aws/state-store.js';
import { initialPrimary, type Plan } from '../functions/core/plan.js';
import { makeHandler } from '../functions/handlers/operator-api.js';
import type { ReadinessFinding } from '../functions/readiness/checks.js';
import { READINESS_CHANGED_EVENT } from '../functions/readiness/readiness.js';
import { causeMessage } from '../functions/runbook/traffic.js';
import { apiGatewayEvent } from './api-gateway.js';
import type { CallRecord, OperationRecord } from './aws/simulator.js';
import { VirtualClock } from './clock.js';
import { applyDrift } from './drift.js';
import { type DrillGroundTruth, drillGroundTruth } from './drill-evidence.js';
import type { SimulatedExecution } from './runtime/step-functions.js';
import { Sandbox } from './sandbox.js';
import { checkScenario, type Scenario, type ScenarioEvent } from './scenario.js';
import type { InvariantResult, Outage } from './truth.js';

/** The report of `switchyard simulate` (docs/architecture.md, The sandbox under the SDK): fields that must exist, and a few more. */
export interface SimulationReport {
  readonly scenario?: string;
  readonly latency: string;
  readonly seed: number;
  /** The virtual instant (ISO, UTC) of `at: 0`: every time below counts from it. */
  readonly start: string;
  /** Virtual seconds from the scenario's start to the end of the run. */
  readonly endedAt: number;
  readonly executions: ExecutionReport[];
  readonly requests: RequestReport[];
  /** Spans during which an app was not served. */
  readonly outages: Outage[];
  /** Spans during which an app was served with less than its plan's `healthyPercent` of capacity. */
  readonly degraded: Outage[];
  readonly invariants: InvariantResult[];
  /**
   * DR drill reports written during the run (scheduled or requested), each with the ground truth's
   * outages of its app during the drill's window.
   */
  readonly drills: (DrillReport & { readonly groundTruth: DrillGroundTruth })[];
  /** Region evacuations requested during the run, with each app's outcome. */
  readonly evacuations: EvacuationReport[];
  /**
   * Readiness per app and target region, one entry per change of verdict (the first evaluation
   * counts), as the scheduled evaluation emitted it (`Switchyard Readiness Changed`).
   */
  readonly readiness: ReadinessEntry[];
  /**
   * Per app: the control plane's recorded active region and status, and the truth: the region
   * holding every writer, the region DNS sends users to, and each global cluster's writers.
   */
  readonly final: Record<
    string,
    {
      activeRegion: string | null;
      status: string | null;
      writerRegion: string | null;
      trafficRegion: string | null;
      writers: Record<string, string[]>;
    }
  >;
}

export interface ExecutionReport {
  readonly id: string;
  readonly app: string;
  readonly runbook: string;
  readonly mode: string;
  readonly trigger: string;
  readonly from: string | null;
  readonly to: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly rtoSeconds: number | null;
  readonly rpoSeconds: number | null;
  readonly approvalWaitSeconds: number;
  readonly awsBusySeconds: number;
  readonly controlPlaneSeconds: number | null;
  /** Verified serving with less than the plan's `healthyPercent` (an ungraceful failover at its minimum). */
  readonly underCapacity: boolean;
  readonly error?: string;
  readonly steps: {
    name: string;
    resource?: string;
    status: string;
    startedAt: number;
    finishedAt: number | null;
    error?: string;
  }[];
}

export interface ReadinessEntry {
  /** Virtual seconds from the scenario's start. */
  readonly at: number;
  readonly app: string;
  /** The target region evaluated. */
  readonly region: string;
  readonly verdict: 'READY' | 'NOT_READY';
  readonly findings: readonly ReadinessFinding[];
}

/** One region evacuation: its apps' outcomes, and when every app was served away from `from`. */
export interface EvacuationReport {
  readonly id: string;
  readonly from: string;
  /** The region every app went to; null when each went to its plan's next region. */
  readonly to: string | null;
  readonly status: string;
  /** How many apps it failed over (skipped ones not counted), and how they ended. */
  readonly apps: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Virtual seconds: when it was requested. */
  readonly startedAt: number;
  /**
   * Virtual seconds: from when every app of it was served (ground truth: DNS sends users to a
   * region that can serve) by a region other than `from`, and stayed so to the end of the run;
   * null when some app never was.
   */
  readonly allServedAt: number | null;
  readonly outcomes: {
    app: string;
    to: string;
    priority: number;
    status: string;
    executionId?: string;
    rtoSeconds?: number;
    /** Virtual seconds: since when the ground truth sees it served away from `from` (null: it is not). */
    servedAt: number | null;
    error?: string;
  }[];
}

export interface RequestReport {
  readonly at: number;
  readonly kind: 'failover' | 'approve' | 'abort' | 'drill' | 'evacuate';
  readonly app: string;
  readonly by: string;
  readonly accepted: boolean;
  readonly executionId?: string;
  readonly drillId?: string;
  readonly evacuationId?: string;
  readonly error?: string;
}

const ROLES_FOR_SCENARIOS = ['operator', 'approver'];

/**
 * Plays a scenario to the end in a fresh in-process sandbox on a discrete virtual clock and
 * reports what happened: the control plane's executions, and the ground truth of what users saw.
 * Operator requests go through the real operator API handler of the target region, as an
 * operator would reach it through API Gateway.
 *
 * The run ends at the scenario's timeout, or earlier once every event has happened, no execution
 * runs, and DNS has had time to settle (TTL plus a health check's failure window). `inspect`
 * sees the sandbox before it closes (tests read the simulator's call log there).
 *
 * @throws InvalidInputError listing every app, region, group, cluster, step or alarm the scenario
 *   names that the plans do not have (see `scenarioProblems`), before anything runs.
 */
export async function simulate(
  plans: readonly Plan[],
  scenario: Scenario,
  options: { inspect?: (sandbox: Sandbox) => void | Promise<void> } = {},
): Promise<SimulationReport> {
  checkScenario(scenario, plans, scenario.name ? `scenario ${scenario.name}` : 'scenario');
  const sandbox = await Sandbox.start({
    plans,
    latency: scenario.latency,
    seed: scenario.seed,
    clock: new VirtualClock({ kind: 'discrete' }, Date.parse(scenario.start)),
  });
  try {
    const report = await play(sandbox, scenario);
    await options.inspect?.(sandbox);
    return report;
  } finally {
    await sandbox.close();
  }
}

async function play(sandbox: Sandbox, scenario: Scenario): Promise<SimulationReport> {
  const { clock } = sandbox;
  const t0 = clock.now();
  const seconds = (at: number) => Math.round(at - t0) / 1000;
  const requests: RequestReport[] = [];
  const readiness: ReadinessEntry[] = [];
  sandbox.aws.eventBridge.onEvent((event) => {
    if (event.source !== EVENT_SOURCE || event.detailType !== READINESS_CHANGED_EVENT) return;
    const detail = event.detail as Partial<ReadinessEntry>;
    readiness.push({
      at: seconds(clock.now()),
      app: String(detail.app),
      region: String(detail.region),
      verdict: detail.verdict === 'READY' ? 'READY' : 'NOT_READY',
      findings: detail.findings ?? [],
    });
  });
  let fired = 0;
  let settledActions = 0;
  const events = [...scenario.events].sort((a, b) => a.at - b.at);
  for (const event of events) {
    clock.setTimer(event.at * 1000, () => {
      fired++;
      void apply(sandbox, event, requests, seconds(clock.now()))
        .catch((error: unknown) => {
          requests.push({
            at: event.at,
            kind: 'failover',
            app: '?',
            by: '?',
            accepted: false,
            error: `scenario event failed: ${String(error)}`,
          });
        })
        .finally(() => {
          settledActions++;
        });
    });
  }

  const latency = sandbox.latency;
  const settleMs =
    latency.route53.dnsTtlMs +
    latency.route53.healthCheckIntervalMs * (latency.route53.healthCheckFailureThreshold + 1);
  let settledAt: number | undefined;
  const recordChecks = checkRecordsAfterExecutions(sandbox);
  // A drill schedule that fires before the timeout is an event still to come.
  const drillDue = () => {
    const next = sandbox.drillSchedules?.nextFiring();
    return next !== undefined && next <= t0 + scenario.timeout * 1000;
  };
  const quiet = () =>
    recordChecks.poll() &&
    !drillDue() &&
    fired === events.length &&
    settledActions === fired &&
    sandbox.stepFunctions.list().every((e) => e.status !== 'RUNNING');
  await clock.runUntil(t0 + scenario.timeout * 1000, () => {
    if (!quiet()) {
      settledAt = undefined;
      return false;
    }
    if (settledAt === undefined) {
      settledAt = clock.now() + settleMs;
      clock.setTimer(settleMs, () => undefined);
    }
    return clock.now() >= settledAt;
  });
  const end = Math.min(clock.now(), t0 + scenario.timeout * 1000);
  const truth = sandbox.aws.truth.report(end);
  const executions = await sandbox.run(
    (() => {
      const work = workByExecution(sandbox);
      return Promise.all(sandbox.stepFunctions.list().map((e) => executionReport(sandbox, e, t0, end, work)));
    })(),
  );
  for (const request of requests) refineRequest(request, sandbox.stepFunctions.list());

  const final: SimulationReport['final'] = {};
  const drills: SimulationReport['drills'] = [];
  for (const plan of sandbox.plans) {
    // The table is global: read the state from a region that is up.
    const up = plan.regions.find((r) => !sandbox.aws.faults.isRegionDown(r)) ?? initialPrimary(plan);
    const state = await sandbox.run(
      sandbox
        .region(up)
        .deps.store.getState(plan.name)
        .catch(() => undefined),
    );
    const reports = await sandbox.run(
      sandbox
        .region(up)
        .deps.store.listDrills(plan.name)
        .catch(() => []),
    );
    for (const r of reports) drills.push({ ...r, groundTruth: drillGroundTruth(sandbox.aws.truth, r, end) });
    const seen = truth.final[plan.name];
    final[plan.name] = {
      activeRegion: state?.activeRegion ?? null,
      status: state?.status ?? null,
      writerRegion: seen?.writerRegion ?? null,
      trafficRegion: seen?.trafficRegion ?? null,
      writers: seen?.writers ?? {},
    };
  }
  const evacuations = await sandbox.run(evacuationReports(sandbox, requests, t0));
  return {
    ...(scenario.name ? { scenario: scenario.name } : {}),
    latency: scenario.latency,
    seed: scenario.seed,
    start: new Date(t0).toISOString(),
    endedAt: seconds(end),
    executions: executions.filter((e): e is ExecutionReport => e !== undefined),
    requests,
    outages: truth.outages,
    degraded: truth.degraded,
    invariants: truth.invariants,
    drills,
    readiness,
    evacuations,
    final,
  };
}

/** The report of every accepted evacuation: its record, and the ground truth of its apps. */
async function evacuationReports(
  sandbox: Sandbox,
  requests: readonly RequestReport[],
  t0: number,
): Promise<EvacuationReport[]> {
  const seconds = (at: number) => Math.round(at - t0) / 1000;
  const up = [...sandbox.regions.keys()].find((r) => !sandbox.aws.faults.isRegionDown(r));
  if (!up) return [];
  const reports: EvacuationReport[] = [];
  for (const request of requests) {
    if (request.kind !== 'evacuate' || !request.evacuationId) continue;
    const record = await sandbox
      .region(up)
      .deps.evacuations.get(request.evacuationId)
      .catch(() => undefined);
    if (!record) continue;
    const moved = record.apps.filter((a) => a.status !== 'SKIPPED');
    const outcomes = record.apps.map((a) => {
      const served = sandbox.aws.truth.servedSince(a.app);
      const away = served && served.region !== null && served.region !== record.from;
      return {
        app: a.app,
        to: a.to,
        priority: a.priority,
        status: a.status,
        ...(a.executionId ? { executionId: a.executionId } : {}),
        ...(a.rtoSeconds !== undefined ? { rtoSeconds: a.rtoSeconds } : {}),
        servedAt: away ? Math.max(seconds(served.sinceMs), request.at) : null,
        ...(a.error ? { error: a.error } : {}),
      };
    });
    const servedAts = outcomes.filter((o) => o.status !== 'SKIPPED').map((o) => o.servedAt);
    reports.push({
      id: record.id,
      from: record.from,
      to: record.to ?? null,
      status: record.status,
      apps: moved.length,
      succeeded: moved.filter((a) => a.status === 'SUCCEEDED').length,
      failed: moved.filter((a) => a.status === 'FAILED' || a.status === 'ABORTED').length,
      startedAt: request.at,
      allServedAt: servedAts.some((s) => s === null) ? null : Math.max(...(servedAts as number[])),
      outcomes,
    });
  }
  return reports;
}

/** How long after an execution ends its app's record must agree with the truth (virtual ms). */
export const RECORD_SETTLE_MS = 5 * 60_000;

/**
 * The `record-matches-truth` invariant: `RECORD_SETTLE_MS` after any execution ends (and no other
 * execution of the app runs then), the recorded active region equals the region holding every
 * writer and the region DNS sends users to, or the app is recorded DEGRADED. `poll()` arms a check
 * for each execution that has ended and answers whether every armed check has run.
 */
function checkRecordsAfterExecutions(sandbox: Sandbox): { poll(): boolean } {
  const armed = new Set<string>();
  let pending = 0;
  const check = async (app: string) => {
    const plan = sandbox.plans.find((p) => p.name === app);
    if (!plan) return;
    const running = sandbox.stepFunctions
      .list()
      .some((e) => e.status === 'RUNNING' && parseBody(e.input).plan === app);
    if (running) return;
    const up = plan.regions.find((r) => !sandbox.aws.faults.isRegionDown(r));
    if (!up) return;
    const state = await sandbox
      .region(up)
      .deps.store.getState(app)
      .catch(() => undefined);
    if (!state || state.status === 'DEGRADED') return;
    const truth = sandbox.aws.truth;
    const writer = plan.database ? truth.writerRegion(app) : state.activeRegion;
    const traffic = truth.trafficRegion(app);
    if (state.activeRegion !== writer || state.activeRegion !== traffic) {
      const now = sandbox.clock.now();
      truth.recordMismatch(
        app,
        now,
        now,
        `recorded ACTIVE in ${state.activeRegion}, but the writer is in ${writer ?? 'no single region'} and users are sent to ${traffic ?? 'no region'}`,
      );
    }
  };
  return {
    poll() {
      for (const execution of sandbox.stepFunctions.list()) {
        if (execution.status === 'RUNNING' || armed.has(execution.name)) continue;
        const app = parseBody(execution.input).plan;
        if (typeof app !== 'string') continue;
        armed.add(execution.name);
        pending++;
        const delay = (execution.stoppedAt ?? sandbox.clock.now()) + RECORD_SETTLE_MS - sandbox.clock.now();
        sandbox.clock.setTimer(delay, () => {
          void check(app).finally(() => {
            pending--;
          });
        });
      }
      return pending === 0;
    },
  };
}

/** Applies one scenario event at its virtual time. */
async function apply(
  sandbox: Sandbox,
  event: ScenarioEvent,
  requests: RequestReport[],
  at: number,
): Promise<void> {
  if ('fault' in event) {
    sandbox.aws.faults.add(event.fault);
  } else if ('drift' in event) {
    applyDrift(sandbox.aws, sandbox.plans, event.drift);
  } else if ('clear' in event) {
    sandbox.aws.faults.clear(event.clear);
  } else if ('alarm' in event) {
    const region = event.alarm.region ?? alarmRegion(sandbox, event.alarm.name);
    sandbox.aws.cloudWatch.setAlarmState(
      event.alarm.name,
      region,
      event.alarm.state,
      event.alarm.reason ?? 'scenario',
    );
  } else if ('failover' in event) {
    const { app, to, mode, by, reason, idempotencyKey } = event.failover;
    const response = await callApi(
      sandbox,
      to,
      by,
      'POST',
      `/apps/${app}/failovers`,
      { to, mode, reason },
      idempotencyKey,
    );
    requests.push(outcome(at, 'failover', app, by, response));
  } else if ('evacuate' in event) {
    const { from, to, mode, by, reason, apps, idempotencyKey } = event.evacuate;
    // The request goes to a region other than the one evacuated: `to`, else the first one up.
    const region =
      to ??
      [...sandbox.regions.keys()].find((r) => r !== from && !sandbox.aws.faults.isRegionDown(r)) ??
      from;
    const body = { from, mode, reason, ...(to ? { to } : {}), ...(apps ? { apps } : {}) };
    const response = await callApi(sandbox, region, by, 'POST', '/evacuations', body, idempotencyKey);
    const answer = parseBody(response.body);
    requests.push({
      ...outcome(at, 'evacuate', apps?.join(',') ?? '*', by, response),
      ...(typeof answer.evacuationId === 'string' ? { evacuationId: answer.evacuationId } : {}),
    });
  } else if ('drill' in event) {
    const { app, by, kind, soakSeconds } = event.drill;
    const plan = sandbox.plans.find((p) => p.name === app);
    const region = plan?.regions.find((r) => !sandbox.aws.faults.isRegionDown(r)) ?? app;
    const body = { ...(kind ? { kind } : {}), ...(soakSeconds !== undefined ? { soakSeconds } : {}) };
    const response = await callApi(sandbox, region, by, 'POST', `/apps/${app}/drills`, body);
    requests.push(outcome(at, 'drill', app, by, response));
  } else if ('approve' in event || 'abort' in event) {
    const kind = 'approve' in event ? 'approve' : 'abort';
    const spec = 'approve' in event ? event.approve : event.abort;
    const target = await findExecution(sandbox, spec.app, spec.execution);
    if (!target) {
      requests.push({
        at,
        kind,
        app: spec.app,
        by: spec.by,
        accepted: false,
        error: `ResourceNotFoundError: no running execution of ${spec.app} to ${kind}`,
      });
      return;
    }
    const body = 'abort' in event ? { reason: event.abort.reason } : {};
    const response = await callApi(
      sandbox,
      target.to,
      spec.by,
      'POST',
      `/apps/${spec.app}/executions/${target.id}/${kind}`,
      body,
    );
    requests.push({ ...outcome(at, kind, spec.app, spec.by, response), executionId: target.id });
  }
}

let requestSeq = 0;

/** Invokes a region's operator API handler as API Gateway would, for the scenario's operator. */
async function callApi(
  sandbox: Sandbox,
  region: string,
  by: string,
  method: string,
  path: string,
  body: unknown,
  idempotencyKey?: string,
) {
  const plane = sandbox.regions.get(region) ?? sandbox.region([...sandbox.regions.keys()][0] as string);
  if (sandbox.aws.faults.isRegionDown(plane.region)) {
    return {
      statusCode: 503,
      body: JSON.stringify({
        error: 'RegionUnavailableError',
        message: `the operator API in ${plane.region} is down`,
      }),
    };
  }
  const handler = makeHandler(plane.deps);
  const event = apiGatewayEvent({
    method,
    path,
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    claims: { sub: by, 'switchyard:roles': ROLES_FOR_SCENARIOS },
    requestId: `scenario-${++requestSeq}`,
    at: sandbox.clock.now(),
  });
  return (await handler(event, {} as Context)) as APIGatewayProxyStructuredResultV2;
}

function outcome(
  at: number,
  kind: RequestReport['kind'],
  app: string,
  by: string,
  response: APIGatewayProxyStructuredResultV2,
): RequestReport {
  const body = parseBody(response.body);
  const status = response.statusCode ?? 500;
  if (status < 300) {
    return {
      at,
      kind,
      app,
      by,
      accepted: true,
      ...(typeof body.executionId === 'string' ? { executionId: body.executionId } : {}),
      ...(typeof body.drillId === 'string' ? { drillId: body.drillId } : {}),
    };
  }
  return {
    at,
    kind,
    app,
    by,
    accepted: false,
    error: `${String(body.error ?? status)}: ${String(body.message ?? '')}`,
  };
}

function parseBody(text: string | undefined): Record<string, unknown> {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A request whose execution was refused by the runbook's own lock is reported as refused. */
function refineRequest(request: RequestReport, raw: readonly SimulatedExecution[]): void {
  if (request.kind !== 'failover' || !request.accepted || !request.executionId) return;
  const execution = raw.find((e) => e.name === request.executionId);
  if (execution?.error === 'FailoverInProgressError') {
    Object.assign(request, {
      accepted: false,
      error: `FailoverInProgressError: ${causeMessage(execution.cause)}`,
    });
  }
}

async function findExecution(
  sandbox: Sandbox,
  app: string,
  id: string | undefined,
): Promise<{ id: string; to: string } | undefined> {
  const plan = sandbox.plans.find((p) => p.name === app);
  if (!plan) return undefined;
  for (const region of plan.regions) {
    if (sandbox.aws.faults.isRegionDown(region)) continue;
    const records = await sandbox.region(region).deps.store.listExecutions(app, { limit: 20 });
    const match = records.find((r) =>
      id ? r.id === id : r.status === 'WAITING_APPROVAL' || r.status === 'RUNNING',
    );
    if (match) return { id: match.id, to: match.to };
  }
  return undefined;
}

function alarmRegion(sandbox: Sandbox, name: string): string {
  for (const plan of sandbox.plans) {
    for (const arn of plan.detection?.alarms ?? []) {
      if (arn.endsWith(`:alarm:${name}`)) return arn.split(':')[3] as string;
    }
  }
  throw new Error(`alarm ${name} is in no plan's detection.alarms; give its region`);
}

/** The simulator's calls and operations, grouped by the execution that made them. */
interface WorkByExecution {
  readonly calls: ReadonlyMap<string, CallRecord[]>;
  readonly operations: ReadonlyMap<string, OperationRecord[]>;
}

/** Groups the call log once, so that reporting N executions costs one pass, not N. */
function workByExecution(sandbox: Sandbox): WorkByExecution {
  const group = <T extends { readonly executionId?: string }>(items: readonly T[]) => {
    const map = new Map<string, T[]>();
    for (const item of items) {
      if (item.executionId === undefined) continue;
      const list = map.get(item.executionId);
      if (list) list.push(item);
      else map.set(item.executionId, [item]);
    }
    return map;
  };
  return { calls: group(sandbox.aws.simulator.log), operations: group(sandbox.aws.simulator.operations) };
}

async function executionReport(
  sandbox: Sandbox,
  execution: SimulatedExecution,
  t0: number,
  end: number,
  work: WorkByExecution,
): Promise<ExecutionReport | undefined> {
  const seconds = (at: number) => Math.round(at - t0) / 1000;
  const input = parseBody(execution.input) as {
    plan?: string;
    targetRegion?: string;
    mode?: string;
    trigger?: string;
    requestedAt?: string;
  };
  if (!input.plan || !input.targetRegion) return undefined; // not a runbook execution
  const app = input.plan; // narrowed: not undefined
  const record = await reportRead(() =>
    sandbox.region(execution.region).deps.store.getExecution(app, execution.name),
  );
  const plan = sandbox.plans.find((p) => p.name === input.plan);
  const requestedAt = Date.parse(
    record?.startedAt ?? input.requestedAt ?? new Date(execution.startedAt).toISOString(),
  );
  const finishedAt = record?.finishedAt ? Date.parse(record.finishedAt) : execution.stoppedAt;
  const approvalWaitMs = approvalWait(record);
  const verifiedAt = record?.steps.VerifyService?.finishedAt
    ? Date.parse(record.steps.VerifyService.finishedAt)
    : undefined;
  const windowEnd = (record?.status === 'SUCCEEDED' ? verifiedAt : undefined) ?? finishedAt ?? end;
  const busyMs = busyWithin(
    work.calls.get(execution.name) ?? [],
    work.operations.get(execution.name) ?? [],
    execution.name,
    input.plan,
    requestedAt,
    windowEnd,
    record,
    end,
  );
  const rto = record?.status === 'SUCCEEDED' ? (record.rtoSeconds ?? null) : null;
  const status =
    record?.status === 'SUCCEEDED' || record?.status === 'ABORTED'
      ? record.status
      : execution.status === 'ABORTED'
        ? 'ABORTED'
        : 'FAILED';
  const error = record?.error
    ? `${record.error.name}: ${record.error.message}`
    : execution.error
      ? `${execution.error}: ${causeMessage(execution.cause)}`
      : execution.status === 'RUNNING'
        ? 'ScenarioTimeout: still running when the scenario ended'
        : undefined;
  return {
    id: execution.name,
    app: input.plan,
    runbook: record?.runbook ?? plan?.strategy ?? 'unknown',
    mode: record?.mode ?? input.mode ?? 'graceful',
    trigger: record?.trigger ?? input.trigger ?? 'operator',
    from: record?.from ?? null,
    to: input.targetRegion,
    status: status === 'SUCCEEDED' && execution.status !== 'SUCCEEDED' ? 'FAILED' : status,
    startedAt: seconds(requestedAt),
    finishedAt: finishedAt === undefined ? null : seconds(finishedAt),
    rtoSeconds: rto,
    rpoSeconds: record?.rpoSeconds ?? null,
    approvalWaitSeconds: approvalWaitMs / 1000,
    awsBusySeconds: Math.round(busyMs) / 1000,
    controlPlaneSeconds: rto === null ? null : Math.round(rto * 1000 - busyMs) / 1000,
    underCapacity: record?.steps.VerifyService?.detail?.underCapacity === true,
    ...(error && status !== 'SUCCEEDED' ? { error } : {}),
    steps: Object.values(record?.steps ?? {})
      .map((s) => ({
        name: s.name,
        ...(s.resource ? { resource: s.resource } : {}),
        status: s.status,
        startedAt: seconds(Date.parse(s.startedAt)),
        finishedAt: s.finishedAt ? seconds(Date.parse(s.finishedAt)) : null,
        ...(s.error ? { error: `${s.error.name}: ${s.error.message}` } : {}),
      }))
      .sort((a, b) => a.startedAt - b.startedAt || a.name.localeCompare(b.name)),
  };
}

function approvalWait(record: ExecutionRecord | undefined): number {
  const approval = record?.approval;
  if (!approval?.requestedAt) return 0;
  const until = approval.decidedAt ?? record?.finishedAt;
  return until ? Math.max(0, Date.parse(until) - Date.parse(approval.requestedAt)) : 0;
}

/**
 * The length of the union of the AWS calls and long-running operations an execution started,
 * within its RTO window and outside any wait for a person's approval.
 */
function busyWithin(
  calls: readonly CallRecord[],
  operations: readonly OperationRecord[],
  executionId: string,
  app: string,
  from: number,
  to: number,
  record: ExecutionRecord | undefined,
  end: number,
): number {
  const intervals: [number, number][] = [];
  for (const c of calls)
    if (c.executionId === executionId) intervals.push([c.startedAt, c.finishedAt || end]);
  for (const o of operations)
    if (o.executionId === executionId || (o.executionId === undefined && o.app === app))
      intervals.push([o.startedAt, o.finishedAt ?? end]);
  const approval = record?.approval;
  const holes: [number, number][] = approval?.requestedAt
    ? [
        [
          Date.parse(approval.requestedAt),
          Date.parse(approval.decidedAt ?? record?.finishedAt ?? new Date(end).toISOString()),
        ],
      ]
    : [];
  // Busy time outside the holes: |busy ∪ holes| - |holes|.
  return unionLength([...intervals, ...holes], from, to) - unionLength(holes, from, to);
}

/** Length of the union of intervals, clipped to [from, to]. */
export function unionLength(intervals: readonly [number, number][], from: number, to: number): number {
  const clipped = intervals
    .map(([a, b]) => [Math.max(a, from), Math.min(b, to)] as [number, number])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let current: [number, number] | undefined;
  for (const interval of clipped) {
    if (current && interval[0] <= current[1]) current[1] = Math.max(current[1], interval[1]);
    else {
      if (current) total += current[1] - current[0];
      current = [...interval];
    }
  }
  return total + (current ? current[1] - current[0] : 0);
}

/**
 * One of the report's own reads of the records, tried up to 5 times: a scenario's `api-errors`
 * fault (e.g. DynamoDB throttled at 30 %) may still be in force when the report is read, and the
 * report must not call an execution FAILED because its own read was throttled. Undefined when
 * every attempt failed.
 */
async function reportRead<T>(read: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await read();
    } catch {
      // the next attempt
    }
  }
  return undefined;
}

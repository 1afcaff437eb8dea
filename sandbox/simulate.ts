import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { EVENT_SOURCE } from '../functions/aws/events.js';
import { initialPrimary, type Plan } from '../functions/core/plan.js';
import type { PlanState } from '../functions/core/records.js';
import {
  isThrottledRefusal,
  THROTTLED_REQUEST_ATTEMPTS,
  throttledRetryDelayMs,
} from '../functions/operator-api/http-errors.js';
import { READINESS_CHANGED_EVENT } from '../functions/readiness/scheduled.js';
import { causeMessage } from '../functions/runbook/traffic.js';
import { callOperatorApi } from './api-gateway.js';
import { VirtualClock } from './clock.js';
import { applyDrift } from './drift.js';
import { drillGroundTruth } from './drill-evidence.js';
import { findIdentity, type Role } from './identities.js';
import type { SimulatedExecution } from './runtime/step-functions.js';
import { Sandbox } from './sandbox.js';
import { checkScenario, type Scenario, type ScenarioEvent } from './scenario.js';
import {
  type ExecutionReport,
  evacuationReports,
  executionReport,
  parseBody,
  pendingChanges,
  type ReadinessEntry,
  type RequestReport,
  type SimulationReport,
  workByExecution,
} from './simulate-report.js';

export type {
  EvacuationReport,
  ExecutionReport,
  PendingChange,
  ReadinessEntry,
  RequestReport,
  SimulationReport,
} from './simulate-report.js';

/**
 * The roles of a scenario's actor (`by`): a sandbox user's own (`DEMO_IDENTITIES`, the table the
 * interactive sandbox's tokens carry: alice operator, bob approver, carol both, victor viewer), so
 * that an action the API refuses that user (403) is refused in a scenario too; any other name
 * (`oncall`, the default `operator`) acts as operator and approver, the scenario language's rule
 * for a name the sandbox does not know (docs/contracts.md, Scenarios).
 */
export function scenarioRoles(by: string): readonly Role[] {
  return findIdentity(by)?.roles ?? UNKNOWN_ACTOR_ROLES;
}
const UNKNOWN_ACTOR_ROLES: readonly Role[] = ['operator', 'approver'];

/**
 * Plays a scenario to the end in a fresh in-process sandbox on a discrete virtual clock and
 * reports what happened: the control plane's executions, and the ground truth of what users saw.
 * Operator requests go to the target region's operator API through the sandbox's API Gateway
 * and Lambda runtime, as `npm start`'s server sends them (sandbox/api-gateway.ts).
 *
 * The run ends at the scenario's timeout, or earlier once every event has happened, no execution
 * runs, and DNS has had time to settle (TTL plus a health check's failure window). `started`
 * sees the sandbox once it has started, before the scenario's first instant (the bench takes the
 * start-up's CPU there); `inspect` sees it before it closes (tests read the simulator's call log
 * there).
 *
 * @throws InvalidInputError listing every app, region, group, cluster, step or alarm the scenario
 *   names that the plans do not have (see `scenarioProblems`), before anything runs.
 */
export async function simulate(
  plans: readonly Plan[],
  scenario: Scenario,
  options: {
    started?: (sandbox: Sandbox) => void;
    inspect?: (sandbox: Sandbox) => void | Promise<void>;
  } = {},
): Promise<SimulationReport> {
  checkScenario(scenario, plans, scenario.name ? `scenario ${scenario.name}` : 'scenario');
  const sandbox = await Sandbox.start({
    plans,
    latency: scenario.latency,
    seed: scenario.seed,
    clock: new VirtualClock({ kind: 'discrete' }, Date.parse(scenario.start)),
    ...(scenario.quotas ? { quotas: scenario.quotas } : {}),
  });
  try {
    options.started?.(sandbox);
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
  // Asked after every timer: it reads counts and only the executions that ended since the last
  // time, never every execution (which made N apps cost N^2).
  const quiet = () =>
    recordChecks.poll() &&
    !drillDue() &&
    fired === events.length &&
    settledActions === fired &&
    sandbox.stepFunctions.runningCount() === 0;
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
  // A reconciler pass or readiness evaluation due at the last instant ends whole (its calls count
  // with the run's, for `npm run bench`'s idle hour); the report is of the run until `end`.
  await sandbox.run(sandbox.dutiesSettled());
  const executions = await sandbox.run(
    (() => {
      const work = workByExecution(sandbox);
      return Promise.all(sandbox.stepFunctions.list().map((e) => executionReport(sandbox, e, t0, end, work)));
    })(),
  );
  for (const request of requests) refineRequest(request, sandbox.stepFunctions.list());
  // Each request is recorded when it is answered; the report lists them in the events' order.
  requests.sort((a, b) => a.at - b.at);

  const final: SimulationReport['final'] = {};
  const drills: SimulationReport['drills'] = [];
  // Every app's recorded state and drill reports, read at once (the states in one BatchGetItem per
  // 100 apps where the store reads many) from a region that is up: the table is global.
  const upOf = (plan: Plan) =>
    plan.regions.find((r) => !sandbox.aws.faults.isRegionDown(r)) ?? initialPrimary(plan);
  const [states, reportsOf] = await sandbox.run(
    Promise.all([
      statesOf(sandbox, sandbox.plans, upOf),
      Promise.all(
        sandbox.plans.map((plan) =>
          sandbox
            .region(upOf(plan))
            .deps.store.listDrills(plan.name)
            .catch(() => []),
        ),
      ),
    ]),
  );
  for (const [index, plan] of sandbox.plans.entries()) {
    const state = states.get(plan.name);
    const reports = reportsOf[index] ?? [];
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
  const pendingAtEnd = pendingChanges(sandbox, t0);
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
    pendingAtEnd,
    final,
  };
}

/**
 * Each plan's recorded state, read from the region `upOf` names: one BatchGetItem per 100 apps per
 * region where the store reads many, else one GetItem per app; a read that fails leaves the app out.
 */
async function statesOf(
  sandbox: Sandbox,
  plans: readonly Plan[],
  upOf: (plan: Plan) => string,
): Promise<ReadonlyMap<string, PlanState>> {
  const byRegion = new Map<string, string[]>();
  for (const plan of plans) byRegion.set(upOf(plan), [...(byRegion.get(upOf(plan)) ?? []), plan.name]);
  const states = new Map<string, PlanState>();
  await Promise.all(
    [...byRegion].map(async ([region, apps]) => {
      const store = sandbox.region(region).deps.store;
      if (store.getStatesAndLocks) {
        const read = await store.getStatesAndLocks(apps, ['state']).catch(() => undefined);
        for (const [app, { state }] of read ?? []) if (state) states.set(app, state);
        if (read) return;
      }
      await Promise.all(
        apps.map(async (app) => {
          const state = await store.getState(app).catch(() => undefined);
          if (state) states.set(app, state);
        }),
      );
    }),
  );
  return states;
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
  const plans = new Map(sandbox.plans.map((p) => [p.name, p]));
  /** How many ended executions have been armed (in the order they ended). */
  let armed = 0;
  let pending = 0;
  const check = async (app: string) => {
    const plan = plans.get(app);
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
      const ended = sandbox.stepFunctions.endedSince(armed);
      armed += ended.length;
      for (const execution of ended) {
        const app = parseBody(execution.input).plan;
        if (typeof app !== 'string') continue;
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
    // As the CLI does: a request refused because AWS throttled its dry run is asked again after
    // its Retry-After, with jitter (functions/operator-api/http-errors.ts); `attempts` says so.
    let attempts = 0;
    let response: APIGatewayProxyStructuredResultV2;
    for (;;) {
      attempts++;
      response = await callApi(
        sandbox,
        to,
        by,
        'POST',
        `/apps/${app}/failovers`,
        { to, mode, reason },
        idempotencyKey,
      );
      if (
        attempts >= THROTTLED_REQUEST_ATTEMPTS ||
        !isThrottledRefusal(response.statusCode, parseBody(response.body).error)
      )
        break;
      const retryAfter = response.headers?.['retry-after'];
      await sandbox.clock.sleep(
        throttledRetryDelayMs(
          retryAfter === undefined ? undefined : String(retryAfter),
          attempts,
          sandbox.random.next(),
        ),
      );
    }
    requests.push({ ...outcome(at, 'failover', app, by, response), ...(attempts > 1 ? { attempts } : {}) });
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

/**
 * A scenario operator's request to `region`'s operator API (the first region for one the sandbox
 * does not run), through the sandbox's API Gateway: the same event builder, authorizer claims and
 * Lambda runtime as a request to `npm start`'s server (sandbox/api-gateway.ts).
 */
function callApi(
  sandbox: Sandbox,
  region: string,
  by: string,
  method: string,
  path: string,
  body: unknown,
  idempotencyKey?: string,
): Promise<APIGatewayProxyStructuredResultV2> {
  const known = sandbox.regions.has(region) ? region : ([...sandbox.regions.keys()][0] as string);
  return callOperatorApi(sandbox, {
    region: known,
    by,
    roles: [...scenarioRoles(by)],
    method,
    path,
    body,
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
  });
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

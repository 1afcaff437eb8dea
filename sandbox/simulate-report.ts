import type { DrillReport, ExecutionRecord } from '../functions/aws/state-store.js';
import { isPollerExecution } from '../functions/evacuation/region-poller-start.js';
import type { ReadinessFinding } from '../functions/readiness/checks.js';
import { causeMessage } from '../functions/runbook/traffic.js';
import type { OperationRecord } from './aws/simulator.js';
import type { DrillGroundTruth } from './drill-evidence.js';
import type { SimulatedExecution } from './runtime/step-functions.js';
import type { Sandbox } from './sandbox.js';
import type { InvariantResult, Outage } from './truth.js';

// The report of a simulation (docs/contracts.md): its shape, and how each execution and evacuation
// is summarised from the sandbox's records, call log and ground truth once the run ends.

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
   * AWS changes still under way when the run ended (a Route 53 change still PENDING, a promotion,
   * instances launching, a routing control's health check not yet following it): what the run did
   * not see finish, so that a report ending mid-change says so. Empty when every change finished.
   */
  readonly pendingAtEnd: PendingChange[];
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

/**
 * One runbook execution in the report's `executions[]` (docs/contracts.md, the report). Times
 * (`startedAt`, `finishedAt`, each step's) are virtual seconds from the scenario's start; `rtoSeconds`
 * (request to verified service, approval wait left out), `rpoSeconds`, `approvalWaitSeconds`,
 * `awsBusySeconds` (the union of the AWS calls and operations it started) and
 * `controlPlaneSeconds` (RTO minus AWS busy, from the unrounded times: the recorded RTO is rounded to 0.1 s) are virtual seconds; null where not known (no RTO
 * unless it SUCCEEDED).
 */
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
  /**
   * When the RPO is the replication lag last seen before its metric stopped (the writer's region
   * out more than 5 minutes before the promotion): that datapoint's time, virtual seconds from the
   * start; null when the lag read at the promotion was current (or there is no RPO).
   */
  readonly rpoLastSeenAt: number | null;
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

/**
 * An AWS change under way when the run ended, in the report's `pendingAtEnd[]`: operations of one
 * kind on one resource for one app and execution, counted (instances launching for one group).
 */
export interface PendingChange {
  /** The simulated operation: `route53:change`, `rds:switchover`, `rds:failover`, `rds:detach`, `rds:create-instance`, `autoscaling:launch`, `arc:propagation`. */
  readonly operation: string;
  /** What it changes: a Route 53 change id, a global cluster and its target, an instance, a group, a routing control. */
  readonly resource: string | null;
  readonly app: string | null;
  /**
   * The run it was made for: the execution whose call started it or, for a change made outside
   * any execution on behalf of a run (the waker, WakeOnEvent, moving a run's traffic once its
   * promotion is done) or by the region poller for one (its traffic, pilot light's promotion),
   * the app's runbook execution running then (one per app at a time: the
   * lock). Null for a change no run made (the reconciler's, between runs).
   */
  readonly executionId: string | null;
  /** How many such operations (instances launching, say). */
  readonly count: number;
  /** Virtual seconds from the scenario's start: when the first of them started. */
  readonly startedAt: number;
  /** Virtual seconds: when AWS will have applied it, where the simulator knows (a Route 53 change's INSYNC); else null. */
  readonly dueAt: number | null;
}

/** Operations that are no change of AWS's state: a health check's request, its checkers' verdict forming. */
const NOT_A_CHANGE = /^route53:health-check/;

/**
 * The AWS changes still under way at the end of a run ({@link PendingChange}), from the simulator's
 * operations that have not finished, in the order they started. `t0` is the scenario's start
 * (virtual epoch ms).
 */
export function pendingChanges(sandbox: Sandbox, t0: number): PendingChange[] {
  const seconds = (at: number) => Math.round(at - t0) / 1000;
  const insync = new Map(sandbox.aws.route53.changes().map((c) => [c.id, c]));
  const runOf = runningRunOf(sandbox);
  const byKey = new Map<string, PendingChange>();
  for (const o of sandbox.aws.simulator.operations) {
    if (o.finishedAt !== undefined || NOT_A_CHANGE.test(o.name)) continue;
    // The region poller acts for the runs it serves: its change is the app's running run's.
    const own = isPollerExecution(o.executionId) ? undefined : o.executionId;
    const executionId = own ?? (o.app ? runOf(o.app, o.startedAt) : undefined);
    const key = [o.name, o.resource, o.app, executionId].join('|');
    const had = byKey.get(key);
    if (had) {
      byKey.set(key, { ...had, count: had.count + 1 });
      continue;
    }
    const change = o.name === 'route53:change' && o.resource ? insync.get(o.resource) : undefined;
    byKey.set(key, {
      operation: o.name,
      resource: o.resource ?? null,
      app: o.app ?? null,
      executionId: executionId ?? null,
      count: 1,
      startedAt: seconds(o.startedAt),
      dueAt: change ? seconds(change.insyncAt) : null,
    });
  }
  return [...byKey.values()];
}

/**
 * The runbook execution of an app that was running at a virtual instant (epoch ms), by name;
 * undefined when none was. An app runs one failover at a time (its lock), so at most one matches.
 */
function runningRunOf(sandbox: Sandbox): (app: string, at: number) => string | undefined {
  const runs = sandbox.stepFunctions.list().flatMap((execution) => {
    const input = parseBody(execution.input) as { plan?: unknown; targetRegion?: unknown };
    return typeof input.plan === 'string' && typeof input.targetRegion === 'string'
      ? [{ app: input.plan, execution }]
      : [];
  });
  return (app, at) =>
    runs.find(
      (r) =>
        r.app === app &&
        r.execution.startedAt <= at &&
        (r.execution.stoppedAt === undefined || at <= r.execution.stoppedAt),
    )?.execution.name;
}

/**
 * A change of a readiness verdict, in the report's `readiness[]`: one entry per app, target region
 * and change (docs/contracts.md, the report).
 */
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

/**
 * One operator request of the scenario, in the report's `requests[]`: what was asked (`kind`, `app`,
 * `by`), at `at` virtual seconds from the scenario's start, whether the API accepted it, the id it
 * got, or the API's error (docs/contracts.md, the report).
 */
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
  /**
   * How many times a failover request was made, when more than once: a 503 `ThrottledError`
   * (AWS throttled its dry run) is asked again after its Retry-After, as the CLI does.
   */
  readonly attempts?: number;
}

/** The report of every accepted evacuation: its record, and the ground truth of its apps. */
export async function evacuationReports(
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

/**
 * A JSON object body (an execution's input, an API answer), `{}` when absent or not JSON: never
 * throws; the caller reads its fields as unknown.
 */
export function parseBody(text: string | undefined): Record<string, unknown> {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The simulator's long-running operations, grouped by the execution that started them. API calls
 * are not grouped: their round trips are the control plane's time, not AWS's (README, "The
 * control-plane metric, exactly").
 */
export interface WorkByExecution {
  readonly operations: ReadonlyMap<string, OperationRecord[]>;
  /**
   * Operations that name the app they worked for (Route 53's health checkers; an evacuation's
   * batched traffic change, started by the evacuation's call for many apps), by app.
   */
  readonly operationsByApp: ReadonlyMap<string, OperationRecord[]>;
}

/** Groups the operations once, so that reporting N executions costs one pass, not N. */
export function workByExecution(sandbox: Sandbox): WorkByExecution {
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
  const byApp = new Map<string, OperationRecord[]>();
  for (const operation of sandbox.aws.simulator.operations) {
    if (operation.app === undefined) continue;
    const list = byApp.get(operation.app);
    if (list) list.push(operation);
    else byApp.set(operation.app, [operation]);
  }
  return {
    operations: group(sandbox.aws.simulator.operations),
    operationsByApp: byApp,
  };
}

/**
 * The report of one state machine execution, read from its record (what the runbook wrote) and
 * the simulator's call log (`work`); undefined when the execution is not a runbook's (its input
 * names no plan and target region). `t0` and `end` are virtual epoch milliseconds (the scenario's
 * start and end); the report's times are virtual seconds from `t0`. A record the store cannot give
 * in five attempts (region down) leaves the fields it would give null or taken from the execution.
 */
export async function executionReport(
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
    [
      ...new Set([
        ...(work.operations.get(execution.name) ?? []),
        ...(work.operationsByApp.get(input.plan) ?? []),
      ]),
    ],
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
    rpoLastSeenAt: record?.rpoLastSeenAt ? seconds(Date.parse(record.rpoLastSeenAt)) : null,
    approvalWaitSeconds: approvalWaitMs / 1000,
    awsBusySeconds: Math.round(busyMs) / 1000,
    // From the unrounded window (the recorded RTO is rounded to 0.1 s): millisecond resolution.
    controlPlaneSeconds:
      rto === null || verifiedAt === undefined
        ? null
        : Math.round(verifiedAt - requestedAt - approvalWaitMs - busyMs) / 1000,
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
 * The length of the union of the long-running AWS operations an execution started (or that worked
 * for its app: Route 53's health checkers, an evacuation's batched traffic change), within its RTO
 * window and outside any wait for a person's approval. Its API calls are not counted: their round
 * trips are the control plane's.
 */
function busyWithin(
  operations: readonly OperationRecord[],
  executionId: string,
  app: string,
  from: number,
  to: number,
  record: ExecutionRecord | undefined,
  end: number,
): number {
  const intervals: [number, number][] = [];
  // An operation that names the app worked for it even when another execution's call started it
  // (an evacuation's batched traffic change, made for many apps at once).
  for (const o of operations)
    if (o.executionId === executionId || o.app === app) intervals.push([o.startedAt, o.finishedAt ?? end]);
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

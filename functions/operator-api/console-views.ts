import { ResourceNotFoundError } from '../core/errors.js';
import { type ExecutionDetail, type ExecutionSummary, summaryOf } from '../core/execution-views.js';
import type { Plan } from '../core/plan.js';
import type { DrillReport, FailoverMode, StepRecord } from '../core/records.js';
import { planSha256, type ReadinessBefore } from '../drills/drill.js';
import type { RunbookDeps } from '../runbook/context.js';
import { type ExecutionReadDeps, getExecution } from './executions.js';

/** What the timeline and the drill evidence read: the execution reads, and the clock for "now". */
export type ConsoleViewDeps = ExecutionReadDeps & Pick<RunbookDeps, 'clock'>;

/**
 * Read models the operator console needs, computed here rather than in the browser: the approvals
 * queue across apps, what a failover would do before it is asked for, an execution as a timeline
 * with its RTO clock, and a drill's evidence. Every answer carries `now` (the control plane's
 * clock, virtual time in the sandbox) so that a page can show durations without trusting its own.
 */

/** The lane a step runs in on the execution timeline. */
export type Lane = 'control' | 'database' | 'capacity' | 'traffic';

const LANE_OF_STEP: Readonly<Record<string, Lane>> = {
  PrepareDatabase: 'database',
  PromoteDatabase: 'database',
  ScaleCapacity: 'capacity',
  ScaleDownSource: 'capacity',
  ShiftTraffic: 'traffic',
};

/** The runbook's steps, in order, with the lane each runs in and what it does. */
export interface RunbookStepOutline {
  readonly name: string;
  readonly lane: Lane;
  readonly what: string;
}

/** The executions waiting for an approver, across every app, oldest request first. */
export interface ApprovalsQueue {
  readonly now: string;
  readonly approvals: readonly (ExecutionSummary & { readonly waitingSeconds: number })[];
}

/** How many recent executions per app are searched for ones waiting for approval. */
const APPROVAL_SCAN_LIMIT = 20;

/** `GET /approvals`: every execution of every app that waits for an approver. */
export async function listApprovals(
  deps: Pick<RunbookDeps, 'plans' | 'store' | 'clock'>,
): Promise<ApprovalsQueue> {
  const now = deps.clock.now();
  const perApp = await Promise.all(
    deps.plans.list().map((plan) => deps.store.listExecutions(plan.name, { limit: APPROVAL_SCAN_LIMIT })),
  );
  const waiting = perApp
    .flat()
    .filter((record) => record.status === 'WAITING_APPROVAL')
    .map((record) => ({
      ...summaryOf(record),
      waitingSeconds: seconds(now - Date.parse(record.approval?.requestedAt ?? record.startedAt)),
    }))
    .sort((a, b) => b.waitingSeconds - a.waitingSeconds);
  return { now: new Date(now).toISOString(), approvals: waiting };
}

/** What a failover of an app would do, shown before an operator confirms it. */
export interface FailoverPreview {
  readonly app: string;
  readonly strategy: Plan['strategy'];
  readonly regions: readonly string[];
  readonly objectives: Plan['objectives'];
  readonly approvalRequired: boolean;
  readonly approvalTimeoutSeconds: number;
  readonly traffic: 'arc' | 'route53';
  readonly modes: Readonly<Record<FailoverMode, string>>;
  readonly steps: readonly RunbookStepOutline[];
  readonly resources: {
    readonly databases: readonly string[];
    readonly capacity: readonly {
      readonly group: string;
      readonly active: string;
      readonly standby: string;
    }[];
  };
}

/** `GET /apps/{app}/failover-preview`: the runbook an operator is about to start, in words. */
export function failoverPreview(app: string, deps: Pick<RunbookDeps, 'plans'>): FailoverPreview {
  const plan = deps.plans.get(app);
  const arc = plan.traffic.arc !== undefined;
  const databases = (plan.database?.auroraGlobalClusters ?? []).map((c) => c.globalClusterId);
  const groups = plan.compute?.autoScalingGroups ?? [];
  const profile = (p: { min: number; desired: number; max: number }) => `${p.min}/${p.desired}/${p.max}`;
  const approvalRequired = plan.approvals.operatorFailover === 'required';
  const steps: RunbookStepOutline[] = [
    { name: 'BeginExecution', lane: 'control', what: 'take the app lock and record the execution' },
    {
      name: 'Preflight',
      lane: 'control',
      what: 'check every resource in the target region (graceful: the source healthy, lag under the RPO)',
    },
    ...(approvalRequired
      ? [
          {
            name: 'RequestApproval',
            lane: 'control' as const,
            what: `wait for an approver other than the requester (at most ${plan.approvals.timeoutSeconds} s)`,
          },
        ]
      : []),
    ...(plan.strategy === 'pilot-light'
      ? [{ name: 'PrepareDatabase', lane: 'database' as const, what: 'give a headless secondary a reader' }]
      : []),
    ...databases.map((id) => ({
      name: 'PromoteDatabase',
      lane: 'database' as const,
      what: `promote ${id} in the target region (switchover when graceful, failover when ungraceful)`,
    })),
    ...groups.map((g) => ({
      name: 'ScaleCapacity',
      lane: 'capacity' as const,
      what: `scale ${g.name} to its active profile ${profile(g.active)} until ${g.healthyPercent}% is healthy`,
    })),
    {
      name: 'ShiftTraffic',
      lane: 'traffic',
      what: arc
        ? 'turn the target routing control On and the others Off (ARC data plane)'
        : 'swap the Route 53 failover records (control plane in us-east-1)',
    },
    { name: 'VerifyService', lane: 'control', what: 'check writer, capacity and routing in the target' },
    {
      name: 'FinishExecution',
      lane: 'control',
      what: 'record RTO and RPO, set the active region, release the lock (graceful: old region to standby)',
    },
  ];
  return {
    app: plan.name,
    strategy: plan.strategy,
    regions: plan.regions,
    objectives: plan.objectives,
    approvalRequired,
    approvalTimeoutSeconds: plan.approvals.timeoutSeconds,
    traffic: arc ? 'arc' : 'route53',
    modes: {
      graceful:
        'Switchover: the source must be healthy and replication lag under the RPO; the writer moves only once the target has capacity; no data is lost (RPO 0). Use when the source region still works.',
      ungraceful:
        'Failover: for a source region that is down or failing. The target is promoted without the source (data not yet replicated is lost: the lag at promotion is the RPO), and traffic may move at a lower share of healthy capacity.',
    },
    steps,
    resources: {
      databases,
      capacity: groups.map((g) => ({
        group: g.name,
        active: profile(g.active),
        standby: profile(g.standby),
      })),
    },
  };
}

/** One bar of the execution timeline. */
export interface TimelineBar {
  readonly key: string;
  readonly name: string;
  readonly resource?: string;
  readonly lane: Lane;
  readonly status: StepRecord['status'];
  /** Seconds from the execution's start. */
  readonly startSeconds: number;
  /** Seconds from the execution's start; null while the step runs. */
  readonly endSeconds: number | null;
  readonly error?: StepRecord['error'];
  readonly detail?: StepRecord['detail'];
  /** The step was still running when the execution ended (stopped by an abort, say). */
  readonly interrupted?: boolean;
}

/** An execution as the live view shows it. */
export interface ExecutionTimeline {
  readonly now: string;
  readonly execution: ExecutionDetail;
  readonly objectives: Plan['objectives'];
  readonly approvalRequired: boolean;
  /** Seconds from the start to the end (or to now while it runs). */
  readonly elapsedSeconds: number;
  /** Time spent waiting for a person's approval (to now while it waits). */
  readonly approvalWaitSeconds: number;
  /**
   * The RTO clock: the recorded RTO once it succeeded, elapsed minus the approval wait while it
   * runs, null when it ended without recovering (FAILED or ABORTED: there is no RTO to report).
   */
  readonly rtoSeconds: number | null;
  readonly rtoFinal: boolean;
  readonly bars: readonly TimelineBar[];
}

/** `GET /apps/{app}/executions/{id}/timeline`: the execution's steps as lanes, and its RTO clock. */
export async function executionTimeline(
  app: string,
  id: string,
  deps: ConsoleViewDeps,
): Promise<ExecutionTimeline> {
  const execution = await getExecution(app, id, deps);
  const plan = deps.plans.get(execution.app);
  const now = deps.clock.now();
  const start = Date.parse(execution.startedAt);
  // A finished run's last step entries (FinishExecution, RecordFailure) are written just after its
  // outcome: the timeline ends with the last of them.
  const end = execution.finishedAt
    ? Math.max(
        Date.parse(execution.finishedAt),
        ...Object.values(execution.steps).map((s) => (s.finishedAt ? Date.parse(s.finishedAt) : 0)),
      )
    : now;
  const approval = execution.approval;
  const approvalWait = approval
    ? (approval.decidedAt ? Date.parse(approval.decidedAt) : execution.finishedAt ? end : now) -
      Date.parse(approval.requestedAt)
    : 0;
  const over = execution.finishedAt !== undefined;
  const bars = Object.entries(execution.steps)
    .map(
      ([key, step]): TimelineBar => ({
        key,
        ...(over && step.status === 'RUNNING' ? { interrupted: true } : {}),
        name: step.name,
        ...(step.resource ? { resource: step.resource } : {}),
        lane: LANE_OF_STEP[step.name] ?? 'control',
        status: step.status,
        startSeconds: seconds(Date.parse(step.startedAt) - start),
        endSeconds: step.finishedAt
          ? seconds(Date.parse(step.finishedAt) - start)
          : over
            ? seconds(end - start)
            : null,
        ...(step.error ? { error: step.error } : {}),
        ...(step.detail ? { detail: step.detail } : {}),
      }),
    )
    .sort((a, b) => a.startSeconds - b.startSeconds || a.key.localeCompare(b.key));
  const finished = execution.rtoSeconds !== undefined;
  return {
    now: new Date(now).toISOString(),
    execution,
    objectives: plan.objectives,
    approvalRequired: plan.approvals.operatorFailover === 'required',
    elapsedSeconds: seconds(end - start),
    approvalWaitSeconds: seconds(Math.max(0, approvalWait)),
    rtoSeconds:
      execution.rtoSeconds ?? (over ? null : seconds(Math.max(0, end - start - Math.max(0, approvalWait)))),
    rtoFinal: finished || over,
    bars,
  };
}

/** One step of a drill leg, on the leg's timeline. Times are ISO; see {@link DrillEvidence.time}. */
export interface EvidenceStep {
  readonly name: string;
  readonly resource?: string;
  readonly status: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** Seconds from start to finish (one decimal), or null while it runs. */
  readonly seconds: number | null;
  readonly error?: string;
}

/** One leg of a drill: a graceful failover, its steps in order, and its figures against the objectives. */
export interface EvidenceLeg {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly status: string;
  /** ISO: when the leg was asked for (its RTO runs from here) and when it ended. */
  readonly requestedAt: string;
  readonly finishedAt?: string;
  /** Request to verified service, any approval wait left out; null when not measured. */
  readonly rtoSeconds: number | null;
  readonly rpoSeconds: number | null;
  /** Whether each figure is within the plan's objective; null when not measured. */
  readonly rtoMet: boolean | null;
  readonly rpoMet: boolean | null;
  readonly steps: readonly EvidenceStep[];
}

/** Who approved a leg, or why none was needed. */
export interface EvidenceApproval {
  readonly leg: string;
  readonly required: boolean;
  readonly decision?: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly requestedAt?: string;
  /** Why no approval was needed, when none was. */
  readonly note?: string;
}

/**
 * A drill's evidence (`GET /apps/{app}/drills/{id}`): the stored report, with each leg's execution
 * in full and what an auditor asks for, read from the records written while the drill ran.
 */
export interface DrillEvidence {
  readonly now: string;
  readonly report: DrillReport;
  readonly plan: {
    readonly name: string;
    readonly strategy: Plan['strategy'];
    readonly regions: readonly string[];
    readonly objectives: Plan['objectives'];
    /** The first 12 hex digits of the plan's version ({@link planVersion}'s `sha256`). */
    readonly digest: string;
  };
  /**
   * The plan's version: the SHA-256 of the plan the drill ran (recorded when it started; null for
   * a drill recorded before versions were), the current plan's, and whether they are the same.
   */
  readonly planVersion: {
    readonly sha256: string | null;
    readonly currentSha256: string;
    readonly sameAsCurrent: boolean | null;
  };
  /** Who or what started it: the plan's schedule (with its expression) or a person. */
  readonly startedBy: {
    readonly kind: 'schedule' | 'operator';
    readonly by: string;
    readonly schedule?: string;
  };
  readonly approvals: readonly EvidenceApproval[];
  /** The plan's objectives, in seconds, each leg's figures are judged against. */
  readonly objectives: Plan['objectives'];
  /** Each leg's timeline: its steps in the order they started. */
  readonly timeline: readonly EvidenceLeg[];
  /** The target region's readiness just before the drill (what the first leg's Preflight recorded). */
  readonly readinessBefore: ReadinessBefore;
  /**
   * Which clock every time here was read from: `virtual` in the sandbox (the simulator's clock,
   * independent of this machine's speed), `real` in AWS (the Lambda's system clock, UTC).
   */
  readonly time: { readonly basis: 'virtual' | 'real'; readonly note: string };
  readonly legs: readonly ExecutionDetail[];
}

/** How many recent drill reports are searched for the one asked for. */
const DRILL_SCAN_LIMIT = 100;

/** `GET /apps/{app}/drills/{id}`: one drill's report, its legs' executions, and its evidence. */
export async function drillEvidence(app: string, id: string, deps: ConsoleViewDeps): Promise<DrillEvidence> {
  const plan = deps.plans.get(app);
  const reports = await deps.store.listDrills(plan.name, DRILL_SCAN_LIMIT);
  const report = reports.find((r) => r.id === id);
  if (!report) {
    throw new ResourceNotFoundError(
      reports.length === 0
        ? `${plan.name}: no drill ${id}; ${plan.name} has no drill report yet (start one: POST /apps/${plan.name}/drills)`
        : `${plan.name}: no drill ${id}; expected the id of one of its ${reports.length} most recent drills (GET /apps/${plan.name}/drills)`,
    );
  }
  const legs = (
    await Promise.all(
      report.executionIds.map((executionId) =>
        getExecution(plan.name, executionId, deps).catch((error: unknown) => {
          if (error instanceof ResourceNotFoundError) return undefined;
          throw error;
        }),
      ),
    )
  ).filter((leg): leg is ExecutionDetail => leg !== undefined);
  const detail = report.detail ?? {};
  const recorded = typeof detail.planSha256 === 'string' ? detail.planSha256 : null;
  const current = planSha256(plan);
  const startedBy = detail.startedBy as DrillEvidence['startedBy'] | undefined;
  const virtual = deps.clock.virtual === true;
  return {
    now: new Date(deps.clock.now()).toISOString(),
    report,
    plan: {
      name: plan.name,
      strategy: plan.strategy,
      regions: plan.regions,
      objectives: plan.objectives,
      digest: (recorded ?? current).slice(0, 12),
    },
    planVersion: {
      sha256: recorded,
      currentSha256: current,
      sameAsCurrent: recorded === null ? null : recorded === current,
    },
    startedBy: startedBy ?? {
      kind: typeof detail.schedule === 'string' ? 'schedule' : 'operator',
      by: legs[0]?.requestedBy ?? 'unknown',
      ...(typeof detail.schedule === 'string' ? { schedule: detail.schedule } : {}),
    },
    approvals: legs.map((leg) =>
      leg.approval
        ? { leg: leg.id, required: true, ...leg.approval }
        : {
            leg: leg.id,
            required: false,
            note: `no approver needed: a drill leg (trigger ${leg.trigger}) is a graceful activation that needs none`,
          },
    ),
    objectives: plan.objectives,
    timeline: legs.map((leg) => evidenceLeg(leg, plan)),
    readinessBefore: (detail.readinessBefore as ReadinessBefore | undefined) ?? {
      source: 'preflight',
      region: typeof detail.target === 'string' ? detail.target : (legs[0]?.to ?? 'unknown'),
      verdict: 'UNKNOWN',
      findings: [],
    },
    time: virtual
      ? {
          basis: 'virtual',
          note: "virtual time: the sandbox's simulated clock (ISO, UTC), independent of this machine's speed",
        }
      : { basis: 'real', note: "real time: the control plane's system clock (ISO, UTC)" },
    legs,
  };
}

function evidenceLeg(leg: ExecutionDetail, plan: Plan): EvidenceLeg {
  const rto = leg.rtoSeconds ?? null;
  const rpo = leg.rpoSeconds ?? null;
  return {
    id: leg.id,
    from: leg.from,
    to: leg.to,
    status: leg.status,
    requestedAt: leg.startedAt,
    ...(leg.finishedAt ? { finishedAt: leg.finishedAt } : {}),
    rtoSeconds: rto,
    rpoSeconds: rpo,
    rtoMet: rto === null ? null : rto <= plan.objectives.rtoSeconds,
    rpoMet: rpo === null ? null : rpo <= plan.objectives.rpoSeconds,
    steps: Object.values(leg.steps)
      .map((step) => ({
        name: step.name,
        ...(step.resource ? { resource: step.resource } : {}),
        status: step.status,
        startedAt: step.startedAt,
        ...(step.finishedAt ? { finishedAt: step.finishedAt } : {}),
        seconds: step.finishedAt ? seconds(Date.parse(step.finishedAt) - Date.parse(step.startedAt)) : null,
        ...(step.error ? { error: `${step.error.name}: ${step.error.message}` } : {}),
      }))
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.name.localeCompare(b.name)),
  };
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

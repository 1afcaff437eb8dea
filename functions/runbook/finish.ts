import { isoNow } from '../core/clock.js';
import { describeError, InvalidInputError, LockLostError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import type { ExecutionRecord, FinalExecutionStatus } from '../core/records.js';
import * as z from '../core/zod.js';
import {
  type AppObservation,
  capacityLevel,
  holdsEveryWriter,
  isKnown,
  observeApp,
  unknowns,
} from '../observer/observe.js';
import { fence, parseInput, type RunbookDeps, RunContext, recordStep, stepKey } from './context.js';
import { giveBackCapacity } from './give-back.js';
import { causeMessage, moveTrafficTo } from './traffic.js';

/**
 * The ports and context FinishExecution reads: its success path records the outcome, scales the
 * old region to standby and publishes the event; it observes nothing, so its function's bundle
 * carries no Aurora, Route 53 or ARC client (docs/architecture.md, "Bundles").
 */
export type CompleteDeps = Pick<RunbookDeps, 'clock' | 'events' | 'plans' | 'region' | 'store'> & {
  /** Of Auto Scaling, only the update (scaling the old region down): no load balancer client. */
  readonly autoScaling: Pick<RunbookDeps['autoScaling'], 'update'>;
};

/** The ports and context RecordFailure reads: FinishExecution's, and the observer's for compensation. */
export type FinishDeps = CompleteDeps &
  Pick<RunbookDeps, 'arc' | 'aurora' | 'auroraLag' | 'autoScaling' | 'dns' | 'route53' | 'traffic'>;

/** The EventBridge detail-type of the event every execution ends with. */
export const FINISHED_EVENT = 'Switchyard Execution Finished';

const FinishInput = z.looseObject({ run: RunContext });

/**
 * What FinishExecution and RecordFailure return to the state machine: the run's outcome in brief
 * (the runbook's output). The API's view of a record is `ExecutionSummary`
 * (functions/core/execution-views.ts).
 */
export interface FinishOutput {
  readonly executionId: string;
  readonly app: string;
  readonly status: FinalExecutionStatus;
  readonly from: string;
  readonly to: string;
  readonly rtoSeconds?: number;
  readonly rpoSeconds?: number;
  /** ISO: the RPO is the replication lag last seen at this time, before the lag metric stopped. */
  readonly rpoLastSeenAt?: string;
}

/**
 * FinishExecution: write the outcome (RTO from the request to verified service, approval wait
 * excluded; RPO from the replication lag at promotion, 0 for a switchover), set the active
 * region, release the lock and emit the Finished event. Graceful failovers then scale the old
 * region to its standby profile (best effort: the old region is not needed to succeed).
 */
export async function finishExecution(input: unknown, deps: CompleteDeps): Promise<FinishOutput> {
  const { run } = parseInput(FinishInput, input, 'FinishExecution');
  return completeExecution(run, deps);
}

/** FinishExecution's work, also run by RecordFailure when only the finishing failed. Idempotent. */
async function completeExecution(run: RunContext, deps: CompleteDeps): Promise<FinishOutput> {
  const plan = deps.plans.get(run.app);
  const startedAt = isoNow(deps.clock);
  const record = await executionRecord(run, deps);
  if (record.status === 'SUCCEEDED') {
    // A retry after the first attempt recorded the outcome: close again, idempotently (the audit
    // entry's key is the recorded finish time, the release is conditional on holder and epoch), in
    // case the first attempt failed between recording and releasing. Nothing else changes.
    const summary = summaryOf(record);
    await closeExecution(run, deps, summary, successDetail(summary), record.finishedAt);
    return summary;
  }
  await fence(run, deps);
  const verifiedAt = record.steps[stepKey('VerifyService')]?.finishedAt ?? startedAt;
  const rtoSeconds = round(
    (Date.parse(verifiedAt) - Date.parse(run.requestedAt) - approvalWaitMs(record)) / 1000,
  );
  const { rpoSeconds, rpoLastSeenAt } = rpoOf(run, record);

  const state = await deps.store.getState(plan.name);
  if (state && !(state.activeRegion === run.to && state.lastExecutionId === run.executionId)) {
    await deps.store.setActive(plan.name, {
      activeRegion: run.to,
      status: 'ACTIVE',
      expectedVersion: state.version,
      executionId: run.executionId,
      epoch: run.epoch,
      // A drill's leg does not arm the detection cooldown (docs/contracts.md, Drills and the
      // cooldown): it is a planned, verified activation, not the flapping the cooldown guards
      // against, and arming it would disable automatic failover for cooldownSeconds after every
      // drill. Drill legs are the only runs with the `schedule` trigger.
      ...(run.trigger === 'schedule' ? {} : { lastFailoverAt: verifiedAt }),
    });
  }
  if (run.mode === 'graceful') await scaleSourceToStandby(plan, run, deps);

  // The step's entry first: a reader that sees the record SUCCEEDED then sees every step of it,
  // FinishExecution's included (a retry before the outcome is written records the entry again).
  await recordStep(run, deps, stepKey('FinishExecution'), {
    name: 'FinishExecution',
    status: 'SUCCEEDED',
    startedAt,
    finishedAt: isoNow(deps.clock),
  });
  const finished = await deps.store.finishExecution(plan.name, run.executionKey, {
    status: 'SUCCEEDED',
    rtoSeconds,
    ...(rpoSeconds === undefined ? {} : { rpoSeconds }),
    ...(rpoLastSeenAt === undefined ? {} : { rpoLastSeenAt }),
  });
  const summary: FinishOutput = {
    executionId: run.executionId,
    app: plan.name,
    status: 'SUCCEEDED',
    from: run.from,
    to: run.to,
    rtoSeconds,
    ...(rpoSeconds === undefined ? {} : { rpoSeconds }),
    ...(rpoLastSeenAt === undefined ? {} : { rpoLastSeenAt }),
  };
  await closeExecution(run, deps, summary, successDetail(summary), finished.finishedAt);
  return summary;
}

function successDetail(summary: FinishOutput): string {
  const lastSeen = summary.rpoLastSeenAt
    ? ` (the lag last seen at ${summary.rpoLastSeenAt}, before its metric stopped)`
    : '';
  return `failover to ${summary.to} succeeded: RTO ${summary.rtoSeconds ?? 'unknown'} s, RPO ${summary.rpoSeconds ?? 'unknown'} s${lastSeen}`;
}

const FailureInput = z.object({
  state: z.looseObject({
    run: RunContext,
    error: z.object({ Error: z.string(), Cause: z.optional(z.string()) }),
  }),
});

export interface FailureOutcome extends FinishOutput {
  /** For the ASL's Fail state. */
  readonly error: string;
  readonly cause: string;
  readonly compensation: string[];
}

/**
 * RecordFailure: the failure path. It makes traffic and the writer agree where it safely can,
 * undoes a graceful failover's capacity change when the writer never moved, records what
 * happened, and releases the lock (on purpose: the app is consistent again, or marked DEGRADED
 * for a person, and a later failover must be able to start). A lost lock is never released.
 */
export async function recordFailure(input: unknown, deps: FinishDeps): Promise<FailureOutcome> {
  const { state } = parseInput(FailureInput, input, 'RecordFailure');
  const { run, error } = state;
  const plan = deps.plans.get(run.app);
  const startedAt = isoNow(deps.clock);
  const record = await executionRecord(run, deps);
  if (record.status === 'SUCCEEDED') {
    // FinishExecution recorded the outcome, then failed: finish closing it (idempotent).
    const summary = await completeExecution(run, deps);
    return {
      ...summary,
      error: '',
      cause: '',
      compensation: [`closed after ${error.Error} in FinishExecution`],
    };
  }
  if (record.status === 'FAILED' || record.status === 'ABORTED') {
    // A retry after the first attempt recorded the outcome: close again, idempotently, in case the
    // first attempt failed before releasing; change nothing else.
    const recorded = record.error ?? { name: error.Error, message: causeMessage(error.Cause) || error.Error };
    if (error.Error !== 'LockLostError') {
      await closeExecution(
        run,
        deps,
        summaryOf(record),
        `failover to ${run.to} ${record.status.toLowerCase()}: ${recorded.name}: ${recorded.message}`,
        record.finishedAt,
      );
    }
    return { ...summaryOf(record), error: recorded.name, cause: recorded.message, compensation: [] };
  }
  if (
    record.status === 'RUNNING' &&
    error.Error !== 'LockLostError' &&
    record.steps[stepKey('VerifyService')]?.status === 'SUCCEEDED'
  ) {
    // Service was verified and only the finishing failed (e.g. FinishExecution crashed past its
    // retries): the failover succeeded. Finish it here, so that the record, Step Functions' status
    // (the ASL ends in Succeeded on this outcome) and the report agree.
    const summary = await completeExecution(run, deps);
    return {
      ...summary,
      error: '',
      cause: '',
      compensation: [`finished after ${error.Error} in FinishExecution`],
    };
  }
  // A timeout ends a run ABORTED only when it ended the approval wait: any other Task's timeout
  // (a run without an approval, or after one) is a failure.
  const aborted =
    record.status === 'WAITING_APPROVAL' ||
    (error.Error === 'States.Timeout' && record.approval !== undefined && !record.approval.decision);
  const status: FinalExecutionStatus = aborted ? 'ABORTED' : 'FAILED';
  const cause = failureCause(error, run, record, aborted);
  const compensation: string[] = [];

  let outcome: { degraded: boolean; active?: string } = { degraded: false };
  let lockLost = error.Error === 'LockLostError';
  if (!lockLost) {
    // A run never approved (rejected, timed out, or failed while it waited) may have scaled the
    // target out while it waited (`approvals.capacity: before-approval`): it gives that back too.
    const neverApproved = run.approvalRequired && record.approval?.decision !== 'APPROVED';
    outcome = await compensate(plan, run, neverApproved, deps, compensation).catch((e: unknown) => {
      if (e instanceof LockLostError) {
        // Another execution holds the app now: it is not ours to repair or to mark.
        lockLost = true;
        compensation.push(`lock lost during compensation: ${e.message}`);
        return { degraded: false };
      }
      compensation.push(`compensation failed: ${describeError(e).name}: ${describeError(e).message}`);
      return { degraded: true };
    });
  }
  const degraded = outcome.degraded;
  if (degraded && !lockLost) {
    const current = await deps.store.getState(plan.name);
    if (current) {
      await deps.store
        .setActive(plan.name, {
          // The record follows the truth: where writer and traffic now are, when that is known.
          activeRegion: outcome.active ?? current.activeRegion,
          reason: `execution ${run.executionId} ${status}: ${error.Error}: ${cause}; ${compensation.join('; ')}`,
          status: 'DEGRADED',
          expectedVersion: current.version,
          executionId: run.executionId,
          epoch: run.epoch,
        })
        .catch((e: unknown) => compensation.push(`could not mark DEGRADED: ${describeError(e).message}`));
    }
  }

  // No step stays RUNNING in a finished execution: close each with the error that ended the run.
  const closedAt = isoNow(deps.clock);
  for (const [key, step] of Object.entries(record.steps)) {
    if (step.status !== 'RUNNING') continue;
    await recordStep(run, deps, key, {
      ...step,
      status: aborted ? 'ABORTED' : 'FAILED',
      finishedAt: closedAt,
      error: { name: error.Error, message: cause },
    });
  }
  // As in FinishExecution: the step's entry before the outcome, so a finished record is whole.
  await recordStep(run, deps, stepKey('RecordFailure'), {
    name: 'RecordFailure',
    status: 'SUCCEEDED',
    startedAt,
    finishedAt: isoNow(deps.clock),
    detail: { compensation, degraded },
  });
  const finished = await deps.store.finishExecution(plan.name, run.executionKey, {
    status,
    error: { name: error.Error, message: cause },
  });
  const summary: FinishOutput = {
    executionId: run.executionId,
    app: plan.name,
    status,
    from: run.from,
    to: run.to,
  };
  if (lockLost) {
    await deps.events
      .publish(deps.region, FINISHED_EVENT, { ...summary, error: error.Error, cause })
      .catch(() => undefined);
  } else {
    await closeExecution(
      run,
      deps,
      summary,
      `failover to ${run.to} ${status.toLowerCase()}: ${error.Error}: ${cause}`,
      finished.finishedAt,
    );
  }
  return { ...summary, error: error.Error, cause, compensation };
}

/**
 * The words recorded for the error that ended a run: the Lambda's message, else, for a Task
 * timeout (`States.Timeout`, which Step Functions raises with no message of its own: "Error
 * handling in Step Functions", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html),
 * what timed out: the approval wait, or the steps still running.
 */
function failureCause(
  error: { readonly Error: string; readonly Cause?: string | undefined },
  run: RunContext,
  record: ExecutionRecord,
  aborted: boolean,
): string {
  const message = causeMessage(error.Cause);
  if (error.Error !== 'States.Timeout' || (message && message !== error.Error)) return message || error.Error;
  if (aborted)
    return `no approver answered within the plan's approval timeout of ${run.approvalTimeoutSeconds} s`;
  const running = Object.values(record.steps)
    .filter((step) => step.status === 'RUNNING')
    .map((step) => (step.resource ? `${step.name} ${step.resource}` : step.name));
  return `${running.length > 0 ? running.join(', ') : 'a step'} did not answer within its Task's TimeoutSeconds (Step Functions' States.Timeout: the state's Lambda or wait did not return in time)`;
}

/**
 * Best-effort repairs after a failure; returns whether the app is left inconsistent (DEGRADED).
 * It reads the truth through the observer and acts only on what it knows (an unknown writer or
 * traffic means: touch nothing, mark DEGRADED). It never moves the writer. Traffic follows the
 * writer: when the writer is in the target and the target can serve (at the plan's minimum, or
 * with any healthy capacity when the region users are sent to cannot serve at all), traffic
 * moves there. A graceful failover whose writer never moved, and a run that was never approved
 * (`neverApproved`: it may have scaled out while it waited), give the target's capacity back
 * ({@link giveBackCapacity}, deciding per group from the observation's desired capacity).
 */
async function compensate(
  plan: Plan,
  run: RunContext,
  neverApproved: boolean,
  deps: FinishDeps,
  notes: string[],
): Promise<{ degraded: boolean; active?: string }> {
  const seen = await observeApp(plan, [run.to, run.from], deps);
  notes.push(...unknowns(seen));
  // With no database, where traffic points is the only state the failover moved.
  const trafficRegion = seen.traffic.region;
  const moved = plan.database
    ? holdsEveryWriter(seen, run.to)
    : isKnown(trafficRegion)
      ? trafficRegion === run.to
      : 'unknown';
  if (moved === 'unknown') {
    notes.push(
      `cannot tell whether ${plan.database ? 'the writer' : 'traffic'} moved to ${run.to}: nothing touched; an operator must look`,
    );
    return { degraded: true };
  }
  if (!moved) {
    notes.push(`writer stays out of ${run.to}; traffic not moved`);
    if (run.mode === 'graceful' || neverApproved) {
      const given = await giveBackCapacity(plan, run.to, {
        desiredNow: (group) => {
          const read = seen.capacity.find((c) => c.group === group.name)?.regions[run.to];
          return read !== undefined && isKnown(read) ? read.desired : 'unknown';
        },
        fence: () => fence(run, deps),
        autoScaling: deps.autoScaling,
      });
      notes.push(...given);
    }
    return { degraded: false };
  }
  if (!isKnown(trafficRegion)) {
    notes.push(`writer is in ${run.to}; where traffic points is unknown: nothing touched`);
    return { degraded: true };
  }
  const level = capacityLevel(seen, run.to);
  if (trafficRegion === run.to) {
    notes.push(`writer and traffic are both in ${run.to} (capacity ${level})`);
    return { degraded: level !== 'ready', active: run.to };
  }
  const decision = trafficFollowsWriter(plan, seen, run.to, trafficRegion);
  if (!decision.move) {
    notes.push(decision.why);
    return { degraded: true };
  }
  await fence(run, deps);
  await moveTrafficTo(plan, run.to, run.from, deps, run.epoch);
  notes.push(`traffic moved to ${run.to}, where the writer is: ${decision.why}`);
  return { degraded: true, active: run.to };
}

/**
 * Whether traffic now sent to `trafficRegion` (a region, or null for nowhere) should move to
 * `writerRegion`, which holds every writer: yes when the writer's region has capacity at the
 * plan's ungraceful minimum, or any healthy capacity while the traffic region cannot serve
 * (unreachable, or without the writer: its users fail either way). Pure: no reads.
 */
export function trafficFollowsWriter(
  plan: Plan,
  seen: AppObservation,
  writerRegion: string,
  trafficRegion: string | null,
): { move: boolean; why: string } {
  const level = capacityLevel(seen, writerRegion);
  if (level === 'ready' || level === 'minimum')
    return { move: true, why: `${writerRegion} has capacity at the plan's minimum or better (${level})` };
  if (level === 'some') {
    const dead =
      trafficRegion === null ||
      seen.reachable[trafficRegion] === false ||
      (plan.database !== undefined && holdsEveryWriter(seen, trafficRegion) === false);
    if (dead)
      return {
        move: true,
        why: `${trafficRegion ?? 'no region'} cannot serve and ${writerRegion} has some healthy capacity (under the plan's minimum)`,
      };
    return {
      move: false,
      why: `writer is in ${writerRegion} but its capacity is under the plan's minimum while ${trafficRegion} may still serve: traffic not moved; an operator must decide`,
    };
  }
  return {
    move: false,
    why: `writer is in ${writerRegion} but its capacity is ${level}: traffic not moved; an operator must decide`,
  };
}

function summaryOf(record: ExecutionRecord): FinishOutput {
  return {
    executionId: record.id,
    app: record.app,
    status: record.status as FinalExecutionStatus,
    from: record.from,
    to: record.to,
    ...(record.rtoSeconds === undefined ? {} : { rtoSeconds: record.rtoSeconds }),
    ...(record.rpoSeconds === undefined ? {} : { rpoSeconds: record.rpoSeconds }),
    ...(record.rpoLastSeenAt === undefined ? {} : { rpoLastSeenAt: record.rpoLastSeenAt }),
  };
}

async function scaleSourceToStandby(plan: Plan, run: RunContext, deps: CompleteDeps): Promise<void> {
  for (const group of plan.compute?.autoScalingGroups ?? []) {
    const startedAt = isoNow(deps.clock);
    const key = stepKey('ScaleDownSource', group.name);
    try {
      await deps.autoScaling.update(run.from, memberIn(group.members, run.from), group.standby);
      await recordStep(run, deps, key, {
        name: 'ScaleDownSource',
        resource: group.name,
        status: 'SUCCEEDED',
        startedAt,
        finishedAt: isoNow(deps.clock),
      });
    } catch (error: unknown) {
      // The failover is done; the old region's size is housekeeping, and it may be unreachable.
      await recordStep(run, deps, key, {
        name: 'ScaleDownSource',
        resource: group.name,
        status: 'FAILED',
        startedAt,
        finishedAt: isoNow(deps.clock),
        error: describeError(error),
      });
    }
  }
}

/**
 * Audits the outcome, releases the lock and emits the Finished event. Idempotent: the audit
 * entry is keyed by `finishedAt` (the recorded finish time), the release is conditional on this
 * execution's holder and epoch, and the event may be sent twice (consumers are idempotent).
 */
async function closeExecution(
  run: RunContext,
  deps: CompleteDeps,
  summary: FinishOutput,
  detail: string,
  finishedAt: string | undefined,
): Promise<void> {
  await deps.store.appendAudit({
    id: `${run.executionId}-finish`,
    at: finishedAt ?? isoNow(deps.clock),
    actor: 'switchyard',
    action: `failover.${summary.status.toLowerCase()}`,
    app: run.app,
    executionId: run.executionId,
    detail,
  });
  await deps.store.releaseLock(run.app, run.executionId, run.epoch);
  // The event informs; the failover's outcome is already recorded, so a failed publish is not fatal.
  await deps.events.publish(deps.region, FINISHED_EVENT, { ...summary }).catch(() => undefined);
}

async function executionRecord(run: RunContext, deps: CompleteDeps): Promise<ExecutionRecord> {
  const record = await deps.store.getExecutionByKey(run.app, run.executionKey);
  if (!record) throw new InvalidInputError(`${run.app}: no execution record ${run.executionKey}`);
  return record;
}

function approvalWaitMs(record: ExecutionRecord): number {
  const { approval } = record;
  if (!approval?.decidedAt) return 0;
  return Math.max(0, Date.parse(approval.decidedAt) - Date.parse(approval.requestedAt));
}

/**
 * The run's RPO in seconds (the worst promotion's lag; 0 for a switchover; undefined when a
 * promotion's lag was unknown) and, when a promotion's lag was the last one seen before the metric
 * stopped, the earliest such datapoint's time (ISO): the RPO is then the lag last seen at that time.
 */
function rpoOf(
  run: RunContext,
  record: ExecutionRecord,
): { readonly rpoSeconds?: number; readonly rpoLastSeenAt?: string } {
  if (run.mode === 'graceful') return { rpoSeconds: 0 };
  let worst = 0;
  let lastSeenAt: string | undefined;
  for (const step of Object.values(record.steps)) {
    if (step.name !== 'PromoteDatabase') continue;
    const rpoMs = step.detail?.rpoMs;
    if (typeof rpoMs !== 'number') return {}; // the lag was unknown at promotion
    worst = Math.max(worst, rpoMs);
    const seen = step.detail?.rpoLastSeenAt;
    if (typeof seen === 'string' && (lastSeenAt === undefined || seen < lastSeenAt)) lastSeenAt = seen;
  }
  return { rpoSeconds: round(worst / 1000), ...(lastSeenAt ? { rpoLastSeenAt: lastSeenAt } : {}) };
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

import type { ApprovalRecord, ExecutionRecord } from './records.js';

/**
 * The operator API's views of an execution record (GET /apps/{app}/executions and
 * /executions/{id}, docs/contracts.md), declared once here so that the API
 * (functions/operator-api/), the CLI and the console (console/src/types.ts, as types only) read the
 * same shape. Pure: nothing here reaches a store or an AWS client, so the console may import the
 * types without bundling any of the control plane.
 */

/** An approval as the API shows it: the task token is a capability and never leaves the store. */
export type ApprovalView = Omit<ApprovalRecord, 'taskToken'>;

/** An execution without its steps, for lists: no store key, no steps, no task token. */
export type ExecutionSummary = Omit<ExecutionRecord, 'key' | 'steps' | 'approval'> & {
  readonly approval?: ApprovalView;
};

/**
 * A state machine execution's status as Step Functions reports it (AWS Step Functions API
 * Reference, "DescribeExecution",
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
 */
export type StateMachineStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

/** What Step Functions in the execution's target region says of the run, read when the view was built. */
export interface LiveExecution {
  readonly status: StateMachineStatus;
  /** The error name the execution failed with, when it failed. */
  readonly error?: string;
  /** The failure's cause, when it failed. */
  readonly cause?: string;
}

/**
 * An execution with its steps and `live`: what Step Functions says of the run now, or null when
 * that region did not answer (unknown, not a guess).
 */
export type ExecutionDetail = ExecutionSummary &
  Pick<ExecutionRecord, 'steps'> & {
    readonly live: LiveExecution | null;
  };

/** A record as the API shows it (an {@link ExecutionSummary}): no store key, no steps, no task token. */
export function summaryOf(record: ExecutionRecord): ExecutionSummary {
  const { key: _key, steps: _steps, approval, ...rest } = record;
  return { ...rest, ...(approval ? { approval: approvalView(approval) } : {}) };
}

/** An approval as the API shows it (an {@link ApprovalView}): the record without its task token. */
export function approvalView(approval: ApprovalRecord): ApprovalView {
  const { taskToken: _token, ...rest } = approval;
  return rest;
}

/**
 * A state machine execution as Step Functions describes it (DescribeExecution). `output` is parsed
 * from its JSON. Not our execution record (`ExecutionRecord`, functions/core/records.ts).
 */
export interface StateMachineExecution {
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** Step Functions: starting and stopping runbooks, answering their task tokens. Every method names its region. */
export interface StepFunctions {
  /**
   * StartExecution with `input` serialised to JSON. Idempotent: a retry with the same name and the
   * same input returns the existing execution's ARN; ConflictError when the name was taken by
   * another input.
   */
  start(region: string, stateMachineArn: string, name: string, input: unknown): Promise<string>;
  /** DescribeExecution. ResourceNotFoundError when absent. */
  describe(region: string, executionArn: string): Promise<StateMachineExecution>;
  /** StopExecution (the execution ends ABORTED). */
  stop(region: string, executionArn: string, error: string, cause: string): Promise<void>;
  /** SendTaskSuccess with `output` serialised to JSON. PreconditionFailedError when the task no longer waits. */
  sendTaskSuccess(region: string, taskToken: string, output: unknown): Promise<void>;
  /** SendTaskFailure. PreconditionFailedError when the task no longer waits. */
  sendTaskFailure(region: string, taskToken: string, error: string, cause: string): Promise<void>;
  /**
   * DescribeStateMachine (read-only): the machine's `status`, `ACTIVE` or `DELETING` (AWS Step
   * Functions API Reference, "DescribeStateMachine",
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html).
   * ResourceNotFoundError when no such machine is deployed in `region`.
   */
  stateMachineStatus(region: string, stateMachineArn: string): Promise<string>;
}

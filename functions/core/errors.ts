/**
 * Switchyard's error hierarchy. Error *names* are an API: Step Functions routes on them
 * (`ErrorEquals`), the operator API maps them to HTTP statuses, and a test checks that every
 * name used in a state machine exists in {@link ERROR_NAMES}.
 *
 * Retryable errors (throttling, transient faults) are apart from terminal ones (a precondition
 * that does not hold, a lost lock): a state machine retries the first and catches the second.
 */
export abstract class SwitchyardError extends Error {
  /** Whether retrying the same call later may succeed. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Retryable: the call may succeed if made again after a backoff. */
export abstract class RetryableError extends SwitchyardError {
  readonly retryable = true;
}

/** Terminal: retrying the same call will not help; a person or another path must act. */
export abstract class TerminalError extends SwitchyardError {
  readonly retryable = false;
}

// --- retryable -------------------------------------------------------------------------------

/** An AWS API refused the call for its rate. */
export class ThrottledError extends RetryableError {
  override readonly name = 'ThrottledError';
}

/** A transient AWS fault: a 5xx, a timeout or a connection that failed. */
export class TransientAwsError extends RetryableError {
  override readonly name = 'TransientAwsError';
}

/** A resource is busy with another operation (e.g. an Aurora global cluster mid-switchover). */
export class ResourceBusyError extends RetryableError {
  override readonly name = 'ResourceBusyError';
}

/** A region's endpoints do not answer at all: treated as transient, but a runbook may route around it. */
export class RegionUnavailableError extends RetryableError {
  override readonly name = 'RegionUnavailableError';
}

/** Every ARC cluster endpoint was tried and none answered. */
export class ArcEndpointsUnavailableError extends RetryableError {
  override readonly name = 'ArcEndpointsUnavailableError';
}

// --- terminal --------------------------------------------------------------------------------

/** A plan file (or a set of them) is invalid. `problems` lists every problem found. */
export class PlanValidationError extends TerminalError {
  override readonly name = 'PlanValidationError';
  constructor(
    message: string,
    readonly problems: readonly PlanProblem[],
  ) {
    super(message);
  }
}

/** One problem of a plan: where, what was got, what was expected. */
export interface PlanProblem {
  readonly file: string;
  readonly path: string;
  readonly message: string;
  readonly got?: string;
  readonly expected?: string;
}

/** An input (API request, step input, scenario) is not of the expected shape. */
export class InvalidInputError extends TerminalError {
  override readonly name = 'InvalidInputError';
}

/** No plan of that name is loaded. */
export class UnknownAppError extends TerminalError {
  override readonly name = 'UnknownAppError';
}

/** A region that is not one of the plan's regions. */
export class UnknownRegionError extends TerminalError {
  override readonly name = 'UnknownRegionError';
}

/** An AWS resource a plan names does not exist. */
export class ResourceNotFoundError extends TerminalError {
  override readonly name = 'ResourceNotFoundError';
}

/** A resource exists but is not in a state the step can act on. */
export class PreconditionFailedError extends TerminalError {
  override readonly name = 'PreconditionFailedError';
}

/** Replication lag is above the plan's RPO objective: a graceful switchover must not start. */
export class ReplicationLagTooHighError extends TerminalError {
  override readonly name = 'ReplicationLagTooHighError';
}

/**
 * A graceful failover refused before anything started: readiness found blocking findings in the
 * target region (`findings`: `{ code, severity, resource, message }`, as functions/readiness/).
 */
export class NotReadyError extends TerminalError {
  override readonly name = 'NotReadyError';
  constructor(
    message: string,
    readonly findings: readonly Readonly<Record<string, string>>[],
  ) {
    super(message);
  }
}

/** Another execution holds the app's lock. */
export class FailoverInProgressError extends TerminalError {
  override readonly name = 'FailoverInProgressError';
}

/** The execution no longer holds the lock epoch it took: it must not mutate anything. */
export class LockLostError extends TerminalError {
  override readonly name = 'LockLostError';
}

/** A conditional write lost its race (e.g. the state changed since it was read). */
export class ConflictError extends TerminalError {
  override readonly name = 'ConflictError';
}

/** An Aurora global database could not be promoted in the target region. */
export class DatabasePromotionFailedError extends TerminalError {
  override readonly name = 'DatabasePromotionFailedError';
}

/** Capacity in the target region did not reach the plan's healthy share in time. */
export class CapacityNotReadyError extends TerminalError {
  override readonly name = 'CapacityNotReadyError';
}

/** A traffic change was refused (e.g. an ARC safety rule, or Route 53 rejected the batch). */
export class TrafficShiftRejectedError extends TerminalError {
  override readonly name = 'TrafficShiftRejectedError';
}

/** A bounded wait ran out of attempts. */
export class WaitTimedOutError extends TerminalError {
  override readonly name = 'WaitTimedOutError';
}

/** A caller is not authenticated. */
export class UnauthorizedError extends TerminalError {
  override readonly name = 'UnauthorizedError';
}

/** A caller is authenticated but may not do this. */
export class ForbiddenError extends TerminalError {
  override readonly name = 'ForbiddenError';
}

/** Every error name Switchyard throws; the state machines may route on any of these. */
export const ERROR_NAMES = [
  'ThrottledError',
  'TransientAwsError',
  'ResourceBusyError',
  'RegionUnavailableError',
  'ArcEndpointsUnavailableError',
  'PlanValidationError',
  'InvalidInputError',
  'UnknownAppError',
  'UnknownRegionError',
  'ResourceNotFoundError',
  'PreconditionFailedError',
  'ReplicationLagTooHighError',
  'FailoverInProgressError',
  'LockLostError',
  'ConflictError',
  'DatabasePromotionFailedError',
  'CapacityNotReadyError',
  'TrafficShiftRejectedError',
  'WaitTimedOutError',
  'UnauthorizedError',
  'ForbiddenError',
  'RouteNotFoundError',
  'MethodNotAllowedError',
] as const;

export type ErrorName = (typeof ERROR_NAMES)[number];

/** Names of the errors a state machine should Retry with backoff. */
export const RETRYABLE_ERROR_NAMES = [
  'ThrottledError',
  'TransientAwsError',
  'ResourceBusyError',
  'RegionUnavailableError',
  'ArcEndpointsUnavailableError',
] as const satisfies readonly ErrorName[];

/** The message of an unknown thrown value, for logs and records. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'UnknownError', message: String(error) };
}

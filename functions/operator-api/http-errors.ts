import {
  ConflictError,
  FailoverInProgressError,
  ForbiddenError,
  InvalidInputError,
  NotReadyError,
  PreconditionFailedError,
  ResourceNotFoundError,
  SwitchyardError,
  TerminalError,
  UnauthorizedError,
  UnknownAppError,
  UnknownRegionError,
} from '../core/errors.js';
import type { ApiResponse } from './request.js';

/** One problem of a request: where, what is wrong, what was got and what was expected. */
export interface RequestProblem {
  readonly path: string;
  readonly message: string;
  readonly got: string;
  readonly expected?: string;
}

/** An invalid request, with every problem found. Its name stays `InvalidInputError` (400). */
export class RequestValidationError extends InvalidInputError {
  constructor(
    message: string,
    readonly problems: readonly RequestProblem[],
  ) {
    super(message);
  }
}

/** A request body larger than the operator API reads (413), with its problem. */
export class PayloadTooLargeError extends TerminalError {
  override readonly name = 'PayloadTooLargeError';
  constructor(
    message: string,
    readonly problems: readonly RequestProblem[],
  ) {
    super(message);
  }
}

/** A request line and headers larger than the operator API reads (431), with its problem. */
export class HeadersTooLargeError extends TerminalError {
  override readonly name = 'HeadersTooLargeError';
  constructor(
    message: string,
    readonly problems: readonly RequestProblem[],
  ) {
    super(message);
  }
}

/** No route has this path. */
export class RouteNotFoundError extends TerminalError {
  override readonly name = 'RouteNotFoundError';
  constructor(
    message: string,
    readonly routes: readonly string[],
  ) {
    super(message);
  }
}

/** A route has this path, not with this method. */
export class MethodNotAllowedError extends TerminalError {
  override readonly name = 'MethodNotAllowedError';
  constructor(
    message: string,
    readonly allowed: readonly string[],
  ) {
    super(message);
  }
}

/** Seconds a client should wait before retrying a request refused for a retryable fault. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * How a client of the operator API (the CLI's `failover`, a scenario's `failover` event) treats a
 * request refused with 503 `ThrottledError`: AWS throttled the dry run's reads even after the
 * API's own pacing (many apps requested at once). Such a refusal changed nothing (no lock, no
 * record), so the client asks again, after the answer's `Retry-After` plus full jitter over a
 * growing window ({@link throttledRetryDelayMs}), up to this many attempts in all. Other 503s
 * (a region down, the table's majority lost) are answered at once: waiting seconds does not make
 * them a different decision, and the operator may choose an ungraceful failover.
 */
export const THROTTLED_REQUEST_ATTEMPTS = 6;

/**
 * The wait (ms) before attempt `attempt + 1` of a request refused with 503 `ThrottledError`:
 * `Retry-After` (seconds; {@link RETRY_AFTER_SECONDS} when absent or not a number) plus full
 * jitter over `Retry-After x 2^(attempt-1)`, at most 8 x `Retry-After`, so that clients refused
 * together do not come back together (AWS Well-Architected Reliability Pillar, REL05-BP03 "Control
 * and limit retry calls": "Introduce jitter between retries",
 * https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/rel_mitigate_interaction_failure_limit_retries.html).
 *
 * @param random01 a uniform number in [0, 1)
 */
export function throttledRetryDelayMs(
  retryAfter: string | undefined,
  attempt: number,
  random01: number,
): number {
  const parsed = Number(retryAfter);
  const seconds = Number.isFinite(parsed) && parsed > 0 ? parsed : RETRY_AFTER_SECONDS;
  const window = seconds * Math.min(8, 2 ** Math.max(0, attempt - 1));
  return Math.round((seconds + random01 * window) * 1000);
}

/** Whether an answer of the operator API is a 503 `ThrottledError` (see {@link THROTTLED_REQUEST_ATTEMPTS}). */
export function isThrottledRefusal(status: number | undefined, errorName: unknown): boolean {
  return status === 503 && errorName === 'ThrottledError';
}

/** HTTP status by error name: the names are the API (docs/code-style.md), so the mapping goes by name. */
const STATUS_BY_NAME: Readonly<Record<string, number>> = {
  [InvalidInputError.name]: 400,
  [UnauthorizedError.name]: 401,
  [ForbiddenError.name]: 403,
  [UnknownAppError.name]: 404,
  // A region is always a value a request names (body or query), never a path: an unknown one is
  // a bad request, as validation.ts's `regionProblem` answers it where a route checks it first.
  [UnknownRegionError.name]: 400,
  [ResourceNotFoundError.name]: 404,
  RouteNotFoundError: 404,
  MethodNotAllowedError: 405,
  PayloadTooLargeError: 413,
  HeadersTooLargeError: 431,
  [FailoverInProgressError.name]: 409,
  [ConflictError.name]: 409,
  [PreconditionFailedError.name]: 409,
  NotReadyError: 409,
};

/** The generic message of a 500: the real one is logged, never sent. */
export const INTERNAL_ERROR_MESSAGE = 'internal error: the operator API failed unexpectedly; see its logs';

/**
 * The response for a thrown error: a known name maps to its 4xx; a retryable error is a 503 with
 * `Retry-After`; anything else a 500 with a generic message (`unexpected: true`, for the caller
 * to log). The body is always `{ error, message }`, plus the problems or routes when there are.
 */
export function errorResponse(error: unknown): ApiResponse & { readonly unexpected: boolean } {
  const name = error instanceof Error ? error.name : 'UnknownError';
  const status = STATUS_BY_NAME[name];
  if (error instanceof Error && status !== undefined) {
    const extra =
      error instanceof RequestValidationError ||
      error instanceof PayloadTooLargeError ||
      error instanceof HeadersTooLargeError
        ? { problems: error.problems }
        : error instanceof RouteNotFoundError
          ? { routes: error.routes }
          : error instanceof NotReadyError
            ? { findings: error.findings }
            : {};
    const headers = error instanceof MethodNotAllowedError ? { allow: error.allowed.join(', ') } : undefined;
    return {
      status,
      body: { error: name, message: error.message, ...extra },
      ...(headers ? { headers } : {}),
      unexpected: false,
    };
  }
  if (error instanceof SwitchyardError && error.retryable) {
    return {
      status: 503,
      body: { error: name, message: error.message },
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      unexpected: false,
    };
  }
  return { status: 500, body: { error: 'InternalError', message: INTERNAL_ERROR_MESSAGE }, unexpected: true };
}

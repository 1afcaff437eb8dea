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

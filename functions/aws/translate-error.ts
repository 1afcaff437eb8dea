import { isThrottlingError } from '@smithy/service-error-classification';
import type { SdkError } from '@smithy/types';
import {
  RegionUnavailableError,
  type SwitchyardError,
  ThrottledError,
  TransientAwsError,
} from '../core/errors.js';

/**
 * The one place SDK exceptions become Switchyard's typed errors (docs/code-style.md). Adapters list
 * the modelled exceptions of their service that mean something to a runbook ({@link ErrorRule});
 * throttling, 5xx and network failures are recognised here for every service; anything else is
 * rethrown unchanged (the same object), so an unexpected fault is never disguised as a known one.
 */

/** Where a failed call was going, for the message of the error it becomes. */
export interface AwsCallContext {
  /** The API operation, e.g. `FailoverGlobalCluster`. */
  readonly operation: string;
  /** The region of the client that made the call. */
  readonly region: string;
  /** What the call acted on (a global cluster ID, a group name, a hosted zone, ...). */
  readonly resource?: string;
  /** The endpoint, for endpoint-bound clients (ARC cluster endpoints). */
  readonly endpoint?: string;
}

/** A modelled SDK exception class and the typed error it becomes. */
export interface ErrorRule {
  /** The SDK's modelled exception class, matched with `instanceof`. */
  readonly when: abstract new (
    ...args: never[]
  ) => Error;
  /** Further narrowing, for codes a service shares across meanings (Auto Scaling's `ValidationError`). */
  readonly matches?: (error: Error) => boolean;
  readonly as: new (message: string, options?: { cause?: unknown }) => SwitchyardError;
  /** What went wrong, in words, e.g. `the global cluster is busy with another operation`. */
  readonly problem: string;
  /** What the call expected instead, e.g. `global cluster status available`. */
  readonly expected?: string;
  /** More of what AWS said, when the exception carries it beyond `message`. */
  readonly detail?: (error: Error) => string | undefined;
}

/** Node and SDK errors that mean the endpoint could not be reached or did not answer. */
const NETWORK_CODES = new Set([
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Translates an error thrown by an SDK call: the first matching rule, else throttling
 * ({@link ThrottledError}), a network-level failure ({@link RegionUnavailableError}: after the
 * SDK's own retries the region's endpoint does not answer) or a 5xx ({@link TransientAwsError}).
 * Returns anything else unchanged. The original error is kept as `cause`.
 */
export function translateAwsError(
  error: unknown,
  context: AwsCallContext,
  rules: readonly ErrorRule[] = [],
): unknown {
  if (!(error instanceof Error)) return error;
  for (const rule of rules) {
    if (error instanceof rule.when && (rule.matches?.(error) ?? true)) {
      const detail = rule.detail?.(error);
      const problem = detail ? `${rule.problem}: ${detail}` : rule.problem;
      return new rule.as(message(context, problem, error, rule.expected), { cause: error });
    }
  }
  if (isThrottling(error)) {
    return new ThrottledError(message(context, 'throttled by AWS', error), { cause: error });
  }
  if (isNetworkFailure(error)) {
    return new RegionUnavailableError(
      message(context, 'the endpoint did not answer', error, 'an answer within the client timeout'),
      { cause: error },
    );
  }
  if (isServerFault(error)) {
    return new TransientAwsError(message(context, 'AWS failed to serve the call', error), { cause: error });
  }
  return error;
}

/** Sends one call and throws its error translated by {@link translateAwsError}. */
export async function awsCall<T>(
  context: AwsCallContext,
  rules: readonly ErrorRule[],
  send: () => Promise<T>,
): Promise<T> {
  try {
    return await send();
  } catch (error: unknown) {
    throw translateAwsError(error, context, rules);
  }
}

/**
 * Throttling as the SDK itself classifies it (`isThrottlingError` of
 * `@smithy/service-error-classification`: `Throttling`, `ThrottlingException`,
 * `TooManyRequestsException`, `RequestLimitExceeded`, Route 53's `PriorRequestNotComplete`, HTTP 429
 * and the modelled `$retryable.throttling` trait), so that we and the SDK's retries agree.
 */
function isThrottling(error: Error): boolean {
  return isThrottlingError(error as SdkError);
}

function isNetworkFailure(error: Error): boolean {
  const code = field(error, 'code');
  return error.name === 'TimeoutError' || (typeof code === 'string' && NETWORK_CODES.has(code));
}

function isServerFault(error: Error): boolean {
  return (httpStatus(error) ?? 0) >= 500 || field(error, '$fault') === 'server';
}

function httpStatus(error: Error): number | undefined {
  const metadata = field(error, '$metadata');
  const status =
    typeof metadata === 'object' && metadata !== null ? field(metadata, 'httpStatusCode') : undefined;
  return typeof status === 'number' ? status : undefined;
}

function field(value: object, key: string): unknown {
  return (value as Record<string, unknown>)[key];
}

function message(context: AwsCallContext, problem: string, error: Error, expected?: string): string {
  const what = [context.operation, context.resource].filter(Boolean).join(' ');
  const where = context.endpoint ? `${context.region} (${context.endpoint})` : context.region;
  const got = `got ${error.name}: ${error.message}`;
  return `${what} in ${where}: ${problem} (${got}${expected ? `; expected ${expected}` : ''})`;
}

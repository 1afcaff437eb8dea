import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { describeError, InvalidInputError } from '../core/errors.js';
import { errorResponse, RequestValidationError } from '../operator-api/http-errors.js';
import { type IamRoleMap, iamRoleMapFromEnv, identityOf } from '../operator-api/identity.js';
import type { ApiRequest, ApiResponse } from '../operator-api/request.js';
import { createOperatorApiRouter, operatorApi } from '../operator-api/router.js';
import { parseJsonBody } from '../operator-api/validation.js';
import type { RunbookDeps } from '../runbook/context.js';
import { lambdaControlPlane } from './control-plane.js';
import { ENV } from './environment.js';
import { createObservability, type Observability } from './observability.js';
import { operatorApiDeps } from './operator-api-deps.js';

/** An HTTP API event from the JWT-authorized API, or from the break-glass `AWS_IAM` one. */
export type OperatorApiEvent =
  | APIGatewayProxyEventV2WithJWTAuthorizer
  | APIGatewayProxyEventV2WithIAMAuthorizer;
export type OperatorApiResult = APIGatewayProxyStructuredResultV2;
export type OperatorApiHandler = (event: OperatorApiEvent, context: Context) => Promise<OperatorApiResult>;

export interface OperatorApiHandlerOptions {
  /** Break-glass: the Switchyard roles of each IAM role whose SigV4-signed calls are let in. */
  readonly iamRoles?: IamRoleMap;
}

/**
 * The operator API's Lambda entry, behind API Gateway's JWT authorizer, or the break-glass API's
 * `AWS_IAM` authorizer (each verified the caller: identity comes only from the claims, or from the
 * IAM principal mapped by `options.iamRoles`). It adapts the HTTP API event to an {@link ApiRequest},
 * calls the operator API, and renders the answer as JSON. `makeHandler` binds explicit deps (the
 * sandbox's); `handler` is what Lambda invokes, bound on first use to its environment's deps.
 */
export function makeHandler(
  deps: RunbookDeps,
  observability: Observability = createObservability('OperatorApi'),
  options: OperatorApiHandlerOptions = {},
): OperatorApiHandler {
  const iamRoles = options.iamRoles ?? {};
  const { logger, metrics } = observability;
  const router = createOperatorApiRouter(deps, {
    onUnexpectedError: (error) =>
      logger.error('Request failed unexpectedly', {
        error_name: describeError(error).name,
        error_message: describeError(error).message,
        error,
      }),
  });
  // Per request, not per handler: the sandbox may run several requests through one handler at once.
  const startedAt = new WeakMap<object, number>();
  const requestLog: middy.MiddlewareObj<OperatorApiEvent, OperatorApiResult> = {
    before: (request) => {
      const { event } = request;
      startedAt.set(request, deps.clock.now());
      logger.appendKeys({
        http_method: event.requestContext?.http?.method,
        path: event.rawPath,
        caller: callerName(event, iamRoles),
        region: deps.region,
      });
    },
    after: (request) => {
      const status = request.response?.statusCode ?? 0;
      const duration = deps.clock.now() - (startedAt.get(request) ?? deps.clock.now());
      metrics.addMetric(`OperatorApi${Math.floor(status / 100)}xx`, MetricUnit.Count, 1);
      logger.info('Request answered', { status, duration_ms: duration });
    },
  };
  return middy<OperatorApiEvent, OperatorApiResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(requestLog)
    .handler(async (event, context) => {
      let request: ApiRequest;
      try {
        request = apiRequestOf(event, iamRoles);
      } catch (error: unknown) {
        const { unexpected: _unexpected, ...response } = errorResponse(error);
        return resultOf(response);
      }
      return operatorApi(router, request, event, context);
    });
}

let bound: OperatorApiHandler | undefined;

/** The Lambda entry point. */
export const handler: OperatorApiHandler = (event, context) => {
  bound ??= makeHandler(operatorApiDeps(lambdaControlPlane()), undefined, {
    iamRoles: iamRoleMapFromEnv(process.env[ENV.iamRoles]),
  });
  return bound(event, context);
};

/**
 * The request in an HTTP API (payload 2.0) event. The body is parsed only for an authenticated
 * caller (an anonymous one gets its 401 whatever it sent), within bounds: a body over
 * `MAX_BODY_BYTES` is a PayloadTooLargeError (413), thrown here; JSON nested deeper than
 * `MAX_JSON_DEPTH` or malformed is a RequestValidationError (400) naming what was got and what was
 * expected, kept as the request's `bodyError` for the router to throw after the 403 and 404.
 */
export function apiRequestOf(event: OperatorApiEvent, iamRoles: IamRoleMap = {}): ApiRequest {
  const method = event.requestContext?.http?.method;
  if (typeof method !== 'string' || typeof event.rawPath !== 'string') {
    throw new InvalidInputError(
      'not an HTTP API request: got an event without requestContext.http.method and rawPath; expected an API Gateway HTTP API (payload 2.0) event',
    );
  }
  const identity = identityOf(event.requestContext.authorizer, iamRoles);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const parsed = identity ? bodyOf(event) : { body: undefined };
  return {
    method,
    path: event.rawPath,
    query: { ...(event.queryStringParameters ?? {}) },
    headers,
    ...parsed,
    identity,
  };
}

/** The caller's name for the request log, or undefined (a refused IAM role is logged by its refusal). */
function callerName(event: OperatorApiEvent, iamRoles: IamRoleMap): string | undefined {
  try {
    return identityOf(event.requestContext?.authorizer, iamRoles)?.name;
  } catch {
    return undefined;
  }
}

function bodyOf(event: OperatorApiEvent): Pick<ApiRequest, 'body' | 'bodyError'> {
  if (event.body === undefined || event.body === null) return { body: undefined };
  // parseJsonBody bounds the size (413) and the nesting (400) before JSON.parse sees the text.
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return { body: parseJsonBody(text) };
  } catch (error: unknown) {
    if (error instanceof RequestValidationError) return { body: undefined, bodyError: error };
    throw error;
  }
}

function resultOf(response: ApiResponse): OperatorApiResult {
  return {
    statusCode: response.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...response.headers,
    },
    body: JSON.stringify(response.body),
  };
}

import { HttpVerbs, Router, webResponseToProxyResult } from '@aws-lambda-powertools/event-handler/http';
import type { HttpMethod } from '@aws-lambda-powertools/event-handler/types';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { InvalidInputError, ResourceNotFoundError } from '../core/errors.js';
import * as z from '../core/zod.js';
import { DrillRequestBody, requestDrill } from '../drills/drill.js';
import { EvacuationBody, evacuationProblems, requestEvacuation } from '../evacuation/evacuate.js';
import type { RunbookDeps } from '../runbook/context.js';
import { AbortBody, abortExecution } from './abort-execution.js';
import { getAppStatus, listAppStatuses } from './app-status.js';
import { ApproveBody, approveExecution } from './approve-execution.js';
import { authenticated, authorize, type Permission } from './authorization.js';
import { CONSOLE_ROUTES } from './console-routes.js';
import { DEFAULT_LIST_LIMIT, getExecution, listAudit, listExecutions } from './executions.js';
import { errorResponse, MethodNotAllowedError, RouteNotFoundError } from './http-errors.js';
import { getReadiness } from './readiness.js';
import type { ApiRequest, ApiResponse, Identity } from './request.js';
import { FailoverBody, IdempotencyKey, requestFailover } from './request-failover.js';
import {
  checkPathParameters,
  checkRequestBounds,
  parseRequestPart,
  regionProblem,
  sentString,
} from './validation.js';

type Params = Readonly<Record<string, string>>;

export interface Route {
  readonly method: Extract<HttpMethod, 'GET' | 'POST'>;
  /** Segments; `{name}` captures one. */
  readonly pattern: string;
  readonly permission: Permission;
  readonly summary: string;
  readonly run: (
    params: Params,
    request: ApiRequest,
    caller: Identity,
    deps: RunbookDeps,
  ) => Promise<ApiResponse>;
}

// Queries are strict: a parameter a route does not take (`?limt=5`) is refused, not ignored.
const ListQuery = (max: number) =>
  z.strictObject({ limit: z.optional(z.pipe(z.coerce.number(), z.int().check(z.gte(1), z.lte(max)))) });
const LIMIT_MAX = 100;
const ReadinessQuery = z.strictObject({
  to: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  mode: z.optional(z.enum(['graceful', 'ungraceful'])),
});

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

/** Every route of the operator API, with the permission it needs (see `GRANTS`). */
export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: '/apps',
    permission: 'read',
    summary: 'every app with its state per region',
    run: async (_p, _r, _c, deps) => ok({ apps: await listAppStatuses(deps) }),
  },
  {
    method: 'GET',
    pattern: '/apps/{app}',
    permission: 'read',
    summary: "one app's state per region",
    run: async ({ app }, _r, _c, deps) => ok(await getAppStatus(app as string, deps)),
  },
  {
    method: 'POST',
    pattern: '/apps/{app}/failovers',
    permission: 'request-failover',
    summary: 'request a failover { to, mode?, reason } (header Idempotency-Key optional)',
    run: async ({ app }, request, caller, deps) => {
      const regions = deps.plans.get(app as string).regions;
      const body = parseRequestPart(FailoverBody, request.body, 'body', [
        regionProblem(sentString(request.body, 'to'), regions, 'body.to'),
      ]);
      const rawKey = request.headers['idempotency-key'];
      const key =
        rawKey === undefined ? undefined : parseRequestPart(IdempotencyKey, rawKey, 'header Idempotency-Key');
      return ok(await requestFailover(app as string, body, caller, key, deps), 202);
    },
  },
  {
    method: 'POST',
    pattern: '/evacuations',
    permission: 'request-failover',
    summary:
      'evacuate a region { from, to?, mode?, apps?, reason } (header Idempotency-Key optional): every app active there fails over, in waves by priority',
    run: async (_p, request, caller, deps) => {
      const body = parseRequestPart(
        EvacuationBody,
        request.body,
        'body',
        evacuationProblems(request.body, deps.plans.list()),
      );
      const rawKey = request.headers['idempotency-key'];
      const key =
        rawKey === undefined ? undefined : parseRequestPart(IdempotencyKey, rawKey, 'header Idempotency-Key');
      return ok(await requestEvacuation(body, caller, key, deps), 202);
    },
  },
  {
    method: 'GET',
    pattern: '/evacuations/{id}',
    permission: 'read',
    summary: "an evacuation's record: each app's wave, failover and outcome",
    run: async ({ id }, _r, _c, deps) => {
      const record = await deps.evacuations.get(id as string);
      if (!record)
        throw new ResourceNotFoundError(
          `evacuation: got ${id}, expected the id of an evacuation requested here`,
        );
      const { requestHash: _hash, version: _version, ...shown } = record;
      return ok(shown);
    },
  },
  {
    method: 'GET',
    pattern: '/apps/{app}/readiness',
    permission: 'read',
    summary:
      'readiness now toward every other region, or ?to=R (?mode=graceful|ungraceful), and the kept results',
    run: async ({ app }, request, _c, deps) => {
      const regions = deps.plans.get(app as string).regions;
      const { to, mode } = parseRequestPart(ReadinessQuery, request.query, 'query', [
        regionProblem(sentString(request.query, 'to'), regions, 'query.to'),
      ]);
      return ok(
        await getReadiness(app as string, { ...(to ? { to } : {}), ...(mode ? { mode } : {}) }, deps),
      );
    },
  },
  {
    method: 'GET',
    pattern: '/apps/{app}/executions',
    permission: 'read',
    summary: "the app's executions, newest first (?limit=N)",
    run: async ({ app }, request, _c, deps) => {
      const { limit } = parseRequestPart(ListQuery(LIMIT_MAX), request.query, 'query');
      return ok({
        executions: await listExecutions(app as string, limit ?? DEFAULT_LIST_LIMIT.executions, deps),
      });
    },
  },
  {
    method: 'GET',
    pattern: '/apps/{app}/executions/{id}',
    permission: 'read',
    summary: 'one execution with its steps',
    run: async ({ app, id }, _r, _c, deps) => ok(await getExecution(app as string, id as string, deps)),
  },
  {
    method: 'POST',
    pattern: '/apps/{app}/executions/{id}/approve',
    permission: 'approve',
    summary: 'approve a waiting failover {} or { comment } (not your own)',
    run: async ({ app, id }, request, caller, deps) => {
      const body = parseRequestPart(ApproveBody, request.body ?? {}, 'body');
      return ok(await approveExecution(app as string, id as string, body, caller, deps));
    },
  },
  {
    method: 'POST',
    pattern: '/apps/{app}/executions/{id}/abort',
    permission: 'abort',
    summary: 'abort a running or waiting failover { reason }',
    run: async ({ app, id }, request, caller, deps) => {
      const body = parseRequestPart(AbortBody, request.body, 'body');
      return ok(await abortExecution(app as string, id as string, body, caller, deps));
    },
  },
  {
    method: 'POST',
    pattern: '/apps/{app}/drills',
    permission: 'request-failover',
    summary: 'start a DR drill now { kind?, soakSeconds? } (graceful there and back, with a report)',
    run: async ({ app }, request, caller, deps) => {
      const body = parseRequestPart(DrillRequestBody, request.body ?? {}, 'body');
      return ok(await requestDrill(app as string, body, caller.name, deps), 202);
    },
  },
  {
    method: 'GET',
    pattern: '/apps/{app}/drills',
    permission: 'read',
    summary: "the app's DR drill reports, newest first (?limit=N)",
    run: async ({ app }, request, _c, deps) => {
      const { limit } = parseRequestPart(ListQuery(LIMIT_MAX), request.query, 'query');
      return ok({ drills: await deps.store.listDrills(app as string, limit ?? 20) });
    },
  },
  {
    method: 'GET',
    pattern: '/apps/{app}/audit',
    permission: 'read',
    summary: "the app's audit trail, newest first (?limit=N)",
    run: async ({ app }, request, _c, deps) => {
      const { limit } = parseRequestPart(ListQuery(LIMIT_MAX), request.query, 'query');
      return ok({ entries: await listAudit(app as string, limit ?? DEFAULT_LIST_LIMIT.audit, deps) });
    },
  },
  ...CONSOLE_ROUTES,
];

/** `GET /apps`, ...: the route list a 404 shows. */
export const ROUTE_LIST: readonly string[] = ROUTES.map((r) => `${r.method} ${r.pattern}`);

export interface OperatorApiOptions {
  /** Told of every error answered with a 500 (its message is not sent): log it. */
  readonly onUnexpectedError?: (error: unknown, request: ApiRequest) => void;
}

/** The operator API's router, with the request each event it resolves stands for. */
export interface OperatorApiRouter {
  readonly router: Router;
  /** The request as the operator API read it (bounded), by the event given to the router. */
  readonly requests: WeakMap<object, ApiRequest>;
}

/** The methods the library's router knows; a request with another one is routed as `OPTIONS`. */
const VERBS: readonly HttpMethod[] = Object.values(HttpVerbs);
/** No route answers `OPTIONS`: a method the library cannot represent is routed as it, then refused. */
const UNKNOWN_METHOD_STAND_IN: HttpMethod = 'OPTIONS';

/**
 * The operator API on Powertools' HTTP `Router`: its route table matches method and path; a
 * global middleware authenticates (401) and checks the request's bounds (400, 413, 431); each
 * route's handler checks its path parameters (400), the caller's permission (403) and the app
 * the path names (404), before the route judges its body or query (400); the
 * `notFound` handler answers 404 and, for every path a route has, its other methods answer 405;
 * one error handler maps every thrown error to its status and `{ error, message }`.
 */
export function createOperatorApiRouter(
  deps: RunbookDeps,
  options: OperatorApiOptions = {},
): OperatorApiRouter {
  const router = new Router();
  const requests = new WeakMap<object, ApiRequest>();
  const apiRequest = (reqCtx: { readonly event: object }): ApiRequest => {
    const request = requests.get(reqCtx.event);
    if (!request) throw new Error('operator API router: an event not given by operatorApi');
    return request;
  };

  router.use(async ({ reqCtx, next }) => {
    const request = apiRequest(reqCtx);
    authenticated(request.identity);
    checkRequestBounds(request);
    await next();
  });

  for (const route of ROUTES) {
    router.route(
      async (reqCtx) => {
        const request = apiRequest(reqCtx);
        const params = originalParams(reqCtx.params);
        checkPathParameters(params);
        const caller = authorize(request.identity, route.permission, `${route.method} ${request.path}`);
        // An unknown app in the path is a missing resource, whatever the rest of the request says
        // (404 UnknownAppError before the body or query is judged).
        if (params.app !== undefined) deps.plans.get(params.app);
        // A body that could not be parsed is judged now, after the caller and the path.
        if (request.bodyError) throw request.bodyError;
        return jsonResponse(await route.run(params, request, caller, deps));
      },
      { method: route.method, path: libraryPath(route.pattern) },
    );
  }
  // The library answers a method a path has no route for with 404; the API answers 405 naming the
  // methods it has (header Allow): each path's other methods are routes that refuse.
  const methodsByPattern = new Map<string, HttpMethod[]>();
  for (const route of ROUTES)
    methodsByPattern.set(route.pattern, [...(methodsByPattern.get(route.pattern) ?? []), route.method]);
  for (const [pattern, allowed] of methodsByPattern) {
    router.route(
      (reqCtx) => {
        const request = apiRequest(reqCtx);
        throw new MethodNotAllowedError(
          `${request.method.toUpperCase()} ${request.path}: method not allowed; expected ${allowed.join(' or ')}`,
          allowed,
        );
      },
      { method: VERBS.filter((verb) => !allowed.includes(verb)), path: libraryPath(pattern) },
    );
  }

  router.notFound(async (_error, reqCtx) => {
    const request = apiRequest(reqCtx);
    return errorAnswer(
      new RouteNotFoundError(
        `no route ${request.method.toUpperCase()} ${request.path}; expected one of: ${ROUTES.map((r) => `${r.method} ${r.pattern} (${r.summary})`).join('; ')}`,
        ROUTE_LIST,
      ),
      request,
    );
  });
  router.errorHandler(Error, async (error, reqCtx) => errorAnswer(error, requests.get(reqCtx.event)));

  function errorAnswer(error: unknown, request: ApiRequest | undefined): Response {
    const { unexpected, ...response } = errorResponse(error);
    if (unexpected && request) options.onUnexpectedError?.(error, request);
    return jsonResponse(response);
  }
  return { router, requests };
}

/**
 * The operator API: authenticates (401), routes (404, 405), authorizes (403), validates (400),
 * runs one use case, and answers every error with its status and `{ error, message }` as an HTTP
 * API (payload 2.0) result.
 *
 * A thin adapter stands between the event and the library's router, for what the router cannot
 * express: it builds its web `Request` from the event's headers, body and path, and `Headers`
 * throws on a value that is not Latin-1, `Request` throws on a GET with a body, and `URL` resolves
 * `.`/`..` segments and cuts the path at `?` or `#` (so `/apps/orders/executions/..` would answer as
 * `/apps/orders`). So the router is given only the method and a path rebuilt from the decoded
 * segments (each re-encoded, dot segments escaped so they stay parameters); the request itself
 * (headers, query, the body parsed within bounds) is the {@link ApiRequest} kept by event in
 * {@link OperatorApiRouter.requests}.
 */
export async function operatorApi(
  api: OperatorApiRouter,
  request: ApiRequest,
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  let path: string;
  try {
    path = routingPath(request.path);
  } catch (error: unknown) {
    // Malformed percent-encoding: still 401 before 400, as for every other refusal.
    const refusal = (() => {
      try {
        authenticated(request.identity);
        checkRequestBounds(request);
        return error;
      } catch (earlier: unknown) {
        return earlier;
      }
    })();
    const { unexpected: _unexpected, ...response } = errorResponse(refusal);
    return webResponseToProxyResult(jsonResponse(response), 'ApiGatewayV2');
  }
  const method = request.method.toUpperCase();
  const routed: APIGatewayProxyEventV2 = {
    ...event,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    body: undefined,
    isBase64Encoded: false,
    cookies: undefined,
    requestContext: {
      ...event.requestContext,
      http: {
        ...event.requestContext.http,
        method: (VERBS as readonly string[]).includes(method) ? method : UNKNOWN_METHOD_STAND_IN,
        path,
      },
    },
  };
  api.requests.set(routed, request);
  return api.router.resolve(routed, context);
}

/** The JSON rendering of an answer: `{ error, message }` bodies and the API's headers. */
export function jsonResponse(response: ApiResponse): Response {
  return new Response(JSON.stringify(response.body), {
    status: response.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...response.headers,
    },
  });
}

/** `/apps/{app}` as the library writes it: `/apps/:app`. */
function libraryPath(pattern: string): `/${string}` {
  return pattern.replace(/\{(\w+)\}/g, ':$1') as `/${string}`;
}

/** A dot segment, escaped once more than other segments so that `URL` keeps it as a segment. */
const DOT_SEGMENT = /^\.{1,2}$/;
const ESCAPED_DOT_SEGMENT = /^(%2E){1,2}$/;

/**
 * The path the router matches: the decoded segments (empty ones dropped, as before), each
 * re-encoded. Throws an {@link InvalidInputError} (400) for malformed percent-encoding.
 */
function routingPath(path: string): string {
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new InvalidInputError(`path ${path}: malformed percent-encoding in '${segment}'`);
      }
    });
  return `/${segments
    .map((segment) =>
      DOT_SEGMENT.test(segment)
        ? encodeURIComponent(segment.replaceAll('.', '%2E'))
        : encodeURIComponent(segment),
    )
    .join('/')}`;
}

/** The router's (decoded) parameters, with escaped dot segments back as they were sent. */
function originalParams(params: Readonly<Record<string, string>>): Params {
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => [
      name,
      ESCAPED_DOT_SEGMENT.test(value) ? value.replaceAll('%2E', '.') : value,
    ]),
  );
}

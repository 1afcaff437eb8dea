import * as z from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { DrillRequestBody, requestDrill } from '../drills/drill.js';
import type { RunbookDeps } from '../runbook/context.js';
import { AbortBody, abortExecution } from './abort-execution.js';
import { getAppStatus, listAppStatuses } from './app-status.js';
import { ApproveBody, approveExecution } from './approve-execution.js';
import { authenticated, authorize, type Permission } from './authorization.js';
import { CONSOLE_ROUTES } from './console-routes.js';
import { DEFAULT_LIST_LIMIT, getExecution, listAudit, listExecutions } from './executions.js';
import { errorResponse, MethodNotAllowedError, RouteNotFoundError } from './http-errors.js';
import type { ApiRequest, ApiResponse, Identity } from './request.js';
import { FailoverBody, IdempotencyKey, requestFailover } from './request-failover.js';
import { checkPathParameters, checkRequestBounds, parseRequestPart } from './validation.js';

type Params = Readonly<Record<string, string>>;

export interface Route {
  readonly method: 'GET' | 'POST';
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

const ListQuery = (max: number) => z.object({ limit: z.coerce.number().int().min(1).max(max).optional() });
const LIMIT_MAX = 100;

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
      const body = parseRequestPart(FailoverBody, request.body, 'body');
      const rawKey = request.headers['idempotency-key'];
      const key =
        rawKey === undefined ? undefined : parseRequestPart(IdempotencyKey, rawKey, 'header Idempotency-Key');
      return ok(await requestFailover(app as string, body, caller, key, deps), 202);
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
      deps.plans.get(app as string);
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

/**
 * The operator API: authenticates (401), routes (404, 405), authorizes (403), validates (400),
 * runs one use case, and answers every error with its status and `{ error, message }`.
 */
export async function operatorApi(
  request: ApiRequest,
  deps: RunbookDeps,
  options: OperatorApiOptions = {},
): Promise<ApiResponse> {
  try {
    const caller = authenticated(request.identity);
    checkRequestBounds(request);
    const { route, params } = match(request.method.toUpperCase(), request.path);
    checkPathParameters(params);
    authorize(caller, route.permission, `${route.method} ${request.path}`);
    return await route.run(params, request, caller, deps);
  } catch (error: unknown) {
    const { unexpected, ...response } = errorResponse(error);
    if (unexpected) options.onUnexpectedError?.(error, request);
    return response;
  }
}

function match(method: string, path: string): { route: Route; params: Params } {
  const segments = splitPath(path);
  const candidates = ROUTES.flatMap((route) => {
    const params = matchPattern(route.pattern, segments);
    return params ? [{ route, params }] : [];
  });
  const found = candidates.find((c) => c.route.method === method);
  if (found) return found;
  if (candidates.length > 0) {
    const allowed = candidates.map((c) => c.route.method);
    throw new MethodNotAllowedError(
      `${method} ${path}: method not allowed; expected ${allowed.join(' or ')}`,
      allowed,
    );
  }
  throw new RouteNotFoundError(
    `no route ${method} ${path}; expected one of: ${ROUTES.map((r) => `${r.method} ${r.pattern} (${r.summary})`).join('; ')}`,
    ROUTE_LIST,
  );
}

function splitPath(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new InvalidInputError(`path ${path}: malformed percent-encoding in '${segment}'`);
      }
    });
}

function matchPattern(pattern: string, segments: readonly string[]): Params | undefined {
  const parts = pattern.split('/').filter((s) => s !== '');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const segment = segments[index] as string;
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) params[name] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

import * as z from 'zod';
import { ForbiddenError, ResourceNotFoundError } from '../functions/core/errors.js';
import { RegionName } from '../functions/core/plan.js';
import {
  MethodNotAllowedError,
  type RequestProblem,
  RouteNotFoundError,
} from '../functions/operator-api/http-errors.js';
import { refuseProblems } from '../functions/operator-api/validation.js';
import {
  ClearSchema,
  FAULT_KINDS,
  type Fault,
  FaultSchema,
  knownResources,
  referenceProblems,
} from './faults.js';
import { authenticate, parseBody, type Reply, refusal, TOKENS_PATH, unauthorized } from './http-reply.js';
import { DEMO_IDENTITIES, ROLES_CLAIM, TOKEN_LIFETIME_SECONDS, tokenFor } from './identities.js';
import { JwtError, SANDBOX_AUDIENCE, SANDBOX_ISSUER } from './jwt.js';
import type { Sandbox } from './sandbox.js';

/**
 * The sandbox-only routes, which have no AWS equivalent: `GET /sandbox/tokens` (no token: it is
 * how a token is got), `GET|POST|DELETE /sandbox/faults`, `GET|POST /sandbox/alarms` and
 * `GET /sandbox/truth`. Any valid token may read; changing the sandbox's world needs role
 * operator. Served by server.ts; contract in docs/contracts.md. Every refusal but the 401 (API
 * Gateway's, `unauthorized`) is in the operator API's one error shape: `{ error, message }` with
 * the error's name, plus `problems` (path, message, got, expected) for a bad body and `routes`
 * for an unknown route (functions/operator-api/http-errors.ts).
 */

const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
const AddFaultBody = z.strictObject({ fault: FaultSchema });
const ClearFaultBody = z.strictObject({ clear: ClearSchema });
const SetAlarmBody = z.strictObject({
  name: z.string().min(1),
  region: RegionName,
  state: z.enum(ALARM_STATES),
  reason: z.string().max(1024).optional(),
});

/** The `/sandbox/*` handler of `sandbox`, its tokens signed with `secret`; never throws for bad input. */
export function sandboxRoutes(sandbox: Sandbox, secret: Uint8Array | string) {
  const faults = sandbox.aws.faults;
  const alarms = sandbox.plans.flatMap((p) =>
    (p.detection?.alarms ?? []).map((arn) => ({
      app: p.name,
      arn,
      region: arn.split(':')[3] ?? '',
      name: arn.split(':alarm:')[1] ?? arn,
    })),
  );
  const alarmList = () =>
    alarms.map((a) => ({ ...a, state: sandbox.aws.cloudWatch.alarmState(a.name, a.region) ?? null }));

  /** The fields of a fault (or a fault to clear) that name what this sandbox does not have: almost surely a typo. */
  const known = knownResources(sandbox.plans);
  const unknownResources = (fault: Readonly<Record<string, unknown>>, at: string): RequestProblem[] =>
    referenceProblems(fault, known).map((p) => ({ ...p, path: `${at}.${p.path}` }));

  return async (
    method: string,
    path: string,
    body: Buffer,
    authorization: string | undefined,
  ): Promise<Reply> => {
    const allowed: Record<string, string[]> = {
      '/sandbox/tokens': ['GET'],
      '/sandbox/faults': ['GET', 'POST', 'DELETE'],
      '/sandbox/alarms': ['GET', 'POST'],
      '/sandbox/truth': ['GET'],
    };
    const methods = allowed[path];
    if (!methods) {
      const routes = Object.entries(allowed).flatMap(([route, verbs]) => verbs.map((v) => `${v} ${route}`));
      return refusal(
        new RouteNotFoundError(`no sandbox route ${path}; expected one of: ${routes.join('; ')}`, routes),
      );
    }
    if (!methods.includes(method))
      return refusal(
        new MethodNotAllowedError(
          `${method} ${path}: method not allowed; expected ${methods.join(' or ')}`,
          methods,
        ),
      );

    if (path === TOKENS_PATH) return { status: 200, body: await tokens(secret) };

    const caller = await authenticate(authorization, secret);
    if (caller instanceof JwtError) return unauthorized(caller);
    // Reading the sandbox's world is for anyone signed in; changing it is an operator's act.
    if (method !== 'GET' && !caller.roles.includes('operator'))
      return refusal(
        new ForbiddenError(
          `${method} ${path} needs role operator; ${caller.sub} has ${caller.roles.join(', ') || 'no roles'}`,
        ),
        caller.sub,
      );
    try {
      return change(method, path, body, caller.sub);
    } catch (error: unknown) {
      return refusal(error, caller.sub);
    }
  };

  /**
   * One authenticated, authorized request to a route that exists. A bad body throws the operator
   * API's `RequestValidationError` (answered by the caller through `refusal`).
   */
  function change(method: string, path: string, body: Buffer, sub: string): Reply {
    const reply = (status: number, payload: unknown, detail?: string): Reply => ({
      status,
      body: payload,
      caller: sub,
      ...(detail ? { detail } : {}),
    });

    if (path === '/sandbox/faults') {
      if (method === 'GET') return reply(200, { faults: faults.list() });
      if (method === 'POST') {
        const { fault } = parseBody(AddFaultBody, body, (json) => faultKindProblems(json, 'fault'));
        refuseProblems('body', unknownResources(fault, 'body.fault'));
        faults.add(fault);
        return reply(201, { fault, faults: faults.list() }, describeFault(fault));
      }
      const { clear } = parseBody(ClearFaultBody, body, (json) => faultKindProblems(json, 'clear'));
      if (clear !== 'all') refuseProblems('body', unknownResources(clear, 'body.clear'));
      const cleared = faults.clear(clear);
      return reply(200, { cleared, faults: faults.list() }, `cleared ${cleared} (${JSON.stringify(clear)})`);
    }

    if (path === '/sandbox/alarms') {
      if (method === 'GET') return reply(200, { alarms: alarmList() });
      const parsed = parseBody(SetAlarmBody, body);
      const { name, region, state } = parsed;
      // Only a plan's alarm has a canary whose result the sandbox can set.
      if (!alarms.some((a) => a.name === name && a.region === region)) {
        const have = alarms.map((a) => `${a.name} (${a.region})`).join(', ') || 'none';
        throw new ResourceNotFoundError(`no alarm ${name} in ${region}; the sandbox has ${have}`);
      }
      const reason = parsed.reason ?? `Sandbox: set to ${state} by ${sub}`;
      sandbox.aws.cloudWatch.setAlarmState(name, region, state, reason);
      return reply(200, { alarm: { name, region, state, reason } }, `${name} (${region}) -> ${state}`);
    }

    // GET /sandbox/truth
    const now = sandbox.clock.now();
    const truth = sandbox.aws.truth;
    const apps: Record<
      string,
      { servedBy: string | null; trafficRegion: string | null; writerRegion: string | null }
    > = {};
    for (const plan of sandbox.plans) {
      apps[plan.name] = {
        servedBy: truth.servedBy(plan.name),
        trafficRegion: truth.trafficRegion(plan.name),
        writerRegion: truth.writerRegion(plan.name),
      };
    }
    const mode = sandbox.clock.mode;
    return reply(200, {
      virtualTime: new Date(now).toISOString(),
      elapsedSeconds: sandbox.clock.elapsedSeconds(now),
      speed: mode.kind === 'paced' ? mode.speed : null,
      downRegions: faults.downRegions(),
      faults: faults.list(),
      apps,
      ...truth.report(now),
    });
  }
}

async function tokens(secret: Uint8Array | string) {
  const now = Date.now();
  return {
    issuer: SANDBOX_ISSUER,
    audience: SANDBOX_AUDIENCE,
    rolesClaim: ROLES_CLAIM,
    identities: await Promise.all(
      DEMO_IDENTITIES.map(async (identity) => ({
        name: identity.name,
        displayName: identity.displayName,
        roles: identity.roles,
        description: identity.description,
        token: await tokenFor(identity.name, secret, now),
        expiresAt: new Date(now + TOKEN_LIFETIME_SECONDS * 1000).toISOString(),
      })),
    ),
  };
}

function describeFault(fault: Fault): string {
  const { kind, ...rest } = fault;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`);
  return [kind, ...fields].join(' ');
}

/**
 * A fault (or a fault to clear) whose `kind` is missing or unknown, as one problem that lists the
 * valid kinds (as a scenario's is answered: sandbox/scenario.ts); none when the kind is known or
 * the field is not an object (the schema then says what it expected).
 */
function faultKindProblems(json: unknown, field: 'fault' | 'clear'): RequestProblem[] {
  const value =
    json !== null && typeof json === 'object' ? (json as Record<string, unknown>)[field] : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind === 'string' && (FAULT_KINDS as readonly string[]).includes(kind)) return [];
  return [
    {
      path: `body.${field}.kind`,
      message: 'unknown fault kind',
      got: kind === undefined ? 'nothing' : JSON.stringify(kind),
      expected: `one of ${FAULT_KINDS.join(', ')}`,
    },
  ];
}

import * as z from 'zod';
import { RegionName } from '../functions/core/plan.js';
import { ClearSchema, type Fault, FaultSchema, knownResources, referenceProblems } from './faults.js';
import { authenticate, parseBody, type Reply, TOKENS_PATH, unauthorized } from './http-reply.js';
import { DEMO_IDENTITIES, ROLES_CLAIM, TOKEN_LIFETIME_SECONDS, tokenFor } from './identities.js';
import { JwtError, SANDBOX_AUDIENCE, SANDBOX_ISSUER } from './jwt.js';
import type { Sandbox } from './sandbox.js';

/**
 * The sandbox-only routes, which have no AWS equivalent: `GET /sandbox/tokens` (no token: it is
 * how a token is got), `GET|POST|DELETE /sandbox/faults`, `GET|POST /sandbox/alarms` and
 * `GET /sandbox/truth`. Any valid token may read; changing the sandbox's world needs role
 * operator. Served by server.ts; contract in docs/contracts.md.
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

  /** Faults that name a resource this sandbox does not have: almost surely a typo. */
  const known = knownResources(sandbox.plans);
  const unknownResource = (fault: Fault): string | undefined =>
    referenceProblems(fault, known).join('; ') || undefined;

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
    if (!methods)
      return {
        status: 404,
        body: {
          error: 'NotFound',
          message: `no sandbox route ${path}; expected one of ${Object.keys(allowed).join(', ')}`,
        },
      };
    if (!methods.includes(method))
      return {
        status: 405,
        body: {
          error: 'MethodNotAllowed',
          message: `${method} ${path} is not a route; expected ${methods.join(', ')}`,
        },
        headers: { allow: methods.join(', ') },
      };

    if (path === TOKENS_PATH) return { status: 200, body: await tokens(secret) };

    const caller = await authenticate(authorization, secret);
    if (caller instanceof JwtError) return unauthorized(caller);
    // Reading the sandbox's world is for anyone signed in; changing it is an operator's act.
    if (method !== 'GET' && !caller.roles.includes('operator')) {
      return {
        status: 403,
        body: {
          error: 'ForbiddenError',
          message: `${method} ${path} needs role operator; ${caller.sub} has ${caller.roles.join(', ') || 'no roles'}`,
        },
        caller: caller.sub,
      };
    }
    const reply = (status: number, payload: unknown, detail?: string): Reply => ({
      status,
      body: payload,
      caller: caller.sub,
      ...(detail ? { detail } : {}),
    });

    if (path === '/sandbox/faults') {
      if (method === 'GET') return reply(200, { faults: faults.list() });
      if (method === 'POST') {
        const parsed = parseBody(AddFaultBody, body);
        if (!parsed.ok) return reply(400, parsed.error, parsed.error.message);
        const problem = unknownResource(parsed.value.fault);
        if (problem) return reply(400, { error: 'InvalidRequest', message: `fault: ${problem}` }, problem);
        faults.add(parsed.value.fault);
        return reply(
          201,
          { fault: parsed.value.fault, faults: faults.list() },
          describeFault(parsed.value.fault),
        );
      }
      const parsed = parseBody(ClearFaultBody, body);
      if (!parsed.ok) return reply(400, parsed.error, parsed.error.message);
      const cleared = faults.clear(parsed.value.clear);
      return reply(
        200,
        { cleared, faults: faults.list() },
        `cleared ${cleared} (${JSON.stringify(parsed.value.clear)})`,
      );
    }

    if (path === '/sandbox/alarms') {
      if (method === 'GET') return reply(200, { alarms: alarmList() });
      const parsed = parseBody(SetAlarmBody, body);
      if (!parsed.ok) return reply(400, parsed.error, parsed.error.message);
      const { name, region, state } = parsed.value;
      // Only a plan's alarm has a canary whose result the sandbox can set.
      if (!alarms.some((a) => a.name === name && a.region === region)) {
        const have = alarms.map((a) => `${a.name} (${a.region})`).join(', ') || 'none';
        return reply(404, {
          error: 'ResourceNotFoundError',
          message: `no alarm ${name} in ${region}; the sandbox has ${have}`,
        });
      }
      const reason = parsed.value.reason ?? `Sandbox: set to ${state} by ${caller.sub}`;
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
  };
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

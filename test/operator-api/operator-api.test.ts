import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { ExecutionRecord } from '../../functions/aws/state-store.js';
import { createObservability } from '../../functions/handlers/observability.js';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import { ROUTE_LIST } from '../../functions/operator-api/router.js';
import type { RunbookDeps } from '../../functions/runbook/context.js';
import { EXECUTION_ID } from '../../functions/runbook/runbook-arns.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { useSandbox } from '../use-sandbox.js';

// The operator API's Lambda handler, called with API Gateway (HTTP API, payload 2.0) events the
// way its JWT authorizer passes them on, against the whole sandbox: simulated AWS in two regions,
// dynalite as DynamoDB, and the real runbooks. Every call runs on the discrete virtual clock.

type Claims = Record<string, string | number | boolean | string[]>;

/** The people of these tests, with claims in the forms API Gateway may pass them. */
const PEOPLE = {
  // API Gateway renders an array claim as "[a b]".
  alice: { sub: 'alice', 'switchyard:roles': '[operator approver]' },
  bob: { sub: 'bob', 'cognito:groups': ['approver'] },
  dave: { username: 'dave', 'switchyard:roles': '["approver"]' },
  carol: { sub: 'carol', 'switchyard:roles': 'operator' },
  victor: { sub: 'victor', 'switchyard:roles': 'viewer' },
} satisfies Record<string, Claims>;
type Person = keyof typeof PEOPLE;

const EAST = 'us-east-1';
const WEST = 'us-west-2';

let sandbox: Sandbox;
let api: ReturnType<typeof makeHandler>;
let deps: RunbookDeps;
let requestSeq = 0;

useSandbox({ latency: 'fast', seed: 7 }, (started) => {
  sandbox = started;
  // The operator API of us-west-2; any region's answers the same from the global table.
  deps = sandbox.region(WEST).deps;
  api = makeHandler(deps);
});

interface Call {
  readonly method: string;
  readonly path: string;
  readonly as?: Person | null;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly base64?: boolean;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
}

function event(call: Call): APIGatewayProxyEventV2WithJWTAuthorizer {
  const text = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  const body = text !== undefined && call.base64 ? Buffer.from(text).toString('base64') : text;
  const claims = call.as ? PEOPLE[call.as] : undefined;
  const at = sandbox.clock.now();
  return {
    version: '2.0',
    routeKey: 'ANY /{proxy+}',
    rawPath: call.path,
    rawQueryString: new URLSearchParams(call.query ?? {}).toString(),
    headers: { 'content-type': 'application/json', ...call.headers },
    ...(call.query ? { queryStringParameters: call.query } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: call.base64 ?? false,
    requestContext: {
      accountId: '111111111111',
      apiId: 'test',
      domainName: 'api.test',
      domainPrefix: 'api',
      http: {
        method: call.method,
        path: call.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'vitest',
      },
      requestId: `req-${++requestSeq}`,
      routeKey: 'ANY /{proxy+}',
      stage: '$default',
      time: new Date(at).toISOString(),
      timeEpoch: at,
      // No token: API Gateway would have refused it; the handler must still answer 401.
      authorizer: claims
        ? { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } }
        : (undefined as never),
    },
  };
}

const CONTEXT = {
  functionName: 'switchyard-OperatorApi',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-west-2:111111111111:function:switchyard-OperatorApi',
  memoryLimitInMB: '256',
  awsRequestId: 'test',
  logGroupName: '/aws/lambda/switchyard-OperatorApi',
  logStreamName: 'test',
  callbackWaitsForEmptyEventLoop: false,
} as Context;

interface Answer {
  readonly status: number;
  readonly body: any;
  readonly headers: Record<string, unknown>;
}

async function send(call: Call, handler = api): Promise<Answer> {
  const result = (await sandbox.run(handler(event(call), CONTEXT))) as APIGatewayProxyStructuredResultV2;
  return {
    status: result.statusCode ?? 0,
    body: JSON.parse(String(result.body)),
    headers: (result.headers ?? {}) as Record<string, unknown>,
  };
}

const requestFailover = (app: string, as: Person, body: unknown, key?: string) =>
  send({
    method: 'POST',
    path: `/apps/${app}/failovers`,
    as,
    body,
    ...(key ? { headers: { 'Idempotency-Key': key } } : {}),
  });

/** Drives virtual time until the execution's Step Functions run ends; returns its status. */
async function runToEnd(executionArn: string): Promise<string> {
  const execution = sandbox.stepFunctions.get(executionArn);
  if (!execution)
    throw new Error(
      `no execution ${executionArn} in ${JSON.stringify(sandbox.stepFunctions.list().map((e) => e.arn))}`,
    );
  await sandbox.run(execution.done);
  return execution.status;
}

/** Drives virtual time (polling every 200 virtual ms, bounded) until the record satisfies `done`. */
async function waitForRecord(
  app: string,
  id: string,
  what: string,
  done: (record: ExecutionRecord) => boolean,
): Promise<void> {
  await sandbox.run(
    (async () => {
      for (let poll = 0; poll < 3000; poll++) {
        const record = await deps.store.getExecution(app, id);
        if (record && done(record)) return;
        await sandbox.clock.sleep(200);
      }
      throw new Error(`${app} execution ${id}: ${what} did not happen in 600 virtual seconds`);
    })(),
  );
}

const waitForStatus = (app: string, id: string, status: string) =>
  waitForRecord(app, id, `status ${status}`, (record) => record.status === status);

describe('authentication, routing and validation', () => {
  it('answers 401 to a request without claims', async () => {
    // Prepare / Act
    const answer = await send({ method: 'GET', path: '/apps', as: null });

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('UnauthorizedError');
  });

  it('answers 401 to claims without a subject', async () => {
    const answer = await send({ method: 'GET', path: '/apps', as: null }, (e, c) =>
      api(
        {
          ...e,
          requestContext: {
            ...e.requestContext,
            authorizer: { jwt: { claims: { 'switchyard:roles': '[viewer]' }, scopes: [] } },
          },
        },
        c,
      ),
    );

    expect(answer.status).toBe(401);
  });

  it('answers 400, not a crash, to an event that is not an HTTP API request', async () => {
    const drill = {
      source: 'switchyard.drill-schedule',
      app: 'orders',
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

    const result = (await sandbox.run(api(drill, CONTEXT))) as APIGatewayProxyStructuredResultV2;

    expect(result.statusCode).toBe(400);
    expect(JSON.parse(String(result.body)).message).toContain('not an HTTP API request');
  });

  it('answers an unexpected error with a generic 500 and logs the real one', async () => {
    // Prepare: a store that fails in a way no use case expects
    const observability = createObservability('OperatorApi');
    const logged = vi.spyOn(observability.logger, 'error').mockImplementation(() => undefined);
    const broken: RunbookDeps = {
      ...deps,
      store: {
        ...deps.store,
        getState: () => Promise.reject(new TypeError('cannot read properties of undefined')),
        // GET /apps/{app} reads its state and lock together.
        getStatesAndLocks: () => Promise.reject(new TypeError('cannot read properties of undefined')),
      },
    };

    // Act
    const answer = await send(
      { method: 'GET', path: '/apps/billing', as: 'victor' },
      makeHandler(broken, observability),
    );

    // Assess
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({
      error: 'InternalError',
      message: expect.stringContaining('internal error'),
    });
    expect(JSON.stringify(answer.body)).not.toContain('cannot read');
    expect(logged).toHaveBeenCalledWith(
      'Request failed unexpectedly',
      expect.objectContaining({
        error_name: 'TypeError',
        error_message: 'cannot read properties of undefined',
      }),
    );
  });

  it('refuses a viewer who requests a failover with 403 naming the role needed and held', async () => {
    const answer = await requestFailover('billing', 'victor', { to: WEST, reason: 'drill' });

    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: 'ForbiddenError' });
    expect(answer.body.message).toContain('needs role operator');
    expect(answer.body.message).toContain('victor has role viewer');
  });

  it('refuses an invalid body with 400 listing every problem: path, got, expected', async () => {
    const answer = await requestFailover('billing', 'carol', { mode: 'fast', reason: '', color: 'red' });

    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('InvalidInputError');
    const problems = answer.body.problems as { path: string; got: string; expected?: string }[];
    expect(problems.map((p) => p.path).sort()).toEqual(['body.color', 'body.mode', 'body.reason', 'body.to']);
    expect(problems.find((p) => p.path === 'body.mode')).toMatchObject({
      got: '"fast"',
      expected: 'one of "graceful", "ungraceful"',
    });
    expect(problems.find((p) => p.path === 'body.to')).toMatchObject({ got: 'nothing', expected: 'string' });
    expect(answer.body.message).toContain('4 problems');
    for (const path of ['body.to', 'body.mode', 'body.reason', 'body.color'])
      expect(answer.body.message).toContain(path);
  });

  it('refuses a reason over 1024 characters, and a malformed Idempotency-Key', async () => {
    const long = await requestFailover('billing', 'carol', { to: WEST, reason: 'x'.repeat(1025) });
    const badKey = await requestFailover('billing', 'carol', { to: WEST, reason: 'drill' }, 'has space');

    expect(long.status).toBe(400);
    expect(long.body.message).toContain('at most 1024 character(s)');
    expect(badKey.status).toBe(400);
    expect(badKey.body.problems[0]).toMatchObject({ path: 'header Idempotency-Key', got: '"has space"' });
    expect(sandbox.stepFunctions.list()).toHaveLength(0);
  });

  it('refuses malformed JSON with 400 saying so, and reads a base64 body', async () => {
    const malformed = await send({
      method: 'POST',
      path: '/apps/billing/failovers',
      as: 'carol',
      rawBody: '{"to":',
    });
    const base64 = await send({
      method: 'POST',
      path: '/apps/billing/failovers',
      as: 'carol',
      body: { to: WEST, mode: 'sideways', reason: 'r' },
      base64: true,
    });

    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toContain('malformed JSON');
    // Decoded and parsed: the one problem is the mode, not the encoding.
    expect(base64.status).toBe(400);
    expect(base64.body.problems.map((p: { path: string }) => p.path)).toEqual(['body.mode']);
  });

  it('answers 404 for an unknown app in the path and 400 for an unknown region in the body, saying what was got and expected', async () => {
    const app = await send({ method: 'GET', path: '/apps/nope', as: 'victor' });
    const region = await requestFailover('billing', 'carol', { to: 'eu-west-1', reason: 'test' });
    // The path is judged before the body: an unknown app is 404 whatever its body says.
    const both = await requestFailover('nope', 'carol', { to: 'eu-west-1' });

    expect(app.status).toBe(404);
    expect(app.body.error).toBe('UnknownAppError');
    expect(app.body.message).toMatch(/got 'nope', expected one of billing, orders/);
    expect(region.status).toBe(400);
    expect(region.body).toMatchObject({
      error: 'InvalidInputError',
      problems: [
        {
          path: 'body.to',
          message: 'unknown region',
          got: '"eu-west-1"',
          expected: 'one of us-east-1, us-west-2',
        },
      ],
    });
    expect(both.status).toBe(404);
    expect(both.body.error).toBe('UnknownAppError');
    expect(sandbox.stepFunctions.list()).toHaveLength(0);
  });

  it("lists every problem of an evacuation's body at once: an unknown region beside the schema's", async () => {
    const answer = await send({
      method: 'POST',
      path: '/evacuations',
      as: 'carol',
      body: { from: 'mars', mode: 'x', reason: 'test' },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.problems.map((p: { path: string }) => p.path)).toEqual(['body.mode', 'body.from']);
    expect(answer.body.problems[1]).toMatchObject({
      message: 'unknown region',
      got: '"mars"',
      expected: 'a region of a plan (us-east-1, us-west-2)',
    });
    expect(sandbox.stepFunctions.list()).toHaveLength(0);
  });

  it('lists an unknown region beside the other problems of a body or query, not only once they are fixed', async () => {
    const body = await requestFailover('billing', 'carol', { to: 'mars', mode: 'sideways', reason: 'test' });
    const query = await send({
      method: 'GET',
      path: '/apps/billing/readiness',
      query: { to: 'mars', mode: 'x' },
      as: 'victor',
    });
    // A region too long for the schema is one problem (its length), not two.
    const long = await requestFailover('billing', 'carol', { to: 'x'.repeat(100), reason: 'test' });

    expect(body.status).toBe(400);
    expect(body.body.problems.map((p: { path: string }) => p.path)).toEqual(['body.mode', 'body.to']);
    expect(body.body.problems[1]).toMatchObject({ message: 'unknown region', got: '"mars"' });
    expect(query.status).toBe(400);
    expect(query.body.problems.map((p: { path: string }) => p.path)).toEqual(['query.mode', 'query.to']);
    expect(long.body.problems.map((p: { path: string }) => p.path)).toEqual(['body.to']);
    expect(sandbox.stepFunctions.list()).toHaveLength(0);
  });

  it('refuses a query parameter the route does not take, naming those it does (a typo is not silently ignored)', async () => {
    const typo = await send({
      method: 'GET',
      path: '/apps/billing/executions',
      query: { limt: '5' },
      as: 'victor',
    });
    const readiness = await send({
      method: 'GET',
      path: '/apps/billing/readiness',
      query: { region: 'us-west-2' },
      as: 'victor',
    });

    expect(typo.status).toBe(400);
    expect(typo.body).toMatchObject({
      error: 'InvalidInputError',
      problems: [
        { path: 'query.limt', message: 'unknown query parameter', got: '"5"', expected: 'one of limit' },
      ],
    });
    expect(readiness.status).toBe(400);
    expect(readiness.body.problems[0]).toMatchObject({ path: 'query.region', expected: 'one of to, mode' });
  });

  it('judges a malformed or too deeply nested body after the caller and the path: 403 and 404 come first', async () => {
    const post = (app: string, as: Person, rawBody: string) =>
      send({ method: 'POST', path: `/apps/${app}/failovers`, as, rawBody });
    const deep = '['.repeat(40);

    const unknownApp = await post('nope', 'carol', '{"to":');
    const unknownAppDeep = await post('nope', 'carol', deep);
    const viewer = await post('billing', 'victor', '{"to":');
    const known = await post('billing', 'carol', '{"to":');
    const knownDeep = await post('billing', 'carol', deep);

    expect(unknownApp).toMatchObject({ status: 404, body: { error: 'UnknownAppError' } });
    expect(unknownAppDeep).toMatchObject({ status: 404, body: { error: 'UnknownAppError' } });
    expect(viewer).toMatchObject({ status: 403, body: { error: 'ForbiddenError' } });
    expect(known).toMatchObject({ status: 400, body: { error: 'InvalidInputError' } });
    expect(known.body.message).toContain('malformed JSON');
    expect(knownDeep).toMatchObject({ status: 400, body: { error: 'InvalidInputError' } });
    expect(knownDeep.body.message).toContain('nested too deeply');
    expect(sandbox.stepFunctions.list()).toHaveLength(0);
  });

  it('answers 404 with the list of routes for an unknown route, and 405 for a wrong method', async () => {
    const unknown = await send({ method: 'GET', path: '/applications', as: 'victor' });
    const wrongMethod = await send({ method: 'DELETE', path: '/apps/billing', as: 'victor' });

    expect(unknown.status).toBe(404);
    expect(unknown.body.routes).toEqual(ROUTE_LIST);
    expect(unknown.body.routes).toContain('POST /apps/{app}/failovers');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET');
  });

  it('refuses a failover to the active region with 409', async () => {
    const answer = await requestFailover('billing', 'carol', { to: EAST, reason: 'test' });

    expect(answer.status).toBe(409);
    expect(answer.body.error).toBe('PreconditionFailedError');
    expect(answer.body.message).toContain('already active in us-east-1');
  });

  it('answers readiness toward the active region NOT_READY with ALREADY_ACTIVE, as the failover there is refused', async () => {
    const readiness = await send({
      method: 'GET',
      path: '/apps/billing/readiness',
      query: { to: EAST },
      as: 'victor',
    });
    const failover = await requestFailover('billing', 'carol', { to: EAST, reason: 'test' });

    expect(readiness.status).toBe(200);
    expect(readiness.body.readiness).toHaveLength(1);
    expect(readiness.body.readiness[0]).toMatchObject({ region: EAST, verdict: 'NOT_READY' });
    expect(readiness.body.readiness[0].findings[0]).toMatchObject({
      code: 'ALREADY_ACTIVE',
      severity: 'blocking',
      message: expect.stringContaining('billing is already active in us-east-1'),
    });
    expect(failover.status).toBe(409);
    expect(failover.body.message).toContain('already active in us-east-1');
  });
});

describe('a failover requested through the API', () => {
  it('starts the runbook in the target region, replays by idempotency key, and ends SUCCEEDED', async () => {
    // Prepare
    const body = { to: WEST, mode: 'graceful', reason: 'quarterly switchover' };

    // Act
    const first = await requestFailover('billing', 'carol', body, 'change-4711');
    const replay = await requestFailover('billing', 'carol', body, 'change-4711');
    const otherBody = await requestFailover(
      'billing',
      'carol',
      { ...body, reason: 'another' },
      'change-4711',
    );

    // Assess: accepted, one execution for the key, another request with it refused
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      app: 'billing',
      to: WEST,
      mode: 'graceful',
      status: 'STARTED',
      from: EAST,
    });
    expect(first.body.executionId).toMatch(EXECUTION_ID);
    // Run by the target region's control plane (static stability).
    expect(first.body.executionArn).toMatch(/^arn:aws:states:us-west-2:/);
    expect(replay.status).toBe(202);
    expect(replay.body.executionId).toBe(first.body.executionId);
    expect(replay.body.replayed).toBe(true);
    expect(otherBody.status).toBe(409);
    expect(otherBody.body.error).toBe('ConflictError');
    expect(sandbox.stepFunctions.list().filter((e) => e.name === first.body.executionId)).toHaveLength(1);

    // Act: the runbook runs to its end
    expect(await runToEnd(first.body.executionArn)).toBe('SUCCEEDED');

    // Assess: the record with its steps, Step Functions' view, the state, the list and the audit
    const execution = await send({
      method: 'GET',
      path: `/apps/billing/executions/${first.body.executionId}`,
      as: 'victor',
    });
    expect(execution.status).toBe(200);
    expect(execution.body).toMatchObject({
      id: first.body.executionId,
      status: 'SUCCEEDED',
      requestedBy: 'carol',
      trigger: 'operator',
      from: EAST,
      to: WEST,
      live: { status: 'SUCCEEDED' },
    });
    expect(Object.keys(execution.body.steps)).toEqual(
      expect.arrayContaining([
        'BeginExecution',
        'Preflight',
        'ShiftTraffic',
        'VerifyService',
        'FinishExecution',
      ]),
    );
    expect(execution.body.key).toBeUndefined();

    const app = await send({ method: 'GET', path: '/apps/billing', as: 'victor' });
    expect(app.body).toMatchObject({
      app: 'billing',
      activeRegion: WEST,
      status: 'ACTIVE',
      lastExecutionId: first.body.executionId,
      latestExecution: { id: first.body.executionId, status: 'SUCCEEDED', requestedBy: 'carol' },
    });
    expect(app.body.lock).toBeUndefined();
    // billing's detection (approval mode, default 3600 s cooldown) holds back automatic failovers.
    expect(app.body.detection).toEqual({
      mode: 'approval',
      meaning: 'an alarm starts a failover that waits for an approver',
      cooldownUntil: new Date(Date.parse(app.body.lastFailoverAt) + 3600_000).toISOString(),
    });
    expect(app.body.trafficRegion).toBe(WEST);
    expect(app.body.writers).toEqual({ 'billing-global': [WEST] });
    expect(app.body.regionsDetail[WEST]).toMatchObject({
      writer: true,
      routing: 'PRIMARY',
      reachable: true,
      replicationLagMs: null,
    });
    expect(app.body.regionsDetail[EAST]).toMatchObject({
      writer: false,
      routing: 'SECONDARY',
      reachable: true,
    });
    expect(app.body.regionsDetail[WEST].capacity).toEqual([
      { group: 'billing-api', healthyInService: 4, desired: 4 },
      { group: 'billing-workers', healthyInService: 2, desired: 2 },
    ]);

    const list = await send({
      method: 'GET',
      path: '/apps/billing/executions',
      as: 'victor',
      query: { limit: '5' },
    });
    expect(list.body.executions[0]).toMatchObject({ id: first.body.executionId, status: 'SUCCEEDED' });
    expect(list.body.executions[0].steps).toBeUndefined();

    const audit = await send({ method: 'GET', path: '/apps/billing/audit', as: 'victor' });
    const actions = (audit.body.entries as { action: string; actor: string }[]).map(
      (e) => `${e.action} by ${e.actor}`,
    );
    expect(actions).toEqual(
      expect.arrayContaining(['failover.requested by carol', 'failover.succeeded by switchyard']),
    );

    // A retry after the end still answers with the same execution, not a second failover.
    const late = await requestFailover('billing', 'carol', body, 'change-4711');
    expect(late.status).toBe(202);
    expect(late.body.executionId).toBe(first.body.executionId);
  });

  it('GET /apps shows every app with the new active region', async () => {
    const answer = await send({ method: 'GET', path: '/apps', as: 'victor' });

    expect(answer.status).toBe(200);
    const byApp = Object.fromEntries((answer.body.apps as { app: string }[]).map((a) => [a.app, a]));
    expect(byApp.billing).toMatchObject({ activeRegion: WEST, status: 'ACTIVE', strategy: 'pilot-light' });
    expect(byApp.orders).toMatchObject({
      activeRegion: EAST,
      status: 'ACTIVE',
      objectives: { rtoSeconds: 300, rpoSeconds: 30 },
    });
  });

  it('refuses a bad limit with 400', async () => {
    const answer = await send({
      method: 'GET',
      path: '/apps/billing/audit',
      as: 'victor',
      query: { limit: '0' },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.problems[0]).toMatchObject({ path: 'query.limit', got: '"0"' });
  });
});

describe('approvals (orders requires one)', () => {
  it('waits, refuses self-approval, and proceeds to SUCCEEDED on another approver', async () => {
    // Prepare: alice (operator and approver) requests
    const requested = await requestFailover('orders', 'alice', { to: WEST, reason: 'primary degraded' });
    expect(requested.status).toBe(202);
    expect(requested.body.approvalRequired).toBe(true);
    const id: string = requested.body.executionId;
    await waitForStatus('orders', id, 'WAITING_APPROVAL');
    const waiting = await send({ method: 'GET', path: '/apps/orders', as: 'victor' });
    const busy = await requestFailover('orders', 'carol', { to: WEST, reason: 'me too' });
    // An approver takes two minutes to answer: the RTO must not count them.
    await sandbox.run(sandbox.clock.sleep(120_000));

    // Act
    const self = await send({
      method: 'POST',
      path: `/apps/orders/executions/${id}/approve`,
      as: 'alice',
      body: {},
    });
    const viewer = await send({
      method: 'POST',
      path: `/apps/orders/executions/${id}/approve`,
      as: 'victor',
      body: {},
    });
    const byBob = await send({
      method: 'POST',
      path: `/apps/orders/executions/${id}/approve`,
      as: 'bob',
      body: { comment: 'checked the dashboards' },
    });
    const retry = await send({ method: 'POST', path: `/apps/orders/executions/${id}/approve`, as: 'bob' });
    const byDave = await send({ method: 'POST', path: `/apps/orders/executions/${id}/approve`, as: 'dave' });

    // Assess
    expect(waiting.body).toMatchObject({
      status: 'FAILING_OVER',
      runningExecution: id,
      lock: { holder: id },
    });
    expect(busy.status).toBe(409);
    expect(busy.body.error).toBe('FailoverInProgressError');
    expect(busy.body.message).toContain(`locked by ${id}`);
    expect(self.status).toBe(403);
    expect(self.body.message).toContain('self-approval refused');
    expect(self.body.message).toContain('requested by alice, approved by alice');
    expect(viewer.status).toBe(403);
    expect(viewer.body.message).toContain('needs role approver');
    expect(byBob.status).toBe(200);
    expect(byBob.body).toMatchObject({ decision: 'APPROVED', approvedBy: 'bob', alreadyApproved: false });
    expect(byBob.body.execution.approval.taskToken).toBeUndefined();
    expect(retry.status).toBe(200);
    expect(retry.body.alreadyApproved).toBe(true);
    expect(byDave.status).toBe(409);
    expect(byDave.body.message).toContain('already approved by bob');

    expect(await runToEnd(requested.body.executionArn)).toBe('SUCCEEDED');
    const record = await sandbox.run(deps.store.getExecution('orders', id));
    expect(record?.status).toBe('SUCCEEDED');
    expect(record?.approval).toMatchObject({ decision: 'APPROVED', decidedBy: 'bob' });
    expect(record?.steps.RequestApproval).toMatchObject({
      status: 'SUCCEEDED',
      detail: { approvedBy: 'bob' },
    });
    expect(record?.rtoSeconds).toBeLessThan(120);
    const audit = await send({
      method: 'GET',
      path: '/apps/orders/audit',
      as: 'victor',
      query: { limit: '100' },
    });
    expect(audit.body.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'approval.granted', actor: 'bob', executionId: id }),
      ]),
    );
    const app = await send({ method: 'GET', path: '/apps/orders', as: 'victor' });
    expect(app.body).toMatchObject({ activeRegion: WEST, status: 'ACTIVE' });
    expect(app.body.regionsDetail[WEST]).toMatchObject({ writer: true, routing: 'On' });
    expect(app.body.regionsDetail[EAST]).toMatchObject({ writer: false, routing: 'Off' });
    expect(app.body.regionsDetail[EAST].replicationLagMs).toEqual(expect.any(Number));
  });

  it('lets exactly one of two approvers answering at once win', async () => {
    // Prepare
    const requested = await requestFailover('orders', 'carol', { to: EAST, reason: 'failback' });
    const id: string = requested.body.executionId;
    await waitForStatus('orders', id, 'WAITING_APPROVAL');
    const approve = (as: Person) =>
      api(event({ method: 'POST', path: `/apps/orders/executions/${id}/approve`, as, body: {} }), CONTEXT);

    // Act
    const answers = await sandbox.run(Promise.all([approve('bob'), approve('dave')]));

    // Assess
    const statuses = answers.map((a) => (a as APIGatewayProxyStructuredResultV2).statusCode).sort();
    expect(statuses).toEqual([200, 409]);
    expect(await runToEnd(requested.body.executionArn)).toBe('SUCCEEDED');
    const record = await sandbox.run(deps.store.getExecution('orders', id));
    const winner = JSON.parse(
      String(
        (
          answers.find(
            (a) => (a as APIGatewayProxyStructuredResultV2).statusCode === 200,
          ) as APIGatewayProxyStructuredResultV2
        ).body,
      ),
    );
    expect(record?.approval?.decidedBy).toBe(winner.approvedBy);
  });
});

describe('abort', () => {
  it('aborts a waiting execution: record ABORTED, lock released, a new request then accepted', async () => {
    // Prepare: orders is active in us-east-1 again; alice asks for us-west-2 and it waits
    const requested = await requestFailover('orders', 'alice', { to: WEST, reason: 'maybe' });
    const id: string = requested.body.executionId;
    await waitForStatus('orders', id, 'WAITING_APPROVAL');

    // Act
    const byViewer = await send({
      method: 'POST',
      path: `/apps/orders/executions/${id}/abort`,
      as: 'victor',
      body: { reason: 'no' },
    });
    const noReason = await send({
      method: 'POST',
      path: `/apps/orders/executions/${id}/abort`,
      as: 'carol',
      body: {},
    });
    const aborted = await send({
      method: 'POST',
      path: `/apps/orders/executions/${id}/abort`,
      as: 'carol',
      body: { reason: 'not needed after all' },
    });
    const lockAfterAbort = await sandbox.run(deps.store.getLock('orders'));
    const again = await send({
      method: 'POST',
      path: `/apps/orders/executions/${id}/abort`,
      as: 'carol',
      body: { reason: 'twice' },
    });
    const approveAborted = await send({
      method: 'POST',
      path: `/apps/orders/executions/${id}/approve`,
      as: 'bob',
      body: {},
    });
    const next = await requestFailover('orders', 'alice', { to: WEST, reason: 'now for real' });

    // Assess
    expect(byViewer.status).toBe(403);
    expect(noReason.status).toBe(400);
    expect(noReason.body.problems[0]).toMatchObject({ path: 'body.reason' });
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({
      executionId: id,
      status: 'ABORTED',
      abortedBy: 'carol',
      stopped: true,
      lockReleased: true,
      degraded: false,
      // approvals.capacity defaults to before-approval: the wait scaled the target out, and the
      // abort gives it back.
      stepsTaken: ['PrepareCapacity orders-web (SUCCEEDED)'],
    });
    expect(aborted.body.actions).toEqual(
      expect.arrayContaining(['released the lock', 'no change had begun']),
    );
    expect(
      aborted.body.actions.some((a: string) => /orders-web in .* back to its standby profile/.test(a)),
    ).toBe(true);
    expect(sandbox.stepFunctions.get(requested.body.executionArn)?.status).toBe('ABORTED');
    expect(lockAfterAbort).toMatchObject({ holder: id, released: true });
    const record = await sandbox.run(deps.store.getExecution('orders', id));
    expect(record).toMatchObject({ status: 'ABORTED', error: { name: 'Aborted' } });
    expect(record?.error?.message).toContain('aborted by carol: not needed after all');
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('is ABORTED');
    expect(approveAborted.status).toBe(409);
    expect(next.status).toBe(202);
    const audit = await send({
      method: 'GET',
      path: '/apps/orders/audit',
      as: 'victor',
      query: { limit: '100' },
    });
    expect(audit.body.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'failover.aborted', actor: 'carol', executionId: id }),
      ]),
    );

    // Clean up: the new request waits for approval too; end it.
    await waitForStatus('orders', next.body.executionId, 'WAITING_APPROVAL');
    const cleanup = await send({
      method: 'POST',
      path: `/apps/orders/executions/${next.body.executionId}/abort`,
      as: 'alice',
      body: { reason: 'test cleanup' },
    });
    expect(cleanup.status).toBe(200);
    // The app's status names its newest run and how it ended, beside the last success.
    const app = await send({ method: 'GET', path: '/apps/orders', as: 'victor' });
    expect(app.body.latestExecution).toMatchObject({
      id: next.body.executionId,
      status: 'ABORTED',
      mode: 'graceful',
      to: WEST,
      requestedBy: 'alice',
      error: { name: 'Aborted', message: expect.stringContaining('test cleanup') },
    });
    expect(app.body.lastExecutionId).not.toBe(next.body.executionId);
  });

  it('aborts a running execution mid-promotion: the app is marked DEGRADED, nothing is undone', async () => {
    // Prepare: billing (no approval) fails back to us-east-1; stop it once the promotion began
    const requested = await requestFailover('billing', 'carol', { to: EAST, reason: 'failback' });
    const id: string = requested.body.executionId;
    await waitForRecord('billing', id, 'PromoteDatabase started', (r) =>
      Object.values(r.steps).some((step) => step.name === 'PromoteDatabase'),
    );

    // Act
    const aborted = await send({
      method: 'POST',
      path: `/apps/billing/executions/${id}/abort`,
      as: 'carol',
      body: { reason: 'wrong change window' },
    });

    // Assess
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({
      status: 'ABORTED',
      stopped: true,
      lockReleased: true,
      degraded: true,
    });
    expect(aborted.body.stepsTaken).toEqual(
      expect.arrayContaining([expect.stringMatching(/^PromoteDatabase billing-global/)]),
    );
    expect(aborted.body.actions).toEqual(
      expect.arrayContaining([expect.stringMatching(/^steps already taken stay taken: /)]),
    );
    expect(sandbox.stepFunctions.get(requested.body.executionArn)?.status).toBe('ABORTED');
    const app = await send({ method: 'GET', path: '/apps/billing', as: 'victor' });
    expect(app.body).toMatchObject({ status: 'DEGRADED', activeRegion: WEST });
    expect(app.body.lock).toBeUndefined();
    const execution = await send({ method: 'GET', path: `/apps/billing/executions/${id}`, as: 'victor' });
    expect(execution.body).toMatchObject({ status: 'ABORTED', live: { status: 'ABORTED' } });
  });

  it('answers 404 for an unknown execution', async () => {
    const answer = await send({ method: 'GET', path: '/apps/orders/executions/no-such-id', as: 'victor' });

    expect(answer.status).toBe(404);
    expect(answer.body.error).toBe('ResourceNotFoundError');
  });
});

describe('reads during a region outage', () => {
  it('answers 200 with the down region unreachable and the others read', async () => {
    // Prepare
    sandbox.aws.faults.add({ kind: 'region-outage', region: EAST });

    // Act
    const answer = await send({ method: 'GET', path: '/apps', as: 'victor' });

    // Assess
    expect(answer.status).toBe(200);
    for (const app of answer.body.apps as { app: string; regionsDetail: Record<string, any> }[]) {
      expect(app.regionsDetail[EAST]).toMatchObject({
        reachable: false,
        writer: null,
        replicationLagMs: null,
      });
      expect(
        app.regionsDetail[EAST].capacity.every((c: any) => c.healthyInService === null && c.desired === null),
      ).toBe(true);
      expect(app.regionsDetail[EAST].problems.length).toBeGreaterThan(0);
      expect(app.regionsDetail[WEST].reachable).toBe(true);
      expect(app.regionsDetail[WEST].writer).not.toBeNull();
    }
    const byApp = Object.fromEntries((answer.body.apps as { app: string }[]).map((a) => [a.app, a as any]));
    // ARC answers from the cluster endpoints of other regions; Route 53's routing is read from its
    // data plane (the zone's name servers), which answers while us-east-1 is down: the status says
    // what the name servers answer now.
    expect(byApp.orders.regionsDetail[WEST].routing).not.toBeNull();
    const answered = sandbox.aws.route53.authoritativeAnswer('api.billing.example.com', 'A').region;
    expect(byApp.billing.trafficRegion).toBe(answered);
    for (const region of [EAST, WEST]) {
      expect(byApp.billing.regionsDetail[region].routing).toBe(region === answered ? 'PRIMARY' : 'SECONDARY');
    }
  });
});

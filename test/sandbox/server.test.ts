import { connect } from 'node:net';
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { DEMO_IDENTITIES, tokenFor } from '../../sandbox/identities.js';
import { Sandbox } from '../../sandbox/sandbox.js';
import { type SandboxServer, startSandboxServer } from '../../sandbox/server.js';

const SECRET = 'server-test-secret';
const seen: { region: string; event: APIGatewayProxyEventV2WithJWTAuthorizer }[] = [];
let sandbox: Sandbox;
let server: SandboxServer;

beforeAll(async () => {
  const plans = await loadPlans('plans');
  // Paced at 50x with the fast profile: a failover takes a second or two of real time. The paced
  // clock does not count this machine's compute as virtual time, so a loaded machine only slows
  // the run down; it cannot time a function out.
  sandbox = await Sandbox.start({
    plans,
    latency: 'fast',
    clock: new VirtualClock({ kind: 'paced', speed: 50 }),
  });
  // The real operator API, wrapped to see the events the server builds (it replaces the one the
  // sandbox deployed; the server invokes whatever the Lambda runtime holds).
  for (const region of sandbox.regions.keys()) {
    const real = makeHandler(sandbox.region(region).deps);
    sandbox.lambda.register(region, 'OperatorApi', (event: unknown, context: Context) => {
      seen.push({ region, event: event as APIGatewayProxyEventV2WithJWTAuthorizer });
      return real(event as APIGatewayProxyEventV2WithJWTAuthorizer, context);
    });
  }
  server = await startSandboxServer({ sandbox, port: 0, secret: SECRET });
});

afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});

const bearer = async (name: string) => ({ authorization: `Bearer ${await tokenFor(name, SECRET)}` });

async function call(
  method: string,
  path: string,
  options: { as?: string; headers?: Record<string, string>; body?: unknown; raw?: string | Buffer } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(options.as ? await bearer(options.as) : {}), ...options.headers },
    ...(options.raw !== undefined
      ? { body: options.raw }
      : options.body !== undefined
        ? { body: JSON.stringify(options.body) }
        : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

/** Sends raw bytes on a fresh connection and returns what came back. */
function rawRequest(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const url = new URL(server.url);
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('error', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.write(bytes);
    setTimeout(() => socket.end(), 300);
  });
}

describe('the sandbox server', () => {
  it('serves /healthz and the demo identities with working tokens', async () => {
    const health = await call('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true, regions: ['us-east-1', 'us-west-2'] });

    const tokens = await call('GET', '/sandbox/tokens');
    expect(tokens.status).toBe(200);
    expect(tokens.body.identities.map((i: { name: string }) => i.name)).toEqual(
      DEMO_IDENTITIES.map((i) => i.name),
    );
    const carol = tokens.body.identities.find((i: { name: string }) => i.name === 'carol');
    expect(carol.roles).toEqual(['operator', 'approver']);
    const apps = await call('GET', '/apps', { headers: { authorization: `Bearer ${carol.token}` } });
    expect(apps.status).toBe(200);
  });

  it('answers 401 with API Gateway\'s {"message":"Unauthorized"}, why, and where the tokens are', async () => {
    const foreign = `Bearer ${await tokenFor('alice', 'another-sandbox')}`;
    const expired = `Bearer ${await tokenFor('alice', SECRET, Date.now() - 13 * 3600_000)}`;
    const cases: [string | undefined, RegExp][] = [
      [undefined, /^no bearer token/],
      ['Bearer', /^no bearer token/],
      ['Bearer not.a.jwt', /^malformed/],
      ['Basic YWxpY2U6eA==', /^no bearer token/],
      [foreign, /^bad signature$/],
      [expired, /^expired at /],
    ];
    for (const [authorization, reason] of cases) {
      const answer = await call('GET', '/apps', { headers: authorization ? { authorization } : {} });
      expect(answer.status, String(authorization)).toBe(401);
      expect(answer.body).toEqual({
        message: 'Unauthorized',
        error: 'Unauthorized',
        reason: expect.stringMatching(reason),
        hint: expect.stringMatching(/bearer token: Authorization: Bearer <JWT>.* at GET \/sandbox\/tokens/),
      });
      expect(answer.headers.get('www-authenticate')).toMatch(
        authorization?.startsWith('Bearer ')
          ? /^Bearer realm="switchyard-sandbox", error="invalid_token"/
          : /^Bearer realm="switchyard-sandbox"$/,
      );
    }
    // The sandbox-only routes too.
    const faults = await call('GET', '/sandbox/faults');
    expect(faults.status).toBe(401);
    expect(faults.body.hint).toMatch(/GET \/sandbox\/tokens/);
  });

  it('hands the operator API an HTTP API payload 2.0 event with flattened JWT claims', async () => {
    seen.length = 0;
    const answer = await call('GET', '/apps/orders?limit=5&x=1&x=2', {
      as: 'carol',
      headers: { 'X-Custom': 'Yes', cookie: 'a=1; b=2' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.app).toBe('orders');
    const event = seen.at(-1)?.event;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'ANY /{proxy+}',
      rawPath: '/apps/orders',
      rawQueryString: 'limit=5&x=1&x=2',
      queryStringParameters: { limit: '5', x: '1,2' },
      pathParameters: { proxy: 'apps/orders' },
      cookies: ['a=1', 'b=2'],
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'GET', path: '/apps/orders' },
        stage: '$default',
        routeKey: 'ANY /{proxy+}',
        authorizer: { jwt: { claims: { sub: 'carol', 'switchyard:roles': '[operator approver]' } } },
      },
    });
    expect(event?.headers['x-custom']).toBe('Yes');
    expect(event?.headers.cookie).toBeUndefined();
    expect(typeof event?.requestContext.authorizer.jwt.claims.exp).toBe('string');
    expect(event?.requestContext.requestId).toBeTruthy();
  });

  it('routes to the region named by X-Switchyard-Region or ?region=, else the first region up', async () => {
    seen.length = 0;
    await call('GET', '/apps', { as: 'victor' });
    await call('GET', '/apps', { as: 'victor', headers: { 'X-Switchyard-Region': 'us-west-2' } });
    await call('GET', '/apps?region=us-west-2', { as: 'victor' });
    await call('GET', '/apps/orders/executions?limit=2&region=us-west-2&note=a%20b+c', { as: 'victor' });
    expect(seen.map((s) => s.region)).toEqual(['us-east-1', 'us-west-2', 'us-west-2', 'us-west-2']);
    // `region` picks the endpoint; the function never sees it. The rest of the query is as sent.
    expect(seen[2]?.event.rawQueryString).toBe('');
    expect(seen[2]?.event.queryStringParameters).toBeUndefined();
    expect(seen[3]?.event.rawQueryString).toBe('limit=2&note=a%20b+c');
    expect(seen[3]?.event.queryStringParameters).toEqual({ limit: '2', note: 'a b c' });

    const unknown = await call('GET', '/apps?region=eu-west-1', { as: 'victor' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/no operator API in eu-west-1/);
  });

  it('answers 503 for a region that is down, and routes the default to a region that is up', async () => {
    const added = await call('POST', '/sandbox/faults', {
      as: 'alice',
      body: { fault: { kind: 'region-outage', region: 'us-east-1' } },
    });
    expect(added.status).toBe(201);
    try {
      const down = await call('GET', '/apps', {
        as: 'victor',
        headers: { 'X-Switchyard-Region': 'us-east-1' },
      });
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ message: 'region us-east-1 is down (sandbox fault)' });
      seen.length = 0;
      const fallback = await call('GET', '/healthz');
      expect(fallback.status).toBe(200);
      const viaDefault = await call('GET', '/apps/billing', { as: 'victor' });
      expect(viaDefault.status).toBe(200);
      expect(seen.map((s) => s.region)).toEqual(['us-west-2']);
    } finally {
      const cleared = await call('DELETE', '/sandbox/faults', {
        as: 'alice',
        body: { clear: { kind: 'region-outage', region: 'us-east-1' } },
      });
      expect(cleared.body).toMatchObject({ cleared: 1, faults: [] });
    }
  });

  it('adds, lists and clears faults; validates bodies with every problem; operators only', async () => {
    const shortage = { kind: 'capacity-shortage', group: 'orders-web-usw2', maxInService: 3 };
    const added = await call('POST', '/sandbox/faults', { as: 'alice', body: { fault: shortage } });
    expect(added.status).toBe(201);
    expect(added.body.fault).toEqual(shortage);
    expect(sandbox.aws.faults.capacityLimit('orders-web-usw2')).toBe(3);
    const throttle = await call('POST', '/sandbox/faults', {
      as: 'carol',
      body: { fault: { kind: 'api-errors', service: 'rds', region: 'us-west-2', rate: 0.25 } },
    });
    // Defaults are filled in as the scenario runner fills them.
    expect(throttle.body.fault).toEqual({
      kind: 'api-errors',
      service: 'rds',
      region: 'us-west-2',
      rate: 0.25,
      error: 'ThrottlingException',
    });

    const listed = await call('GET', '/sandbox/faults', { as: 'victor' });
    expect(listed.status).toBe(200);
    expect(listed.body.faults).toHaveLength(2);

    const bad = await call('POST', '/sandbox/faults', {
      as: 'alice',
      body: { fault: { kind: 'api-errors', service: 'nope', rate: 7 }, extra: 1 },
    });
    // The operator API's one error shape: its error name, and every problem with got and expected.
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('InvalidInputError');
    expect(bad.body.problems.map((p: { path: string }) => p.path).sort()).toEqual(
      ['body.extra', 'body.fault.rate', 'body.fault.service'].sort(),
    );
    expect(bad.body.problems).toContainEqual(
      expect.objectContaining({ path: 'body.fault.rate', got: '7', expected: '<= 1' }),
    );
    const unknownKind = await call('POST', '/sandbox/faults', {
      as: 'alice',
      body: { fault: { kind: 'region-outtage', region: 'us-east-1' } },
    });
    expect(unknownKind.status).toBe(400);
    expect(unknownKind.body).toMatchObject({
      error: 'InvalidInputError',
      problems: [
        {
          path: 'body.fault.kind',
          message: 'unknown fault kind',
          got: '"region-outtage"',
          expected: expect.stringContaining('region-outage'),
        },
      ],
    });
    const unknownGroup = await call('POST', '/sandbox/faults', {
      as: 'alice',
      body: { fault: { kind: 'capacity-shortage', group: 'orders-wbe-usw2', maxInService: 1 } },
    });
    expect(unknownGroup.status).toBe(400);
    expect(unknownGroup.body.message).toMatch(/no Auto Scaling group orders-wbe-usw2.*orders-web-usw2/);
    expect(unknownGroup.body).toMatchObject({
      error: 'InvalidInputError',
      problems: [
        {
          path: 'body.fault.group',
          got: '"orders-wbe-usw2"',
          expected: expect.stringContaining('orders-web-usw2'),
        },
      ],
    });
    for (const fault of [
      { kind: 'replication-lag', globalClusterId: 'orders-globl', lagSeconds: 45 },
      { kind: 'engine-version-mismatch', globalClusterId: 'orders-globl', region: 'us-west-2' },
    ]) {
      const unknownCluster = await call('POST', '/sandbox/faults', { as: 'alice', body: { fault } });
      expect(unknownCluster.status).toBe(400);
      expect(unknownCluster.body.message).toMatch(/no global cluster orders-globl.*orders-global/);
    }

    for (const who of ['victor', 'bob']) {
      const refused = await call('POST', '/sandbox/faults', {
        as: who,
        body: { fault: { kind: 'route53-control-plane-down' } },
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('ForbiddenError');
    }

    const cleared = await call('DELETE', '/sandbox/faults', { as: 'alice', body: { clear: 'all' } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toEqual({ cleared: 2, faults: [] });
    expect(sandbox.aws.faults.capacityLimit('orders-web-usw2')).toBeUndefined();
    expect((await call('DELETE', '/sandbox/faults', { as: 'alice', body: { clear: 'some' } })).status).toBe(
      400,
    );
    expect((await call('DELETE', '/sandbox/faults', { as: 'alice' })).status).toBe(400);
  });

  it('sets an alarm state; refuses unknown alarms and states', async () => {
    // INSUFFICIENT_DATA does not start the automatic failover that ALARM would.
    const set = await call('POST', '/sandbox/alarms', {
      as: 'alice',
      body: { name: 'orders-primary-canary', region: 'us-west-2', state: 'INSUFFICIENT_DATA' },
    });
    expect(set.status).toBe(200);
    expect(sandbox.aws.cloudWatch.alarmState('orders-primary-canary', 'us-west-2')).toBe('INSUFFICIENT_DATA');
    const listed = await call('GET', '/sandbox/alarms', { as: 'victor' });
    expect(listed.body.alarms).toContainEqual(
      expect.objectContaining({ app: 'orders', name: 'orders-primary-canary', state: 'INSUFFICIENT_DATA' }),
    );
    await call('POST', '/sandbox/alarms', {
      as: 'alice',
      body: { name: 'orders-primary-canary', region: 'us-west-2', state: 'OK' },
    });
    expect(sandbox.aws.cloudWatch.alarmState('orders-primary-canary', 'us-west-2')).toBe('OK');

    const unknown = await call('POST', '/sandbox/alarms', {
      as: 'alice',
      body: { name: 'nope', region: 'us-west-2', state: 'OK' },
    });
    expect(unknown.status).toBe(404);
    // An alarm made with PutMetricAlarm follows its own metric: it has no canary to set (404, not 500).
    await sandbox
      .region('us-west-2')
      .clients.cloudWatch('us-west-2')
      .send(
        new PutMetricAlarmCommand({
          AlarmName: 'lag-probe',
          Namespace: 'AWS/RDS',
          MetricName: 'AuroraGlobalDBReplicationLag',
          Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'orders-usw2' }],
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 30_000,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
    const notPlan = await call('POST', '/sandbox/alarms', {
      as: 'alice',
      body: { name: 'lag-probe', region: 'us-west-2', state: 'ALARM' },
    });
    expect(notPlan.status).toBe(404);
    expect(notPlan.body.message).toMatch(
      /no alarm lag-probe in us-west-2; the sandbox has .*orders-primary-canary/,
    );
    const bad = await call('POST', '/sandbox/alarms', {
      as: 'alice',
      body: { name: 'orders-primary-canary', region: 'west', state: 'RED' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toHaveLength(2);
  });

  it('refuses bodies over 1 MB with 413 and malformed JSON with 400', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    const tooLarge = await call('POST', '/sandbox/faults', { as: 'alice', raw: big });
    expect(tooLarge.status).toBe(413);
    const tooLargeApi = await call('POST', '/apps/orders/failovers', { as: 'alice', raw: big });
    expect(tooLargeApi.status).toBe(413);
    // the operator API's refusal shape, saying what was got and what was expected
    for (const refused of [tooLarge, tooLargeApi])
      expect(refused.body).toMatchObject({
        error: 'PayloadTooLargeError',
        message: expect.stringContaining(`got ${big.length} bytes; expected at most 1048576 bytes`),
        problems: [{ path: 'body', got: `${big.length} bytes` }],
      });

    const malformed = await call('POST', '/sandbox/faults', { as: 'alice', raw: '{"fault": {' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe('InvalidInputError');
    expect(malformed.body.problems[0]).toMatchObject({ path: 'body', expected: 'a JSON object' });
    const malformedApi = await call('POST', '/apps/billing/failovers', { as: 'alice', raw: '{"to": ' });
    expect(malformedApi.status).toBe(400);
    expect(malformedApi.body.error).toBe('InvalidInputError');
  });

  it('serves the console at / and its bundle under /assets/, without a token', async () => {
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.body).toContain('<script type="module" src="/assets/main.js?v=');
    expect(page.body).toContain('{"auth":{"mode":"sandbox"}}');
    const script = await call('GET', '/assets/main.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = script.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await call('GET', '/assets/main.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await call('GET', '/assets/main.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    const post = await call('POST', '/');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers unknown routes and methods without crashing, and survives malformed requests', async () => {
    expect((await call('GET', '/assets/nothing.js')).status).toBe(404);
    // The sandbox's own routes refuse in the operator API's one error shape.
    const nothing = await call('GET', '/sandbox/nothing', { as: 'alice' });
    expect(nothing.status).toBe(404);
    expect(nothing.body).toMatchObject({
      error: 'RouteNotFoundError',
      routes: expect.arrayContaining(['POST /sandbox/faults', 'GET /sandbox/truth']),
    });
    const put = await call('PUT', '/sandbox/faults', { as: 'alice' });
    expect(put.status).toBe(405);
    expect(put.body.error).toBe('MethodNotAllowedError');
    expect(put.headers.get('allow')).toBe('GET, POST, DELETE');
    const nowhere = await call('GET', '/apps', {
      as: 'victor',
      headers: { 'x-switchyard-region': 'mars-1' },
    });
    expect(nowhere.status).toBe(400);
    expect(nowhere.body).toMatchObject({
      error: 'InvalidInputError',
      problems: [
        {
          path: 'header x-switchyard-region',
          got: '"mars-1"',
          expected: expect.stringContaining('us-east-1'),
        },
      ],
    });
    expect((await call('GET', '/apps/%E0%A4%A/executions', { as: 'victor' })).status).toBeLessThan(500);
    expect((await call('GET', '/apps/nope', { as: 'victor' })).status).toBe(404);

    const garbage = [
      'NOT HTTP AT ALL\r\n\r\n',
      'GET /apps HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n',
      `GET /apps HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`,
      'GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'POST /sandbox/faults HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"a"',
      'POST /sandbox/faults HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      '\u0000\u0001\u0002\r\n\r\n',
    ];
    for (const bytes of garbage) {
      const answer = await rawRequest(bytes);
      expect(answer === '' || /^HTTP\/1\.1 [2345]\d\d/.test(answer), JSON.stringify(bytes.slice(0, 40))).toBe(
        true,
      );
    }
    // Absolute-form targets are read by their path.
    expect(
      await rawRequest('GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 200/);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it("answers a request Node cannot parse in the API's refusal shape: 431 for headers too large, 400 for a bad method", async () => {
    const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    const tooLarge = await rawRequest(
      `GET /apps HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`,
    );
    const badMethod = await rawRequest('FOO /apps HTTP/1.1\r\nHost: x\r\n\r\n');

    expect(tooLarge).toMatch(/^HTTP\/1\.1 431 /);
    expect(tooLarge).toMatch(/content-type: application\/json/i);
    expect(bodyOf(tooLarge)).toMatchObject({
      error: 'HeadersTooLargeError',
      message: expect.stringContaining('expected at most 10240 bytes'),
    });
    expect(badMethod).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(badMethod)).toMatchObject({
      error: 'InvalidInputError',
      message: expect.stringContaining('expected an HTTP/1.1 request'),
    });
  });

  it('fails billing over to us-west-2 end to end through HTTP', async () => {
    // Act
    const accepted = await call('POST', '/apps/billing/failovers', {
      as: 'alice',
      headers: { 'Idempotency-Key': 'server-test-1', 'content-type': 'application/json' },
      body: { to: 'us-west-2', mode: 'graceful', reason: 'server test' },
    });
    expect(accepted.status).toBe(202);
    const id: string = accepted.body.executionId;
    const viewerRefused = await call('POST', '/apps/billing/failovers', {
      as: 'victor',
      body: { to: 'us-west-2', mode: 'graceful', reason: 'viewers may not' },
    });
    expect(viewerRefused.status).toBe(403);

    let record: any;
    const deadline = Date.now() + 25_000;
    while (Date.now() < deadline) {
      const answer = await call('GET', `/apps/billing/executions/${id}`, { as: 'victor' });
      if (answer.status === 200 && ['SUCCEEDED', 'FAILED', 'ABORTED'].includes(answer.body.status)) {
        record = answer.body;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    // Assess
    expect(record?.status, JSON.stringify(record?.error ?? record)).toBe('SUCCEEDED');
    expect(record.rtoSeconds).toBeGreaterThan(0);
    expect(Object.values(record.steps).map((s: any) => s.name)).toEqual(
      expect.arrayContaining([
        'BeginExecution',
        'PromoteDatabase',
        'ShiftTraffic',
        'VerifyService',
        'FinishExecution',
      ]),
    );
    const status = await call('GET', '/apps/billing', {
      as: 'victor',
      headers: { 'X-Switchyard-Region': 'us-west-2' },
    });
    expect(status.body.activeRegion).toBe('us-west-2');
    const truth = await call('GET', '/sandbox/truth', { as: 'victor' });
    expect(truth.body.apps.billing.writerRegion).toBe('us-west-2');
    expect(truth.body.invariants.every((i: { held: boolean }) => i.held)).toBe(true);
    expect(truth.body.speed).toBe(50);
    const audit = await call('GET', '/apps/billing/audit', { as: 'victor' });
    expect(audit.body.entries.some((e: { actor: string }) => e.actor === 'alice')).toBe(true);
  });
});

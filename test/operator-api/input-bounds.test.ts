import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import {
  checkRequestBounds,
  jsonTooDeepAt,
  MAX_BODY_BYTES,
  MAX_JSON_DEPTH,
} from '../../functions/operator-api/validation.js';
import { apiGatewayEvent, type JwtClaims } from '../../sandbox/api-gateway.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { useSandbox } from '../use-sandbox.js';

// Bad input never gets a 500 and is never wrongly accepted: the operator API's Lambda handler,
// given the HTTP API events the sandbox builds (as API Gateway would after its JWT authorizer),
// against the whole sandbox (dynalite as DynamoDB). Fixed cases first, then fuzzing.

const OPERATOR: JwtClaims = { sub: 'olga', 'switchyard:roles': ['operator', 'approver', 'viewer'] };

let sandbox: Sandbox;
let api: ReturnType<typeof makeHandler>;
let seq = 0;

useSandbox({ latency: 'fast', seed: 11 }, (started) => {
  sandbox = started;
  api = makeHandler(sandbox.region('us-west-2').deps);
});

const CONTEXT = { functionName: 'switchyard-OperatorApi', awsRequestId: 'test' } as Context;

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly claims?: JwtClaims;
}

interface Answer {
  readonly status: number;
  readonly body: any;
  readonly raw: string;
  readonly contentType: unknown;
}

async function send(call: Call): Promise<Answer> {
  const event = apiGatewayEvent({
    method: call.method,
    path: call.path,
    ...(call.query ? { query: call.query } : {}),
    ...(call.headers ? { headers: call.headers } : {}),
    ...(call.body !== undefined ? { body: call.body } : {}),
    claims: call.claims ?? OPERATOR,
    requestId: `bounds-${++seq}`,
    at: sandbox.clock.now(),
  });
  const result = (await sandbox.run(api(event, CONTEXT))) as APIGatewayProxyStructuredResultV2;
  const raw = String(result.body);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    body = undefined;
  }
  return { status: result.statusCode ?? 0, body, raw, contentType: result.headers?.['content-type'] };
}

/** A 4xx with the usual `{ error, message }`, and its problems naming path, got and expected. */
function expectRefusal(answer: Answer, status: number, problem?: { path: string | RegExp; got?: RegExp }) {
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  // The answer stays small whatever the request carried: long values are cut.
  expect(answer.raw.length).toBeLessThan(4096);
  if (problem) {
    expect(answer.body.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: problem.path instanceof RegExp ? expect.stringMatching(problem.path) : problem.path,
          got: problem.got ? expect.stringMatching(problem.got) : expect.any(String),
          expected: expect.any(String),
        }),
      ]),
    );
  }
}

// From 1,018 characters on, `EXECID#<id>` passes DynamoDB's 1,024-byte sort key limit: a 500 once.
const LONG_ID = 'x'.repeat(1018);

describe('operator API input bounds', () => {
  it.each([
    ['GET', `/apps/orders/executions/${LONG_ID}`, undefined],
    ['POST', `/apps/orders/executions/${LONG_ID}/approve`, '{}'],
    ['POST', `/apps/orders/executions/${LONG_ID}/abort`, '{"reason":"stop"}'],
    ['GET', `/apps/orders/executions/${'x'.repeat(1500)}`, undefined],
    ['GET', `/apps/orders/executions/${'x'.repeat(81)}`, undefined],
  ])(
    'refuses %s of an execution id longer than 80 characters with 400, not a DynamoDB 500',
    async (method, path, body) => {
      const answer = await send({ method, path, ...(body ? { body } : {}) });
      expectRefusal(answer, 400, {
        path: 'path.id',
        got: /^"x{60}"\.\.\. \((81|1018|1500) characters\)$/,
      });
      expect(answer.body.problems[0].expected).toMatch(/1 to 80 characters of A-Z a-z 0-9 _ -/);
    },
  );

  it.each([
    ['an id with a slash encoded', '/apps/orders/executions/a%2Fb'],
    ['an id with a space', '/apps/orders/executions/a%20b'],
    ['an id with a quote', "/apps/orders/executions/a'b"],
    ['an app name too long', `/apps/${'a'.repeat(81)}/executions`],
    ['an app name with a dot', '/apps/orders.x/audit'],
    ['an id of unicode', '/apps/orders/executions/%C3%A9t%C3%A9'],
  ])('refuses %s with 400 naming the parameter', async (_what, path) => {
    const answer = await send({ method: 'GET', path });
    expectRefusal(answer, 400, { path: /^path\.(id|app)$/ });
  });

  it('still answers a well-formed id that does not exist with 404, and an unknown app with 404', async () => {
    expectRefusal(await send({ method: 'GET', path: '/apps/orders/executions/no-such-execution' }), 404);
    expectRefusal(await send({ method: 'GET', path: '/apps/no-such-app/executions' }), 404);
  });

  it('refuses a JSON body nested 5,000 deep with 400, before parsing it', async () => {
    const deep = `{"to":"us-west-2","reason":"x","mode":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (const path of [
      '/apps/orders/failovers',
      '/apps/orders/executions/e1/approve',
      '/apps/orders/drills',
    ]) {
      const answer = await send({ method: 'POST', path, body: deep });
      expectRefusal(answer, 400, { path: 'body', got: /more than 16 levels/ });
    }
    // Brackets inside strings are text, not nesting.
    expect(jsonTooDeepAt(`{"reason":"${'['.repeat(100)}"}`, MAX_JSON_DEPTH)).toBeUndefined();
    expect(jsonTooDeepAt(`{"reason":"\\"${'['.repeat(100)}"}`, MAX_JSON_DEPTH)).toBeUndefined();
    expect(jsonTooDeepAt('['.repeat(17), MAX_JSON_DEPTH)).toBe(16);
  });

  it('refuses a body over 64 KiB with 413 before routing, and a malformed one with 400', async () => {
    const big = JSON.stringify({ to: 'us-west-2', reason: 'r'.repeat(MAX_BODY_BYTES) });
    expectRefusal(await send({ method: 'POST', path: '/apps/nope/failovers', body: big }), 413, {
      path: 'body',
      got: /^\d+ bytes$/,
    });
    expectRefusal(await send({ method: 'POST', path: '/apps/orders/failovers', body: '{"to":' }), 400, {
      path: 'body',
    });
  });

  it('refuses a request line and headers over 10,240 bytes with 431', async () => {
    const answer = await send({ method: 'GET', path: '/apps', headers: { 'x-padding': 'p'.repeat(10_300) } });
    expectRefusal(answer, 431, { path: 'headers', got: /^\d+ bytes$/ });
  });

  it('refuses a long path, too many query parameters and long query values with 400', async () => {
    expectRefusal(await send({ method: 'GET', path: `/apps/${'a/'.repeat(1100)}` }), 400, { path: 'path' });
    const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`q${i}`, '1']));
    expectRefusal(await send({ method: 'GET', path: '/apps', query: many }), 400, { path: 'query' });
    expectRefusal(
      await send({ method: 'GET', path: '/apps/orders/audit', query: { limit: '9'.repeat(300) } }),
      400,
      {
        path: 'query.limit',
        got: /\(300 characters\)$/,
      },
    );
    expectRefusal(await send({ method: 'GET', path: '/apps/orders/audit', query: { limit: '1e400' } }), 400, {
      path: 'query.limit',
    });
  });

  it('bounds an ApiRequest given to the router directly, body already parsed', () => {
    let body: unknown = 'x';
    for (let i = 0; i < 10_000; i++) body = [body];
    expect(() =>
      checkRequestBounds({
        method: 'POST',
        path: '/apps/a/failovers',
        query: {},
        headers: {},
        body,
        identity: undefined,
      }),
    ).toThrow(/JSON nested too deeply/);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing: random and mutated requests must never get a 500 or a body that is not JSON.

const SEGMENT = fc.oneof(
  fc.constantFrom(
    'apps',
    'orders',
    'billing',
    'executions',
    'approve',
    'abort',
    'drills',
    'audit',
    'failovers',
  ),
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,100}$/),
  fc.constantFrom('%', '%zz', '%00', '..', '.', '%2F', '__proto__', 'constructor'),
);

/** A route's parameter, mutated: a real app, a valid-looking id, a random string, an id near DynamoDB's key limit. */
const PARAM = fc.oneof(
  fc.constantFrom('orders', 'billing', 'nope'),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: 900, max: 1300 }).map((n) => 'i'.repeat(n)),
);

/** A request aimed at a real route (method and shape), its parameters mutated. */
const ROUTED = fc
  .tuple(
    fc.constantFrom(
      ['GET', '/apps/{a}'],
      ['GET', '/apps/{a}/executions'],
      ['GET', '/apps/{a}/executions/{b}'],
      ['POST', '/apps/{a}/executions/{b}/approve'],
      ['POST', '/apps/{a}/executions/{b}/abort'],
      ['GET', '/apps/{a}/drills'],
      ['GET', '/apps/{a}/audit'],
      ['POST', '/apps/{a}/failovers'],
      ['POST', '/apps/{a}/drills'],
    ),
    fc.constantFrom('orders', 'billing', 'nope'),
    PARAM,
  )
  .map(([[method, pattern], app, id]) => ({
    method,
    path: pattern.replace('{a}', app).replace('{b}', encodeURIComponent(id)),
  }));

/** Any method and path: random segments, some of them route words or encodings. */
const RANDOM = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'get', 'PATCH'),
  path: fc.oneof(
    fc.array(SEGMENT, { maxLength: 6 }).map((s) => `/${s.join('/')}`),
    fc
      .tuple(PARAM, PARAM)
      .map(([a, b]) => `/apps/${encodeURIComponent(a)}/executions/${encodeURIComponent(b)}`),
  ),
});

const JSON_VALUE = fc.jsonValue({ maxDepth: 4 });

/** Bodies: valid ones mutated, random JSON, deep JSON and text that is not JSON. */
const BODY = fc.oneof(
  fc
    .record(
      {
        to: fc.oneof(fc.constantFrom('us-west-2', 'us-east-1', 'us-east-9', ''), JSON_VALUE),
        mode: fc.oneof(fc.constantFrom('graceful', 'ungraceful', 'fast'), JSON_VALUE),
        reason: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('r'.repeat(1100)), JSON_VALUE),
        comment: fc.string({ maxLength: 20 }),
        kind: fc.constantFrom('switchover', 'switchover-and-back', 'nope'),
        soakSeconds: fc.oneof(fc.integer(), fc.double()),
        extra: JSON_VALUE,
      },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b)),
  JSON_VALUE.map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 3_000 }).map((n) => `{"a":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
  fc.string({ maxLength: 40 }),
  fc.constant(`{"reason":"${'x'.repeat(MAX_BODY_BYTES + 10)}"}`),
);

const HEADERS = fc.dictionary(
  fc.oneof(
    fc.constantFrom('idempotency-key', 'content-type', 'x-other'),
    fc.stringMatching(/^[a-z-]{1,20}$/),
  ),
  fc.oneof(fc.string({ maxLength: 40 }), fc.constant('k'.repeat(300)), fc.constant('h'.repeat(11_000))),
  { maxKeys: 4 },
);

const QUERY = fc.dictionary(
  fc.oneof(fc.constant('limit'), fc.string({ maxLength: 10 }), fc.constant('n'.repeat(70))),
  fc.oneof(fc.string({ maxLength: 10 }), fc.integer().map(String), fc.constant('9'.repeat(300))),
  { maxKeys: 25 },
);

const CLAIMS = fc.constantFrom<JwtClaims>(
  OPERATOR,
  { sub: 'vera', 'switchyard:roles': 'viewer' },
  { sub: 'x'.repeat(2000), 'cognito:groups': ['approver'] },
  { sub: '', 'switchyard:roles': 'operator' },
  { sub: 'nobody' },
);

/** A failover or drill of a real app would start a runbook: those go to an app that is no plan. */
function harmless(call: Call): Call {
  const starts = /^\/apps\/(orders|billing)\/(failovers|drills)\/?$/;
  return call.method === 'POST' && starts.test(call.path)
    ? { ...call, path: call.path.replace(/^\/apps\/(orders|billing)/, '/apps/nope') }
    : call;
}

describe('operator API fuzzing (fast-check, fixed seed)', () => {
  it('never answers a random or mutated request with a 500 or a body that is not JSON', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          target: fc.oneof({ arbitrary: ROUTED, weight: 3 }, { arbitrary: RANDOM, weight: 1 }),
          // Mostly clean parts around one messy one, so that requests get past the first refusal.
          body: fc.oneof(
            { arbitrary: fc.constantFrom(undefined, '{}', '{"reason":"fuzz","comment":"c"}'), weight: 2 },
            { arbitrary: BODY, weight: 1 },
          ),
          headers: fc.oneof(
            { arbitrary: fc.constant<Record<string, string>>({}), weight: 2 },
            { arbitrary: HEADERS, weight: 1 },
          ),
          query: fc.oneof(
            { arbitrary: fc.constantFrom<Record<string, string>>({}, { limit: '5' }), weight: 2 },
            { arbitrary: QUERY, weight: 1 },
          ),
          claims: CLAIMS,
        }),
        async ({ target, ...rest }) => {
          const call = harmless({ ...target, ...rest });
          const answer = await send(call);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          expect(answer.status, `${call.method} ${call.path.slice(0, 200)}`).toBeLessThan(500);
          expect(answer.status).toBeGreaterThanOrEqual(200);
          expect(answer.contentType).toMatch(/^application\/json/);
          expect(answer.body, answer.raw.slice(0, 200)).toBeDefined();
          if (answer.status >= 400)
            expect(answer.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
        },
      ),
      { seed: 20261130, numRuns: 250, endOnFailure: true },
    );
    // The fuzzer reached the refusals it is for, not only one kind of answer.
    for (const status of [400, 401, 404, 413])
      expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
  });
});

import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import { apiGatewayEvent } from '../../sandbox/api-gateway.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { useSandbox } from '../use-sandbox.js';

// What the adapter in front of Powertools' Router keeps of the contract, where the library alone
// would differ: dot segments, methods it does not know, a GET with a body, odd header values.

let sandbox: Sandbox;
let api: ReturnType<typeof makeHandler>;
const CONTEXT = { functionName: 'switchyard-OperatorApi', awsRequestId: 'test' } as Context;
const VIEWER = { sub: 'vera', 'switchyard:roles': 'viewer' };

useSandbox({ latency: 'fast', seed: 5 }, (started) => {
  sandbox = started;
  api = makeHandler(sandbox.region('us-east-1').deps);
});

let seq = 0;
async function send(
  method: string,
  path: string,
  extra: { body?: string; headers?: Record<string, string>; anonymous?: boolean } = {},
) {
  const event: APIGatewayProxyEventV2WithJWTAuthorizer = apiGatewayEvent({
    method,
    path,
    claims: VIEWER,
    requestId: `r${++seq}`,
    at: sandbox.clock.now(),
    ...(extra.body !== undefined ? { body: extra.body } : {}),
    ...(extra.headers ? { headers: extra.headers } : {}),
  });
  if (extra.anonymous) (event.requestContext as { authorizer?: unknown }).authorizer = undefined;
  const result = (await sandbox.run(api(event, CONTEXT))) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(String(result.body)) };
}

describe('the operator API router (Powertools Router behind a thin adapter)', () => {
  it('keeps a dot segment a parameter: 400 naming it, never the parent path', async () => {
    const answer = await send('GET', '/apps/orders/executions/..');
    expect(answer.status).toBe(400);
    expect(answer.body.problems[0]).toMatchObject({ path: 'path.id', got: '".."' });
    const dot = await send('GET', '/apps/./audit');
    expect(dot.status).toBe(400);
    expect(dot.body.problems[0]).toMatchObject({ path: 'path.app', got: '"."' });
  });

  it('answers 405 with Allow for a known path with another method, known to the library or not', async () => {
    for (const method of ['DELETE', 'FOO']) {
      const answer = await send(method, '/apps/orders');
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe('GET');
      expect(answer.body).toMatchObject({
        error: 'MethodNotAllowedError',
        message: `${method} /apps/orders: method not allowed; expected GET`,
      });
    }
    const both = await send('PUT', '/apps/orders/drills');
    expect(both.headers.allow).toBe('POST, GET');
  });

  it('answers 404 with the route list for an unknown path, and 401 before it for no identity', async () => {
    const unknown = await send('GET', '/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('RouteNotFoundError');
    expect(unknown.body.message).toMatch(/^no route GET \/nope; expected one of: GET \/apps /);
    expect((await send('GET', '/nope', { anonymous: true })).status).toBe(401);
    expect((await send('GET', '/apps/%zz', { anonymous: true })).status).toBe(401);
    const malformed = await send('GET', '/apps/%zz');
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toContain("malformed percent-encoding in '%zz'");
  });

  it('serves a GET with a body and a header value the Fetch API refuses, instead of failing', async () => {
    const answer = await send('GET', '/apps/orders', {
      body: '{}',
      headers: { 'x-note': 'caf\u00e9 \u2603 line', 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.app).toBe('orders');
  });

  it('refuses a viewer a failover with 403 after routing, and answers JSON with no-store', async () => {
    const answer = await send('POST', '/apps/orders/failovers', { body: '{"to":"us-west-2","reason":"x"}' });
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-store');
  });
});

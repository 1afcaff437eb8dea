import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import { KEEP_WARM_FUNCTIONS } from '../../functions/handlers/registry.js';
import { apiGatewayTime, callOperatorApi, OPERATOR_API_FUNCTION } from '../../sandbox/api-gateway.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { tokenFor } from '../../sandbox/identities.js';
import { Sandbox } from '../../sandbox/sandbox.js';
import { type SandboxServer, startSandboxServer } from '../../sandbox/server.js';

// The sandbox's one API Gateway (sandbox/api-gateway.ts): a request to the HTTP server (`npm
// start`) and a scenario operator's request (`simulate`) reach the operator API function as the
// same HTTP API payload 2.0 event ("Create AWS Lambda proxy integrations for HTTP APIs in API
// Gateway", Payload format version 2.0, Amazon API Gateway developer guide,
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html:
// header names lower-case, the JWT authorizer's claims as strings), through the same Lambda runtime.

const SECRET = 'api-gateway-test-secret';
const REGION = 'us-west-2';
const seen: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];
let sandbox: Sandbox;
let server: SandboxServer;

beforeAll(async () => {
  sandbox = await Sandbox.start({
    plans: await loadPlans('plans'),
    latency: 'fast',
    clock: new VirtualClock({ kind: 'paced', speed: 50 }),
  });
  // The real operator API of the region, wrapped to see the events it is given.
  const real = makeHandler(sandbox.region(REGION).deps);
  sandbox.lambda.register(REGION, OPERATOR_API_FUNCTION, (event: unknown, context: Context) => {
    seen.push(event as APIGatewayProxyEventV2WithJWTAuthorizer);
    return real(event as APIGatewayProxyEventV2WithJWTAuthorizer, context);
  });
  server = await startSandboxServer({ sandbox, port: 0, secret: SECRET });
});

afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});

/** The event the function got for one request made through `send`. */
async function eventOf(send: () => Promise<unknown>): Promise<APIGatewayProxyEventV2WithJWTAuthorizer> {
  seen.length = 0;
  await send();
  expect(seen).toHaveLength(1);
  return seen[0] as APIGatewayProxyEventV2WithJWTAuthorizer;
}

/** The keys of an object, sorted. */
const keys = (value: object | null | undefined) => Object.keys(value ?? {}).sort();

describe('the sandbox API Gateway', () => {
  it('hands the function the same payload 2.0 event for an HTTP request and a scenario request', async () => {
    // Arrange: the same refused failover request (no reason: 400, nothing starts), both ways.
    const body = { to: 'us-west-2', mode: 'graceful' };

    // Act
    const http = await eventOf(async () =>
      fetch(`${server.url}/apps/orders/failovers`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${await tokenFor('carol', SECRET)}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': 'same-event-1',
          'X-Switchyard-Region': REGION,
        },
        body: JSON.stringify(body),
      }),
    );
    const scenario = await eventOf(() =>
      sandbox.run(
        callOperatorApi(sandbox, {
          region: REGION,
          by: 'carol',
          roles: ['operator', 'approver'],
          method: 'POST',
          path: '/apps/orders/failovers',
          body,
          idempotencyKey: 'same-event-1',
        }),
      ),
    );

    // Assert: one shape, field for field.
    for (const event of [http, scenario]) {
      expect(event).toMatchObject({
        version: '2.0',
        routeKey: 'ANY /{proxy+}',
        rawPath: '/apps/orders/failovers',
        rawQueryString: '',
        pathParameters: { proxy: 'apps/orders/failovers' },
        body: JSON.stringify(body),
        isBase64Encoded: false,
        requestContext: {
          accountId: '111111111111',
          domainName: `sandbox.execute-api.${REGION}.amazonaws.com`,
          http: { method: 'POST', path: '/apps/orders/failovers', protocol: 'HTTP/1.1' },
          routeKey: 'ANY /{proxy+}',
          stage: '$default',
          authorizer: { jwt: { scopes: null } },
        },
      });
      // Header names lower-case, as the developer guide's payload 2.0 example shows them.
      expect(keys(event.headers).filter((name) => name !== name.toLowerCase())).toEqual([]);
      expect(event.headers['content-type']).toBe('application/json');
      expect(event.headers['idempotency-key']).toBe('same-event-1');
      // The JWT authorizer's claims reach the function as strings, a list as `[a b]`.
      const claims = event.requestContext.authorizer.jwt.claims;
      expect(Object.values(claims).every((v) => typeof v === 'string')).toBe(true);
      expect(claims).toMatchObject({
        iss: 'switchyard-sandbox',
        aud: 'switchyard',
        sub: 'carol',
        'switchyard:roles': '[operator approver]',
      });
      expect(event.requestContext.time).toBe(apiGatewayTime(event.requestContext.timeEpoch));
      expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    }
    expect(keys(scenario)).toEqual(keys(http));
    expect(keys(scenario.requestContext)).toEqual(keys(http.requestContext));
    expect(keys(scenario.requestContext.http)).toEqual(keys(http.requestContext.http));
    expect(keys(scenario.requestContext.authorizer)).toEqual(keys(http.requestContext.authorizer));
    expect(keys(scenario.requestContext.authorizer.jwt.claims)).toEqual(
      keys(http.requestContext.authorizer.jwt.claims),
    );
  });

  it('runs a scenario request in the Lambda runtime: a crash is a 500, a region that is down a 503', async () => {
    // Arrange
    const request = {
      region: REGION,
      by: 'victor',
      roles: ['viewer'],
      method: 'GET',
      path: '/apps/orders',
    } as const;
    sandbox.aws.faults.add({ kind: 'lambda-crash', step: OPERATOR_API_FUNCTION, times: 1 });

    // Act
    const crashed = await sandbox.run(callOperatorApi(sandbox, request));
    const after = await sandbox.run(callOperatorApi(sandbox, request));
    sandbox.aws.faults.add({ kind: 'region-outage', region: REGION });
    const down = await sandbox
      .run(callOperatorApi(sandbox, request))
      .finally(() => sandbox.aws.faults.clear({ kind: 'region-outage', region: REGION }));

    // Assert
    expect(crashed).toMatchObject({ statusCode: 500, error: expect.stringMatching(/crashed/) });
    expect(JSON.parse(String(crashed.body))).toEqual({ message: 'Internal Server Error' });
    expect(after.statusCode).toBe(200);
    expect(JSON.parse(String(after.body)).app).toBe('orders');
    expect(down.statusCode).toBe(503);
    expect(JSON.parse(String(down.body))).toEqual({ message: `region ${REGION} is down (sandbox fault)` });
  });

  it('leaves the operator API out of the keep-warm rule, as CDK deploys it', () => {
    expect(KEEP_WARM_FUNCTIONS).not.toContain(OPERATOR_API_FUNCTION);
    expect(KEEP_WARM_FUNCTIONS).toContain('BeginExecution');
  });
});

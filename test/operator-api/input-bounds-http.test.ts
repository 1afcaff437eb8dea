import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { MAX_BODY_BYTES } from '../../functions/operator-api/validation.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { tokenFor } from '../../sandbox/identities.js';
import { Sandbox } from '../../sandbox/sandbox.js';
import { type SandboxServer, startSandboxServer } from '../../sandbox/server.js';

// The same bounds over HTTP, through the sandbox's server: its JWT check, its event builder and
// the operator API's Lambda handler, as `npm start` serves them.

const SECRET = 'input-bounds-secret';
let sandbox: Sandbox;
let server: SandboxServer;

beforeAll(async () => {
  sandbox = await Sandbox.start({
    plans: await loadPlans('plans'),
    latency: 'fast',
    // Real-time pace: nothing here waits on virtual time, and the operator API's 30 s Lambda
    // timeout stays 30 s of real time however loaded the machine is.
    clock: new VirtualClock({ kind: 'paced', speed: 1 }),
  });
  server = await startSandboxServer({ sandbox, port: 0, secret: SECRET });
});

afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});

/** alice is an operator and approver among the sandbox's demo identities. */
const AUTH = async () => ({ authorization: `Bearer ${await tokenFor('alice', SECRET)}` });

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(await AUTH()), ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, type: response.headers.get('content-type') };
}

describe('operator API bounds over the sandbox server', () => {
  it('refuses an execution id of 1,018 characters with 400 (GET, approve, abort)', async () => {
    const id = 'x'.repeat(1018);
    for (const [method, path, body] of [
      ['GET', `/apps/orders/executions/${id}`, undefined],
      ['POST', `/apps/orders/executions/${id}/approve`, '{}'],
      ['POST', `/apps/orders/executions/${id}/abort`, '{"reason":"stop"}'],
    ] as const) {
      const answer = await call(method, path, body);
      expect(answer.status, path.slice(0, 40)).toBe(400);
      expect(answer.json).toMatchObject({ error: 'InvalidInputError', problems: [{ path: 'path.id' }] });
    }
  });

  it('refuses a body nested 5,000 deep with 400 and one over 64 KiB with 413', async () => {
    const deep = `{"to":"us-west-2","reason":"x","mode":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const answer = await call('POST', '/apps/orders/failovers', deep);
    expect(answer.status).toBe(400);
    expect(answer.json.problems[0]).toMatchObject({
      path: 'body',
      got: expect.stringMatching(/more than 16 levels/),
    });
    const big = await call(
      'POST',
      '/apps/nope/failovers',
      JSON.stringify({ reason: 'r'.repeat(MAX_BODY_BYTES) }),
    );
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ error: 'PayloadTooLargeError', problems: [{ path: 'body' }] });
  });

  it('never answers a fuzzed request with a 500 or a body that is not JSON (fast-check, fixed seed)', async () => {
    const param = fc.oneof(
      fc.constantFrom('orders', 'billing', 'nope'),
      fc.string({ maxLength: 12 }),
      fc.integer({ min: 900, max: 1300 }).map((n) => 'i'.repeat(n)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ['GET', '/apps/{a}/executions/{b}'],
          ['POST', '/apps/{a}/executions/{b}/approve'],
          ['POST', '/apps/{a}/executions/{b}/abort'],
          ['GET', '/apps/{a}/audit'],
          ['POST', '/apps/nope/failovers'],
        ),
        fc.constantFrom('orders', 'billing', 'nope'),
        param,
        fc.oneof(
          fc.constantFrom(undefined, '{}', '{"reason":"fuzz"}'),
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
          fc.integer({ min: 1, max: 10_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
          fc.string({ maxLength: 30 }),
        ),
        async ([method, pattern], app, id, body) => {
          const path = pattern.replace('{a}', app).replace('{b}', encodeURIComponent(id));
          const answer = await call(method, path, method === 'GET' ? undefined : body);
          expect(answer.status, `${method} ${path.slice(0, 80)}`).toBeLessThan(500);
          expect(answer.type).toMatch(/^application\/json/);
          expect(answer.json, answer.text.slice(0, 200)).toMatchObject({});
        },
      ),
      { seed: 20261130, numRuns: 60 },
    );
  });
});

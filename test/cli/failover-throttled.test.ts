import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { runCaptured } from './run-captured.js';

/** An operator API that answers POST /apps/orders/failovers with `answers` in turn, and counts them. */
async function fakeApi(answers: readonly { status: number; body: unknown; retryAfter?: string }[]) {
  let calls = 0;
  const server = createServer((req, res) => {
    const answer = answers[Math.min(calls, answers.length - 1)] as (typeof answers)[number];
    if (req.method === 'POST' && req.url === '/apps/orders/failovers') calls++;
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}),
    });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, calls: () => calls, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const THROTTLED = {
  status: 503,
  // A fraction of a second, so that the test waits little; the API says 5.
  retryAfter: '0.02',
  body: {
    error: 'ThrottledError',
    message: 'orders: a graceful failover cannot be judged now: AWS throttled',
  },
};
const ACCEPTED = { status: 202, body: { executionId: 'orders-1', status: 'STARTED' } };

describe('switchyard failover when AWS throttles the dry run', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
  });

  it('asks again after Retry-After when refused with 503 ThrottledError, and says so', async () => {
    const api = await fakeApi([THROTTLED, THROTTLED, ACCEPTED]);
    close = api.close;
    const run = await runCaptured([
      'failover',
      '--app',
      'orders',
      '--to',
      'us-west-2',
      '--no-wait',
      '--api',
      api.url,
      '--token',
      't',
    ]);
    expect(run.code).toBe(0);
    expect(api.calls()).toBe(3);
    expect(run.out).toContain('accepted: graceful failover of orders to us-west-2, execution orders-1');
    expect(run.err).toMatch(/AWS throttled the request's dry run \(503 ThrottledError\); asking again in \d/);
    expect(run.err).toContain('attempt 3 of 6');
  });

  it('does not ask again for another 503 (a region down), and gives up on throttling after 6 attempts', async () => {
    const down = await fakeApi([
      { status: 503, retryAfter: '0.02', body: { error: 'TransientAwsError', message: 'region down' } },
    ]);
    close = down.close;
    const once = await runCaptured([
      'failover',
      '--app',
      'orders',
      '--to',
      'us-west-2',
      '--no-wait',
      '--api',
      down.url,
      '--token',
      't',
    ]);
    expect(once.code).toBe(1);
    expect(down.calls()).toBe(1);
    expect(once.err).toMatch(/TransientAwsError: region down/);
    await down.close();

    const always = await fakeApi([{ ...THROTTLED, retryAfter: '0.001' }]);
    close = always.close;
    const run = await runCaptured([
      'failover',
      '--app',
      'orders',
      '--to',
      'us-west-2',
      '--no-wait',
      '--api',
      always.url,
      '--token',
      't',
    ]);
    expect(run.code).toBe(1);
    expect(always.calls()).toBe(6);
    expect(run.err).toMatch(/ThrottledError: orders: a graceful failover cannot be judged now/);
  });
});

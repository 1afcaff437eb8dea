import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sandbox/clock.js';
import { FaultSet } from '../../sandbox/faults.js';
import { REALISTIC } from '../../sandbox/latency.js';
import { LAMBDA_CONCURRENT_EXECUTIONS } from '../../sandbox/quotas.js';
import { LambdaRuntime } from '../../sandbox/runtime/lambda.js';

/** A runtime with one function that works for one virtual second per invoke. */
function setup(concurrencyLimit?: number) {
  const clock = new VirtualClock();
  const lambda = new LambdaRuntime({
    clock,
    latency: REALISTIC,
    faults: new FaultSet(),
    ...(concurrencyLimit ? { concurrencyLimit } : {}),
  });
  for (const name of ['Work', 'Other'])
    lambda.register('us-east-1', name, async () => {
      await clock.sleep(1_000);
      return name;
    });
  const timed = async (name = 'Work') => {
    const started = clock.now();
    await lambda.invoke('us-east-1', name, {});
    return clock.now() - started;
  };
  return { clock, lambda, timed };
}

const { coldInvokeMs, warmInvokeMs } = REALISTIC.lambda;

describe('Lambda execution environments', () => {
  it('gives each concurrent invoke its own environment, each paying a cold start', async () => {
    const { clock, lambda, timed } = setup();

    // Act: three at once, then one after they finished.
    const first = await clock.runFor(Promise.all([timed(), timed(), timed()]));
    const again = await clock.runFor(Promise.all([timed(), timed()]));
    const fourth = await clock.runFor(Promise.all([timed(), timed(), timed(), timed()]));

    // Assess
    expect(first).toEqual([1_000 + coldInvokeMs, 1_000 + coldInvokeMs, 1_000 + coldInvokeMs]);
    expect(again).toEqual([1_000 + warmInvokeMs, 1_000 + warmInvokeMs]);
    // Three warm environments exist; the fourth invoke needs a new one.
    expect([...fourth].sort()).toEqual([
      1_000 + warmInvokeMs,
      1_000 + warmInvokeMs,
      1_000 + warmInvokeMs,
      1_000 + coldInvokeMs,
    ]);
    expect(lambda.stats()).toEqual({ invokes: 9, coldStarts: 4, peakConcurrency: 4, throttled: 0 });
  });

  it('refuses an invoke beyond the account concurrency with TooManyRequestsException', async () => {
    expect(LAMBDA_CONCURRENT_EXECUTIONS).toBe(1_000);
    const { clock, lambda, timed } = setup(2);

    const results = await clock.runFor(Promise.allSettled([timed(), timed('Other'), timed()]));

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({
      name: 'Lambda.TooManyRequestsException',
      message: expect.stringContaining('2 of the account'),
    });
    // Once they are done, there is room again.
    await expect(clock.runFor(timed())).resolves.toBe(1_000 + warmInvokeMs);
    expect(lambda.stats().throttled).toBe(1);
  });

  it('keep-warm warms one environment: a second concurrent invoke still starts cold', async () => {
    const { clock, lambda, timed } = setup();
    lambda.keepWarm({ source: 'keep-warm' }, 5);
    await clock.runFor(clock.sleep(2_000 + coldInvokeMs));

    const both = await clock.runFor(Promise.all([timed(), timed()]));

    expect([...both].sort()).toEqual([1_000 + warmInvokeMs, 1_000 + coldInvokeMs]);
  });

  it('keep-warm pings only its targets: a function it leaves out (the operator API in AWS) starts cold', async () => {
    const { clock, lambda, timed } = setup();
    lambda.keepWarm({ source: 'keep-warm' }, 5, ['Work']);
    await clock.runFor(clock.sleep(2_000 + coldInvokeMs));

    const work = await clock.runFor(timed('Work'));
    const other = await clock.runFor(timed('Other'));

    expect(work).toBe(1_000 + warmInvokeMs);
    expect(other).toBe(1_000 + coldInvokeMs);
  });

  it('lets an environment idle past ten minutes go: the next invoke is cold again', async () => {
    const { clock, timed } = setup();
    await clock.runFor(timed());
    await clock.runFor(clock.sleep(11 * 60_000));
    await expect(clock.runFor(timed())).resolves.toBe(1_000 + coldInvokeMs);
  });
});

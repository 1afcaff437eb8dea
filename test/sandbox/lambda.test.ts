import { setTimeout as realSleep } from 'node:timers/promises';
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sandbox/clock.js';
import { FaultSet } from '../../sandbox/faults.js';
import { LATENCY_PROFILES } from '../../sandbox/latency.js';
import { LambdaRuntime } from '../../sandbox/runtime/lambda.js';

describe('LambdaRuntime timeouts', () => {
  it('times a middy handler out in virtual time only, never on real time', async () => {
    // Prepare: a 100 virtual ms timeout; the handler's real I/O takes 300 real ms and no virtual time.
    const clock = new VirtualClock();
    const lambda = new LambdaRuntime({
      clock,
      latency: LATENCY_PROFILES.fast,
      faults: new FaultSet(),
      timeoutMs: 100,
    });
    lambda.register(
      'us-east-1',
      'RealIo',
      middy().handler(async () => {
        await clock.track(() => realSleep(300));
        return 'done';
      }),
    );
    lambda.register(
      'us-east-1',
      'Slow',
      middy().handler(async () => {
        await clock.sleep(1_000);
        return 'late';
      }),
    );

    // Act / Assess: real time does not time it out; virtual time does.
    await expect(clock.runFor(lambda.invoke('us-east-1', 'RealIo', {}))).resolves.toBe('done');
    await expect(clock.runFor(lambda.invoke('us-east-1', 'Slow', {}))).rejects.toMatchObject({
      name: 'Lambda.Unknown',
      message: expect.stringContaining('task timed out after 0.1 s'),
    });
  });
});

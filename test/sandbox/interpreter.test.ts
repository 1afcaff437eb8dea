import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../functions/core/random.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { loadInterpreter } from '../../sandbox/runtime/interpreter.js';

describe('the Step Functions interpreter on the virtual clock', () => {
  it('runs Wait states and Retry intervals in virtual time, not real time', async () => {
    const clock = new VirtualClock();
    const { StateMachine } = loadInterpreter(clock, seededRandom(1));
    let calls = 0;
    const machine = new StateMachine(
      {
        StartAt: 'Pause',
        States: {
          Pause: { Type: 'Wait', Seconds: 3600, Next: 'Work' },
          Work: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:111111111111:function:work',
            TimeoutSeconds: 30,
            Retry: [{ ErrorEquals: ['ThrottledError'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 3 }],
            End: true,
          },
        },
      },
      { validationOptions: { checkArn: false } },
    );
    const stamps: number[] = [];
    const run = machine.run(
      {},
      {
        overrides: {
          taskResourceLocalHandlers: {
            Work: async () => {
              stamps.push(clock.elapsedSeconds());
              if (++calls < 3) throw Object.assign(new Error('slow down'), { name: 'ThrottledError' });
              return { done: true };
            },
          },
        },
      },
    );
    // A real hour could not pass within the test's timeout: the Wait ran in virtual time. (No
    // real-time bound here: on a loaded machine it would measure the load, not the clock.)
    await expect(clock.runFor(run.result)).resolves.toEqual({ done: true });
    // 1 h wait, then retries after 10 s and 20 s more.
    expect(stamps).toEqual([3600, 3610, 3630]);
  });

  it('times a Task out on the virtual clock (States.Timeout)', async () => {
    const clock = new VirtualClock();
    const { StateMachine } = loadInterpreter(clock, seededRandom(1));
    const machine = new StateMachine(
      {
        StartAt: 'Slow',
        States: {
          Slow: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:111111111111:function:slow',
            TimeoutSeconds: 5,
            Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'TimedOut' }],
            End: true,
          },
          TimedOut: { Type: 'Pass', Result: 'timed out', End: true },
        },
      },
      { validationOptions: { checkArn: false } },
    );
    const run = machine.run(
      {},
      { overrides: { taskResourceLocalHandlers: { Slow: () => clock.sleep(60_000).then(() => 'late') } } },
    );
    await expect(clock.runFor(run.result)).resolves.toBe('timed out');
    expect(clock.elapsedSeconds()).toBeLessThan(60);
  });

  it('on a paced clock, does not time a Task out for real compute (States.Timeout in virtual time)', async () => {
    // 1 virtual s of Task timeout is 10 real ms at 100x; the handler computes for 300 real ms.
    const clock = new VirtualClock({ kind: 'paced', speed: 100 });
    const { StateMachine } = loadInterpreter(clock, seededRandom(1));
    const machine = new StateMachine(
      {
        StartAt: 'Compute',
        States: {
          Compute: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:111111111111:function:compute',
            TimeoutSeconds: 1,
            Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'TimedOut' }],
            End: true,
          },
          TimedOut: { Type: 'Pass', Result: 'timed out', End: true },
        },
      },
      { validationOptions: { checkArn: false } },
    );
    const began = clock.now();
    const run = machine.run(
      {},
      {
        overrides: {
          taskResourceLocalHandlers: {
            Compute: async () => {
              const until = performance.now() + 300;
              while (performance.now() < until) {
                // a slow or loaded machine's compute
              }
              await clock.sleep(200);
              return 'done';
            },
          },
        },
      },
    );
    try {
      await expect(run.result).resolves.toBe('done');
      // The Task was charged its modelled 200 ms; the timeout, 1 s, never came near.
      expect(clock.now() - began).toBeLessThan(1_000);
    } finally {
      clock.dispose();
    }
  });
});

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
    const started = performance.now();
    await expect(clock.runFor(run.result)).resolves.toEqual({ done: true });
    // 1 h wait, then retries after 10 s and 20 s more.
    expect(stamps).toEqual([3600, 3610, 3630]);
    expect(performance.now() - started).toBeLessThan(5_000);
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
});

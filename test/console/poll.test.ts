import { describe, expect, it } from 'vitest';
import { pollsAgainAfter, startPoll } from '../../console/src/poll-loop.js';

/**
 * A refusal as the console's client throws it (console/src/api.ts, ApiError: the answer's status,
 * its error name and message), built here without the browser's fetch types.
 */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Timers run by hand: `tick()` fires every timer due, as the browser would after the interval. */
function manualTimers() {
  let pending: (() => void)[] = [];
  return {
    setTimer: (run: () => void) => {
      pending.push(run);
      return run;
    },
    clearTimer: (timer: unknown) => {
      pending = pending.filter((t) => t !== timer);
    },
    async tick(times: number) {
      for (let i = 0; i < times; i++) {
        const due = pending;
        pending = [];
        for (const run of due) run();
        // Let the read's promise settle before the next tick.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

describe("the console's polling", () => {
  it('stops asking once the API answers 404: the page does not exist, asking changes nothing', async () => {
    // Prepare
    const timers = manualTimers();
    let calls = 0;
    const errors: unknown[] = [];
    const load = async () => {
      calls++;
      throw new ApiError(404, 'ResourceNotFoundError', 'orders: no execution nope');
    };
    // Act: five intervals pass after the first answer
    startPoll(load, 1000, () => true, { onData: () => undefined, onError: (e) => errors.push(e), ...timers });
    await timers.tick(5);
    // Assess: asked once, the refusal reported once
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('keeps asking after a failure that may pass (503, no network), and stops on final data', async () => {
    const timers = manualTimers();
    let calls = 0;
    const load = async () => {
      calls++;
      if (calls <= 2) throw new ApiError(503, 'TransientAwsError', 'try again');
      if (calls === 3) throw new ApiError(0, 'NetworkError', 'the API did not answer');
      return { status: calls < 5 ? 'RUNNING' : 'SUCCEEDED' };
    };
    startPoll(load, 1000, (d) => d.status === 'RUNNING', {
      onData: () => undefined,
      onError: () => undefined,
      ...timers,
    });
    await timers.tick(10);
    expect(calls).toBe(5);
  });

  it('asks again after the 401 of a person not yet signed in', () => {
    expect(pollsAgainAfter(new ApiError(401, 'HTTP 401', 'not signed in'))).toBe(true);
    expect(pollsAgainAfter(new ApiError(404, 'UnknownAppError', 'unknown app'))).toBe(false);
  });
});

import { setTimeout as realSleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sandbox/clock.js';
import { FaultSet } from '../../sandbox/faults.js';
import { LATENCY_PROFILES } from '../../sandbox/latency.js';
import { LambdaRuntime } from '../../sandbox/runtime/lambda.js';

/** Holds the CPU for `ms` of real time, as a slow or loaded machine does to a handler. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('VirtualClock (discrete)', () => {
  it('jumps to the next timer and fires timers in time order, ties in the order set', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push(`c@${clock.elapsedSeconds()}`));
    clock.setTimer(100, () => fired.push(`a@${clock.elapsedSeconds()}`));
    clock.setTimer(100, () => fired.push(`b@${clock.elapsedSeconds()}`));
    await clock.runUntil(clock.now() + 1_000);
    expect(fired).toEqual(['a@0.1', 'b@0.1', 'c@0.3']);
    expect(clock.elapsedSeconds()).toBe(1);
  });

  it('does not advance while real I/O is in flight, so real time never leaks into virtual time', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    clock.setTimer(10, () => order.push('timer'));
    const io = clock.track(async () => {
      await realSleep(50); // 50 real ms of "dynalite"
      order.push(`io done at ${clock.elapsedSeconds()}`);
    });
    await clock.runUntil(clock.now() + 100);
    await io;
    expect(order).toEqual(['io done at 0', 'timer']);
  });

  it('settles work that continues after a timer before jumping again', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const worker = async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1_000);
        await clock.track(() => realSleep(5));
        seen.push(clock.elapsedSeconds());
      }
    };
    const done = worker();
    await clock.runFor(done);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('gives identical timings run after run', async () => {
    const run = async () => {
      const clock = new VirtualClock();
      const stamps: number[] = [];
      const a = (async () => {
        for (let i = 0; i < 5; i++) {
          await clock.sleep(70);
          await clock.track(() => realSleep(Math.random() * 5));
          stamps.push(clock.now());
        }
      })();
      const b = (async () => {
        for (let i = 0; i < 5; i++) {
          await clock.sleep(110);
          stamps.push(clock.now());
        }
      })();
      await clock.runFor(Promise.all([a, b]));
      return stamps;
    };
    expect(await run()).toEqual(await run());
  });

  it('runFor rejects with the work and reports work that outlives its limit', async () => {
    const clock = new VirtualClock();
    await expect(clock.runFor(clock.sleep(10).then(() => Promise.reject(new Error('boom'))))).rejects.toThrow(
      'boom',
    );
    await expect(clock.runFor(clock.sleep(10_000), 1_000)).rejects.toThrow(
      /still running after 1 virtual seconds/,
    );
  });

  it('cleared timers never fire', async () => {
    const clock = new VirtualClock();
    let fired = false;
    const id = clock.setTimer(5, () => {
      fired = true;
    });
    clock.clearTimer(id);
    await clock.runUntil(clock.now() + 10);
    expect(fired).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('clears exactly the timer named among many due at the same instant, and counts what fired', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    const ids = ['a', 'b', 'c', 'd'].map((name) => clock.setTimer(5, () => order.push(name)));
    clock.setTimer(1, () => order.push('early'));
    clock.setTimer(9, () => order.push('late'));
    clock.clearTimer(ids[2]);
    clock.clearTimer(ids[2]); // a second clear of the same timer is ignored
    clock.clearTimer(ids[0]);
    await clock.runUntil(clock.now() + 10);
    expect(order).toEqual(['early', 'b', 'd', 'late']);
    expect(clock.firedTimers()).toBe(4);
    clock.clearTimer(ids[1]); // fired: ignored
    expect(clock.pendingTimers()).toBe(0);
  });

  it('shares one timer among sleeps due at the same instant set one after the other, keeping the order', async () => {
    // Arrange: three sleeps due at 5 ms in a row, a timer set at 5 ms, then two more sleeps at 5 ms,
    // and one at 6 ms.
    const clock = new VirtualClock();
    const order: string[] = [];
    const sleeps = ['a', 'b', 'c'].map((name) => clock.sleep(5).then(() => order.push(name)));
    clock.setTimer(5, () => order.push('timer'));
    sleeps.push(...['d', 'e'].map((name) => clock.sleep(5).then(() => order.push(name))));
    sleeps.push(clock.sleep(6).then(() => order.push(`f@${clock.now() - clock.start}`)));

    // Act
    await clock.runUntil(clock.now() + 10);
    await Promise.all(sleeps);

    // Assert: each woke at its instant, in the order set; 4 timers fired for 6 sleeps and a timer.
    expect(order).toEqual(['a', 'b', 'c', 'timer', 'd', 'e', 'f@6']);
    expect(clock.firedTimers()).toBe(4);
  });

  it('runs shared timers due at one instant on one timer, in the order set, whenever they were set', async () => {
    // Arrange: shared timers for 30 ms set at 0 ms, an ordinary timer between them, a shared one at
    // 10 ms for 30 ms (due at 40 ms), and, from the first to fire, a shared timer for 30 ms more.
    const clock = new VirtualClock();
    const order: string[] = [];
    const at = () => clock.now() - clock.start;
    clock.setSharedTimer(30, () => {
      order.push(`a@${at()}`);
      clock.setSharedTimer(30, () => order.push(`again@${at()}`));
    });
    clock.setTimer(30, () => order.push(`timer@${at()}`));
    clock.setSharedTimer(30, () => order.push(`b@${at()}`));
    clock.setTimer(10, () => clock.setSharedTimer(30, () => order.push(`c@${at()}`)));

    // Act
    await clock.runUntil(clock.now() + 100);

    // Assert: a and b on the first one's timer (before the ordinary one set between them); c and
    // again share the one due at 40 and 60 ms each: 5 timers fired, not 6.
    expect(order).toEqual(['a@30', 'b@30', 'timer@30', 'c@40', 'again@60']);
    expect(clock.firedTimers()).toBe(5);
  });

  it('binds setTimeout, clearTimeout and Date for code that reads the globals', async () => {
    const clock = new VirtualClock();
    const { setTimeout: st, clearTimeout: ct, Date: VDate } = clock.timerGlobals();
    const stamps: number[] = [];
    st(() => stamps.push(VDate.now()), 2_000);
    ct(st(() => stamps.push(-1), 1_000));
    await clock.runUntil(clock.now() + 5_000);
    expect(stamps).toEqual([clock.start + 2_000]);
    expect(new VDate().getTime()).toBe(clock.start + 5_000);
  });
});

describe('VirtualClock (paced)', () => {
  it('runs virtual time at speed times real time', async () => {
    const clock = new VirtualClock({ kind: 'paced', speed: 100 });
    const t0 = clock.now();
    await clock.sleep(2_000); // 2 virtual seconds = 20 real ms at speed 100
    const elapsed = clock.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(() => new VirtualClock({ kind: 'paced', speed: 0 })).toThrow(/speed must be > 0/);
    await expect(clock.runUntil(0)).rejects.toThrow(/discrete/);
  });

  it('charges no virtual time for real compute inside a Lambda invoke: no timeout under load', async () => {
    // At 100x, 300 real ms of compute would be 30 virtual s, thirty times this function's timeout.
    const clock = new VirtualClock({ kind: 'paced', speed: 100 });
    const lambda = new LambdaRuntime({
      clock,
      latency: LATENCY_PROFILES.fast,
      faults: new FaultSet(),
      timeoutMs: 1_000,
    });
    lambda.register('us-east-1', 'Busy', async () => {
      const began = clock.now();
      busy(300);
      const afterCompute = clock.now();
      await clock.track(async () => {
        busy(100);
        await realSleep(20); // real I/O, as dynalite's
      });
      await clock.sleep(50); // one modelled API call
      return { compute: afterCompute - began, charged: clock.now() - began };
    });
    try {
      const result = await lambda.invoke('us-east-1', 'Busy', {});
      // Only the modelled 50 ms: neither the compute nor the tracked I/O became virtual time.
      expect(result).toEqual({ compute: 0, charged: 50 });
    } finally {
      clock.dispose();
    }
  });

  it('stands still while tracked I/O is in flight', async () => {
    const clock = new VirtualClock({ kind: 'paced', speed: 1_000 });
    try {
      const before = clock.now();
      const during = await clock.track(async () => {
        await realSleep(30);
        busy(30);
        return clock.now();
      });
      expect(during).toBe(before);
    } finally {
      clock.dispose();
    }
  });

  it('never runs ahead of real time x speed and never fires a timer early, even after a stall', async () => {
    const speed = 200;
    const realBefore = performance.now();
    const clock = new VirtualClock({ kind: 'paced', speed });
    // Virtual ms since the start that real time x speed allows at most, right now.
    const allowed = () => (performance.now() - realBefore) * speed;
    const seen: { due: number; at: number; allowed: number }[] = [];
    const fired: number[] = [];
    try {
      const delays = [0, 400, 1_000, 1_000, 2_500, 4_000];
      const done = delays.map(
        (delay, index) =>
          new Promise<void>((resolve) => {
            const due = clock.now() + delay;
            clock.setTimer(delay, () => {
              seen.push({ due: due - clock.start, at: clock.now() - clock.start, allowed: allowed() });
              fired.push(index);
              // A stall of 50 real ms (10 virtual s) in the first timer: later ones must still wait.
              if (index === 0) busy(50);
              resolve();
            });
          }),
      );
      await Promise.all(done);
      expect(fired).toEqual([0, 1, 2, 3, 4, 5]);
      for (const { due, at, allowed: bound } of seen) {
        expect(at).toBe(due);
        expect(at).toBeLessThanOrEqual(bound);
      }
      expect(clock.now() - clock.start).toBeLessThanOrEqual(allowed());
    } finally {
      clock.dispose();
    }
  });

  it('fires nothing after dispose', async () => {
    const clock = new VirtualClock({ kind: 'paced', speed: 1_000 });
    let fired = false;
    clock.setTimer(10, () => {
      fired = true;
    });
    clock.dispose();
    await realSleep(30);
    expect(fired).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });
});

import type { Clock } from '../functions/core/clock.js';

/**
 * The sandbox's virtual clock (design.md §5).
 *
 * - **discrete** (simulate, tests): virtual time jumps to the next timer only when nothing is in
 *   flight: no tracked real I/O (DynamoDB over the wire to dynalite) and no pending JavaScript work
 *   (checked by letting the event loop turn twice with nothing new happening). A run gives the
 *   same timings on a slow or a fast machine: real compute time never leaks into virtual time.
 * - **paced** (the interactive sandbox): virtual time runs at `speed` times real time.
 *
 * Everything that takes time in the sandbox (simulated AWS latency, Wait states, retries, Lambda
 * invokes) is a timer on this clock.
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly queue: Timer[] = [];
  private readonly realTimers = new Map<number, NodeJS.Timeout>();
  private seq = 0;
  private inflight = 0;
  private generation = 0;
  private drained: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly realStart = performance.now();
  private fired = 0;

  /** Epoch ms at which virtual time starts. */
  readonly start: number;

  constructor(
    readonly mode: { kind: 'discrete' } | { kind: 'paced'; speed: number } = { kind: 'discrete' },
    start = Date.UTC(2026, 0, 1),
  ) {
    if (mode.kind === 'paced' && !(mode.speed > 0))
      throw new RangeError(`speed must be > 0, got ${mode.speed}`);
    this.start = start;
    this.current = start;
  }

  now(): number {
    if (this.mode.kind === 'paced') {
      return Math.round(this.start + (performance.now() - this.realStart) * this.mode.speed);
    }
    return this.current;
  }

  /** Seconds of virtual time since the clock started. */
  elapsedSeconds(at = this.now()): number {
    return (at - this.start) / 1000;
  }

  /** Runs `fn` after `delayMs` of virtual time. Returns a handle for {@link clearTimer}. */
  setTimer(delayMs: number, fn: () => void): number {
    const id = ++this.seq;
    const delay = Math.max(0, Number.isFinite(delayMs) ? delayMs : 0);
    this.generation++;
    if (this.mode.kind === 'paced') {
      const speed = this.mode.speed;
      const at = this.now() + delay;
      // Real timers may fire a little early against performance.now(): wait out the remainder.
      const arm = () => {
        this.realTimers.set(
          id,
          setTimeout(
            () => {
              if (this.now() < at) return arm();
              this.realTimers.delete(id);
              fn();
            },
            (at - this.now()) / speed,
          ),
        );
      };
      arm();
      return id;
    }
    const timer: Timer = { id, at: this.current + delay, fn };
    // Keep the queue sorted by (at, id): timers due at the same instant fire in the order set.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = this.queue[mid] as Timer;
      if (other.at <= timer.at) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, timer);
    return id;
  }

  clearTimer(id: number | undefined): void {
    if (id === undefined) return;
    this.generation++;
    const real = this.realTimers.get(id);
    if (real) {
      clearTimeout(real);
      this.realTimers.delete(id);
      return;
    }
    const index = this.queue.findIndex((t) => t.id === id);
    if (index >= 0) this.queue.splice(index, 1);
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** Marks real asynchronous work (I/O outside the simulation) as in flight until it settles. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inflight++;
    this.generation++;
    try {
      return await work();
    } finally {
      this.inflight--;
      this.generation++;
      if (this.inflight === 0 && this.drained) {
        this.drained.resolve();
        this.drained = undefined;
      }
    }
  }

  /** Waits until nothing is in flight and the event loop has turned twice with nothing new. */
  async settle(): Promise<void> {
    let quietTurns = 0;
    while (quietTurns < 2) {
      if (this.inflight > 0) {
        if (!this.drained) {
          let resolve!: () => void;
          const promise = new Promise<void>((r) => {
            resolve = r;
          });
          this.drained = { promise, resolve };
        }
        await this.drained.promise;
        quietTurns = 0;
        continue;
      }
      const before = this.generation;
      await new Promise<void>((r) => setImmediate(r));
      quietTurns = this.inflight === 0 && before === this.generation ? quietTurns + 1 : 0;
    }
  }

  /**
   * Discrete mode: fires timers in time order until virtual time would pass `until` (epoch ms) or
   * `stop()` says so, settling between timers. Time ends at `until` if the queue empties first.
   */
  async runUntil(until: number, stop: () => boolean = () => false): Promise<void> {
    if (this.mode.kind !== 'discrete')
      throw new Error('runUntil drives a discrete clock; a paced clock runs itself');
    for (;;) {
      await this.settle();
      if (stop()) return;
      const next = this.queue[0];
      if (!next || next.at > until) {
        this.current = Math.max(this.current, until);
        return;
      }
      this.queue.shift();
      this.current = Math.max(this.current, next.at);
      // Every simulated process is bounded; this guards the simulator itself against a runaway loop.
      if (++this.fired > MAX_TIMERS_PER_CLOCK)
        throw new Error(`virtual clock fired over ${MAX_TIMERS_PER_CLOCK} timers`);
      this.generation++;
      next.fn();
    }
  }

  /** Discrete mode: runs until `promise` settles (or `limitMs` of virtual time pass), and returns it. */
  async runFor<T>(promise: Promise<T>, limitMs = 24 * 3600_000): Promise<T> {
    let done = false;
    const watched = promise.finally(() => {
      done = true;
    });
    // Attach a handler now, so that a rejection is not reported as unhandled while time runs.
    watched.catch(() => undefined);
    await this.runUntil(this.now() + limitMs, () => done);
    if (!done) throw new Error(`still running after ${limitMs / 1000} virtual seconds`);
    return watched;
  }

  /** Cancels every pending timer (a paced clock's are real ones): nothing fires after this. */
  dispose(): void {
    for (const timer of this.realTimers.values()) clearTimeout(timer);
    this.realTimers.clear();
    this.queue.length = 0;
  }

  /** Timers pending (discrete mode). */
  pendingTimers(): number {
    return this.queue.length;
  }

  /**
   * `setTimeout`/`clearTimeout`/`Date` bound to this clock, for code that reads the global ones
   * (the Step Functions interpreter: its Wait states, retry intervals and task timeouts).
   */
  timerGlobals(): {
    setTimeout: typeof setTimeout;
    clearTimeout: typeof clearTimeout;
    Date: DateConstructor;
  } {
    const clock = this;
    const setT = ((fn: () => void, ms?: number) =>
      clock.setTimer(ms ?? 0, fn)) as unknown as typeof setTimeout;
    const clearT = ((id: number | undefined) => clock.clearTimer(id)) as unknown as typeof clearTimeout;
    class VirtualDate extends Date {
      constructor(...args: unknown[]) {
        if (args.length === 0) super(clock.now());
        else super(...(args as [string | number]));
      }
      static override now(): number {
        return clock.now();
      }
    }
    return { setTimeout: setT, clearTimeout: clearT, Date: VirtualDate as DateConstructor };
  }
}

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

const MAX_TIMERS_PER_CLOCK = 5_000_000;

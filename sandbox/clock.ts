import type { Clock } from '../functions/core/clock.js';

/**
 * The sandbox's virtual clock (README, "The sandbox").
 *
 * Both modes keep one queue of timers and advance virtual time only between settled moments:
 * nothing in flight, that is no tracked real I/O (DynamoDB over the wire to dynalite) and no
 * pending JavaScript work (checked by letting the event loop turn twice with nothing new
 * happening). This machine's compute time therefore never becomes virtual time.
 *
 * - **discrete** (simulate, tests): virtual time jumps to the next timer as soon as everything has
 *   settled ({@link VirtualClock.runUntil}). A run gives the same timings on a slow or a fast
 *   machine.
 * - **paced** (the interactive sandbox): the clock drives itself. Virtual time is frozen while work
 *   is in flight and, once it has settled, moves towards real time × `speed`, firing every timer due
 *   by then in time order (settling after each). So virtual time never runs ahead of real time ×
 *   `speed`, a timer never fires before its virtual instant nor before the real instant it maps to,
 *   and a busy or loaded machine makes virtual time lag (then catch up), never skip a deadline.
 *
 * Everything that takes time in the sandbox (simulated AWS latency, Wait states, retries, Lambda
 * invokes) is a timer on this clock.
 */
export class VirtualClock implements Clock {
  private current: number;
  /** Pending timers, sorted by (at, id). */
  private readonly queue: Timer[] = [];
  /** The same pending timers by id, so that clearing one costs a binary search, not a scan. */
  private readonly pending = new Map<number, Timer>();
  private seq = 0;
  private inflight = 0;
  private generation = 0;
  private drained: { promise: Promise<void>; resolve: () => void } | undefined;
  private fired = 0;
  /** The latest timer {@link sleep} set, which the next sleep due at the same instant may share. */
  private lastSleep:
    | { readonly id: number; readonly at: number; readonly promise: Promise<void> }
    | undefined;
  /** Timers {@link setSharedTimer} set, by the instant they are due (virtual epoch ms). */
  private readonly shared = new Map<number, { readonly id: number; readonly fns: (() => void)[] }>();
  /** Paced mode: real ms (performance.now()) at which virtual time was `start`. */
  private readonly realStart = performance.now();
  /** Paced mode: the driver has fired everything due and waits, so virtual time follows real time. */
  private idle = false;
  /** Paced mode: wakes the driver from its wait (a timer was set or cleared, work began). */
  private wakeDriver: (() => void) | undefined;
  /** Paced mode: the driver's one real timer, for the next timer's real instant. */
  private realTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  /** Epoch ms at which virtual time starts. */
  readonly start: number;
  /** Times read from this clock are virtual (see {@link Clock.virtual}). */
  readonly virtual = true;

  /**
   * @param mode `discrete` (driven by {@link runUntil}/{@link runFor}) or `paced` at `speed` virtual
   *   ms per real ms (> 0), which drives itself from construction until {@link dispose}.
   * @param start virtual epoch ms at which the clock starts.
   */
  constructor(
    readonly mode: { kind: 'discrete' } | { kind: 'paced'; speed: number } = { kind: 'discrete' },
    start = Date.UTC(2026, 0, 1),
  ) {
    if (mode.kind === 'paced' && !(mode.speed > 0))
      throw new RangeError(`speed must be > 0, got ${mode.speed}`);
    this.start = start;
    this.current = start;
    if (mode.kind === 'paced') void this.drive(mode.speed);
  }

  /**
   * Virtual epoch ms. On a paced clock that waits with nothing due, reading it (as any new work
   * does) takes the time real time × speed has reached, bounded by the next timer, and holds it
   * there until that work has settled.
   */
  now(): number {
    if (this.idle) this.wake();
    return this.current;
  }

  /** Seconds of virtual time since the clock started. */
  elapsedSeconds(at = this.now()): number {
    return (at - this.start) / 1000;
  }

  /**
   * Runs `fn` after `delayMs` virtual ms (never earlier, and on a paced clock never before the real
   * instant that virtual time maps to). Returns a handle for {@link clearTimer}.
   */
  setTimer(delayMs: number, fn: () => void): number {
    const id = ++this.seq;
    const delay = Math.max(0, Number.isFinite(delayMs) ? delayMs : 0);
    this.generation++;
    const timer: Timer = { id, at: this.now() + delay, fn };
    // Keep the queue sorted by (at, id): timers due at the same instant fire in the order set.
    this.queue.splice(this.firstAfter(timer.at), 0, timer);
    this.pending.set(id, timer);
    return id;
  }

  /**
   * Runs `fn` after `delayMs` virtual ms, as {@link setTimer} does, but sharing one timer with
   * every other `fn` set through this method for the same instant: they run one after the other,
   * in the order set, at the first one's place in the queue, and virtual time settles once after
   * them all instead of after each. For periodic work of many independent actors (Route 53's
   * health checkers: every check of every app each interval), which cannot be cancelled.
   */
  setSharedTimer(delayMs: number, fn: () => void): void {
    const at = this.now() + Math.max(0, Number.isFinite(delayMs) ? delayMs : 0);
    const batch = this.shared.get(at);
    if (batch && this.pending.has(batch.id)) {
      batch.fns.push(fn);
      return;
    }
    const fns = [fn];
    const id = this.setTimer(delayMs, () => {
      this.shared.delete(at);
      for (const each of fns) each();
    });
    this.shared.set(at, { id, fns });
  }

  /** Cancels a timer set by {@link setTimer}; an unknown or fired one is ignored. */
  clearTimer(id: number | undefined): void {
    if (id === undefined) return;
    this.generation++;
    const timer = this.pending.get(id);
    if (!timer) return;
    this.pending.delete(id);
    // The timers due at its instant sit just before the first one due later, in the order set.
    for (let index = this.firstAfter(timer.at) - 1; index >= 0; index--) {
      const other = this.queue[index] as Timer;
      if (other.at !== timer.at) return;
      if (other.id === id) {
        this.queue.splice(index, 1);
        return;
      }
    }
  }

  /** The index of the first pending timer due after `at` (virtual epoch ms): a binary search. */
  private firstAfter(at: number): number {
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.queue[mid] as Timer).at <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Takes the first pending timer off the queue. */
  private takeNext(): Timer | undefined {
    const next = this.queue.shift();
    if (next) this.pending.delete(next.id);
    return next;
  }

  /**
   * Resolves after `ms` of virtual time. Sleeps due at the same instant, set one after the other
   * with no other timer set between them (a hundred apps' simulated calls made at once), share one
   * timer: they fire at the same instant, in the same order as before (the order they were set,
   * and before any timer set after them), but virtual time settles once after them all instead of
   * after each.
   */
  sleep(ms: number): Promise<void> {
    const at = this.now() + Math.max(0, Number.isFinite(ms) ? ms : 0);
    const last = this.lastSleep;
    if (last && last.at === at && last.id === this.seq && this.pending.has(last.id)) return last.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    const id = this.setTimer(ms, resolve);
    this.lastSleep = { id, at, promise };
    return promise;
  }

  /**
   * Marks real asynchronous work (I/O outside the simulation) as in flight until it settles:
   * virtual time stands still meanwhile, in both modes.
   */
  async track<T>(work: () => Promise<T>): Promise<T> {
    if (this.idle) this.wake();
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
      this.takeNext();
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

  /** Cancels every pending timer and stops a paced clock's driver: nothing fires after this. */
  dispose(): void {
    this.disposed = true;
    this.queue.length = 0;
    this.pending.clear();
    this.shared.clear();
    clearTimeout(this.realTimer);
    this.realTimer = undefined;
    this.wakeDriver?.();
  }

  /** Timers fired so far (discrete mode): the simulator's work in operations, not time. */
  firedTimers(): number {
    return this.fired;
  }

  /** Timers pending. */
  pendingTimers(): number {
    return this.queue.length;
  }

  /**
   * Paced mode: real time × speed as a virtual epoch ms, rounded down so that it is never ahead.
   */
  private pacedNow(speed: number): number {
    return Math.floor(this.start + (performance.now() - this.realStart) * speed);
  }

  /**
   * Paced mode, leaving the wait: new work is starting (or the next timer's real instant came), so
   * virtual time takes what real time × speed has reached, never past the next timer, and then
   * holds still until the driver has seen everything settle.
   */
  private wake(): void {
    if (!this.idle || this.mode.kind !== 'paced') return;
    this.idle = false;
    const next = this.queue[0];
    this.current = Math.max(this.current, Math.min(this.pacedNow(this.mode.speed), next?.at ?? Infinity));
    this.wakeDriver?.();
  }

  /**
   * Paced mode: the loop that moves virtual time. After everything has settled it fires, in time
   * order, each timer whose virtual instant real time × speed has reached, settling after each one;
   * with none due, virtual time takes real time × speed and the driver waits for the next timer's
   * real instant or for new work, whichever comes first.
   */
  private async drive(speed: number): Promise<void> {
    while (!this.disposed) {
      await this.settle();
      if (this.disposed) return;
      const reached = this.pacedNow(speed);
      const next = this.queue[0];
      if (next && next.at <= reached) {
        this.takeNext();
        this.current = Math.max(this.current, next.at);
        this.generation++;
        try {
          next.fn();
        } catch (error: unknown) {
          // A timer callback that throws must not stop time for everyone else; surface it as
          // setTimeout would, as an uncaught exception, after the driver has moved on.
          queueMicrotask(() => {
            throw error;
          });
        }
        continue;
      }
      this.current = Math.max(this.current, reached);
      this.idle = true;
      await new Promise<void>((resolve) => {
        this.wakeDriver = resolve;
        if (next) {
          // A real timer may fire a little early against performance.now(): the loop re-arms.
          const realAt = this.realStart + (next.at - this.start) / speed;
          this.realTimer = setTimeout(resolve, Math.max(1, Math.ceil(realAt - performance.now())));
        }
      });
      clearTimeout(this.realTimer);
      this.realTimer = undefined;
      this.wakeDriver = undefined;
      this.wake();
    }
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

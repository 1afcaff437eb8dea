/**
 * Time, as every handler and use case sees it. In AWS it is the system clock; in the sandbox it is
 * the simulator's virtual clock, so a failover's timings do not depend on this machine's speed.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** True for the sandbox's virtual clock: times read from it are virtual, not real. */
  readonly virtual?: boolean;
  /**
   * Waits `ms` milliseconds (real in AWS, virtual in the sandbox). Optional: a clock without it
   * (a test's fixed clock) cannot wait, and a use case that would wait returns at once instead.
   */
  sleep?(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** ISO 8601 form of a clock's current time. */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}

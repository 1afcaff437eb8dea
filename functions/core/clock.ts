/**
 * Time, as every handler and use case sees it. In AWS it is the system clock; in the sandbox it is
 * the simulator's virtual clock, so a failover's timings do not depend on this machine's speed.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** True for the sandbox's virtual clock: times read from it are virtual, not real. */
  readonly virtual?: boolean;
}

export const systemClock: Clock = { now: () => Date.now() };

/** ISO 8601 form of a clock's current time. */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}

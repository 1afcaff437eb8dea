// What a woken check may decide on: the read a wake carries (functions/runbook/wake-signal.ts), kept
// apart from the wake-ups themselves so that the checks (database.ts, prepare.ts) import neither
// wake.ts nor wake-promotion.ts, which starts promotions through database.ts (no import cycle).

/**
 * How old the waker's read carried in a wake may be for the woken check to decide on it, in
 * milliseconds (virtual in the sandbox): the token is answered right after the read, so a read
 * older than this means a slow hand-off, and the check reads RDS itself.
 */
export const WAKE_READ_FRESH_MS = 2_000;

/** Who made the read a wake carries, for the step's record: the event waker, or AwaitEvent itself. */
export function wakeReader(wake: { readonly by?: string } | undefined): string {
  if (wake?.by === 'already') return 'AwaitEvent (done when it parked)';
  // A shared read is the region poller's or an evacuation's (both run in RunEvacuation; the wake's
  // `detail` says which).
  return wake?.by === 'shared-read' ? 'a shared read (RunEvacuation)' : 'WakeOnEvent';
}

/** Whether a read carried in a wake (its ISO `readAt`) is fresh enough to decide on, at `now` (epoch ms). */
export function freshWakeRead(read: { readonly readAt: string } | undefined, now: number): boolean {
  if (!read) return false;
  const age = now - Date.parse(read.readAt);
  return age >= 0 && age <= WAKE_READ_FRESH_MS;
}

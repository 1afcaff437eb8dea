// What a woken check may decide on: the read a wake carries (functions/runbook/wake-signal.ts), kept
// apart from the wake-ups themselves so that the checks (database.ts, prepare.ts) import neither
// wake.ts nor wake-promotion.ts, which starts promotions through database.ts (no import cycle).
import * as z from '../core/zod.js';

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

/**
 * A DescribeGlobalClusters answer as a wake carries it (the shape of `GlobalClusterView`,
 * functions/runbook/ports/aurora.ts) and the ISO time its call was made (`readAt`): what the
 * capacity branch read beside its sight of the last group ready, handed to the database branch it
 * wakes, whose capacity gate decides on it while it is fresh ({@link freshWakeRead}) instead of
 * reading the same again (docs/architecture.md, "Wake-ups").
 */
export const GlobalClusterRead = z.object({
  view: z.object({
    id: z.string().check(z.minLength(1)),
    engineVersion: z.optional(z.string()),
    status: z.string(),
    members: z
      .array(
        z.object({
          clusterArn: z.string().check(z.minLength(1)),
          region: z.string().check(z.minLength(1)),
          isWriter: z.boolean(),
          synchronizationStatus: z.optional(z.string()),
        }),
      )
      .check(z.maxLength(16)),
    writerRegion: z.optional(z.string()),
    failover: z.optional(
      z.object({
        status: z.string(),
        fromClusterArn: z.string(),
        toClusterArn: z.string(),
        isDataLossAllowed: z.boolean(),
      }),
    ),
  }),
  readAt: z.string().check(z.minLength(1)),
});
export type GlobalClusterRead = z.infer<typeof GlobalClusterRead>;

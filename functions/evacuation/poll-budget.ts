// The region poller's cadence (docs/architecture.md, "The region poller"): as fast as a stated share
// of each service's sustained API rate allows, never faster than a floor, slower after throttling.
// One place for the numbers; region-poller.ts applies them pass by pass.

/** The fastest the poller reads, in milliseconds (virtual in the sandbox): one app's failover. */
export const POLL_FLOOR_MS = 250;

/** The share of each service's sustained API rate the poller may spend (the rest is the runs'). */
export const POLL_SHARE = 0.25;

/**
 * The sustained rate (calls per second per account and region) the poller budgets against, by the
 * service its reads call: the rates the sandbox models (`sandbox/quotas.ts`), from
 * - `rds`: Amazon RDS User Guide, "Request throttling for the Amazon RDS API"
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-api-throttling.html): "up to 300
 *   requests in a burst and a sustained 12 requests per second", one bucket for every RDS call.
 * - `autoscaling`: not published (AWS Knowledge Center, "Why are my Amazon EC2 Auto Scaling API
 *   calls throttled?", https://repost.aws/knowledge-center/autoscaling-api-calls-throttled); the
 *   sandbox's `UNPUBLISHED` bucket, Amazon EC2's smallest describe bucket: 20 per second.
 *
 * The load balancer's `DescribeTargetHealth` (one target group a call) is not budgeted: the
 * sandbox models no ELB rate, and the ELB User Guide gives only an example bucket (10 per second,
 * "Request throttling for the ELB API"); 100 apps' capacity waits cost 100 such calls a pass, as
 * they did at the poller's former fixed second (docs/performance.md says so).
 */
export const SUSTAINED_PER_SECOND = { rds: 12, autoscaling: 20 } as const;

/** A service the poller reads, as {@link SUSTAINED_PER_SECOND} names it. */
export type PolledService = keyof typeof SUSTAINED_PER_SECOND;

/** Calls of one pass, by service (the batched reads: one DescribeGlobalClusters for every cluster). */
export type PassCalls = Partial<Record<PolledService, number>>;

/** The longest the poller backs off after throttled passes, in milliseconds. */
export const POLL_BACKOFF_MAX_MS = 8_000;

/**
 * How long one invocation of PollRegion keeps passing, in milliseconds (virtual in the sandbox),
 * before it returns to its state machine: Step Functions' Wait state takes whole seconds only
 * ("Wait workflow state": `Seconds`/`SecondsPath` an integer), so passes faster than a second run
 * inside the Lambda, well within its 30 s timeout and the Task's 60 s.
 */
export const POLL_BURST_MS = 10_000;

/**
 * Milliseconds from one pass's start to the next: `max(floor, calls / (share × rate))` over the
 * services the pass called, so that the poller's calls per second stay within
 * {@link POLL_SHARE} of each rate whatever the number of parked apps, and at least `backoffMs` (the
 * throttling back-off, {@link nextBackoffMs}). One DescribeGlobalClusters a pass: 333 ms (3 RDS
 * calls a second of 12).
 */
export function pollIntervalMs(calls: PassCalls, backoffMs = 0): number {
  let interval = Math.max(POLL_FLOOR_MS, backoffMs);
  for (const service of Object.keys(SUSTAINED_PER_SECOND) as PolledService[]) {
    const n = calls[service] ?? 0;
    if (n > 0) interval = Math.max(interval, (n / (POLL_SHARE * SUSTAINED_PER_SECOND[service])) * 1000);
  }
  return Math.ceil(interval);
}

/**
 * The back-off after a pass (milliseconds): doubled from a second when AWS throttled one of its
 * reads (up to {@link POLL_BACKOFF_MAX_MS}), halved after a clean pass, gone below the floor.
 */
export function nextBackoffMs(backoffMs: number, throttled: boolean): number {
  if (throttled) return Math.min(POLL_BACKOFF_MAX_MS, Math.max(1_000, backoffMs * 2));
  const halved = backoffMs / 2;
  return halved < POLL_FLOOR_MS ? 0 : halved;
}

import type { HealthCheckObservation, HealthCheckRegion } from '@aws-sdk/client-route-53';
import { beginOperation, type SimContext } from './simulator.js';

/**
 * Route 53's health checkers, as the simulator models them: one checker per checker region, each
 * requesting the endpoint every interval on its own and changing its own view after
 * `failureThreshold` consecutive results the other way; the endpoint is healthy while more than
 * 18% of the checkers see it healthy.
 *
 * Source: Route 53 Developer Guide, "How Amazon Route 53 determines whether a health check is
 * healthy"
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html):
 * "If more than 18% of health checkers report that an endpoint is healthy, Route 53 considers it
 * healthy. If 18% of health checkers or fewer report that an endpoint is healthy, Route 53
 * considers it unhealthy"; checks run "every 10 seconds or every 30 seconds"; a checker uses
 * "the number of consecutive health checks that you specify (the failure threshold)".
 */

/**
 * The default checker regions (Route 53 API Reference, HealthCheckConfig, `Regions`: when none are
 * given, Route 53 checks from all of these; the SDK model's `HealthCheckRegion` enumerates them).
 */
export const CHECKER_REGIONS: readonly HealthCheckRegion[] = [
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
];

/** An endpoint is healthy while MORE than this share of checkers say so (Developer Guide, above). */
export const HEALTHY_CHECKER_SHARE = 0.18;

/** Whether `healthy` of `total` checkers reporting healthy makes an endpoint healthy. */
export function healthyByCheckers(healthy: number, total: number): boolean {
  return total > 0 && healthy > HEALTHY_CHECKER_SHARE * total;
}

/** One checker's view of an endpoint. */
interface Checker {
  readonly region: HealthCheckRegion;
  /** Its thresholded status. */
  healthy: boolean;
  /** Consecutive results that disagree with `healthy`. */
  streak: number;
  /** Its last result (what GetHealthCheckStatus reports). */
  lastResult: boolean;
  lastCheckedAt: number;
}

/**
 * How one endpoint health check probes: what the endpoint answers, which checkers reach it and run,
 * its request interval (`intervalMs`, virtual milliseconds) and `failureThreshold` (consecutive
 * results that flip its status), and whom to tell when its status flips.
 */
export interface EndpointProbeOptions {
  /** What the endpoint answers a checker that reaches it: healthy or not (may read state). */
  readonly answer: () => boolean | Promise<boolean>;
  /** Whether a checker in `checkerRegion` reaches the endpoint now (outages, partial impairments). */
  readonly reachable: (checkerRegion: HealthCheckRegion) => boolean;
  /** Whether the checker of `checkerRegion` runs now (a checker in a region that is down does not). */
  readonly checkerUp: (checkerRegion: HealthCheckRegion) => boolean;
  readonly intervalMs: number;
  readonly failureThreshold: number;
  /** Called when the aggregate status flips. */
  readonly onStatusChange: () => void;
  /**
   * The app whose traffic the check decides. The checkers' detection time (from the first check
   * that sees a new answer to the status flip, `failureThreshold` checks later) is then Route 53's
   * work, attributed to the app as an AWS operation, so that `awsBusySeconds` counts it and the
   * control plane's time does not.
   */
  readonly app?: string;
}

/**
 * An endpoint checked by every checker region. The endpoint's answer is computed once per
 * interval (every checker that reaches it gets the same answer); checkers that cannot reach it see
 * a timeout. Status starts healthy, as a new health check's does once checkers have run.
 */
export class EndpointProbe {
  private readonly checkers: Checker[];
  private status = true;
  private stopped = false;
  /** Ends the detection operation in progress, if any. */
  private detecting: (() => void) | undefined;

  constructor(
    private readonly ctx: SimContext,
    private readonly options: EndpointProbeOptions,
  ) {
    const now = ctx.clock.now();
    this.checkers = CHECKER_REGIONS.map((region) => ({
      region,
      healthy: true,
      streak: 0,
      lastResult: true,
      lastCheckedAt: now,
    }));
    ctx.clock.setSharedTimer(options.intervalMs, () => this.tick());
  }

  /** The aggregate status DNS uses: more than 18% of checkers healthy. */
  get healthy(): boolean {
    return this.status;
  }

  /** Each checker's last observation, as GetHealthCheckStatus reports them. */
  observations(success: string, failure: string): HealthCheckObservation[] {
    return this.checkers.map((c, i) => ({
      Region: c.region,
      IPAddress: `15.177.${2 + i * 8}.${(i * 37) % 250}`,
      StatusReport: { Status: c.lastResult ? success : failure, CheckedTime: new Date(c.lastCheckedAt) },
    }));
  }

  /** Stops checking (the health check was deleted): no further request, no status change. */
  stop(): void {
    this.stopped = true;
    this.detecting?.();
    this.detecting = undefined;
  }

  private tick(): void {
    if (this.stopped) return;
    const reached = this.checkers.filter((c) => this.options.checkerUp(c.region));
    const needsAnswer = reached.some((c) => this.options.reachable(c.region));
    const answer = needsAnswer ? this.options.answer() : false;
    // An endpoint that answers at once (a target's health the model knows) is judged at once; one
    // that answers later (a health endpoint the sandbox's Lambda serves) when it has answered. A
    // tick of every check of every app each interval, 24,000 an hour for 100 apps, so the common
    // case makes no promise.
    if (typeof answer === 'boolean') {
      this.observe(reached, answer);
      this.next();
      return;
    }
    answer
      .catch(() => false)
      .then((answered) => this.observe(reached, answered))
      .finally(() => this.next());
  }

  /** Every checker that ran this interval records `answer` (or a timeout where it cannot reach). */
  private observe(reached: readonly Checker[], answer: boolean): void {
    const now = this.ctx.clock.now();
    for (const checker of reached) {
      const result = answer && this.options.reachable(checker.region);
      checker.lastResult = result;
      checker.lastCheckedAt = now;
      if (result === checker.healthy) checker.streak = 0;
      else if (++checker.streak >= this.options.failureThreshold) {
        checker.healthy = result;
        checker.streak = 0;
      }
    }
    const healthy = healthyByCheckers(this.checkers.filter((c) => c.healthy).length, this.checkers.length);
    const flipped = healthy !== this.status;
    if (flipped || !this.checkers.some((c) => c.streak > 0)) {
      this.detecting?.();
      this.detecting = undefined;
    } else {
      this.detecting ??= beginOperation(this.ctx, 'route53:health-check-detection', this.options.app);
    }
    if (flipped && !this.stopped) {
      this.status = healthy;
      this.options.onStatusChange();
    }
  }

  /**
   * The next request, an interval on. Every check of every app requests each interval: their
   * ticks due at one instant share a timer (VirtualClock.setSharedTimer), one settle for all.
   */
  private next(): void {
    if (!this.stopped) this.ctx.clock.setSharedTimer(this.options.intervalMs, () => this.tick());
  }
}

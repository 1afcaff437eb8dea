import type { AwsService } from '../functions/aws/clients.js';

/**
 * How long things take in the simulated AWS. `realistic` is what a failover in AWS looks like;
 * `fast` keeps every ordering of `realistic` but runs tests in little virtual time.
 *
 * Sources for `realistic` (numbers are typical values, not guarantees):
 * - Aurora global database (Aurora User Guide, "Using switchover or failover in Amazon Aurora
 *   Global Database", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html):
 *   failover: "Typically, the chosen secondary cluster assumes the primary role within a few
 *   minutes" (we take 2). Switchover: "Your database is unavailable for a short time while the
 *   primary and selected secondary clusters are assuming their new roles" (no figure published; we
 *   keep 90 s for the role change), after a wait for the secondaries to catch up that grows with
 *   their lag (the lag "is directly proportional to the time it takes for Aurora to complete the
 *   switchover": sandbox/aws/rds.ts). Other secondaries after a failover: "The duration of the
 *   complete rebuilding task can take a few minutes to several hours, depending on the size of
 *   the storage volume and the distance between the Regions" (we take 10 minutes, a small volume).
 *   Replication: "Aurora replicates data to the secondary AWS Regions with typical latency of under
 *   a second" (Aurora User Guide, "Working with Amazon Aurora Global Database",
 *   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html; we
 *   take 800 ms). AWS publishes no figure for RemoveFromGlobalCluster (we take 45 s), for
 *   CreateDBInstance of a reader from `creating` to `available` (we take 8 minutes) or for
 *   DeleteDBInstance (we take 5).
 * - EC2 Auto Scaling: AWS publishes no launch-to-InService time; it depends on the AMI and its
 *   bootstrap. We take 90 s for a new instance (launch, boot, user data). A warm pool exists for
 *   "applications that have exceptionally long boot times" and its instances are "pre-initialized"
 *   ("Decrease latency for applications with long boot times using warm pools",
 *   https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html): they
 *   skip the bootstrap. AWS publishes no start or resume time either, so we choose conservative
 *   ones: a Stopped instance starts in 30 s, a Hibernated one resumes in 20 s (RAM restored from
 *   the EBS root volume, no boot), a Running one passes Pending in 5 s. An instance returned to the
 *   pool on scale-in is deregistered and stopped in 60 s, as long as a termination. After a failed
 *   launch (InsufficientInstanceCapacity) Auto Scaling keeps trying; AWS publishes no interval, and
 *   we try again every 30 s.
 * - Elastic Load Balancing: an instance is registered with its target groups when it enters
 *   InService, and "after your target is registered, it must pass one health check to be
 *   considered healthy"; defaults HealthCheckIntervalSeconds 30, HealthyThresholdCount 5,
 *   UnhealthyThresholdCount 2 ("Health checks for Application Load Balancer target groups",
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 *   So a new target is healthy within one interval of registration; an unhealthy one needs 5 x 30 s.
 * - Route 53: a change is "generally" INSYNC "within 60 seconds"; standard health checks run every
 *   30 s with a failure threshold of 3 (Route 53 Developer Guide, ChangeResourceRecordSets,
 *   "How Amazon Route 53 determines whether a health check is healthy"); alias records to an ELB
 *   take the target's 60 s TTL.
 * - Route 53 ARC: routing control state changes are data-plane calls of ~100s of ms; the routing
 *   control health checks that DNS reads reflect a change within seconds (ARC Developer Guide,
 *   "Routing control in ARC").
 * - Control-plane API round trips of 100-300 ms; DynamoDB single-item writes under 10 ms within a
 *   region (DynamoDB Developer Guide); MRSC writes pay a cross-region round trip (~70 ms).
 * - Lambda: a warm invoke adds ~15-30 ms; a cold start of a Node.js function with an SDK bundle
 *   ~400-800 ms (Lambda Developer Guide, "Understanding the Lambda execution environment").
 * - Step Functions standard workflows: ~25-50 ms per state transition (observed, not documented).
 */
export interface LatencyProfile {
  readonly name: 'realistic' | 'fast';
  /**
   * How much faster than AWS this profile runs its long operations: 1 for realistic, 1/20 for
   * fast. API quotas (`sandbox/quotas.ts`) refill `1 / timeScale` times faster to match.
   */
  readonly timeScale: number;
  /** Round trip of one API call, per service. */
  readonly apiMs: Record<AwsService, number>;
  readonly lambda: { readonly warmInvokeMs: number; readonly coldInvokeMs: number };
  readonly stepFunctions: { readonly stateTransitionMs: number };
  readonly aurora: {
    readonly switchoverMs: number;
    readonly failoverMs: number;
    /** RemoveFromGlobalCluster: the detached cluster becomes a writable standalone cluster. */
    readonly detachMs: number;
    /** Steady-state replication lag between the writer and each secondary. */
    readonly replicationLagMs: number;
    /** CreateDBInstance of an Aurora reader, from `creating` to `available`. */
    readonly instanceCreateMs: number;
    /** DeleteDBInstance, from `deleting` to gone. */
    readonly instanceDeleteMs: number;
    /** A secondary rebuilt from a new primary (`pending-resync`) before it is `connected` again. */
    readonly secondaryRebuildMs: number;
  };
  readonly autoscaling: {
    /** A new instance from launch (Pending) to InService: EC2 launch, boot and bootstrap (virtual ms). */
    readonly launchMs: number;
    /**
     * A warm pool instance from leaving the pool (Pending) to InService, by the pool's state (virtual
     * ms): a Stopped instance starts (EBS root volume, OS boot, services), a Hibernated one resumes
     * its RAM from EBS, a Running one only passes through Pending.
     */
    readonly warmStartMs: { readonly Stopped: number; readonly Hibernated: number; readonly Running: number };
    readonly terminateMs: number;
    /** A scale-in instance returning to the warm pool (deregistered, then stopped) (virtual ms). */
    readonly warmReturnMs: number;
    /** How soon Auto Scaling tries again after a launch failed (virtual ms). */
    readonly launchRetryMs: number;
  };
  /** Elastic Load Balancing target groups (the ALB in front of each Auto Scaling group). */
  readonly elb: {
    /** HealthCheckIntervalSeconds, in ms: one health check of each target per interval. */
    readonly healthCheckIntervalMs: number;
    /** HealthyThresholdCount: consecutive passes for an unhealthy target to become healthy again. */
    readonly healthyThreshold: number;
    /** UnhealthyThresholdCount: consecutive failures for a target to become unhealthy. */
    readonly unhealthyThreshold: number;
  };
  readonly route53: {
    /** A change from PENDING to INSYNC. */
    readonly propagationMs: number;
    readonly healthCheckIntervalMs: number;
    readonly healthCheckFailureThreshold: number;
    /** How long resolvers keep an answer after the record or its health changes. */
    readonly dnsTtlMs: number;
    /** One DNS question answered by Route 53's name servers (its data plane). */
    readonly dnsQueryMs: number;
  };
  readonly arc: {
    /** From UpdateRoutingControlState to the routing control's health check reflecting it. */
    readonly healthCheckPropagationMs: number;
    /**
     * A safety rule's `WaitPeriodMs`: after a state change of one of its routing controls, every
     * update request against them fails for this long.
     */
    readonly safetyRuleWaitPeriodMs: number;
  };
  readonly cloudwatch: {
    /** A metric alarm's evaluation period. */
    readonly alarmPeriodMs: number;
  };
}

export const REALISTIC: LatencyProfile = {
  name: 'realistic',
  timeScale: 1,
  apiMs: {
    rds: 250,
    autoscaling: 200,
    elb: 150,
    route53: 300,
    arc: 150,
    cloudwatch: 120,
    dynamodb: 70,
    sfn: 100,
    events: 80,
  },
  lambda: { warmInvokeMs: 20, coldInvokeMs: 600 },
  stepFunctions: { stateTransitionMs: 30 },
  aurora: {
    switchoverMs: 90_000,
    failoverMs: 120_000,
    detachMs: 45_000,
    replicationLagMs: 800,
    instanceCreateMs: 480_000,
    instanceDeleteMs: 300_000,
    secondaryRebuildMs: 600_000,
  },
  autoscaling: {
    launchMs: 90_000,
    warmStartMs: { Stopped: 30_000, Hibernated: 20_000, Running: 5_000 },
    terminateMs: 60_000,
    warmReturnMs: 60_000,
    launchRetryMs: 30_000,
  },
  elb: { healthCheckIntervalMs: 30_000, healthyThreshold: 5, unhealthyThreshold: 2 },
  route53: {
    propagationMs: 45_000,
    healthCheckIntervalMs: 30_000,
    healthCheckFailureThreshold: 3,
    dnsTtlMs: 60_000,
    // Not published by AWS: Route 53 answers from anycast edge locations; tens of ms is typical.
    dnsQueryMs: 20,
  },
  arc: {
    healthCheckPropagationMs: 5_000,
    // AssertionRule.WaitPeriodMs: "An evaluation period, in milliseconds (ms), during which any
    // request against the target routing controls will fail. This helps prevent "flapping" of
    // state. The wait period is 5000 ms by default" (Route 53 ARC Recovery Control Config API
    // Reference, AssertionRule; the same words in the CloudFormation reference,
    // "AWS::Route53RecoveryControl::SafetyRule AssertionRule",
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-route53recoverycontrol-safetyrule-assertionrule.html).
    safetyRuleWaitPeriodMs: 5_000,
  },
  cloudwatch: { alarmPeriodMs: 60_000 },
};

/** Fields of a profile that are not durations to scale: counts, and the lag the RPO reports. */
const UNSCALED = new Set([
  'healthCheckFailureThreshold',
  'healthyThreshold',
  'unhealthyThreshold',
  'replicationLagMs',
]);
/** Groups and fields that are round trips (an API call, an invoke, a transition, a DNS answer). */
const ROUND_TRIPS = new Set(['apiMs', 'lambda', 'stepFunctions', 'dnsQueryMs']);
/** The fast profile divides long operations by 20 and round trips by 10. */
const FAST_DURATIONS = 20;
const FAST_ROUND_TRIPS = 10;

/**
 * The fast profile, derived from `realistic` (the one table of figures): every long operation
 * divided by {@link FAST_DURATIONS} and every round trip by {@link FAST_ROUND_TRIPS}, counts and the
 * replication lag kept. Orderings are kept (a round trip stays shorter than any operation), and a
 * test runs in little virtual time. A figure added to {@link LatencyProfile} is a duration unless
 * {@link UNSCALED} or {@link ROUND_TRIPS} names it; nested groups (e.g. per pool state) scale alike.
 */
export function fastProfile(realistic: LatencyProfile): LatencyProfile {
  const scale = (field: string, value: unknown, roundTrip: boolean): unknown => {
    if (typeof value === 'number') {
      if (UNSCALED.has(field)) return value;
      return value / (roundTrip || ROUND_TRIPS.has(field) ? FAST_ROUND_TRIPS : FAST_DURATIONS);
    }
    if (typeof value !== 'object' || value === null) return value;
    const inner = roundTrip || ROUND_TRIPS.has(field);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scale(k, v, inner)]));
  };
  const groups = Object.entries(realistic).map(([group, value]) => [group, scale(group, value, false)]);
  return { ...(Object.fromEntries(groups) as LatencyProfile), name: 'fast', timeScale: 1 / FAST_DURATIONS };
}

export const FAST: LatencyProfile = fastProfile(REALISTIC);

export const LATENCY_PROFILES = { realistic: REALISTIC, fast: FAST } as const;
export type LatencyProfileName = keyof typeof LATENCY_PROFILES;

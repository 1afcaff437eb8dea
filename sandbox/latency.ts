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
 * - EC2 Auto Scaling: a new instance boots and passes its ELB health check in roughly 2 minutes
 *   for a typical AMI with a 60 s health check grace period; a warm pool's stopped instance
 *   resumes in tens of seconds ("Warm pools for Amazon EC2 Auto Scaling").
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
    /** A new instance from launch to InService and Healthy. */
    readonly launchMs: number;
    /** A warm pool (stopped) instance from launch to InService. */
    readonly warmPoolLaunchMs: number;
    readonly terminateMs: number;
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
  };
  readonly cloudwatch: {
    /** A metric alarm's evaluation period. */
    readonly alarmPeriodMs: number;
  };
}

export const REALISTIC: LatencyProfile = {
  name: 'realistic',
  apiMs: {
    rds: 250,
    autoscaling: 200,
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
  autoscaling: { launchMs: 120_000, warmPoolLaunchMs: 35_000, terminateMs: 60_000 },
  route53: {
    propagationMs: 45_000,
    healthCheckIntervalMs: 30_000,
    healthCheckFailureThreshold: 3,
    dnsTtlMs: 60_000,
    // Not published by AWS: Route 53 answers from anycast edge locations; tens of ms is typical.
    dnsQueryMs: 20,
  },
  arc: { healthCheckPropagationMs: 5_000 },
  cloudwatch: { alarmPeriodMs: 60_000 },
};

/** The realistic profile divided by 20 (and round trips by 10): same shape, little virtual time. */
export const FAST: LatencyProfile = {
  name: 'fast',
  apiMs: {
    rds: 25,
    autoscaling: 20,
    route53: 30,
    arc: 15,
    cloudwatch: 12,
    dynamodb: 7,
    sfn: 10,
    events: 8,
  },
  lambda: { warmInvokeMs: 2, coldInvokeMs: 60 },
  stepFunctions: { stateTransitionMs: 3 },
  aurora: {
    switchoverMs: 4_500,
    failoverMs: 6_000,
    detachMs: 2_250,
    replicationLagMs: 800,
    instanceCreateMs: 24_000,
    instanceDeleteMs: 15_000,
    secondaryRebuildMs: 30_000,
  },
  autoscaling: { launchMs: 6_000, warmPoolLaunchMs: 1_750, terminateMs: 3_000 },
  route53: {
    propagationMs: 2_250,
    healthCheckIntervalMs: 1_500,
    healthCheckFailureThreshold: 3,
    dnsTtlMs: 3_000,
    dnsQueryMs: 2,
  },
  arc: { healthCheckPropagationMs: 250 },
  cloudwatch: { alarmPeriodMs: 3_000 },
};

export const LATENCY_PROFILES = { realistic: REALISTIC, fast: FAST } as const;
export type LatencyProfileName = keyof typeof LATENCY_PROFILES;

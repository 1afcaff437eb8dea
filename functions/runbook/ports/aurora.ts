/** The Aurora engines a plan names (their recommended lag metrics differ). */
export type AuroraEngine = 'aurora-postgresql' | 'aurora-mysql';

/** One member cluster of an Aurora global database. */
export interface GlobalClusterMember {
  readonly clusterArn: string;
  /** Parsed from the ARN. */
  readonly region: string;
  readonly isWriter: boolean;
  /** `connected` or `pending-resync`, when RDS reports it. */
  readonly synchronizationStatus?: string;
}

/** An Aurora global database as a runbook sees it. */
export interface GlobalClusterView {
  readonly id: string;
  /** The global database's engine version (its primary's), e.g. `16.4`, when RDS reports it. */
  readonly engineVersion?: string;
  /** e.g. `available`, `switching-over`, `failing-over`, `modifying`. */
  readonly status: string;
  readonly members: GlobalClusterMember[];
  /** The region of the writer member; absent while no member is the writer. */
  readonly writerRegion?: string;
  /** Present while a switchover or failover is under way. */
  readonly failover?: {
    /** `pending`, `failing-over` or `cancelling`. */
    readonly status: string;
    readonly fromClusterArn: string;
    readonly toClusterArn: string;
    /** True for a failover (data loss allowed), false for a switchover. */
    readonly isDataLossAllowed: boolean;
  };
}

/** One regional Aurora cluster. */
export interface ClusterView {
  readonly id: string;
  readonly arn: string;
  /** e.g. `available`, `modifying`, `failing-over`. */
  readonly status: string;
  /** e.g. `16.4`, when RDS reports it. */
  readonly engineVersion?: string;
  /** The global database it belongs to, if any. */
  readonly globalClusterId?: string;
  readonly instances: { readonly id: string; readonly isWriter: boolean }[];
}

/**
 * Aurora Global Database. Every method names the region whose RDS endpoint it calls. A failover,
 * a detach and the instance calls go to the TARGET cluster's region and refuse a cluster in
 * another region (static stability: a failover into region B is run by B and talks to B). A
 * switchover goes to the CURRENT PRIMARY's region, as AWS documents it (below); it needs a healthy
 * primary anyway.
 */
export interface AuroraGlobalClusters {
  /** DescribeGlobalClusters. ResourceNotFoundError when absent. */
  describeGlobalCluster(region: string, globalClusterId: string): Promise<GlobalClusterView>;
  /**
   * SwitchoverGlobalCluster: planned, RPO 0; the source must be healthy. `primaryRegion` is the
   * region of the current primary cluster: the Aurora User Guide's CLI example runs it with
   * `--region region_of_primary` ("Specify the AWS Region where the primary DB cluster of the
   * Aurora global database is running"; "Using switchover or failover in Amazon Aurora Global
   * Database", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
   * InvalidInputError when the target is in that same region (it would already be the primary).
   */
  switchover(primaryRegion: string, globalClusterId: string, targetClusterArn: string): Promise<void>;
  /**
   * FailoverGlobalCluster with AllowDataLoss: for when the writer's region is impaired. Called in
   * the target's region, as the same guide documents (`--region region_of_selected_secondary`), so
   * it needs nothing from the failed region.
   */
  failover(region: string, globalClusterId: string, targetClusterArn: string): Promise<void>;
  /** RemoveFromGlobalCluster: the last resort (detach-and-promote); the cluster becomes standalone. */
  detach(region: string, globalClusterId: string, clusterArn: string): Promise<void>;
  /** DescribeDBInstances of one cluster: each instance and its status (`creating`, `available`, ...). */
  instances(region: string, clusterArn: string): Promise<{ readonly id: string; readonly status: string }[]>;
  /**
   * CreateDBInstance: adds a reader to a cluster (pilot light: a headless secondary needs one
   * before it can be promoted). Idempotent: an instance of that id already there is success.
   */
  addReader(
    region: string,
    clusterArn: string,
    instanceId: string,
    instanceClass: string,
    engine: string,
  ): Promise<void>;
  /**
   * Fences a cluster by deleting every instance it has (DeleteDBInstance each): it then takes no
   * connections, and its volume keeps its data. Idempotent: an instance already deleting or gone
   * is fenced. Returns the instance ids it found. Mutates only `region`'s own cluster.
   */
  removeInstances(region: string, clusterArn: string): Promise<string[]>;
  /** DescribeDBClusters for one cluster. ResourceNotFoundError when absent. */
  describeCluster(region: string, clusterIdOrArn: string): Promise<ClusterView>;
  /**
   * DescribeGlobalClusters without an identifier, every page: every global cluster of the account
   * as `region`'s RDS describes it (batched reads: one call answers every app's global cluster).
   * Optional: a port without it is read one global cluster at a time.
   */
  describeGlobalClusters?(region: string): Promise<GlobalClusterView[]>;
  /**
   * DescribeDBClusters with the `db-cluster-id` filter (identifiers or ARNs), at most 100 a call:
   * the named clusters of `region` that exist (absent ones are left out, not an error). Optional:
   * a port without it is read one cluster at a time.
   */
  describeClusters?(region: string, clusterIdsOrArns: readonly string[]): Promise<ClusterView[]>;
}

/**
 * The replication lag of Aurora secondaries: a CloudWatch metric, a port apart from
 * {@link AuroraGlobalClusters} (the RDS API) so that a function that reads no lag (PrepareDatabase,
 * CheckPrepare) carries no CloudWatch client.
 */
export interface AuroraReplicationLag {
  /**
   * The replication lag of a secondary cluster, in ms: the most recent datapoint (1-minute
   * Maximum) in the 5 minutes ({@link LAG_FRESH_MS}) before `now` (epoch ms), or undefined when
   * there is none (as while the primary's region is down). `region` is the secondary's: the metric is published there.
   * The metric is the one AWS recommends for the engine (`lagMetricFor` in functions/aws/aurora-lag.ts).
   */
  replicationLagMs(
    region: string,
    clusterIdOrArn: string,
    now: number,
    engine?: AuroraEngine,
  ): Promise<number | undefined>;
  /**
   * {@link replicationLagMs} of each of `clusters` (all in `region`), in order, read together
   * (one GetMetricData per 500). Optional: a port without it reads one cluster at a time.
   */
  replicationLagsMs?(
    region: string,
    clusters: readonly { readonly clusterIdOrArn: string; readonly engine?: AuroraEngine }[],
    now: number,
  ): Promise<(number | undefined)[]>;
  /**
   * The replication lag last published for a secondary cluster: the latest datapoint (1-minute
   * Maximum, ms) within CloudWatch's retention of 1-minute data before `now` (epoch ms), with the
   * time of its minute; undefined only when there is none at all. While the primary's region is
   * out the metric stops, so this is the lag last seen before it did: what an ungraceful
   * promotion's RPO rests on however long into an outage it starts. Optional: a port without it
   * is read through {@link replicationLagMs}.
   */
  lastReplicationLag?(
    region: string,
    clusterIdOrArn: string,
    now: number,
    engine?: AuroraEngine,
  ): Promise<LagReading | undefined>;
}

/** A replication lag datapoint: the lag in ms and the start of its 1-minute period (epoch ms). */
export interface LagReading {
  readonly lagMs: number;
  readonly at: number;
}

/**
 * How far back {@link AuroraReplicationLag.replicationLagMs} looks, in ms: 5 minutes. A datapoint
 * older than this is not the lag now (the metric has stopped): {@link
 * AuroraReplicationLag.lastReplicationLag} still reads it, labelled with its time.
 */
export const LAG_FRESH_MS = 5 * 60_000;

import { type AuroraEngine, type AuroraReplicationLag, LAG_FRESH_MS } from '../runbook/ports/aurora.js';
import type { MetricQuery } from '../runbook/ports/cloudwatch.js';
import { clusterIdentifier } from './aurora.js';
import type { ClientFactory } from './client-factory.js';
import { cloudWatchAlarms } from './cloudwatch.js';

export type { AuroraReplicationLag };

/**
 * The Aurora replication lag adapter: the lag metric in CloudWatch, apart from the RDS adapter
 * (`aurora.ts`), so that only the functions that read a lag carry the CloudWatch client.
 */

/**
 * How far back the last lag datapoint is looked for, in ms: CloudWatch keeps 1-minute datapoints
 * for 15 days ("Data points with a period of 60 seconds (1-minute) are available for 15 days":
 * CloudWatch API Reference, GetMetricData,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html). The
 * Aurora global database's lag metrics are a secondary's, published in its own region (the
 * Aurora User Guide's "Amazon CloudWatch metrics for Amazon Aurora", Cluster-level metrics, says
 * of them "This metric applies only to secondary AWS Regions",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html),
 * so the target of a failover still holds the history while the primary's region is out.
 */
const LAG_RETENTION_MS = 15 * 24 * 3600_000;

/**
 * The lag metric to read for an engine. "For all Aurora PostgreSQL-based global databases and for
 * Aurora MySQL-based global databases starting with engine versions 3.04.0 and higher or 2.12.0
 * and higher, use Amazon CloudWatch to view the `AuroraGlobalDBRPOLag` metric for all secondary DB
 * clusters. For lower minor versions of Aurora MySQL-based global databases, view the
 * `AuroraGlobalDBReplicationLag` metric instead." (Aurora User Guide, "Using switchover or
 * failover in Amazon Aurora Global Database"). The plan does not name the MySQL version, so MySQL
 * reads AuroraGlobalDBReplicationLag, which every version publishes.
 */
export function lagMetricFor(engine: AuroraEngine): 'AuroraGlobalDBRPOLag' | 'AuroraGlobalDBReplicationLag' {
  return engine === 'aurora-postgresql' ? 'AuroraGlobalDBRPOLag' : 'AuroraGlobalDBReplicationLag';
}

/** The replication lag of Aurora secondaries, read from CloudWatch in the secondary's region. */
export function auroraReplicationLag(clients: ClientFactory): AuroraReplicationLag {
  const metrics = cloudWatchAlarms(clients);
  /** The latest lag datapoint of a secondary within `windowMs` before `now`, in its own region. */
  const lagDatapoint = (
    region: string,
    clusterIdOrArn: string,
    now: number,
    engine: AuroraEngine,
    windowMs: number,
  ) => metrics.latestDatapoint(region, lagQuery(clusterIdOrArn, engine), now, windowMs);
  return {
    async replicationLagMs(region, clusterIdOrArn, now, engine = 'aurora-postgresql') {
      return (await lagDatapoint(region, clusterIdOrArn, now, engine, LAG_FRESH_MS))?.value;
    },

    async lastReplicationLag(region, clusterIdOrArn, now, engine = 'aurora-postgresql') {
      // One call: newest first, the whole retention; the latest datapoint is the lag last seen.
      const point = await lagDatapoint(region, clusterIdOrArn, now, engine, LAG_RETENTION_MS);
      return point && { lagMs: point.value, at: point.at };
    },

    async replicationLagsMs(region, clusters, now) {
      const queries = clusters.map((c) => lagQuery(c.clusterIdOrArn, c.engine ?? 'aurora-postgresql'));
      const points = metrics.latestDatapoints
        ? await metrics.latestDatapoints(region, queries, now, LAG_FRESH_MS)
        : await Promise.all(queries.map((q) => metrics.latestDatapoint(region, q, now, LAG_FRESH_MS)));
      return points.map((point) => point?.value);
    },
  };
}

/** The replication lag metric of a secondary cluster: the worst of each minute (an RPO estimate should not be optimistic). */
function lagQuery(clusterIdOrArn: string, engine: AuroraEngine): MetricQuery {
  return {
    namespace: 'AWS/RDS',
    metricName: lagMetricFor(engine),
    dimensions: { DBClusterIdentifier: clusterIdentifier(clusterIdOrArn) },
    stat: 'Maximum',
    periodSeconds: 60,
  };
}

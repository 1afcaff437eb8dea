import type { AuroraEngine, AuroraReplicationLag } from '../runbook/ports/aurora.js';
import { clusterIdentifier } from './aurora.js';
import type { ClientFactory } from './client-factory.js';
import { cloudWatchAlarms } from './cloudwatch.js';

export type { AuroraReplicationLag };

/**
 * The Aurora replication lag adapter: the lag metric in CloudWatch, apart from the RDS adapter
 * (`aurora.ts`), so that only the functions that read a lag carry the CloudWatch client.
 */

/** How far back a lag datapoint counts, in ms: older than this, the lag is unknown. */
const LAG_WINDOW_MS = 5 * 60_000;

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
  return {
    async replicationLagMs(region, clusterIdOrArn, now, engine = 'aurora-postgresql') {
      const point = await metrics.latestDatapoint(
        region,
        {
          namespace: 'AWS/RDS',
          metricName: lagMetricFor(engine),
          dimensions: { DBClusterIdentifier: clusterIdentifier(clusterIdOrArn) },
          // The worst lag of the latest minute: an RPO estimate should not be optimistic.
          stat: 'Maximum',
          periodSeconds: 60,
        },
        now,
        LAG_WINDOW_MS,
      );
      return point?.value;
    },
  };
}

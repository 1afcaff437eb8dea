import {
  CreateDBInstanceCommand,
  type DBCluster,
  DBClusterNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  type GlobalCluster,
  GlobalClusterNotFoundFault,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  InvalidGlobalClusterStateFault,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { InvalidInputError, ResourceBusyError, ResourceNotFoundError } from '../core/errors.js';
import type {
  AuroraEngine,
  AuroraGlobalClusters,
  ClusterView,
  GlobalClusterMember,
  GlobalClusterView,
} from '../runbook/ports/aurora.js';
import type { ClientFactory } from './client-factory.js';
import { RDS_CLIENT } from './sdk-clients/rds.js';
import { awsCall, type ErrorRule } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { AuroraEngine, AuroraGlobalClusters, ClusterView, GlobalClusterMember, GlobalClusterView };

/**
 * The most records one DescribeGlobalClusters or DescribeDBClusters page holds: "Default: 100",
 * "Constraints: Minimum 20, maximum 100" (MaxRecords in the SDK model, @aws-sdk/client-rds). The
 * `db-cluster-id` filter documents no limit on its values; a batch sends at most this many, so
 * one page answers it.
 */
const RDS_MAX_RECORDS = 100;

const RULES: readonly ErrorRule[] = [
  {
    when: InvalidGlobalClusterStateFault,
    as: ResourceBusyError,
    problem: 'the global cluster is not in a state that allows this operation',
    expected: 'global cluster status available',
  },
  {
    when: InvalidDBClusterStateFault,
    as: ResourceBusyError,
    problem: 'a member cluster is not in a state that allows this operation',
    expected: 'cluster status available',
  },
  {
    when: GlobalClusterNotFoundFault,
    as: ResourceNotFoundError,
    problem: 'global cluster not found',
    expected: 'an existing global cluster',
  },
  {
    when: DBClusterNotFoundFault,
    as: ResourceNotFoundError,
    problem: 'cluster not found',
    expected: 'an existing cluster',
  },
];

/** The Aurora Global Database adapter. */
export function auroraGlobalClusters(clients: ClientFactory): AuroraGlobalClusters {
  const rds = (region: string) => clients.client(RDS_CLIENT, region);

  const adapter: AuroraGlobalClusters = {
    async describeGlobalCluster(region, globalClusterId) {
      const output = await awsCall(
        { operation: 'DescribeGlobalClusters', region, resource: globalClusterId },
        RULES,
        () =>
          rds(region).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: globalClusterId })),
      );
      const cluster = output.GlobalClusters?.find((c) => c.GlobalClusterIdentifier === globalClusterId);
      if (!cluster) {
        throw new ResourceNotFoundError(
          `DescribeGlobalClusters ${globalClusterId} in ${region}: global cluster not found (got ${
            output.GlobalClusters?.length ?? 0
          } other cluster(s); expected ${globalClusterId})`,
        );
      }
      return toView(cluster);
    },

    async switchover(region, globalClusterId, targetClusterArn) {
      if (arnRegion(targetClusterArn) === region)
        throw new InvalidInputError(
          `SwitchoverGlobalCluster in ${region}: the target cluster is in the calling region (got ${targetClusterArn}; expected the region of the current primary, and a target in another region)`,
        );
      await awsCall(
        {
          operation: 'SwitchoverGlobalCluster',
          region,
          resource: `${globalClusterId} to ${targetClusterArn}`,
        },
        RULES,
        () =>
          rds(region).send(
            new SwitchoverGlobalClusterCommand({
              GlobalClusterIdentifier: globalClusterId,
              TargetDbClusterIdentifier: targetClusterArn,
            }),
          ),
      );
    },

    async failover(region, globalClusterId, targetClusterArn) {
      requireSameRegion('FailoverGlobalCluster', region, targetClusterArn);
      await awsCall(
        { operation: 'FailoverGlobalCluster', region, resource: `${globalClusterId} to ${targetClusterArn}` },
        RULES,
        () =>
          rds(region).send(
            new FailoverGlobalClusterCommand({
              GlobalClusterIdentifier: globalClusterId,
              TargetDbClusterIdentifier: targetClusterArn,
              AllowDataLoss: true,
            }),
          ),
      );
    },

    async detach(region, globalClusterId, clusterArn) {
      requireSameRegion('RemoveFromGlobalCluster', region, clusterArn);
      await awsCall(
        { operation: 'RemoveFromGlobalCluster', region, resource: `${clusterArn} from ${globalClusterId}` },
        RULES,
        () =>
          rds(region).send(
            new RemoveFromGlobalClusterCommand({
              GlobalClusterIdentifier: globalClusterId,
              DbClusterIdentifier: clusterArn,
            }),
          ),
      );
    },

    async instances(region, clusterArn) {
      const output = await awsCall(
        { operation: 'DescribeDBInstances', region, resource: clusterArn },
        RULES,
        () =>
          rds(region).send(
            new DescribeDBInstancesCommand({
              Filters: [{ Name: 'db-cluster-id', Values: [clusterIdentifier(clusterArn)] }],
            }),
          ),
      );
      return (output.DBInstances ?? []).map((i) => ({
        id: i.DBInstanceIdentifier ?? '',
        status: i.DBInstanceStatus ?? 'unknown',
      }));
    },

    async addReader(region, clusterArn, instanceId, instanceClass, engine) {
      requireSameRegion('CreateDBInstance', region, clusterArn);
      try {
        await awsCall(
          { operation: 'CreateDBInstance', region, resource: `${instanceId} in ${clusterArn}` },
          RULES,
          () =>
            rds(region).send(
              new CreateDBInstanceCommand({
                DBClusterIdentifier: clusterIdentifier(clusterArn),
                DBInstanceIdentifier: instanceId,
                DBInstanceClass: instanceClass,
                Engine: engine,
              }),
            ),
        );
      } catch (error: unknown) {
        // A retried step finds the reader it created on its first attempt.
        if (!(error instanceof DBInstanceAlreadyExistsFault)) throw error;
      }
    },

    async removeInstances(region, clusterArn) {
      requireSameRegion('DeleteDBInstance', region, clusterArn);
      const found = await adapter.instances(region, clusterArn);
      for (const instance of found) {
        if (instance.status === 'deleting') continue;
        try {
          await awsCall({ operation: 'DeleteDBInstance', region, resource: instance.id }, RULES, () =>
            rds(region).send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instance.id })),
          );
        } catch (error: unknown) {
          // Gone already (an earlier attempt): the fence holds. Refused for its state: it holds only
          // if that state is `deleting`; any other (rebooting, modifying) means it still takes writes.
          if (error instanceof DBInstanceNotFoundFault) continue;
          if (!(error instanceof InvalidDBInstanceStateFault)) throw error;
          const now = (await adapter.instances(region, clusterArn)).find((i) => i.id === instance.id);
          if (now && now.status !== 'deleting') throw error;
        }
      }
      return found.map((i) => i.id);
    },

    async describeCluster(region, clusterIdOrArn) {
      const output = await awsCall(
        { operation: 'DescribeDBClusters', region, resource: clusterIdOrArn },
        RULES,
        () => rds(region).send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterIdOrArn })),
      );
      const cluster = output.DBClusters?.[0];
      if (!cluster) {
        throw new ResourceNotFoundError(
          `DescribeDBClusters ${clusterIdOrArn} in ${region}: cluster not found (got no cluster; expected one)`,
        );
      }
      return clusterView(cluster, clusterIdOrArn);
    },

    async describeGlobalClusters(region) {
      const found: GlobalClusterView[] = [];
      let marker: string | undefined;
      do {
        const output = await awsCall(
          { operation: 'DescribeGlobalClusters', region, resource: 'every global cluster' },
          RULES,
          () =>
            rds(region).send(
              new DescribeGlobalClustersCommand({
                MaxRecords: RDS_MAX_RECORDS,
                ...(marker ? { Marker: marker } : {}),
              }),
            ),
        );
        found.push(...(output.GlobalClusters ?? []).map(toView));
        marker = output.Marker;
      } while (marker);
      return found;
    },

    async describeClusters(region, clusterIdsOrArns) {
      const found: ClusterView[] = [];
      for (let i = 0; i < clusterIdsOrArns.length; i += RDS_MAX_RECORDS) {
        const ids = clusterIdsOrArns.slice(i, i + RDS_MAX_RECORDS);
        let marker: string | undefined;
        do {
          const output = await awsCall(
            { operation: 'DescribeDBClusters', region, resource: `${ids.length} cluster(s)` },
            RULES,
            () =>
              rds(region).send(
                new DescribeDBClustersCommand({
                  Filters: [{ Name: 'db-cluster-id', Values: ids }],
                  MaxRecords: RDS_MAX_RECORDS,
                  ...(marker ? { Marker: marker } : {}),
                }),
              ),
          );
          found.push(...(output.DBClusters ?? []).map((c) => clusterView(c, c.DBClusterIdentifier ?? '')));
          marker = output.Marker;
        } while (marker);
      }
      return found;
    },
  };
  return adapter;
}

function clusterView(cluster: DBCluster, asked: string): ClusterView {
  return {
    id: cluster.DBClusterIdentifier ?? asked,
    arn: cluster.DBClusterArn ?? '',
    status: cluster.Status ?? 'unknown',
    ...(cluster.EngineVersion ? { engineVersion: cluster.EngineVersion } : {}),
    ...(cluster.GlobalClusterIdentifier ? { globalClusterId: cluster.GlobalClusterIdentifier } : {}),
    instances: (cluster.DBClusterMembers ?? []).map((m) => ({
      id: m.DBInstanceIdentifier ?? '',
      isWriter: m.IsClusterWriter === true,
    })),
  };
}

function toView(cluster: GlobalCluster): GlobalClusterView {
  const members: GlobalClusterMember[] = (cluster.GlobalClusterMembers ?? []).map((m) => {
    const clusterArn = m.DBClusterArn ?? '';
    return {
      clusterArn,
      region: arnRegion(clusterArn) ?? '',
      isWriter: m.IsWriter === true,
      ...(m.SynchronizationStatus ? { synchronizationStatus: m.SynchronizationStatus } : {}),
    };
  });
  const writer = members.find((m) => m.isWriter);
  const state = cluster.FailoverState;
  return {
    id: cluster.GlobalClusterIdentifier ?? '',
    ...(cluster.EngineVersion ? { engineVersion: cluster.EngineVersion } : {}),
    status: cluster.Status ?? 'unknown',
    members,
    ...(writer ? { writerRegion: writer.region } : {}),
    ...(state?.Status
      ? {
          failover: {
            status: state.Status,
            fromClusterArn: state.FromDbClusterArn ?? '',
            toClusterArn: state.ToDbClusterArn ?? '',
            isDataLossAllowed: state.IsDataLossAllowed === true,
          },
        }
      : {}),
  };
}

/** The region of an RDS ARN (`arn:aws:rds:REGION:ACCOUNT:cluster:ID`). */
function arnRegion(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts[0] === 'arn' && parts[2] === 'rds' && parts[3] ? parts[3] : undefined;
}

/** The cluster identifier of an RDS cluster ARN, or the identifier itself. */
export function clusterIdentifier(clusterIdOrArn: string): string {
  return clusterIdOrArn.startsWith('arn:')
    ? (clusterIdOrArn.split(':')[6] ?? clusterIdOrArn)
    : clusterIdOrArn;
}

// A failover into region B is run by B and talks to B: a cluster of another region here is a bug
// upstream, and acting on it would make the failed region a dependency.
function requireSameRegion(operation: string, region: string, clusterArn: string): void {
  const clusterRegion = arnRegion(clusterArn);
  if (clusterRegion !== region) {
    throw new InvalidInputError(
      `${operation} in ${region}: target cluster is not in the calling region (got ${clusterArn}; expected an RDS cluster ARN in ${region})`,
    );
  }
}

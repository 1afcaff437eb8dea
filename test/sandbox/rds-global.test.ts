import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  InvalidDBClusterStateFault,
  InvalidGlobalClusterStateFault,
  RemoveFromGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import { FAST } from '../../sandbox/latency.js';
import { computeSandbox, EAST, EAST_ARN, GLOBAL_ID, ordersPlan, WEST, WEST_ARN } from './harness-compute.js';
import { failoverIn, globalNow, member, switchoverIn, writerArn } from './rds-fixture.js';

// The Aurora global database behaviours of issue 8, each against the Aurora User Guide, "Using
// switchover or failover in Amazon Aurora Global Database" (quoted in sandbox/aws/rds.ts).

const API_MS = FAST.apiMs.rds;
const { switchoverMs, failoverMs, replicationLagMs, instanceCreateMs, secondaryRebuildMs } = FAST.aurora;
const EU = 'eu-west-1';
const EU_ARN = 'arn:aws:rds:eu-west-1:111111111111:cluster:orders-euw1';

/** The orders plan with its secondaries headless (no DB instance). */
function headlessPlan(): Plan {
  const plan = ordersPlan();
  const [cluster] = plan.database?.auroraGlobalClusters ?? [];
  if (!cluster) throw new Error('orders plan has no global cluster');
  return {
    ...plan,
    strategy: 'pilot-light',
    database: { auroraGlobalClusters: [{ ...cluster, headlessSecondaries: true }] },
  };
}

/** The orders plan's global cluster with a third member in eu-west-1. */
function threeRegionPlan(): Plan {
  const plan = ordersPlan();
  const [cluster] = plan.database?.auroraGlobalClusters ?? [];
  if (!cluster) throw new Error('orders plan has no global cluster');
  return {
    ...plan,
    regions: [EAST, WEST, EU],
    database: {
      auroraGlobalClusters: [{ ...cluster, members: { ...cluster.members, [EU]: EU_ARN } }],
    },
  };
}

describe('SimulatedRds: headless secondaries', () => {
  it('provisions a headless secondary without instances and refuses a switchover or failover to it', async () => {
    // Prepare
    const sb = computeSandbox(1, headlessPlan());

    // Act
    const west = await sb.run(
      sb.clients.rds(WEST).send(new DescribeDBClustersCommand({ DBClusterIdentifier: WEST_ARN })),
    );
    const switchover = await sb.failure(switchoverIn(sb, EAST));
    const failover = await sb.failure(failoverIn(sb, WEST));

    // Assess
    expect(west.DBClusters?.[0]?.DBClusterMembers).toEqual([]);
    expect(switchover).toBeInstanceOf(InvalidDBClusterStateFault);
    expect((switchover as Error).message).toContain(
      'add a DB instance to it before a switchover or failover',
    );
    expect(failover).toBeInstanceOf(InvalidDBClusterStateFault);
    expect(writerArn(globalNow(sb))).toBe(EAST_ARN);
    expect(globalNow(sb).FailoverState).toBeUndefined();
  });

  it('promotes a headless secondary once a reader added to it is available, not while it is creating', async () => {
    // Prepare
    const sb = computeSandbox(1, headlessPlan());
    sb.faults.add({ kind: 'region-outage', region: EAST });
    await sb.run(
      sb.clients.rds(WEST).send(
        new CreateDBInstanceCommand({
          DBClusterIdentifier: 'orders-usw2',
          DBInstanceIdentifier: 'orders-usw2-reader',
          DBInstanceClass: 'db.r6g.large',
          Engine: 'aurora-postgresql',
        }),
      ),
    );
    const createdAt = sb.clock.now() - API_MS;

    // Act
    const tooSoon = await sb.failure(failoverIn(sb, WEST));
    await sb.until(createdAt + instanceCreateMs);
    await sb.run(failoverIn(sb, WEST));
    await sb.until(sb.clock.now() + failoverMs);

    // Assess
    expect(tooSoon).toBeInstanceOf(InvalidDBClusterStateFault);
    expect(writerArn(globalNow(sb))).toBe(WEST_ARN);
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([WEST]);
  });
});

describe('SimulatedRds: the region a global-cluster operation is called in', () => {
  it('fails over in the target region while the old primary region is down, and refuses it called elsewhere', async () => {
    // Prepare
    const sb = computeSandbox(1, threeRegionPlan());
    sb.faults.add({ kind: 'region-outage', region: EAST });

    // Act
    const elsewhere = await sb.failure(failoverIn(sb, EU));
    const out = await sb.run(failoverIn(sb, WEST));

    // Assess
    expect((elsewhere as Error).name).toBe('InvalidParameterValue');
    expect((elsewhere as Error).message).toContain(
      'run in the region of the secondary cluster to promote (us-west-2)',
    );
    expect(out.GlobalCluster?.FailoverState?.ToDbClusterArn).toBe(WEST_ARN);
  });
});

describe('SimulatedRds: other secondaries after a failover', () => {
  it('rebuilds every other secondary after a failover: pending-resync, no lag, not promotable, then connected', async () => {
    // Prepare
    const sb = computeSandbox(1, threeRegionPlan());
    sb.faults.add({ kind: 'region-outage', region: EAST });
    await sb.run(failoverIn(sb, WEST));

    // Act
    await sb.until(sb.clock.now() + failoverMs);
    const promotedAt = sb.clock.now();

    // Assess
    expect(writerArn(globalNow(sb))).toBe(WEST_ARN);
    expect(member(globalNow(sb), EU_ARN)?.SynchronizationStatus).toBe('pending-resync');
    expect(sb.rds.replicationLagMs(EU_ARN)).toBeUndefined();
    const toEu = await sb.failure(failoverIn(sb, EU, EU_ARN));
    expect(toEu).toBeInstanceOf(InvalidDBClusterStateFault);
    await sb.until(promotedAt + secondaryRebuildMs - 1);
    expect(member(globalNow(sb), EU_ARN)?.SynchronizationStatus).toBe('pending-resync');
    await sb.until(promotedAt + secondaryRebuildMs);
    expect(member(globalNow(sb), EU_ARN)?.SynchronizationStatus).toBe('connected');
    expect(sb.rds.replicationLagMs(EU_ARN)).toBe(replicationLagMs);
  });

  it('leaves the other secondaries connected after a switchover (it keeps the topology, no rebuild)', async () => {
    // Prepare
    const sb = computeSandbox(1, threeRegionPlan());

    // Act
    await sb.run(switchoverIn(sb, EAST));
    await sb.until(sb.clock.now() + switchoverMs + replicationLagMs);

    // Assess
    expect(writerArn(globalNow(sb))).toBe(WEST_ARN);
    expect(member(globalNow(sb), EU_ARN)?.SynchronizationStatus).toBe('connected');
    expect(sb.rds.replicationLagMs(EU_ARN)).toBe(replicationLagMs);
  });
});

describe('SimulatedRds: replication-lag and engine-version-mismatch faults', () => {
  it('makes a switchover wait for the lag to be caught up, and a failover lose it', async () => {
    // Prepare
    const lagSeconds = 45;
    const slow = computeSandbox();
    slow.faults.add({ kind: 'replication-lag', globalClusterId: GLOBAL_ID, lagSeconds });
    const lost = computeSandbox();
    lost.faults.add({ kind: 'replication-lag', globalClusterId: GLOBAL_ID, lagSeconds });
    const acceptedAt = slow.clock.now() + API_MS;

    // Act
    await slow.run(switchoverIn(slow, EAST));
    await lost.run(failoverIn(lost, WEST));
    await lost.until(lost.clock.now() + failoverMs);

    // Assess
    expect(slow.rds.replicationLagMs(WEST_ARN)).toBe(lagSeconds * 1000);
    await slow.until(acceptedAt + switchoverMs + lagSeconds * 1000 - 1);
    expect(writerArn(globalNow(slow))).toBe(EAST_ARN);
    await slow.until(acceptedAt + switchoverMs + lagSeconds * 1000);
    expect(writerArn(globalNow(slow))).toBe(WEST_ARN);
    expect(slow.rds.lastDataLossMs(GLOBAL_ID)).toBe(0);
    expect(lost.rds.lastDataLossMs(GLOBAL_ID)).toBe(lagSeconds * 1000);
  });

  it('refuses a managed switchover and failover between engine versions, shows the versions, and still detaches', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({ kind: 'engine-version-mismatch', globalClusterId: GLOBAL_ID, region: WEST });

    // Act
    const switchover = await sb.failure(switchoverIn(sb, EAST));
    const failover = await sb.failure(failoverIn(sb, WEST));
    const versions = await Promise.all(
      [EAST, WEST].map(
        async (region) =>
          (await sb.run(sb.clients.rds(region).send(new DescribeDBClustersCommand({})))).DBClusters?.[0]
            ?.EngineVersion,
      ),
    );
    const detach = await sb.run(
      sb.clients.rds(WEST).send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          DbClusterIdentifier: WEST_ARN,
        }),
      ),
    );

    // Assess
    expect(switchover).toBeInstanceOf(InvalidGlobalClusterStateFault);
    expect((switchover as Error).message).toContain('same major and minor engine versions');
    expect(failover).toBeInstanceOf(InvalidGlobalClusterStateFault);
    expect(versions[0]).not.toBe(versions[1]);
    expect(detach.GlobalCluster?.GlobalClusterIdentifier).toBe(GLOBAL_ID);
  });
});

describe('SimulatedRds: RemoveFromGlobalCluster and the lag metrics', () => {
  it('answers RemoveFromGlobalCluster as AWS does: Status available, the cluster still a member', async () => {
    // Prepare
    const sb = computeSandbox();

    // Act
    const out = await sb.run(
      sb.clients.rds(WEST).send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          DbClusterIdentifier: WEST_ARN,
        }),
      ),
    );
    const during = await sb.run(
      sb.clients.rds(WEST).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL_ID })),
    );

    // Assess
    expect(out.GlobalCluster?.Status).toBe('available');
    expect(out.GlobalCluster?.GlobalClusterMembers?.map((m) => m.DBClusterArn)).toEqual([EAST_ARN, WEST_ARN]);
    expect(during.GlobalClusters?.[0]?.Status).toBe('modifying');
  });

  it('publishes AuroraGlobalDBRPOLag beside AuroraGlobalDBReplicationLag, with no datapoints during a primary outage', async () => {
    // Prepare
    const sb = computeSandbox();
    const start = sb.clock.now();
    await sb.until(start + 120_000);
    sb.faults.add({ kind: 'region-outage', region: EAST });
    await sb.until(start + 300_000);
    const query = (metricName: string) =>
      sb.run(
        sb.clients.cloudWatch(WEST).send(
          new GetMetricDataCommand({
            StartTime: new Date(start),
            EndTime: new Date(start + 300_000),
            MetricDataQueries: [
              {
                Id: 'm0',
                MetricStat: {
                  Metric: {
                    Namespace: 'AWS/RDS',
                    MetricName: metricName,
                    Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'orders-usw2' }],
                  },
                  Period: 60,
                  Stat: 'Maximum',
                },
              },
            ],
          }),
        ),
      );

    // Act
    const rpo = await query('AuroraGlobalDBRPOLag');
    const replication = await query('AuroraGlobalDBReplicationLag');

    // Assess: two minutes of 800 ms, then nothing while us-east-1 is down (not a frozen 800 ms).
    for (const out of [rpo, replication]) {
      const result = out.MetricDataResults?.[0];
      expect(result?.Values).toEqual([replicationLagMs, replicationLagMs]);
      expect(result?.Timestamps?.map((t) => t.getTime() - start).sort((a, b) => a - b)).toEqual([0, 60_000]);
    }
  });
});

import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DBClusterNotFoundFault,
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  GlobalClusterNotFoundFault,
  InvalidDBClusterStateFault,
  InvalidGlobalClusterStateFault,
  RDSClient,
  RDSServiceException,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { auroraGlobalClusters } from '../../functions/aws/aurora.js';
import { createAwsClients } from '../../functions/aws/clients.js';

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);

afterEach(() => {
  rds.reset();
  cloudWatch.reset();
});

const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' };
const USE1 = 'arn:aws:rds:us-east-1:111111111111:cluster:orders-use1';
const USW2 = 'arn:aws:rds:us-west-2:111111111111:cluster:orders-usw2';

function setup() {
  const clients = createAwsClients({ credentials: CREDENTIALS });
  return { clients, aurora: auroraGlobalClusters(clients) };
}

/** The region of the client a mocked call was sent on. */
async function regionOf(call: { thisValue: unknown }): Promise<string> {
  return (call.thisValue as RDSClient | CloudWatchClient).config.region();
}

describe('describeGlobalCluster', () => {
  it('maps members, the writer region and an in-progress failover', async () => {
    // Prepare
    const { aurora } = setup();
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        {
          GlobalClusterIdentifier: 'orders-global',
          Status: 'failing-over',
          GlobalClusterMembers: [
            { DBClusterArn: USE1, IsWriter: true },
            { DBClusterArn: USW2, IsWriter: false, SynchronizationStatus: 'connected' },
          ],
          FailoverState: {
            Status: 'failing-over',
            FromDbClusterArn: USE1,
            ToDbClusterArn: USW2,
            IsDataLossAllowed: true,
          },
        },
      ],
    });

    // Act
    const view = await aurora.describeGlobalCluster('us-west-2', 'orders-global');

    // Assess
    expect(view).toEqual({
      id: 'orders-global',
      status: 'failing-over',
      members: [
        { clusterArn: USE1, region: 'us-east-1', isWriter: true },
        { clusterArn: USW2, region: 'us-west-2', isWriter: false, synchronizationStatus: 'connected' },
      ],
      writerRegion: 'us-east-1',
      failover: { status: 'failing-over', fromClusterArn: USE1, toClusterArn: USW2, isDataLossAllowed: true },
    });
    const [call] = rds.commandCalls(DescribeGlobalClustersCommand);
    expect(call?.args[0].input).toEqual({ GlobalClusterIdentifier: 'orders-global' });
    expect(await regionOf(call as { thisValue: unknown })).toBe('us-west-2');
  });

  it('has no writer region while no member is the writer, and no failover when none runs', async () => {
    const { aurora } = setup();
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        {
          GlobalClusterIdentifier: 'orders-global',
          Status: 'available',
          GlobalClusterMembers: [{ DBClusterArn: USW2, IsWriter: false }],
        },
      ],
    });

    const view = await aurora.describeGlobalCluster('us-west-2', 'orders-global');

    expect(view).not.toHaveProperty('writerRegion');
    expect(view).not.toHaveProperty('failover');
  });

  it('throws ResourceNotFoundError when the answer does not include the cluster', async () => {
    const { aurora } = setup();
    rds.on(DescribeGlobalClustersCommand).resolves({ GlobalClusters: [] });

    await expect(aurora.describeGlobalCluster('us-west-2', 'orders-global')).rejects.toMatchObject({
      name: 'ResourceNotFoundError',
      message: expect.stringContaining('in us-west-2'),
    });
  });
});

describe('switchover, failover and detach', () => {
  it("switches over on the current primary's region RDS endpoint, as the Aurora User Guide documents", async () => {
    const { aurora, clients } = setup();
    rds.on(SwitchoverGlobalClusterCommand).resolves({});

    await aurora.switchover('us-east-1', 'orders-global', USW2);

    const calls = rds.commandCalls(SwitchoverGlobalClusterCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      GlobalClusterIdentifier: 'orders-global',
      TargetDbClusterIdentifier: USW2,
    });
    expect(calls[0]?.thisValue).toBe(clients.rds('us-east-1'));
    expect(await regionOf(calls[0] as { thisValue: unknown })).toBe('us-east-1');
  });

  it("refuses a switchover called in the target's own region and calls nothing", async () => {
    const { aurora } = setup();

    await expect(aurora.switchover('us-west-2', 'orders-global', USW2)).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('expected the region of the current primary'),
    });
    expect(rds.calls()).toHaveLength(0);
  });

  it('fails over with AllowDataLoss on the target region RDS endpoint', async () => {
    const { aurora } = setup();
    rds.on(FailoverGlobalClusterCommand).resolves({});

    await aurora.failover('us-west-2', 'orders-global', USW2);

    const calls = rds.commandCalls(FailoverGlobalClusterCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      GlobalClusterIdentifier: 'orders-global',
      TargetDbClusterIdentifier: USW2,
      AllowDataLoss: true,
    });
    expect(await regionOf(calls[0] as { thisValue: unknown })).toBe('us-west-2');
  });

  it('detaches a cluster on its own region RDS endpoint', async () => {
    const { aurora } = setup();
    rds.on(RemoveFromGlobalClusterCommand).resolves({});

    await aurora.detach('us-west-2', 'orders-global', USW2);

    const calls = rds.commandCalls(RemoveFromGlobalClusterCommand);
    expect(calls[0]?.args[0].input).toEqual({
      GlobalClusterIdentifier: 'orders-global',
      DbClusterIdentifier: USW2,
    });
    expect(await regionOf(calls[0] as { thisValue: unknown })).toBe('us-west-2');
  });

  it.each([
    ['failover', (a: ReturnType<typeof setup>['aurora']) => a.failover('us-west-2', 'orders-global', USE1)],
    ['detach', (a: ReturnType<typeof setup>['aurora']) => a.detach('us-west-2', 'orders-global', USE1)],
  ])('%s refuses a target cluster in another region and calls nothing', async (_op, act) => {
    const { aurora } = setup();

    await expect(act(aurora)).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining(`got ${USE1}; expected an RDS cluster ARN in us-west-2`),
    });
    expect(rds.calls()).toHaveLength(0);
  });

  it.each([
    [
      'InvalidGlobalClusterStateFault',
      new InvalidGlobalClusterStateFault({ message: 'is switching-over', $metadata: {} }),
      'ResourceBusyError',
    ],
    [
      'InvalidDBClusterStateFault',
      new InvalidDBClusterStateFault({ message: 'not available', $metadata: {} }),
      'ResourceBusyError',
    ],
    [
      'GlobalClusterNotFoundFault',
      new GlobalClusterNotFoundFault({ message: 'not found', $metadata: {} }),
      'ResourceNotFoundError',
    ],
    [
      'DBClusterNotFoundFault',
      new DBClusterNotFoundFault({ message: 'not found', $metadata: {} }),
      'ResourceNotFoundError',
    ],
    [
      'Throttling',
      new RDSServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: {},
      }),
      'ThrottledError',
    ],
  ])('translates %s from FailoverGlobalCluster to %s', async (_code, error, name) => {
    const { aurora } = setup();
    rds.on(FailoverGlobalClusterCommand).rejects(error);

    const failure = aurora.failover('us-west-2', 'orders-global', USW2);

    await expect(failure).rejects.toMatchObject({ name, cause: error });
    await expect(failure).rejects.toThrow(/FailoverGlobalCluster orders-global to .* in us-west-2/);
  });

  it('rethrows an unknown error unchanged', async () => {
    const { aurora } = setup();
    const unknown = new RDSServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message: 'not authorized',
      $metadata: { httpStatusCode: 403 },
    });
    rds.on(SwitchoverGlobalClusterCommand).rejects(unknown);

    await expect(aurora.switchover('us-east-1', 'orders-global', USW2)).rejects.toBe(unknown);
  });
});

describe('describeCluster', () => {
  it('maps the cluster and its instances', async () => {
    const { aurora } = setup();
    rds.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          DBClusterIdentifier: 'orders-usw2',
          DBClusterArn: USW2,
          Status: 'available',
          GlobalClusterIdentifier: 'orders-global',
          DBClusterMembers: [
            { DBInstanceIdentifier: 'orders-usw2-1', IsClusterWriter: true },
            { DBInstanceIdentifier: 'orders-usw2-2', IsClusterWriter: false },
          ],
        },
      ],
    });

    const cluster = await aurora.describeCluster('us-west-2', USW2);

    expect(cluster).toEqual({
      id: 'orders-usw2',
      arn: USW2,
      status: 'available',
      globalClusterId: 'orders-global',
      instances: [
        { id: 'orders-usw2-1', isWriter: true },
        { id: 'orders-usw2-2', isWriter: false },
      ],
    });
    const [call] = rds.commandCalls(DescribeDBClustersCommand);
    expect(call?.args[0].input).toEqual({ DBClusterIdentifier: USW2 });
    expect(await regionOf(call as { thisValue: unknown })).toBe('us-west-2');
  });

  it('translates DBClusterNotFoundFault to ResourceNotFoundError', async () => {
    const { aurora } = setup();
    const fault = new DBClusterNotFoundFault({ message: 'DBCluster orders-usw2 not found.', $metadata: {} });
    rds.on(DescribeDBClustersCommand).rejects(fault);

    await expect(aurora.describeCluster('us-west-2', 'orders-usw2')).rejects.toMatchObject({
      name: 'ResourceNotFoundError',
      cause: fault,
    });
  });
});

describe('replicationLagMs', () => {
  const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

  it('asks CloudWatch in the cluster region for the last 5 minutes and returns the most recent datapoint', async () => {
    const { aurora } = setup();
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'm0',
          // Deliberately not in time order: the latest wins, whatever the scan order.
          Values: [900, 120, 450],
          Timestamps: [new Date(NOW - 180_000), new Date(NOW - 60_000), new Date(NOW - 120_000)],
        },
      ],
    });

    const lag = await aurora.replicationLagMs('us-west-2', USW2, NOW);

    expect(lag).toBe(120);
    const [call] = cloudWatch.commandCalls(GetMetricDataCommand);
    expect(await regionOf(call as { thisValue: unknown })).toBe('us-west-2');
    expect(call?.args[0].input).toEqual({
      StartTime: new Date(NOW - 300_000),
      EndTime: new Date(NOW),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'm0',
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/RDS',
              // The metric AWS recommends for Aurora PostgreSQL, the default engine.
              MetricName: 'AuroraGlobalDBRPOLag',
              Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'orders-usw2' }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    });
  });

  it('reads AuroraGlobalDBReplicationLag for Aurora MySQL (whose older versions publish no RPO lag)', async () => {
    const { aurora } = setup();
    cloudWatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'm0', Values: [300], Timestamps: [new Date(NOW - 60_000)] }] });

    await expect(aurora.replicationLagMs('us-west-2', USW2, NOW, 'aurora-mysql')).resolves.toBe(300);
    const [call] = cloudWatch.commandCalls(GetMetricDataCommand);
    expect(call?.args[0].input.MetricDataQueries?.[0]?.MetricStat?.Metric?.MetricName).toBe(
      'AuroraGlobalDBReplicationLag',
    );
  });

  it('is undefined when there is no data', async () => {
    const { aurora } = setup();
    cloudWatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'm0', Values: [], Timestamps: [] }] });

    await expect(aurora.replicationLagMs('us-west-2', 'orders-usw2', NOW)).resolves.toBeUndefined();
  });
});

describe('lastReplicationLag', () => {
  const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

  it("asks for CloudWatch's 15 days of 1-minute data, newest first, and returns the latest datapoint with its time", async () => {
    const { aurora } = setup();
    const stopped = NOW - 40 * 60_000; // the metric stopped 40 minutes ago (the primary's region out)
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'm0', Values: [700, 900], Timestamps: [new Date(stopped - 60_000), new Date(stopped)] },
      ],
    });

    const last = await aurora.lastReplicationLag?.('us-west-2', USW2, NOW);

    expect(last).toEqual({ lagMs: 900, at: stopped });
    const [call] = cloudWatch.commandCalls(GetMetricDataCommand);
    expect(await regionOf(call as { thisValue: unknown })).toBe('us-west-2');
    expect(call?.args[0].input).toMatchObject({
      StartTime: new Date(NOW - 15 * 24 * 3600_000),
      EndTime: new Date(NOW),
      ScanBy: 'TimestampDescending',
    });
  });

  it('is undefined only when there is no datapoint at all', async () => {
    const { aurora } = setup();
    cloudWatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'm0', Values: [], Timestamps: [] }] });

    await expect(aurora.lastReplicationLag?.('us-west-2', USW2, NOW)).resolves.toBeUndefined();
  });
});

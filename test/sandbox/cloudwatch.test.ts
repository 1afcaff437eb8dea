import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
  ResourceNotFound,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import type { AlarmStateChange } from '../../sandbox/aws/cloudwatch.js';
import { FAST } from '../../sandbox/latency.js';
import {
  ALARM_ARN,
  ALARM_NAME,
  type ComputeSandbox,
  computeSandbox,
  EAST,
  GLOBAL_ID,
  WEST,
  WEST_ARN,
} from './harness-compute.js';

const API_MS = FAST.apiMs.cloudwatch;
const MINUTE = 60_000;

function lagQuery(clusterId: string): MetricDataQuery {
  return {
    Id: 'lag',
    MetricStat: {
      Metric: {
        Namespace: 'AWS/RDS',
        MetricName: 'AuroraGlobalDBReplicationLag',
        Dimensions: [{ Name: 'DBClusterIdentifier', Value: clusterId }],
      },
      Period: 60,
      Stat: 'Average',
    },
  };
}

async function lagData(sb: ComputeSandbox, region: string, clusterId: string, minutes: number) {
  const end = sb.clock.now();
  const out = await sb.run(
    sb.clients.cloudWatch(region).send(
      new GetMetricDataCommand({
        MetricDataQueries: [lagQuery(clusterId)],
        StartTime: new Date(end - minutes * MINUTE),
        EndTime: new Date(end),
      }),
    ),
  );
  const result = out.MetricDataResults?.[0];
  return { result, times: result?.Timestamps?.map((t) => t.getTime()) ?? [], values: result?.Values ?? [] };
}

describe('SimulatedCloudWatch: alarms', () => {
  it('provisions the plan alarm in its own region, OK, with timestamps from the virtual clock', async () => {
    // Prepare
    const sb = computeSandbox();
    const start = sb.clock.now();

    // Act
    const west = await sb.run(sb.clients.cloudWatch(WEST).send(new DescribeAlarmsCommand({})));
    const east = await sb.run(sb.clients.cloudWatch(EAST).send(new DescribeAlarmsCommand({})));

    // Assess
    expect(west.MetricAlarms).toHaveLength(1);
    expect(west.MetricAlarms?.[0]).toMatchObject({
      AlarmName: ALARM_NAME,
      AlarmArn: ALARM_ARN,
      StateValue: 'OK',
    });
    expect(west.MetricAlarms?.[0]?.StateUpdatedTimestamp).toEqual(new Date(start));
    expect(east.MetricAlarms).toEqual([]);
  });

  it.each([
    [{ AlarmNames: [ALARM_NAME] }, 1],
    [{ AlarmNames: ['other'] }, 0],
    [{ AlarmNamePrefix: 'orders-' }, 1],
    [{ AlarmNamePrefix: 'billing-' }, 0],
    [{ StateValue: 'OK' as const }, 1],
    [{ StateValue: 'ALARM' as const }, 0],
  ])('filters DescribeAlarms by %o', async (filter, count) => {
    // Prepare
    const sb = computeSandbox();

    // Act
    const out = await sb.run(sb.clients.cloudWatch(WEST).send(new DescribeAlarmsCommand(filter)));

    // Assess
    expect(out.MetricAlarms).toHaveLength(count);
  });

  it('sets the state through SetAlarmState, emits the change, and returns to the evaluated state one period later', async () => {
    // Prepare
    const sb = computeSandbox();
    const changes: AlarmStateChange[] = [];
    sb.cloudwatch.onAlarmStateChange((c) => changes.push(c));
    const acceptedAt = sb.clock.now() + API_MS;

    // Act
    await sb.run(
      sb.clients
        .cloudWatch(WEST)
        .send(new SetAlarmStateCommand({ AlarmName: ALARM_NAME, StateValue: 'ALARM', StateReason: 'drill' })),
    );
    const during = await sb.run(
      sb.clients.cloudWatch(WEST).send(new DescribeAlarmsCommand({ StateValue: 'ALARM' })),
    );

    // Assess
    expect(changes).toEqual([
      {
        alarmArn: ALARM_ARN,
        alarmName: ALARM_NAME,
        region: WEST,
        previousState: 'OK',
        state: 'ALARM',
        reason: 'drill',
        at: acceptedAt,
      },
    ]);
    expect(during.MetricAlarms?.[0]).toMatchObject({ StateValue: 'ALARM', StateReason: 'drill' });
    expect(during.MetricAlarms?.[0]?.StateUpdatedTimestamp).toEqual(new Date(acceptedAt));
    await sb.until(acceptedAt + FAST.cloudwatch.alarmPeriodMs - 1);
    expect(sb.cloudwatch.alarmState(ALARM_NAME, WEST)).toBe('ALARM');
    await sb.until(acceptedAt + FAST.cloudwatch.alarmPeriodMs);
    expect(sb.cloudwatch.alarmState(ALARM_NAME, WEST)).toBe('OK');
    expect(changes.map((c) => [c.previousState, c.state])).toEqual([
      ['OK', 'ALARM'],
      ['ALARM', 'OK'],
    ]);
  });

  it('keeps a state set by a scenario until set again, and emits nothing when the state does not change', async () => {
    // Prepare
    const sb = computeSandbox();
    const changes: AlarmStateChange[] = [];
    sb.cloudwatch.onAlarmStateChange((c) => changes.push(c));

    // Act
    sb.cloudwatch.setAlarmState(ALARM_NAME, WEST, 'ALARM', 'canary failing');
    await sb.until(sb.clock.now() + 10 * FAST.cloudwatch.alarmPeriodMs);
    sb.cloudwatch.setAlarmState(ALARM_NAME, WEST, 'ALARM', 'canary still failing');

    // Assess
    expect(sb.cloudwatch.alarmState(ALARM_NAME, WEST)).toBe('ALARM');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ previousState: 'OK', state: 'ALARM', reason: 'canary failing' });
  });

  it('answers SetAlarmState on an unknown alarm or with a bad state with the modelled errors', async () => {
    // Prepare
    const sb = computeSandbox();
    const west = sb.clients.cloudWatch(WEST);

    // Act
    const unknown = await sb.failure(
      west.send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'ALARM', StateReason: 'x' })),
    );
    const otherRegion = await sb.failure(
      sb.clients
        .cloudWatch(EAST)
        .send(new SetAlarmStateCommand({ AlarmName: ALARM_NAME, StateValue: 'ALARM', StateReason: 'x' })),
    );
    const badData = await sb.failure(
      west.send(
        new SetAlarmStateCommand({
          AlarmName: ALARM_NAME,
          StateValue: 'ALARM',
          StateReason: 'x',
          StateReasonData: '{not json',
        }),
      ),
    );

    // Assess
    expect(unknown).toBeInstanceOf(ResourceNotFound);
    expect(otherRegion).toBeInstanceOf(ResourceNotFound);
    expect((badData as Error).name).toBe('InvalidFormatFault');
    expect(sb.cloudwatch.alarmState(ALARM_NAME, WEST)).toBe('OK');
  });
});

describe('SimulatedCloudWatch: Aurora replication lag metric', () => {
  it('returns the secondary lag, in its own region, as recent datapoints newest first', async () => {
    // Prepare
    const sb = computeSandbox();
    const start = sb.clock.now();
    await sb.until(start + 5 * MINUTE);

    // Act
    const secondary = await lagData(sb, WEST, 'orders-usw2', 5);
    const writer = await lagData(sb, EAST, 'orders-use1', 5);
    const wrongRegion = await lagData(sb, EAST, 'orders-usw2', 5);

    // Assess
    expect(secondary.result?.StatusCode).toBe('Complete');
    expect(secondary.times).toEqual([4, 3, 2, 1, 0].map((m) => start + m * MINUTE));
    expect(secondary.values).toEqual(Array(5).fill(FAST.aurora.replicationLagMs));
    expect(writer.values).toEqual([]);
    expect(wrongRegion.values).toEqual([]);
  });

  it('publishes no datapoint while the writer region is down (no frozen value), and the earlier ones stay', async () => {
    // Prepare
    const sb = computeSandbox();
    await sb.until(sb.clock.now() + 2 * MINUTE);
    sb.faults.add({ kind: 'region-outage', region: EAST });
    await sb.until(sb.clock.now() + 3 * MINUTE);

    // Act
    const during = await lagData(sb, WEST, 'orders-usw2', 2);
    const before = await lagData(sb, WEST, 'orders-usw2', 6);

    // Assess
    expect(during.values).toEqual([]);
    expect(before.values).toEqual([FAST.aurora.replicationLagMs, FAST.aurora.replicationLagMs]);
    expect(sb.rds.replicationLagMs(WEST_ARN)).toBeUndefined();
  });

  it('stops publishing a cluster lag once it is promoted to writer', async () => {
    // Prepare
    const sb = computeSandbox();
    const start = sb.clock.now();
    await sb.until(start + 2 * MINUTE);
    await sb.run(
      // In the primary's region, as AWS documents the switchover.
      sb.clients.rds(EAST).send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          TargetDbClusterIdentifier: WEST_ARN,
        }),
      ),
    );
    await sb.until(start + 5 * MINUTE);

    // Act
    const lag = await lagData(sb, WEST, 'orders-usw2', 5);

    // Assess: minutes 0 and 1 had lag; minute 2 saw the promotion (5.3 s into it); then none.
    expect(lag.times).toEqual([2, 1, 0].map((m) => start + m * MINUTE));
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([WEST]);
  });
});

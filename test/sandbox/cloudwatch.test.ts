import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
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

describe('SimulatedCloudWatch: alarms carry their metric and threshold, and follow its data', () => {
  /** One alarm period of the fast profile: Period 60 s in profile time. */
  const PERIOD = FAST.cloudwatch.alarmPeriodMs;

  /** Lag of the us-west-2 secondary above 5 s in 2 of the last 3 periods. */
  function lagAlarm(name: string, treatMissingData: string): PutMetricAlarmCommandInput {
    return {
      AlarmName: name,
      Namespace: 'AWS/RDS',
      MetricName: 'AuroraGlobalDBReplicationLag',
      Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'orders-usw2' }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 5_000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: treatMissingData,
    };
  }

  it("describes the plan alarm with its canary's metric, statistic, period, M of N, threshold and missing-data treatment", async () => {
    const sb = computeSandbox();
    const out = await sb.run(
      sb.clients.cloudWatch(WEST).send(new DescribeAlarmsCommand({ AlarmNames: [ALARM_NAME] })),
    );
    expect(out.MetricAlarms?.[0]).toMatchObject({
      Namespace: 'CloudWatchSynthetics',
      MetricName: 'SuccessPercent',
      Dimensions: [{ Name: 'CanaryName', Value: ALARM_NAME }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 90,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'missing',
    });
  });

  it("a scenario's alarm event is what the canary publishes: SuccessPercent 0, and INSUFFICIENT_DATA once it stops", async () => {
    // Prepare
    const sb = computeSandbox();
    const start = sb.clock.now();
    await sb.until(start + 2 * MINUTE);

    // Act
    sb.cloudwatch.setAlarmState(ALARM_NAME, WEST, 'ALARM', 'canary failing');
    await sb.until(sb.clock.now() + 2 * MINUTE);
    const published = await sb.run(
      sb.clients.cloudWatch(WEST).send(
        new GetMetricDataCommand({
          MetricDataQueries: [
            {
              Id: 'canary',
              MetricStat: {
                Metric: {
                  Namespace: 'CloudWatchSynthetics',
                  MetricName: 'SuccessPercent',
                  Dimensions: [{ Name: 'CanaryName', Value: ALARM_NAME }],
                },
                Period: 60,
                Stat: 'Minimum',
              },
            },
          ],
          StartTime: new Date(start),
          EndTime: new Date(sb.clock.now()),
          ScanBy: 'TimestampAscending',
        }),
      ),
    );
    sb.cloudwatch.setAlarmState(ALARM_NAME, WEST, 'INSUFFICIENT_DATA', 'canary stopped');

    // Assess: passing (100) for two minutes, then failing (0); the alarm followed.
    expect(published.MetricDataResults?.[0]?.Values).toEqual([100, 100, 0, 0]);
    expect(sb.cloudwatch.alarmState(ALARM_NAME, WEST)).toBe('INSUFFICIENT_DATA');
  });

  it('evaluates an alarm put on the Aurora lag metric every period: breaching missing data alarms after 2 of 3 periods of an outage', async () => {
    // Prepare: the metric has history before the alarms exist.
    const sb = computeSandbox();
    await sb.until(sb.clock.now() + 10 * PERIOD);
    const west = sb.clients.cloudWatch(WEST);
    await sb.run(west.send(new PutMetricAlarmCommand(lagAlarm('lag-breaching', 'breaching'))));
    await sb.run(west.send(new PutMetricAlarmCommand(lagAlarm('lag-not-breaching', 'notBreaching'))));
    expect(sb.cloudwatch.alarmState('lag-breaching', WEST)).toBe('INSUFFICIENT_DATA');
    await sb.until(sb.clock.now() + PERIOD);
    expect(sb.cloudwatch.alarmState('lag-breaching', WEST)).toBe('OK');
    const changes: AlarmStateChange[] = [];
    sb.cloudwatch.onAlarmStateChange((c) => changes.push(c));

    // Act: the writer's region goes down; the secondary's lag metric stops (missing data).
    const outageAt = sb.clock.now();
    sb.faults.add({ kind: 'region-outage', region: EAST });
    await sb.until(outageAt + PERIOD);
    const afterOne = sb.cloudwatch.alarmState('lag-breaching', WEST);
    await sb.until(outageAt + 4 * PERIOD);

    // Assess: one missing period is not enough (M = 2); the second is. notBreaching stays OK.
    expect(afterOne).toBe('OK');
    const alarmed = changes.find((c) => c.alarmName === 'lag-breaching' && c.state === 'ALARM');
    expect(alarmed?.at).toBeGreaterThan(outageAt + PERIOD);
    expect(alarmed?.at).toBeLessThanOrEqual(outageAt + 3 * PERIOD);
    expect(alarmed?.reason).toMatch(/out of the last 3 datapoints/);
    expect(sb.cloudwatch.alarmState('lag-not-breaching', WEST)).toBe('OK');
    const described = await sb.run(west.send(new DescribeAlarmsCommand({ AlarmNames: ['lag-breaching'] })));
    expect(described.MetricAlarms?.[0]).toMatchObject({
      StateValue: 'ALARM',
      Threshold: 5_000,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
      AlarmArn: `arn:aws:cloudwatch:${WEST}:111111111111:alarm:lag-breaching`,
    });

    // The region back, lag below the threshold again: OK once the missing periods leave the range.
    sb.faults.clear('all');
    await sb.until(sb.clock.now() + 4 * PERIOD);
    expect(sb.cloudwatch.alarmState('lag-breaching', WEST)).toBe('OK');
  });

  it("re-evaluates a plan alarm put again with another threshold, on its canary's data", async () => {
    const sb = computeSandbox();
    await sb.run(
      sb.clients.cloudWatch(WEST).send(
        new PutMetricAlarmCommand({
          AlarmName: ALARM_NAME,
          Namespace: 'CloudWatchSynthetics',
          MetricName: 'SuccessPercent',
          Dimensions: [{ Name: 'CanaryName', Value: ALARM_NAME }],
          Statistic: 'Average',
          Period: 60,
          EvaluationPeriods: 1,
          // The passing canary (100) now breaches.
          Threshold: 50,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      ),
    );
    expect(sb.cloudwatch.alarmState(ALARM_NAME, WEST)).toBe('OK');
    await sb.until(sb.clock.now() + PERIOD);
    expect(sb.cloudwatch.alarmState(ALARM_NAME, WEST)).toBe('ALARM');
    expect(sb.cloudwatch.alarmDefinition(ALARM_NAME, WEST)?.threshold).toBe(50);
  });

  it('refuses a PutMetricAlarm that is not one, saying what was got and expected', async () => {
    const sb = computeSandbox();
    const error = await sb.failure(
      sb.clients
        .cloudWatch(WEST)
        .send(new PutMetricAlarmCommand({ ...lagAlarm('x', 'missing'), Period: 45 })),
    );
    expect(error).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(String((error as Error).message)).toMatch(/Period is invalid: got 45; expected/);
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

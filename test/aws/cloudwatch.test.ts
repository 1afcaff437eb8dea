import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  InternalServiceFault,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/aws/clients.js';
import { cloudWatchAlarms, parseAlarmArn } from '../../functions/aws/cloudwatch.js';

const cloudWatch = mockClient(CloudWatchClient);

afterEach(() => {
  cloudWatch.reset();
});

const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' };
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function setup() {
  const clients = createAwsClients({ credentials: CREDENTIALS });
  return { clients, alarms: cloudWatchAlarms(clients) };
}

async function regionOf(call: unknown): Promise<string> {
  return (call as { thisValue: CloudWatchClient }).thisValue.config.region();
}

describe('alarmStates', () => {
  it('returns metric and composite alarm states in the named region', async () => {
    // Prepare
    const { alarms, clients } = setup();
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: 'orders-primary-canary',
          AlarmArn: 'arn:aws:cloudwatch:us-west-2:111111111111:alarm:orders-primary-canary',
          StateValue: 'ALARM',
          StateReason: 'Threshold Crossed',
          StateUpdatedTimestamp: new Date(T0 + 60_000),
          StateTransitionedTimestamp: new Date(T0),
        },
      ],
      CompositeAlarms: [
        {
          AlarmName: 'orders-composite',
          AlarmArn: 'arn:aws:cloudwatch:us-west-2:111111111111:alarm:orders-composite',
          StateValue: 'OK',
          StateReason: 'all fine',
          StateUpdatedTimestamp: new Date(T0),
        },
      ],
    });

    // Act
    const states = await alarms.alarmStates('us-west-2', ['orders-primary-canary', 'orders-composite']);

    // Assess
    expect(states).toEqual([
      {
        name: 'orders-primary-canary',
        arn: 'arn:aws:cloudwatch:us-west-2:111111111111:alarm:orders-primary-canary',
        state: 'ALARM',
        reason: 'Threshold Crossed',
        updatedAt: T0 + 60_000,
        transitionedAt: T0,
      },
      {
        name: 'orders-composite',
        arn: 'arn:aws:cloudwatch:us-west-2:111111111111:alarm:orders-composite',
        state: 'OK',
        reason: 'all fine',
        updatedAt: T0,
        transitionedAt: T0,
      },
    ]);
    const [call] = cloudWatch.commandCalls(DescribeAlarmsCommand);
    expect(call?.args[0].input).toEqual({
      AlarmNames: ['orders-primary-canary', 'orders-composite'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(call?.thisValue).toBe(clients.cloudWatch('us-west-2'));
    expect(await regionOf(call)).toBe('us-west-2');
  });

  it('asks for at most 100 names per call and follows NextToken', async () => {
    const { alarms } = setup();
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    cloudWatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'alarm-0', StateValue: 'OK' }], NextToken: 'page-2' })
      .resolves({ MetricAlarms: [] });

    await alarms.alarmStates('us-west-2', names);

    const inputs = cloudWatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.AlarmNames?.length, i.NextToken])).toEqual([
      [100, undefined],
      [100, 'page-2'],
      [50, undefined],
    ]);
  });

  it('makes no call for no names', async () => {
    const { alarms } = setup();

    await expect(alarms.alarmStates('us-west-2', [])).resolves.toEqual([]);
    expect(cloudWatch.calls()).toHaveLength(0);
  });

  it.each([
    [
      'Throttling',
      new CloudWatchServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
      'ThrottledError',
    ],
    [
      'InternalServiceFault',
      new InternalServiceFault({ message: 'oops', $metadata: { httpStatusCode: 500 } }),
      'TransientAwsError',
    ],
  ])('translates %s to %s', async (_code, error, name) => {
    const { alarms } = setup();
    cloudWatch.on(DescribeAlarmsCommand).rejects(error);

    await expect(alarms.alarmStates('us-west-2', ['a'])).rejects.toMatchObject({
      name,
      cause: error,
      message: expect.stringContaining('DescribeAlarms a in us-west-2'),
    });
  });

  it('rethrows an unknown error unchanged', async () => {
    const { alarms } = setup();
    const denied = new CloudWatchServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message: 'no',
      $metadata: { httpStatusCode: 403 },
    });
    cloudWatch.on(DescribeAlarmsCommand).rejects(denied);

    await expect(alarms.alarmStates('us-west-2', ['a'])).rejects.toBe(denied);
  });
});

describe('latestDatapoint', () => {
  it('returns the latest datapoint and when it was', async () => {
    const { alarms } = setup();
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'm0', Values: [3, 5], Timestamps: [new Date(T0 - 60_000), new Date(T0 - 120_000)] },
      ],
    });

    const point = await alarms.latestDatapoint(
      'eu-west-1',
      { namespace: 'AWS/X', metricName: 'Y', dimensions: { A: 'b' }, stat: 'Average', periodSeconds: 60 },
      T0,
      600_000,
    );

    expect(point).toEqual({ value: 3, at: T0 - 60_000 });
    const [call] = cloudWatch.commandCalls(GetMetricDataCommand);
    expect(call?.args[0].input.StartTime).toEqual(new Date(T0 - 600_000));
    expect(await regionOf(call)).toBe('eu-west-1');
  });
});

describe('latestDatapoints', () => {
  it('reads up to 500 metrics a call, follows NextToken, and answers each query in order', async () => {
    // Arrange: 501 queries; the first call's answer comes in two pages.
    const { alarms } = setup();
    const queries = Array.from({ length: 501 }, (_, i) => ({
      namespace: 'AWS/RDS',
      metricName: 'Lag',
      dimensions: { DBClusterIdentifier: `c${i}` },
      stat: 'Maximum' as const,
      periodSeconds: 60,
    }));
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'm0', Values: [1], Timestamps: [new Date(T0 - 120_000)] }],
        NextToken: 'page2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'm0', Values: [2], Timestamps: [new Date(T0 - 60_000)] },
          { Id: 'm499', Values: [9], Timestamps: [new Date(T0 - 60_000)] },
        ],
      })
      .resolvesOnce({ MetricDataResults: [{ Id: 'm500', Values: [7], Timestamps: [new Date(T0)] }] });

    // Act
    const points = await alarms.latestDatapoints?.('us-west-2', queries, T0, 300_000);

    // Assert
    const calls = cloudWatch.commandCalls(GetMetricDataCommand);
    expect(calls.map((c) => c.args[0].input.MetricDataQueries?.length)).toEqual([500, 500, 1]);
    expect(calls[1]?.args[0].input.NextToken).toBe('page2');
    expect(points).toHaveLength(501);
    expect(points?.[0]).toEqual({ value: 2, at: T0 - 60_000 });
    expect(points?.[1]).toBeUndefined();
    expect(points?.[499]).toEqual({ value: 9, at: T0 - 60_000 });
    expect(points?.[500]).toEqual({ value: 7, at: T0 });
  });
});

describe('parseAlarmArn', () => {
  it('splits an alarm ARN into region and name', () => {
    expect(parseAlarmArn('arn:aws:cloudwatch:us-west-2:111111111111:alarm:orders:canary')).toEqual({
      region: 'us-west-2',
      name: 'orders:canary',
    });
  });

  it('refuses anything else', () => {
    expect(() => parseAlarmArn('orders-canary')).toThrow(/got orders-canary; expected arn:aws:cloudwatch/);
  });
});

import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { InvalidInputError } from '../core/errors.js';
import type { AwsClients } from './clients.js';
import { awsCall } from './translate-error.js';

/** An alarm's state as a detection step needs it. Times are epoch milliseconds. */
export interface AlarmState {
  readonly name: string;
  readonly arn: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly reason: string;
  /** Last update of the alarm's state record, even when its value did not change. */
  readonly updatedAt: number;
  /** When the alarm entered its current state: what "continuously in ALARM for N seconds" is measured from. */
  readonly transitionedAt: number;
}

/** One CloudWatch metric, as GetMetricData names it. */
export interface MetricQuery {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: 'Average' | 'Maximum' | 'Minimum' | 'Sum' | 'SampleCount';
  /** Seconds; a multiple of 60 for standard-resolution metrics. */
  readonly periodSeconds: number;
}

/** CloudWatch, read-only: alarm states for detection and the latest datapoint of a metric. */
export interface CloudWatchAlarms {
  /**
   * The states of the named alarms (metric and composite) in `region`. An alarm that does not
   * exist is absent from the result: the caller decides whether that is an error.
   */
  alarmStates(region: string, alarmNames: readonly string[]): Promise<AlarmState[]>;
  /**
   * The most recent datapoint of `query` in `region` within `windowMs` before `now` (epoch ms), or
   * undefined when the metric has no data in that window.
   */
  latestDatapoint(
    region: string,
    query: MetricQuery,
    now: number,
    windowMs: number,
  ): Promise<{ value: number; at: number } | undefined>;
}

// DescribeAlarms takes at most 100 names per call.
const NAMES_PER_CALL = 100;

/** The CloudWatch adapter. */
export function cloudWatchAlarms(clients: AwsClients): CloudWatchAlarms {
  return {
    async alarmStates(region, alarmNames) {
      const states: AlarmState[] = [];
      for (let i = 0; i < alarmNames.length; i += NAMES_PER_CALL) {
        const names = alarmNames.slice(i, i + NAMES_PER_CALL);
        let nextToken: string | undefined;
        do {
          const token = nextToken;
          const page = await awsCall(
            { operation: 'DescribeAlarms', region, resource: names.join(',') },
            [],
            () =>
              clients.cloudWatch(region).send(
                new DescribeAlarmsCommand({
                  AlarmNames: names,
                  AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
                  ...(token ? { NextToken: token } : {}),
                }),
              ),
          );
          for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
            const updatedAt = alarm.StateUpdatedTimestamp?.getTime() ?? 0;
            states.push({
              name: alarm.AlarmName ?? '',
              arn: alarm.AlarmArn ?? '',
              state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
              reason: alarm.StateReason ?? '',
              updatedAt,
              transitionedAt: alarm.StateTransitionedTimestamp?.getTime() ?? updatedAt,
            });
          }
          nextToken = page.NextToken;
        } while (nextToken);
      }
      return states;
    },

    async latestDatapoint(region, query, now, windowMs) {
      const output = await awsCall(
        { operation: 'GetMetricData', region, resource: `${query.namespace} ${query.metricName}` },
        [],
        () =>
          clients.cloudWatch(region).send(
            new GetMetricDataCommand({
              StartTime: new Date(now - windowMs),
              EndTime: new Date(now),
              ScanBy: 'TimestampDescending',
              MetricDataQueries: [
                {
                  Id: 'm0',
                  ReturnData: true,
                  MetricStat: {
                    Metric: {
                      Namespace: query.namespace,
                      MetricName: query.metricName,
                      Dimensions: Object.entries(query.dimensions).map(([Name, Value]) => ({ Name, Value })),
                    },
                    Period: query.periodSeconds,
                    Stat: query.stat,
                  },
                },
              ],
            }),
          ),
      );
      const result = output.MetricDataResults?.find((r) => r.Id === 'm0');
      const values = result?.Values ?? [];
      const times = result?.Timestamps ?? [];
      // Pick the latest by timestamp rather than trust the scan order.
      let latest: { value: number; at: number } | undefined;
      values.forEach((value, i) => {
        const at = times[i]?.getTime();
        if (at !== undefined && (!latest || at > latest.at)) latest = { value, at };
      });
      return latest;
    },
  };
}

/** The region and name of a CloudWatch alarm ARN (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`). */
export function parseAlarmArn(arn: string): { region: string; name: string } {
  const match = /^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):\d{12}:alarm:(.+)$/.exec(arn);
  if (!match?.[1] || !match[2]) {
    throw new InvalidInputError(
      `alarm ARN: not a CloudWatch alarm ARN (got ${arn}; expected arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME)`,
    );
  }
  return { region: match[1], name: match[2] };
}

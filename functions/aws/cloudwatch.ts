import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmState, CloudWatchAlarms, MetricQuery } from '../runbook/ports/cloudwatch.js';
import type { ClientFactory } from './client-factory.js';
import { CLOUDWATCH_CLIENT } from './sdk-clients.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { AlarmState, CloudWatchAlarms, MetricQuery };

// DescribeAlarms takes at most 100 names per call.
const NAMES_PER_CALL = 100;

/** The CloudWatch adapter. */
export function cloudWatchAlarms(clients: ClientFactory): CloudWatchAlarms {
  const cloudWatch = (region: string) => clients.client(CLOUDWATCH_CLIENT, region);
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
              cloudWatch(region).send(
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
          cloudWatch(region).send(
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

// ARN handling lives in the core; re-exported for the adapter's callers.
export { parseAlarmArn } from '../core/arns.js';

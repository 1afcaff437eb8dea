import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmState, CloudWatchAlarms, MetricQuery } from '../runbook/ports/cloudwatch.js';
import type { ClientFactory } from './client-factory.js';
import { CLOUDWATCH_CLIENT } from './sdk-clients/cloudwatch.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { AlarmState, CloudWatchAlarms, MetricQuery };

// DescribeAlarms takes at most 100 names per call: AlarmNames, "Array Members: Maximum number of 100
// items" (CloudWatch API Reference, DescribeAlarms,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
const NAMES_PER_CALL = 100;

/**
 * GetMetricData reads at most 500 metrics a call: "A GetMetricData operation that does not include
 * a query can retrieve as many as 500 different metrics in a single request, with a total of as
 * many as 100,800 data points" (CloudWatch API Reference, GetMetricData,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html); beyond
 * the data points, the answer is paged (NextToken).
 */
const METRICS_PER_CALL = 500;

/** The CloudWatch adapter. */
export function cloudWatchAlarms(clients: ClientFactory): CloudWatchAlarms {
  const cloudWatch = (region: string) => clients.client(CLOUDWATCH_CLIENT, region);
  /** The latest datapoint of each query: one GetMetricData per 500 queries (each query `m<index>`). */
  const latestDatapoints = async (
    region: string,
    queries: readonly MetricQuery[],
    now: number,
    windowMs: number,
  ): Promise<({ value: number; at: number } | undefined)[]> => {
    const latest: ({ value: number; at: number } | undefined)[] = queries.map(() => undefined);
    for (let first = 0; first < queries.length; first += METRICS_PER_CALL) {
      const chunk = queries.slice(first, first + METRICS_PER_CALL);
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const output = await awsCall(
          {
            operation: 'GetMetricData',
            region,
            resource:
              chunk.length === 1
                ? `${chunk[0]?.namespace} ${chunk[0]?.metricName}`
                : `${chunk.length} metric(s)`,
          },
          [],
          () =>
            cloudWatch(region).send(
              new GetMetricDataCommand({
                StartTime: new Date(now - windowMs),
                EndTime: new Date(now),
                ScanBy: 'TimestampDescending',
                MetricDataQueries: chunk.map((query, i) => ({
                  Id: `m${first + i}`,
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
                })),
                ...(token ? { NextToken: token } : {}),
              }),
            ),
        );
        for (const result of output.MetricDataResults ?? []) {
          const index = Number(result.Id?.slice(1));
          if (!Number.isInteger(index) || index < first || index >= first + chunk.length) continue;
          const times = result.Timestamps ?? [];
          // Pick the latest by timestamp rather than trust the scan order (or the pages').
          (result.Values ?? []).forEach((value, i) => {
            const at = times[i]?.getTime();
            const known = latest[index];
            if (at !== undefined && (!known || at > known.at)) latest[index] = { value, at };
          });
        }
        nextToken = output.NextToken;
      } while (nextToken);
    }
    return latest;
  };

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
      const [point] = await latestDatapoints(region, [query], now, windowMs);
      return point;
    },

    latestDatapoints,
  };
}

// ARN handling lives in the core; re-exported for the adapter's callers.
export { parseAlarmArn } from '../core/arns.js';

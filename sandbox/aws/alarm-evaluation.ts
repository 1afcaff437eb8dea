import type { ComparisonOperator, StateValue, Statistic } from '@aws-sdk/client-cloudwatch';
import { CanaryResults } from './metrics.js';
import { awsError } from './simulator.js';

/**
 * A metric alarm's definition, as `PutMetricAlarm` takes it and `DescribeAlarms` answers it
 * (Amazon CloudWatch API Reference, PutMetricAlarm / MetricAlarm).
 */
export interface AlarmDefinition {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
  readonly statistic: Statistic;
  /** The length of one period, seconds (of the profile's time: the fast profile runs them faster). */
  readonly periodSeconds: number;
  /** N: the periods evaluated each time. */
  readonly evaluationPeriods: number;
  /** M: how many of the N must breach for ALARM. */
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: SimpleComparison;
  readonly treatMissingData: TreatMissingData;
}

/** The static-threshold comparisons (the band ones belong to anomaly detection, not modelled). */
export type SimpleComparison = Extract<
  ComparisonOperator,
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold'
>;

/**
 * How missing datapoints count (CloudWatch User Guide, "Configuring how CloudWatch alarms treat
 * missing data", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
 * `notBreaching` "treated as good and within the threshold", `breaching` "treated as bad and
 * breaching the threshold", `ignore` "the current alarm state is maintained", `missing` "if all data
 * points in the alarm evaluation range are missing, the alarm transitions to INSUFFICIENT_DATA".
 * "The default behavior is missing."
 */
export type TreatMissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';

const COMPARISONS: readonly SimpleComparison[] = [
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];
const STATISTICS: readonly Statistic[] = ['Average', 'Maximum', 'Minimum', 'SampleCount', 'Sum'];
const TREATMENTS: readonly TreatMissingData[] = ['breaching', 'notBreaching', 'ignore', 'missing'];

/** Whether one datapoint breaches the alarm's threshold. */
export function breaches(value: number, definition: AlarmDefinition): boolean {
  const { threshold } = definition;
  switch (definition.comparisonOperator) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/**
 * One evaluation of an alarm over its evaluation range: `datapoints` holds the N most recent
 * periods, oldest first, `undefined` where the period has no datapoint. "M out of N": the alarm is
 * ALARM when at least `datapointsToAlarm` of the N breach (CloudWatch User Guide, "Using Amazon
 * CloudWatch alarms", Evaluating an alarm: "Datapoints to Alarm is the number of data points within
 * the Evaluation Periods that must be breaching to cause the alarm to go to the ALARM state",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html), else
 * OK; missing datapoints count as {@link TreatMissingData} says. `current` is the alarm's state
 * before this evaluation (kept by `ignore` when every datapoint is missing).
 *
 * Simplified: with `missing` or `ignore` and only some datapoints missing, the present ones are
 * judged alone against M (AWS may look further back for more datapoints).
 */
export function evaluateAlarm(
  definition: AlarmDefinition,
  datapoints: readonly (number | undefined)[],
  current: StateValue,
): { state: StateValue; reason: string } {
  const n = datapoints.length;
  const present = datapoints.filter((d): d is number => d !== undefined);
  const missing = n - present.length;
  const breaching = present.filter((d) => breaches(d, definition)).length;
  const shown = datapoints.map((d) => (d === undefined ? 'missing' : String(d))).join(', ');
  const comparison = `${definition.comparisonOperator} ${definition.threshold}`;
  if (
    missing === n &&
    (definition.treatMissingData === 'missing' || definition.treatMissingData === 'ignore')
  ) {
    return definition.treatMissingData === 'ignore'
      ? { state: current, reason: `Sandbox: no datapoints in ${n} period(s); the state is kept (ignore)` }
      : {
          state: 'INSUFFICIENT_DATA',
          reason: `Sandbox: no datapoints in ${n} period(s) (treat missing data: missing)`,
        };
  }
  const counted = breaching + (definition.treatMissingData === 'breaching' ? missing : 0);
  const state: StateValue = counted >= definition.datapointsToAlarm ? 'ALARM' : 'OK';
  return {
    state,
    reason:
      `Threshold Crossed: ${counted} out of the last ${n} datapoints [${shown}] ` +
      `${state === 'ALARM' ? 'were' : 'were not enough'} ${comparison} (${definition.datapointsToAlarm} needed, ` +
      `missing data: ${definition.treatMissingData})`,
  };
}

/**
 * Reads a `PutMetricAlarm` request into a definition, or throws the error CloudWatch answers
 * (`MissingRequiredParameterException`, `InvalidParameterValueException`), saying what was wrong,
 * what was got and what was expected. Metric math (`Metrics`), extended statistics and anomaly
 * bands are refused as unsupported by the sandbox.
 */
export function alarmDefinitionFrom(input: Record<string, unknown>): AlarmDefinition {
  const required = (field: string): unknown => {
    const value = input[field];
    if (value === undefined || value === null || value === '')
      throw awsError('cloudwatch', 'MissingRequiredParameterException', `${field} is required`);
    return value;
  };
  const invalid = (field: string, got: unknown, expected: string) =>
    awsError(
      'cloudwatch',
      'InvalidParameterValueException',
      `${field} is invalid: got ${JSON.stringify(got)}; expected ${expected}`,
    );
  if (
    input.Metrics !== undefined ||
    input.ExtendedStatistic !== undefined ||
    input.ThresholdMetricId !== undefined
  )
    throw invalid(
      'Metrics',
      'metric math, an extended statistic or a band',
      'a single metric with Statistic (sandbox)',
    );
  const namespace = required('Namespace');
  const metricName = required('MetricName');
  if (typeof namespace !== 'string') throw invalid('Namespace', namespace, 'a string');
  if (typeof metricName !== 'string') throw invalid('MetricName', metricName, 'a string');
  const statistic = required('Statistic');
  if (!STATISTICS.includes(statistic as Statistic))
    throw invalid('Statistic', statistic, STATISTICS.join(' | '));
  const period = required('Period');
  // "Valid values are 10, 20, 30, and any multiple of 60" (PutMetricAlarm, Period).
  if (
    typeof period !== 'number' ||
    !(period === 10 || period === 20 || period === 30 || (period > 0 && period % 60 === 0))
  )
    throw invalid('Period', period, '10, 20, 30 or a multiple of 60 (seconds)');
  const evaluationPeriods = required('EvaluationPeriods');
  if (typeof evaluationPeriods !== 'number' || !Number.isInteger(evaluationPeriods) || evaluationPeriods < 1)
    throw invalid('EvaluationPeriods', evaluationPeriods, 'an integer of at least 1');
  const datapointsToAlarm = input.DatapointsToAlarm ?? evaluationPeriods;
  if (
    typeof datapointsToAlarm !== 'number' ||
    !Number.isInteger(datapointsToAlarm) ||
    datapointsToAlarm < 1 ||
    datapointsToAlarm > evaluationPeriods
  )
    throw invalid(
      'DatapointsToAlarm',
      datapointsToAlarm,
      `an integer from 1 to EvaluationPeriods (${evaluationPeriods})`,
    );
  const threshold = required('Threshold');
  if (typeof threshold !== 'number' || !Number.isFinite(threshold))
    throw invalid('Threshold', threshold, 'a number');
  const comparisonOperator = required('ComparisonOperator');
  if (!COMPARISONS.includes(comparisonOperator as SimpleComparison))
    throw invalid('ComparisonOperator', comparisonOperator, COMPARISONS.join(' | '));
  const treatMissingData = input.TreatMissingData ?? 'missing';
  if (!TREATMENTS.includes(treatMissingData as TreatMissingData))
    throw invalid('TreatMissingData', treatMissingData, TREATMENTS.join(' | '));
  const dimensions = input.Dimensions ?? [];
  if (
    !Array.isArray(dimensions) ||
    dimensions.some((d) => typeof d?.Name !== 'string' || typeof d?.Value !== 'string')
  )
    throw invalid('Dimensions', dimensions, 'a list of { Name, Value } strings');
  return {
    namespace,
    metricName,
    dimensions: (dimensions as { Name: string; Value: string }[]).map((d) => ({
      name: d.Name,
      value: d.Value,
    })),
    statistic: statistic as Statistic,
    periodSeconds: period,
    evaluationPeriods,
    datapointsToAlarm,
    threshold,
    comparisonOperator: comparisonOperator as SimpleComparison,
    treatMissingData: treatMissingData as TreatMissingData,
  };
}

/**
 * A plan detection alarm's definition: its canary's `SuccessPercent` (Average over one period of
 * `periodSeconds`) below 90 in 1 of 1 period, missing data `missing` (CloudWatch's default). The
 * threshold and M-of-N are the sandbox's choice (a canary run failing its checks publishes 0); the
 * metric is AWS's (CloudWatch User Guide, "CloudWatch metrics published by canaries").
 */
export function canaryAlarm(name: string, periodSeconds: number): AlarmDefinition {
  return {
    namespace: CanaryResults.NAMESPACE,
    metricName: CanaryResults.METRIC,
    dimensions: [{ name: 'CanaryName', value: name }],
    statistic: 'Average',
    periodSeconds,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 90,
    comparisonOperator: 'LessThanThreshold',
    treatMissingData: 'missing',
  };
}

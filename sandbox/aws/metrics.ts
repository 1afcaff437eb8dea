/**
 * Metric series the simulated CloudWatch answers from. A series is piecewise constant: each entry's
 * value holds from its `at` (virtual epoch ms) until the next entry's; `undefined` is a span with
 * nothing published (a gap, not a zero). The Aurora lag metrics come from the RDS model's lag, the
 * canaries' `SuccessPercent` from {@link CanaryResults}.
 */
export type Series = readonly { readonly at: number; readonly value: number | undefined }[];

/** The defined values a series takes during [from, to). */
export function valuesDuring(series: Series, from: number, to: number): number[] {
  const values: number[] = [];
  series.forEach((entry, i) => {
    const until = series[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    if (entry.value !== undefined && entry.at < to && until > from) values.push(entry.value);
  });
  return values;
}

/** One period's statistic over the values in force during it (Average unless named). */
export function aggregate(values: readonly number[], stat: string): number {
  switch (stat) {
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'SampleCount':
      return values.length;
    default:
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}

/** The period's datapoint, or undefined when nothing was published during [from, to). */
export function periodValue(series: Series, from: number, to: number, stat: string): number | undefined {
  const values = valuesDuring(series, from, to);
  return values.length > 0 ? aggregate(values, stat) : undefined;
}

/**
 * The sandbox's stand-in for the CloudWatch Synthetics canaries a plan's detection alarms watch:
 * each canary publishes `SuccessPercent` (namespace `CloudWatchSynthetics`, dimension `CanaryName`;
 * CloudWatch User Guide, "CloudWatch metrics published by canaries",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_metrics.html)
 * every run, 100 while its checks pass and 0 while they fail; a canary that stopped publishes
 * nothing. What a canary sees is the scenario's to say (the sandbox does not run the canary's
 * script); its result holds until the scenario changes it.
 */
export class CanaryResults {
  private readonly series = new Map<string, { at: number; value: number | undefined }[]>();

  /** Namespace and metric name of what a canary publishes. */
  static readonly NAMESPACE = 'CloudWatchSynthetics';
  static readonly METRIC = 'SuccessPercent';

  /** The canary `name` in `region` publishes `value` from `at` on (undefined: nothing). */
  publish(region: string, name: string, at: number, value: number | undefined): void {
    const key = `${region}/${name}`;
    const series = this.series.get(key) ?? [];
    const last = series[series.length - 1];
    if (last && last.at === at) series[series.length - 1] = { at, value };
    else series.push({ at, value });
    this.series.set(key, series);
  }

  /** The canary's series, or undefined for a canary nobody runs. */
  seriesOf(region: string, name: string): Series | undefined {
    return this.series.get(`${region}/${name}`);
  }
}

/** What a canary publishes as `SuccessPercent` while its checks pass. */
export const CANARY_PASSING = 100;

/** The canary result a scenario's alarm state stands for (undefined: the canary stopped). */
export const CANARY_RESULT: Readonly<Record<'OK' | 'ALARM' | 'INSUFFICIENT_DATA', number | undefined>> = {
  OK: CANARY_PASSING,
  ALARM: 0,
  INSUFFICIENT_DATA: undefined,
};

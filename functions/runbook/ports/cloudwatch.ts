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
  /**
   * {@link latestDatapoint} of each of `queries`, in order, read together (GetMetricData takes up
   * to 500 metrics a call). Optional: a port without it reads one metric at a time.
   */
  latestDatapoints?(
    region: string,
    queries: readonly MetricQuery[],
    now: number,
    windowMs: number,
  ): Promise<({ value: number; at: number } | undefined)[]>;
}

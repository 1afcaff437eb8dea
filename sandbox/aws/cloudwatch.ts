import type {
  DescribeAlarmsInput,
  DescribeAlarmsOutput,
  GetMetricDataInput,
  GetMetricDataOutput,
  MetricAlarm,
  MetricDataQuery,
  MetricDataResult,
  SetAlarmStateInput,
  StateValue,
} from '@aws-sdk/client-cloudwatch';
import type { Plan } from '../../functions/core/plan.js';
import type { SimulatedRds } from './rds.js';
import {
  awsError,
  type CallTarget,
  type SimContext,
  type SimulatedService,
  UnsupportedOperationError,
} from './simulator.js';

const STATES: readonly StateValue[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
/**
 * The Aurora global database lag metrics a secondary publishes, both read from the RDS model's lag:
 * AuroraGlobalDBReplicationLag and AuroraGlobalDBRPOLag, the one AWS recommends for every Aurora
 * PostgreSQL-based global database (Aurora User Guide, "Using switchover or failover in Amazon
 * Aurora Global Database", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html;
 * both in milliseconds: "Cluster-level metrics for Amazon Aurora").
 */
const LAG_METRICS = {
  namespace: 'AWS/RDS',
  metricNames: new Set(['AuroraGlobalDBReplicationLag', 'AuroraGlobalDBRPOLag']),
} as const;
/** GetMetricData returns at most this many datapoints per query when MaxDatapoints is not given. */
const DEFAULT_MAX_DATAPOINTS = 100_800;

/** An alarm changed state: what CloudWatch turns into an EventBridge `CloudWatch Alarm State Change`. */
export interface AlarmStateChange {
  readonly alarmArn: string;
  readonly alarmName: string;
  readonly region: string;
  readonly previousState: StateValue;
  readonly state: StateValue;
  readonly reason: string;
  /** Virtual epoch ms. */
  readonly at: number;
}

interface AlarmState {
  readonly arn: string;
  readonly name: string;
  readonly region: string;
  readonly createdAt: number;
  state: StateValue;
  reason: string;
  reasonData: string | undefined;
  updatedAt: number;
  transitionedAt: number;
  /** What the alarm's own evaluation of its metric says; SetAlarmState only overrides it until the next evaluation. */
  evaluated: { state: StateValue; reason: string };
  revertTimer: number | undefined;
}

/**
 * Amazon CloudWatch (docs/architecture.md, The sandbox under the SDK): metric alarms per region (DescribeAlarms, SetAlarmState),
 * alarm state changes as events, and the Aurora global database lag metrics (GetMetricData on
 * AWS/RDS AuroraGlobalDBReplicationLag and AuroraGlobalDBRPOLag) read from the RDS model.
 *
 * An alarm's metric is not simulated: its evaluated state is what the scenario sets through
 * {@link SimulatedCloudWatch.setAlarmState} ("the canary fails"). The SetAlarmState API behaves as
 * documented: the state it sets lasts until the alarm's next evaluation (one period), which
 * returns the alarm to its evaluated state.
 */
export class SimulatedCloudWatch implements SimulatedService {
  readonly service = 'cloudwatch' as const;
  private readonly alarms = new Map<string, AlarmState>();
  private readonly listeners: ((change: AlarmStateChange) => void)[] = [];
  private readonly provisioned = new Set<string>();

  constructor(
    private readonly ctx: SimContext,
    private readonly rds: SimulatedRds,
  ) {}

  /** Creates the plan's detection alarms (idempotent per plan), each in its ARN's region, in state OK. */
  provision(plan: Plan): void {
    if (this.provisioned.has(plan.name)) return;
    this.provisioned.add(plan.name);
    const now = this.ctx.clock.now();
    for (const arn of plan.detection?.alarms ?? []) {
      const region = arn.split(':')[3] ?? '';
      const name = arn.split(':alarm:')[1] ?? arn;
      if (this.alarms.has(key(region, name))) continue;
      const reason = 'Sandbox: the alarm was created with its metric within its threshold';
      this.alarms.set(key(region, name), {
        arn,
        name,
        region,
        createdAt: now,
        state: 'OK',
        reason,
        reasonData: undefined,
        updatedAt: now,
        transitionedAt: now,
        evaluated: { state: 'OK', reason },
        revertTimer: undefined,
      });
    }
    this.ctx.changed();
  }

  /** Hears every alarm state change (the sandbox turns them into EventBridge events). */
  onAlarmStateChange(listener: (change: AlarmStateChange) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Sets what the alarm's evaluation says (a scenario's `alarm` event: the watched metric breaches
   * or recovers). Unlike the SetAlarmState API, the state stays until set again.
   */
  setAlarmState(alarmName: string, region: string, state: StateValue, reason: string): void {
    const alarm = this.alarms.get(key(region, alarmName));
    if (!alarm) throw new Error(`sandbox cloudwatch: no alarm ${alarmName} in ${region}`);
    if (!STATES.includes(state)) throw new Error(`sandbox cloudwatch: unknown alarm state ${state}`);
    this.ctx.clock.clearTimer(alarm.revertTimer);
    alarm.revertTimer = undefined;
    alarm.evaluated = { state, reason };
    this.transition(alarm, state, reason, undefined);
  }

  /** The alarm's current state, if it exists. */
  alarmState(alarmName: string, region: string): StateValue | undefined {
    return this.alarms.get(key(region, alarmName))?.state;
  }

  handle(operation: string, input: Record<string, unknown>, target: CallTarget): unknown {
    switch (operation) {
      case 'DescribeAlarms':
        return this.describeAlarms(input as Partial<DescribeAlarmsInput>, target);
      case 'SetAlarmState':
        return this.setAlarmStateApi(input as Partial<SetAlarmStateInput>, target);
      case 'GetMetricData':
        return this.getMetricData(input as Partial<GetMetricDataInput>, target);
      default:
        throw new UnsupportedOperationError('cloudwatch', operation);
    }
  }

  private describeAlarms(input: Partial<DescribeAlarmsInput>, target: CallTarget): DescribeAlarmsOutput {
    if (input.AlarmNames?.length && input.AlarmNamePrefix !== undefined)
      throw awsError(
        'cloudwatch',
        'InvalidParameterCombinationException',
        'AlarmNames and AlarmNamePrefix cannot be specified together',
      );
    if (input.StateValue !== undefined && !STATES.includes(input.StateValue))
      throw invalidState(input.StateValue);
    const types = input.AlarmTypes ?? ['MetricAlarm'];
    const alarms = types.includes('MetricAlarm')
      ? [...this.alarms.values()]
          .filter(
            (a) =>
              a.region === target.region &&
              (!input.AlarmNames?.length || input.AlarmNames.includes(a.name)) &&
              (input.AlarmNamePrefix === undefined || a.name.startsWith(input.AlarmNamePrefix)) &&
              (input.StateValue === undefined || a.state === input.StateValue),
          )
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      : [];
    return { MetricAlarms: alarms.map((a) => this.alarmView(a)), CompositeAlarms: [] };
  }

  private setAlarmStateApi(input: Partial<SetAlarmStateInput>, target: CallTarget): Record<string, never> {
    const name = input.AlarmName ?? '';
    const alarm = this.alarms.get(key(target.region, name));
    if (!alarm) throw awsError('cloudwatch', 'ResourceNotFound', `Alarm ${name} not found`);
    const state = input.StateValue;
    if (state === undefined || !STATES.includes(state)) throw invalidState(state);
    if (input.StateReasonData !== undefined) {
      try {
        JSON.parse(input.StateReasonData);
      } catch {
        throw awsError('cloudwatch', 'InvalidFormatFault', 'StateReasonData must be valid JSON');
      }
    }
    this.transition(alarm, state, input.StateReason ?? '', input.StateReasonData);
    // Until the next evaluation, one period later, which returns the alarm to its evaluated state.
    this.ctx.clock.clearTimer(alarm.revertTimer);
    alarm.revertTimer = this.ctx.clock.setTimer(this.ctx.latency.cloudwatch.alarmPeriodMs, () => {
      alarm.revertTimer = undefined;
      this.transition(alarm, alarm.evaluated.state, alarm.evaluated.reason, undefined);
    });
    return {};
  }

  private getMetricData(input: Partial<GetMetricDataInput>, target: CallTarget): GetMetricDataOutput {
    const queries = input.MetricDataQueries ?? [];
    if (queries.length === 0)
      throw awsError('cloudwatch', 'MissingRequiredParameterException', 'MetricDataQueries is required');
    const start = toMs(input.StartTime);
    const end = toMs(input.EndTime);
    if (start === undefined || end === undefined || start >= end)
      throw awsError(
        'cloudwatch',
        'InvalidParameterValueException',
        'StartTime and EndTime are required, and StartTime must be before EndTime',
      );
    const descending = input.ScanBy !== 'TimestampAscending';
    const max = input.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
    return {
      MetricDataResults: queries
        .filter((q) => q.ReturnData !== false)
        .map((q) => this.queryResult(q, target.region, start, end, descending, max)),
      Messages: [],
    };
  }

  /**
   * One datapoint per period that has data: the lag model is piecewise constant (it changes on
   * promotions, detaches, outages), so each period aggregates the values in force during it.
   */
  private queryResult(
    query: MetricDataQuery,
    region: string,
    start: number,
    end: number,
    descending: boolean,
    max: number,
  ): MetricDataResult {
    if (query.Expression !== undefined || !query.MetricStat)
      throw new UnsupportedOperationError('cloudwatch', 'GetMetricData (metric math expressions)');
    const { Metric: metric, Period: period, Stat: stat } = query.MetricStat;
    const label = query.Label ?? metric?.MetricName ?? query.Id ?? '';
    const empty: MetricDataResult = {
      Id: query.Id,
      Label: label,
      Timestamps: [],
      Values: [],
      StatusCode: 'Complete',
    };
    const periodMs = (period ?? 60) * 1000;
    if (!(periodMs > 0))
      throw awsError('cloudwatch', 'InvalidParameterValueException', 'Period must be a positive number');
    const clusterId = metric?.Dimensions?.find((d) => d.Name === 'DBClusterIdentifier')?.Value;
    if (
      metric?.Namespace !== LAG_METRICS.namespace ||
      !LAG_METRICS.metricNames.has(metric.MetricName ?? '') ||
      clusterId === undefined
    )
      return empty; // CloudWatch answers a metric nobody publishes with no datapoints.
    // Published by the secondary, in its own region.
    const arn = this.rds.clusterArnFor(region, clusterId);
    if (!arn) return empty;
    const history = this.rds.replicationLagHistory(arn);
    const now = this.ctx.clock.now();
    const points: { at: number; value: number }[] = [];
    for (let t = Math.ceil(start / periodMs) * periodMs; t < end && t <= now; t += periodMs) {
      const values = valuesDuring(history, t, Math.min(t + periodMs, now + 1));
      if (values.length > 0) points.push({ at: t, value: aggregate(values, stat ?? 'Average') });
    }
    if (descending) points.reverse();
    const kept = points.slice(0, max);
    return {
      ...empty,
      Timestamps: kept.map((p) => new Date(p.at)),
      Values: kept.map((p) => p.value),
    };
  }

  private transition(
    alarm: AlarmState,
    state: StateValue,
    reason: string,
    reasonData: string | undefined,
  ): void {
    const now = this.ctx.clock.now();
    const previous = alarm.state;
    alarm.reason = reason;
    alarm.reasonData = reasonData;
    alarm.updatedAt = now;
    if (previous === state) {
      this.ctx.changed([alarm.arn]);
      return;
    }
    alarm.state = state;
    alarm.transitionedAt = now;
    const change: AlarmStateChange = {
      alarmArn: alarm.arn,
      alarmName: alarm.name,
      region: alarm.region,
      previousState: previous,
      state,
      reason,
      at: now,
    };
    for (const listener of this.listeners) listener(change);
    this.ctx.changed([alarm.arn]);
  }

  private alarmView(alarm: AlarmState): MetricAlarm {
    return {
      AlarmName: alarm.name,
      AlarmArn: alarm.arn,
      AlarmConfigurationUpdatedTimestamp: new Date(alarm.createdAt),
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      StateValue: alarm.state,
      StateReason: alarm.reason,
      ...(alarm.reasonData !== undefined ? { StateReasonData: alarm.reasonData } : {}),
      StateUpdatedTimestamp: new Date(alarm.updatedAt),
      StateTransitionedTimestamp: new Date(alarm.transitionedAt),
      Period: Math.round(this.ctx.latency.cloudwatch.alarmPeriodMs / 1000),
      EvaluationPeriods: 1,
      Dimensions: [],
    };
  }
}

function key(region: string, name: string): string {
  return `${region}/${name}`;
}

function invalidState(state: string | undefined): Error {
  return awsError(
    'cloudwatch',
    'InvalidParameterValueException',
    `StateValue must be one of ${STATES.join(', ')}, got ${state ?? 'nothing'}`,
  );
}

function toMs(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** The defined values a piecewise-constant history takes during [from, to). */
function valuesDuring(
  history: readonly { at: number; lagMs: number | undefined }[],
  from: number,
  to: number,
) {
  const values: number[] = [];
  history.forEach((entry, i) => {
    const until = history[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    if (entry.lagMs !== undefined && entry.at < to && until > from) values.push(entry.lagMs);
  });
  return values;
}

function aggregate(values: readonly number[], stat: string): number {
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

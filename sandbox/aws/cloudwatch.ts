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
import { type AlarmDefinition, alarmDefinitionFrom, canaryAlarm, evaluateAlarm } from './alarm-evaluation.js';
import { CANARY_PASSING, CANARY_RESULT, CanaryResults, periodValue, type Series } from './metrics.js';
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
  /** When the definition was last put (virtual epoch ms). */
  configuredAt: number;
  definition: AlarmDefinition;
  /**
   * `every-period`: evaluated at the end of every period (an alarm put through PutMetricAlarm,
   * whose metric may change at any time). `on-change`: a plan's canary alarm, evaluated only while
   * its canary's result can still move it (the N + 1 periods after a change) or to end a
   * SetAlarmState: between those its series is steady and an evaluation could change nothing.
   */
  readonly schedule: 'every-period' | 'on-change';
  state: StateValue;
  reason: string;
  reasonData: string | undefined;
  updatedAt: number;
  transitionedAt: number;
  /** The next evaluation's timer, if one is due. */
  timer: number | undefined;
  /** Evaluations still to run for an `on-change` alarm. */
  ticksLeft: number;
}

/**
 * Amazon CloudWatch (docs/architecture.md, The sandbox under the SDK): metric alarms per region
 * (PutMetricAlarm, DescribeAlarms, SetAlarmState), evaluated on their metric as CloudWatch does,
 * alarm state changes as events, and the metrics the sandbox publishes (GetMetricData): the Aurora
 * global database lag metrics (AWS/RDS AuroraGlobalDBReplicationLag and AuroraGlobalDBRPOLag) read
 * from the RDS model, and the plans' canaries' `SuccessPercent` ({@link CanaryResults}).
 *
 * Every alarm carries its metric and threshold (namespace, metric, dimensions, statistic, period,
 * M out of N, comparison, missing-data treatment) and its state is the evaluation of that metric
 * ({@link evaluateAlarm}), one evaluation per period. A plan's detection alarm watches its canary
 * (the alarm's name is the canary's); a scenario's `alarm` event says what the canary sees from
 * then on (ALARM: its checks fail, OK: they pass, INSUFFICIENT_DATA: it stopped), and the alarm is
 * evaluated at that instant as if the new result had already held for one period (the sandbox's
 * one shortcut: the event's time is the alarm's). The SetAlarmState API behaves as documented
 * ("the alarm state returns to its actual state" at its next evaluation; CloudWatch API Reference,
 * SetAlarmState, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html).
 */
export class SimulatedCloudWatch implements SimulatedService {
  readonly service = 'cloudwatch' as const;
  private readonly alarms = new Map<string, AlarmState>();
  private readonly listeners: ((change: AlarmStateChange) => void)[] = [];
  private readonly provisioned = new Set<string>();
  private readonly canaries = new CanaryResults();

  constructor(
    private readonly ctx: SimContext,
    private readonly rds: SimulatedRds,
  ) {}

  /**
   * Creates the plan's detection alarms (idempotent per plan), each in its ARN's region, in state
   * OK, watching its canary ({@link canaryAlarm}), whose checks pass from now on.
   */
  provision(plan: Plan): void {
    if (this.provisioned.has(plan.name)) return;
    this.provisioned.add(plan.name);
    const now = this.ctx.clock.now();
    for (const arn of plan.detection?.alarms ?? []) {
      const region = arn.split(':')[3] ?? '';
      const name = arn.split(':alarm:')[1] ?? arn;
      if (this.alarms.has(key(region, name))) continue;
      this.canaries.publish(region, name, now, CANARY_PASSING);
      this.alarms.set(key(region, name), {
        arn,
        name,
        region,
        configuredAt: now,
        definition: canaryAlarm(name, this.periodSeconds()),
        schedule: 'on-change',
        state: 'OK',
        reason: 'Sandbox: the alarm was created with its canary passing',
        reasonData: undefined,
        updatedAt: now,
        transitionedAt: now,
        timer: undefined,
        ticksLeft: 0,
      });
    }
    this.ctx.changed();
  }

  /** Hears every alarm state change (the sandbox turns them into EventBridge events). */
  onAlarmStateChange(listener: (change: AlarmStateChange) => void): void {
    this.listeners.push(listener);
  }

  /**
   * A scenario's `alarm` event (or `POST /sandbox/alarms`): the plan alarm's canary sees its checks
   * fail (`ALARM`: `SuccessPercent` 0), pass (`OK`: 100) or stops (`INSUFFICIENT_DATA`: nothing
   * published) from now on, and the alarm is evaluated on that at once. The state lasts while the
   * canary's result does. `reason` is kept as the state reason.
   * @throws Error for an alarm the sandbox did not provision from a plan, or an unknown state.
   */
  setAlarmState(alarmName: string, region: string, state: StateValue, reason: string): void {
    const alarm = this.alarms.get(key(region, alarmName));
    if (alarm?.schedule !== 'on-change')
      throw new Error(`sandbox cloudwatch: no plan alarm ${alarmName} in ${region}`);
    if (!STATES.includes(state)) throw new Error(`sandbox cloudwatch: unknown alarm state ${state}`);
    const now = this.ctx.clock.now();
    this.canaries.publish(region, alarmName, now, CANARY_RESULT[state]);
    // As if the new result had held for one period already: the window (now, now + period].
    const periodMs = alarm.definition.periodSeconds * 1000 * this.ctx.latency.timeScale;
    const evaluated = this.evaluate(alarm, now + periodMs - 1);
    this.transition(alarm, evaluated.state, reason || evaluated.reason, undefined);
    // Keep evaluating while the window still holds the old result, then rest.
    alarm.ticksLeft = alarm.definition.evaluationPeriods + 1;
    this.schedule(alarm, true);
  }

  /** The alarm's current state, if it exists. */
  alarmState(alarmName: string, region: string): StateValue | undefined {
    return this.alarms.get(key(region, alarmName))?.state;
  }

  /** The alarm's definition (its metric and threshold), if it exists. */
  alarmDefinition(alarmName: string, region: string): AlarmDefinition | undefined {
    return this.alarms.get(key(region, alarmName))?.definition;
  }

  handle(operation: string, input: Record<string, unknown>, target: CallTarget): unknown {
    switch (operation) {
      case 'DescribeAlarms':
        return this.describeAlarms(input as Partial<DescribeAlarmsInput>, target);
      case 'PutMetricAlarm':
        return this.putMetricAlarm(input, target);
      case 'SetAlarmState':
        return this.setAlarmStateApi(input as Partial<SetAlarmStateInput>, target);
      case 'GetMetricData':
        return this.getMetricData(input as Partial<GetMetricDataInput>, target);
      default:
        throw new UnsupportedOperationError('cloudwatch', operation);
    }
  }

  /**
   * Creates or replaces a metric alarm in the caller's region. A new alarm starts
   * INSUFFICIENT_DATA and is evaluated at the end of every period; a replaced one keeps its
   * state until its next evaluation.
   */
  private putMetricAlarm(input: Record<string, unknown>, target: CallTarget): Record<string, never> {
    const name = input.AlarmName;
    if (typeof name !== 'string' || name.length === 0 || name.length > 255)
      throw awsError(
        'cloudwatch',
        'InvalidParameterValueException',
        `AlarmName is invalid: got ${JSON.stringify(name)}; expected 1 to 255 characters`,
      );
    const definition = alarmDefinitionFrom(input);
    const now = this.ctx.clock.now();
    const existing = this.alarms.get(key(target.region, name));
    if (existing) {
      existing.definition = definition;
      existing.configuredAt = now;
      // A resting canary alarm is evaluated on its new definition too.
      existing.ticksLeft = definition.evaluationPeriods + 1;
      this.schedule(existing, true);
      this.ctx.changed();
      return {};
    }
    const alarm: AlarmState = {
      arn: `arn:aws:cloudwatch:${target.region}:${ACCOUNT}:alarm:${name}`,
      name,
      region: target.region,
      configuredAt: now,
      definition,
      schedule: 'every-period',
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      reasonData: undefined,
      updatedAt: now,
      transitionedAt: now,
      timer: undefined,
      ticksLeft: 0,
    };
    this.alarms.set(key(target.region, name), alarm);
    this.schedule(alarm, true);
    this.ctx.changed();
    return {};
  }

  /**
   * Schedules the alarm's next evaluation one period from now (`restart`) or from its last one. An
   * `on-change` alarm stops when its ticks are spent.
   */
  private schedule(alarm: AlarmState, restart: boolean): void {
    if (alarm.schedule === 'on-change' && alarm.ticksLeft <= 0) return;
    if (alarm.timer !== undefined && !restart) return;
    this.ctx.clock.clearTimer(alarm.timer);
    const periodMs = alarm.definition.periodSeconds * 1000 * this.ctx.latency.timeScale;
    alarm.timer = this.ctx.clock.setTimer(periodMs, () => {
      alarm.timer = undefined;
      if (alarm.schedule === 'on-change') alarm.ticksLeft--;
      const evaluated = this.evaluate(alarm, this.ctx.clock.now());
      this.transition(alarm, evaluated.state, evaluated.reason, undefined);
      this.schedule(alarm, false);
    });
  }

  /**
   * Evaluates the alarm over the N periods ending at `at` (the last one (at - period, at]), on what
   * its metric's series says.
   */
  private evaluate(alarm: AlarmState, at: number): { state: StateValue; reason: string } {
    const def = alarm.definition;
    const periodMs = def.periodSeconds * 1000 * this.ctx.latency.timeScale;
    const series = this.seriesFor(def.namespace, def.metricName, def.dimensions, alarm.region) ?? [];
    const datapoints: (number | undefined)[] = [];
    for (let k = def.evaluationPeriods; k >= 1; k--) {
      const to = at - (k - 1) * periodMs + 1;
      datapoints.push(periodValue(series, to - periodMs, to, def.statistic));
    }
    return evaluateAlarm(def, datapoints, alarm.state);
  }

  /**
   * The series of a metric the sandbox publishes in `region`: a secondary's Aurora lag metrics
   * (in its own region) and the plans' canaries; undefined for any other metric (nobody publishes
   * it: no datapoints).
   */
  private seriesFor(
    namespace: string | undefined,
    metricName: string | undefined,
    dimensions: readonly { name: string; value: string }[],
    region: string,
  ): Series | undefined {
    const dimension = (name: string) => dimensions.find((d) => d.name === name)?.value;
    if (namespace === LAG_METRICS.namespace && LAG_METRICS.metricNames.has(metricName ?? '')) {
      const clusterId = dimension('DBClusterIdentifier');
      const arn = clusterId === undefined ? undefined : this.rds.clusterArnFor(region, clusterId);
      return arn ? this.rds.replicationLagHistory(arn).map((h) => ({ at: h.at, value: h.lagMs })) : undefined;
    }
    if (namespace === CanaryResults.NAMESPACE && metricName === CanaryResults.METRIC) {
      const canary = dimension('CanaryName');
      return canary === undefined ? undefined : this.canaries.seriesOf(region, canary);
    }
    return undefined;
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
    // Until the next evaluation, which returns the alarm to what its metric says: the one already
    // due, or (a resting canary alarm) one period from now.
    if (alarm.timer === undefined) {
      alarm.ticksLeft = Math.max(alarm.ticksLeft, 1);
      this.schedule(alarm, true);
    }
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
    const dimensions = (metric?.Dimensions ?? []).map((d) => ({ name: d.Name ?? '', value: d.Value ?? '' }));
    const series = this.seriesFor(metric?.Namespace, metric?.MetricName, dimensions, region);
    if (!series) return empty; // CloudWatch answers a metric nobody publishes with no datapoints.
    const now = this.ctx.clock.now();
    const points: { at: number; value: number }[] = [];
    // Periods before the series' first value have no data: a query over CloudWatch's whole
    // retention (15 days of 1-minute periods) starts at the sandbox's first datapoint instead.
    const first = series[0]?.at ?? end;
    const from = Math.max(Math.ceil(start / periodMs), Math.floor(first / periodMs)) * periodMs;
    for (let t = from; t < end && t <= now; t += periodMs) {
      const value = periodValue(series, t, Math.min(t + periodMs, now + 1), stat ?? 'Average');
      if (value !== undefined) points.push({ at: t, value });
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
    const def = alarm.definition;
    return {
      AlarmName: alarm.name,
      AlarmArn: alarm.arn,
      AlarmConfigurationUpdatedTimestamp: new Date(alarm.configuredAt),
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      StateValue: alarm.state,
      StateReason: alarm.reason,
      ...(alarm.reasonData !== undefined ? { StateReasonData: alarm.reasonData } : {}),
      StateUpdatedTimestamp: new Date(alarm.updatedAt),
      StateTransitionedTimestamp: new Date(alarm.transitionedAt),
      Namespace: def.namespace,
      MetricName: def.metricName,
      Dimensions: def.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
      Statistic: def.statistic,
      Period: def.periodSeconds,
      EvaluationPeriods: def.evaluationPeriods,
      DatapointsToAlarm: def.datapointsToAlarm,
      Threshold: def.threshold,
      ComparisonOperator: def.comparisonOperator,
      TreatMissingData: def.treatMissingData,
    };
  }

  /** The alarm period in seconds of the profile's time (60 in `realistic`). */
  private periodSeconds(): number {
    return this.ctx.latency.cloudwatch.alarmPeriodMs / 1000 / this.ctx.latency.timeScale;
  }
}

/** The one account of the sandbox. */
const ACCOUNT = '111111111111';

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

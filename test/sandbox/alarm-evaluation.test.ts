import { describe, expect, it } from 'vitest';
import {
  type AlarmDefinition,
  alarmDefinitionFrom,
  evaluateAlarm,
} from '../../sandbox/aws/alarm-evaluation.js';

/** Lag above 5 s in 2 of the last 3 periods. */
const LAG: AlarmDefinition = {
  namespace: 'AWS/RDS',
  metricName: 'AuroraGlobalDBReplicationLag',
  dimensions: [{ name: 'DBClusterIdentifier', value: 'orders-usw2' }],
  statistic: 'Maximum',
  periodSeconds: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  threshold: 5_000,
  comparisonOperator: 'GreaterThanThreshold',
  treatMissingData: 'missing',
};

describe('evaluateAlarm: M out of N', () => {
  it.each([
    [[800, 800, 800], 'OK'],
    [[9_000, 800, 800], 'OK'],
    [[9_000, 800, 9_000], 'ALARM'],
    [[9_000, 9_000, 9_000], 'ALARM'],
    // The threshold itself does not breach GreaterThanThreshold.
    [[5_000, 5_000, 5_000], 'OK'],
  ] as const)('%o -> %s', (datapoints, state) => {
    expect(evaluateAlarm(LAG, datapoints, 'OK').state).toBe(state);
  });

  it('compares as the operator says', () => {
    const at = (comparisonOperator: AlarmDefinition['comparisonOperator']) =>
      evaluateAlarm({ ...LAG, comparisonOperator, evaluationPeriods: 1, datapointsToAlarm: 1 }, [5_000], 'OK')
        .state;
    expect(at('GreaterThanOrEqualToThreshold')).toBe('ALARM');
    expect(at('LessThanOrEqualToThreshold')).toBe('ALARM');
    expect(at('LessThanThreshold')).toBe('OK');
  });
});

describe('evaluateAlarm: missing data, as TreatMissingData says', () => {
  const none = [undefined, undefined, undefined];
  const oneLeft = [undefined, undefined, 9_000];

  it.each([
    ['missing', none, 'OK', 'INSUFFICIENT_DATA'],
    ['ignore', none, 'ALARM', 'ALARM'],
    ['ignore', none, 'OK', 'OK'],
    ['breaching', none, 'OK', 'ALARM'],
    ['notBreaching', none, 'ALARM', 'OK'],
    // Some missing: breaching counts them, notBreaching does not; missing and ignore judge the one
    // datapoint present against M = 2.
    ['breaching', oneLeft, 'OK', 'ALARM'],
    ['notBreaching', oneLeft, 'OK', 'OK'],
    ['missing', oneLeft, 'OK', 'OK'],
    ['ignore', oneLeft, 'ALARM', 'OK'],
  ] as const)('%s over %o in %s -> %s', (treatMissingData, datapoints, current, state) => {
    expect(evaluateAlarm({ ...LAG, treatMissingData }, datapoints, current).state).toBe(state);
  });

  it('says why in the reason', () => {
    expect(evaluateAlarm(LAG, [9_000, undefined, 9_000], 'OK').reason).toMatch(
      /2 out of the last 3 datapoints \[9000, missing, 9000\]/,
    );
  });
});

describe('alarmDefinitionFrom (PutMetricAlarm)', () => {
  const input = {
    AlarmName: 'lag',
    Namespace: 'AWS/RDS',
    MetricName: 'AuroraGlobalDBReplicationLag',
    Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'orders-usw2' }],
    Statistic: 'Maximum',
    Period: 60,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    Threshold: 5_000,
    ComparisonOperator: 'GreaterThanThreshold',
  };

  it("reads every field, TreatMissingData defaulting to CloudWatch's missing", () => {
    expect(alarmDefinitionFrom(input)).toEqual(LAG);
    expect(alarmDefinitionFrom({ ...input, DatapointsToAlarm: undefined }).datapointsToAlarm).toBe(3);
  });

  it.each([
    [{ MetricName: undefined }, 'MissingRequiredParameterException', /MetricName is required/],
    [{ Period: 45 }, 'InvalidParameterValueException', /Period is invalid: got 45; expected 10, 20, 30/],
    [
      { DatapointsToAlarm: 4 },
      'InvalidParameterValueException',
      /DatapointsToAlarm .*expected an integer from 1 to/,
    ],
    [{ Statistic: 'p99' }, 'InvalidParameterValueException', /Statistic is invalid: got "p99"/],
    [{ TreatMissingData: 'zero' }, 'InvalidParameterValueException', /TreatMissingData is invalid/],
    [
      { ComparisonOperator: 'GreaterThanUpperThreshold' },
      'InvalidParameterValueException',
      /ComparisonOperator/,
    ],
  ])('refuses %o with %s', (change, name, message) => {
    let error: unknown;
    try {
      alarmDefinitionFrom({ ...input, ...change });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name });
    expect(String((error as Error).message)).toMatch(message);
  });
});

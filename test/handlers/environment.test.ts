import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { readLambdaEnvironment } from '../../functions/handlers/environment.js';

// The Lambda environment at cold start: the variables CDK sets and the plans the build embedded
// (here through SWITCHYARD_PLANS_JSON: the sources are not bundled).

const PLANS = await loadPlans('plans');
const ENV = {
  AWS_REGION: 'us-east-1',
  SWITCHYARD_TABLE_NAME: 'switchyard-state',
  SWITCHYARD_STATE_MACHINE_ARNS: JSON.stringify({
    'warm-standby': 'arn:aws:states:us-east-1:111111111111:stateMachine:Switchyard-WarmStandbyRunbook',
  }),
  SWITCHYARD_PLANS_JSON: JSON.stringify(PLANS),
};

describe('Lambda environment', () => {
  it('reads the variables and the embedded plans, with the event bus defaulted', () => {
    // Act
    const env = readLambdaEnvironment(ENV);

    // Assert
    expect(env).toEqual({
      region: 'us-east-1',
      tableName: 'switchyard-state',
      stateMachineArns: {
        'warm-standby': 'arn:aws:states:us-east-1:111111111111:stateMachine:Switchyard-WarmStandbyRunbook',
      },
      eventBusName: 'default',
      plans: PLANS,
    });
  });

  it('names every wrong variable, in English, with what was expected', () => {
    // Arrange
    const wrong = {
      ...ENV,
      AWS_REGION: 'mars',
      SWITCHYARD_TABLE_NAME: 'x',
      SWITCHYARD_STATE_MACHINE_ARNS: '{"warm-standby": "not-an-arn"}',
    };

    // Act
    const read = () => readLambdaEnvironment(wrong);

    // Assert
    expect(read).toThrow(/^Switchyard Lambda environment is invalid: /);
    expect(read).toThrow(/AWS_REGION: Invalid string: must match pattern/);
    expect(read).toThrow(/SWITCHYARD_TABLE_NAME: Too small: expected string to have >=3 characters/);
    expect(read).toThrow(
      /SWITCHYARD_STATE_MACHINE_ARNS\.warm-standby: Invalid string: must start with "arn:"/,
    );
  });

  it('refuses state machine ARNs that are not JSON with an issue, not a SyntaxError', () => {
    expect(() => readLambdaEnvironment({ ...ENV, SWITCHYARD_STATE_MACHINE_ARNS: '{oops' })).toThrow(
      'Switchyard Lambda environment is invalid: SWITCHYARD_STATE_MACHINE_ARNS: not JSON',
    );
  });

  it('refuses a bundle without plans, or with plans that are not what a validated build embeds', () => {
    const { SWITCHYARD_PLANS_JSON: _, ...withoutPlans } = ENV;
    expect(() => readLambdaEnvironment(withoutPlans)).toThrow('no plans were embedded at build time');
    expect(() => readLambdaEnvironment({ ...ENV, SWITCHYARD_PLANS_JSON: '[{"name": "a"}]' })).toThrow(
      /embedded plans\.0\.regions: Invalid input: expected array, received undefined/,
    );
  });
});

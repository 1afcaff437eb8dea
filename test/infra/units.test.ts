import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { readLambdaEnvironment } from '../../functions/handlers/environment.js';
import { arnPlaceholder, FUNCTIONS, STATE_MACHINES } from '../../functions/handlers/registry.js';
import { esbuildOptions, plansDefine } from '../../infra/bundling.js';
import {
  aslPlaceholders,
  placeholderFunctions,
  StateMachineDefinitionError,
} from '../../infra/constructs/state-machine.js';
import { isReadOnlyAction, wildcardMutations } from '../../infra/iam-audit.js';
import { capabilitiesOf, normalizedRecordName } from '../../infra/permissions.js';

const PLANS = await loadPlans('plans');
const LAMBDA_ENV = {
  AWS_REGION: 'us-east-1',
  SWITCHYARD_TABLE_NAME: 'switchyard-state',
  SWITCHYARD_STATE_MACHINE_ARNS: '{}',
};

describe('bundling options', () => {
  it('builds every function as an ES module for the Lambda runtime, with the plans embedded and the SDK trims', () => {
    const options = esbuildOptions('entry.ts', 'out/index.mjs', PLANS);
    expect(options.plugins?.map((p) => p.name)).toEqual([
      'switchyard-sdk-trims',
      'switchyard-flat-sdk-barrels',
    ]);
    expect(options).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      sourcemap: 'linked',
      sourcesContent: false,
      external: [],
      mainFields: ['module', 'main'],
      define: { __SWITCHYARD_PLANS__: plansDefine(PLANS) },
      banner: { js: expect.stringContaining('createRequire') },
      alias: { '@aws-sdk/credential-provider-node': './functions/aws/lambda-credentials.ts' },
    });
  });

  it('embeds the validated plans as a JS string literal of their JSON, which a function reads back unchanged', () => {
    // Arrange
    const literal = plansDefine(PLANS);

    // Act: what esbuild's define puts in the bundle, as environment.ts reads it
    const env = readLambdaEnvironment({ ...LAMBDA_ENV, SWITCHYARD_PLANS_JSON: JSON.parse(literal) });

    // Assert
    expect(env.plans).toEqual(PLANS);
  });
});

describe('state machine placeholders', () => {
  it.each(STATE_MACHINES.map((sm) => sm.file))('%s names only functions of FUNCTIONS', (file) => {
    const text = readFileSync(`state-machines/${file}`, 'utf8');
    const found = placeholderFunctions(file, text);
    expect([...found.keys()]).toEqual(aslPlaceholders(text));
    for (const [placeholder, name] of found) expect(arnPlaceholder(name)).toBe(placeholder);
  });

  it('fails synth naming every placeholder that has no function', () => {
    const ref = (name: string) => `\${${name}}`;
    const text = JSON.stringify({
      a: ref('BeginExecutionFunctionArn'),
      b: ref('LaunchMissilesFunctionArn'),
      c: ref('Oops'),
    });
    expect(() => placeholderFunctions('x.asl.json', text)).toThrow(StateMachineDefinitionError);
    expect(() => placeholderFunctions('x.asl.json', text)).toThrow(
      /2 placeholder\(s\) name no function of FUNCTIONS .*\$\{LaunchMissilesFunctionArn\}, \$\{Oops\}/,
    );
  });
});

describe('IAM helpers', () => {
  it('finds mutating actions on "*" and lets reads and service-wide tracing through', () => {
    const template = {
      Resources: {
        P: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyDocument: {
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['rds:DescribeDBClusters', 'xray:PutTraceSegments'],
                  Resource: '*',
                },
                { Effect: 'Allow', Action: 'rds:FailoverGlobalCluster', Resource: '*' },
                { Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::b', '*'] },
                {
                  Effect: 'Allow',
                  Action: 'autoscaling:UpdateAutoScalingGroup',
                  Resource: 'arn:aws:autoscaling:x',
                },
              ],
            },
          },
        },
        R: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [
              {
                PolicyDocument: {
                  Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: '*' }],
                },
              },
            ],
          },
        },
      },
    };
    expect(wildcardMutations(template)).toEqual([
      { logicalId: 'P', action: 'rds:FailoverGlobalCluster' },
      { logicalId: 'P', action: 's3:*' },
      { logicalId: 'R', action: 'dynamodb:PutItem' },
    ]);
    expect(isReadOnlyAction('cloudwatch:GetMetricData')).toBe(true);
    expect(isReadOnlyAction('route53:ChangeResourceRecordSets')).toBe(false);
  });

  it('normalizes record names as Route 53 does for its condition key', () => {
    expect(normalizedRecordName('API.Orders.Example.com.')).toBe('api.orders.example.com');
  });

  it("gives each function its role's capabilities; mutations only to the steps that make them", () => {
    const mutating = ['promoteDatabase', 'prepareDatabase', 'scaleCapacity', 'shiftTraffic', 'fenceWriter'];
    const owners = Object.fromEntries(
      mutating.map((c) => [
        c,
        FUNCTIONS.filter((f) => capabilitiesOf(f).includes(c as never)).map((f) => f.name),
      ]),
    );
    expect(owners).toEqual({
      // The region poller's watch (RunEvacuation) and the waker start pilot light's promotion as
      // they see the new reader available, and CheckCapacity a graceful switchover as it reads the
      // last group ready (Wake-ups).
      promoteDatabase: ['PromoteDatabase', 'CheckCapacity', 'RunEvacuation', 'WakeOnEvent'],
      prepareDatabase: ['PrepareDatabase'],
      // RequestApproval scales the target out while the approver decides; RecordFailure and an
      // abort before the approval (the API) give that capacity back.
      scaleCapacity: ['RequestApproval', 'ScaleCapacity', 'FinishExecution', 'RecordFailure', 'OperatorApi'],
      // The reconciler makes traffic follow the writer, and fences a returning old writer; an
      // evacuation flushes its apps' queued traffic changes in batches (docs/architecture.md); the
      // event waker (and AwaitEvent, the promotion over as it parks) moves a run's traffic once
      // its promotion is done and the run ready, CheckCapacity once its group is the last thing
      // ready, CheckDatabase (and the region poller's pass) when its own read sees the promotion
      // done and the run ready (Wake-ups).
      shiftTraffic: [
        'CheckDatabase',
        'CheckCapacity',
        'AwaitEvent',
        'ShiftTraffic',
        'RecordFailure',
        'RunEvacuation',
        'Reconcile',
        'WakeOnEvent',
      ],
      fenceWriter: ['Reconcile'],
    });
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../functions/handlers/environment.js';
import { arnPlaceholder, FUNCTIONS, STATE_MACHINES } from '../../functions/handlers/registry.js';
import type { SwitchyardApp } from '../../infra/app.js';
import { stateMachineName } from '../../infra/constructs/state-machine.js';
import { controlPlaneStackName } from '../../infra/control-plane-stack.js';
import { wildcardMutations } from '../../infra/iam-audit.js';
import { capabilitiesOf } from '../../infra/permissions.js';
import {
  alarmRules,
  buildFast,
  CDK_WORK_TIMEOUT_MS,
  flatten,
  removeOutdirs,
  resourcesOf,
  statementsOfRole,
  type TemplateJson,
  templateOf,
} from './helpers.js';

// The example plans (plans/) with the committed deployment config (infra/deploy.config.yaml).
let built: SwitchyardApp;
const templates = new Map<string, ReturnType<typeof templateOf>>();
const of = (region: string) => {
  const t = templates.get(region);
  if (!t) throw new Error(`no template for ${region}`);
  return t;
};

afterAll(removeOutdirs);

beforeAll(async () => {
  built = await buildFast();
  for (const stack of built.stacks) templates.set(stack.region, templateOf(stack));
}, CDK_WORK_TIMEOUT_MS);

const REGIONS = ['us-east-1', 'us-west-2'];

const FUNCTIONS_DIR = join(import.meta.dirname, '../../functions');

/**
 * The IAM actions of the DynamoDB commands the functions' code imports from `@aws-sdk/lib-dynamodb`
 * (`BatchGetCommand` is `dynamodb:BatchGetItem`) or `@aws-sdk/client-dynamodb` (`GetItemCommand` is
 * `dynamodb:GetItem`), type-only imports left out: what a role must allow for the code to run in AWS.
 */
function dynamoDbActionsInSource(dir: string): string[] {
  const documentClient: Record<string, string> = {
    BatchGet: 'BatchGetItem',
    BatchWrite: 'BatchWriteItem',
    Delete: 'DeleteItem',
    Get: 'GetItem',
    Put: 'PutItem',
    Query: 'Query',
    Scan: 'Scan',
    TransactGet: 'TransactGetItems',
    TransactWrite: 'TransactWriteItems',
    Update: 'UpdateItem',
  };
  const actions = new Set<string>();
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const [, names, pkg] of source.matchAll(
      /import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(lib-dynamodb|client-dynamodb)'/g,
    )) {
      for (const name of (names ?? '').split(',').map((n) => n.trim())) {
        const command = /^(\w+)Command$/.exec(name)?.[1];
        if (!command) continue;
        actions.add(
          `dynamodb:${pkg === 'lib-dynamodb' ? (documentClient[command] ?? `unknown ${command}`) : command}`,
        );
      }
    }
  }
  return [...actions].sort();
}

describe('ControlPlane stacks for the example plans', () => {
  it('has one stack per plan region, named by region, with an explicit account and region', () => {
    expect(built.stacks.map((s) => [s.stackName, s.account, s.region])).toEqual(
      REGIONS.map((r) => [controlPlaneStackName(r), '111111111111', r]),
    );
  });

  it.each(REGIONS)(
    '%s: every function of FUNCTIONS, as configured (Node 22, ARM64, 512 MB, 30 s, ESM env)',
    (region) => {
      const { template, json } = of(region);
      // Besides FUNCTIONS, the stack has the console's function (test/infra/console-site.test.ts).
      const all = resourcesOf(json, 'AWS::Lambda::Function');
      const functions = all.filter(([, f]) => f.Properties.FunctionName !== 'Switchyard-Console');
      expect(all.length - functions.length).toBe(1);
      expect(functions.map(([, f]) => f.Properties.FunctionName).sort()).toEqual(
        FUNCTIONS.map((f) => `Switchyard-${f.name}`).sort(),
      );
      for (const [, fn] of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          MemorySize: 512,
          Timeout: 30,
          Handler: 'index.handler',
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/Logs/) } },
        });
        const env = fn.Properties.Environment.Variables;
        expect(env).toMatchObject({
          POWERTOOLS_SERVICE_NAME: 'switchyard',
          POWERTOOLS_METRICS_NAMESPACE: 'Switchyard',
          [ENV.tableName]: 'switchyard-state',
          [ENV.eventBusName]: 'default',
        });
        // No source maps at run time: Node would parse the whole map at load (infra/bundling.ts).
        expect(env).not.toHaveProperty('NODE_OPTIONS');
        // The runbook ARNs the functions start and answer are the state machines of this region.
        const arns = JSON.parse(flatten(env[ENV.stateMachineArns]));
        expect(arns).toEqual(
          Object.fromEntries(
            STATE_MACHINES.map((sm) => [
              sm.strategy,
              `arn:aws:states:${region}:111111111111:stateMachine:${stateMachineName(sm.name)}`,
            ]),
          ),
        );
      }
      // One explicit log group per function (plus the runbooks', the API's and the console's), all
      // with retention.
      template.resourceCountIs('AWS::Logs::LogGroup', FUNCTIONS.length + STATE_MACHINES.length + 2);
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
      // Roles carry no managed policy (no AWSLambdaBasicExecutionRole): logs go to the explicit group.
      for (const [, role] of resourcesOf(json, 'AWS::IAM::Role'))
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    },
  );

  it.each(REGIONS)(
    '%s: both runbooks, every placeholder substituted by a function of this stack',
    (region) => {
      const { json } = of(region);
      const machines = resourcesOf(json, 'AWS::StepFunctions::StateMachine');
      expect(machines.map(([, m]) => m.Properties.StateMachineName).sort()).toEqual(
        STATE_MACHINES.map((sm) => stateMachineName(sm.name)).sort(),
      );
      const functionIds = new Set(resourcesOf(json, 'AWS::Lambda::Function').map(([id]) => id));
      for (const [, machine] of machines) {
        const { DefinitionString, DefinitionSubstitutions, LoggingConfiguration, TracingConfiguration } =
          machine.Properties;
        expect(typeof DefinitionString).toBe('string');
        // CloudFormation substitutes `${Key}` from DefinitionSubstitutions: do it here and look for leftovers.
        const resolved = (DefinitionString as string).replace(/\$\{([^}]*)\}/g, (whole, key: string) =>
          key in DefinitionSubstitutions ? `<${key}>` : whole,
        );
        expect(resolved).not.toContain('${');
        for (const [key, value] of Object.entries(DefinitionSubstitutions as Record<string, any>)) {
          const name = key.replace(/FunctionArn$/, '');
          expect(arnPlaceholder(name as never)).toBe(key);
          expect(value['Fn::GetAtt']?.[1]).toBe('Arn');
          expect(functionIds.has(value['Fn::GetAtt'][0])).toBe(true);
          expect(value['Fn::GetAtt'][0]).toMatch(new RegExp(`^${name}Function`));
        }
        // The runbooks' waitForTaskToken Task names its function through a placeholder too.
        const definition = JSON.parse(resolved);
        if (/Runbook$/.test(machine.Properties.StateMachineName))
          expect(definition.States.WaitForApproval.Parameters.FunctionName).toBe(
            '<RequestApprovalFunctionArn>',
          );
        expect(LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
        expect(TracingConfiguration).toEqual({ Enabled: true });
      }
    },
  );

  it.each(REGIONS)(
    '%s: each runbook role may invoke exactly the functions its definition names',
    (region) => {
      const { json } = of(region);
      for (const sm of STATE_MACHINES) {
        const text = readFileSync(`state-machines/${sm.file}`, 'utf8');
        const named = [
          ...new Set([...text.matchAll(/\$\{([A-Za-z]+)FunctionArn\}/g)].map((m) => m[1])),
        ].sort();
        const invoke = statementsOfRole(json, `${sm.name}StateMachineRole`).filter((s) =>
          s.actions.includes('lambda:InvokeFunction'),
        );
        expect(invoke).toHaveLength(1);
        expect(invoke[0]?.resources.map((r) => /GetAtt:([A-Za-z]+)Function/.exec(r)?.[1]).sort()).toEqual(
          named,
        );
      }
    },
  );

  it('defines the state table once, in the first region, with a replica in every region, MRSC and a witness', () => {
    const east = of('us-east-1');
    east.template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    east.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: 'switchyard-state',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
        MultiRegionConsistency: 'STRONG',
        GlobalTableWitnesses: [{ Region: 'us-east-2' }],
        TimeToLiveSpecification: Match.absent(),
      }),
    });
    const [[, table]] = resourcesOf(east.json, 'AWS::DynamoDB::GlobalTable') as [[string, any]];
    const replicas = table.Properties.Replicas as any[];
    expect(replicas.map((r) => r.Region).sort()).toEqual(REGIONS);
    for (const replica of replicas) {
      expect(replica).toMatchObject({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
    // The other region refers to its own replica by name and deploys after the table's stack.
    of('us-west-2').template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    const west = built.stacks.find((s) => s.region === 'us-west-2');
    expect(west?.dependencies.map((d) => d.stackName)).toEqual([controlPlaneStackName('us-east-1')]);
  });

  it.each(REGIONS)(
    '%s: the operator API routes ANY /{proxy+} to OperatorApi behind the configured JWT authorizer',
    (region) => {
      const { template, json } = of(region);
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: 'https://auth.example.com/', Audience: ['switchyard-operator-api'] },
      });
      const [[authorizerId]] = resourcesOf(json, 'AWS::ApiGatewayV2::Authorizer') as [[string, any]];
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: 'ANY /{proxy+}',
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
      // ANY /{proxy+} and the console's GET and HEAD of / and /assets/{proxy+} (console-site.test.ts).
      template.resourceCountIs('AWS::ApiGatewayV2::Route', 5);
      const proxy = resourcesOf(json, 'AWS::ApiGatewayV2::Route').find(
        ([, r]) => r.Properties.RouteKey === 'ANY /{proxy+}',
      );
      const target = /"Ref":"([^"]+)"/.exec(JSON.stringify(proxy?.[1].Properties.Target))?.[1];
      const integration = json.Resources[target ?? '']?.Properties;
      expect(integration?.IntegrationUri['Fn::GetAtt'][0]).toMatch(/^OperatorApiFunction/);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
        DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      });
    },
  );

  it("routes plan alarm state changes to EvaluateAlarm in the alarms' region only", () => {
    expect(alarmRules(of('us-east-1').json)).toEqual([]);
    expect(alarmRules(of('us-west-2').json)).toHaveLength(1);
    const west = of('us-west-2');
    west.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [
          'arn:aws:cloudwatch:us-west-2:111111111111:alarm:billing-primary-canary',
          'arn:aws:cloudwatch:us-west-2:111111111111:alarm:orders-primary-canary',
        ],
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EvaluateAlarmFunction'), 'Arn'] },
        }),
      ],
    });
  });

  it.each(REGIONS)("%s: a drill schedule per plan, with the plan's cron, invoking RunDrill", (region) => {
    const { template } = of(region);
    for (const [app, cron, kind] of [
      ['billing', 'cron(0 15 ? 1/3 TUE#2 *)', 'switchover-and-back'],
      ['orders', 'cron(0 14 ? 1/3 TUE#2 *)', 'switchover-and-back'],
    ]) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Name: `switchyard-drill-${app}`,
        ScheduleExpression: cron,
        ScheduleExpressionTimezone: 'Etc/UTC',
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RunDrillFunction'), 'Arn'] },
          Input: Match.serializedJson(Match.objectLike({ source: 'switchyard.drill-schedule', app, kind })),
        }),
      });
    }
  });

  it.each(REGIONS)(
    '%s: pings every function but the operator API every 5 minutes, at most 5 per rule',
    (region) => {
      const { json } = of(region);
      const ids = new Map(
        resourcesOf(json, 'AWS::Lambda::Function').map(([id, f]) => [id, f.Properties.FunctionName]),
      );
      const pinged: string[] = [];
      // Every scheduled rule but the reconciler's and readiness's (tested on their own) is a keep-warm rule.
      for (const [, rule] of resourcesOf(json, 'AWS::Events::Rule').filter(
        ([id, r]) =>
          r.Properties.ScheduleExpression &&
          !id.startsWith('ReconcilerSchedule') &&
          !id.startsWith('ReadinessSchedule'),
      )) {
        expect(rule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
        expect(rule.Properties.Targets.length).toBeLessThanOrEqual(5);
        for (const target of rule.Properties.Targets) {
          expect(JSON.parse(target.Input)).toEqual({ source: 'switchyard.keep-warm' });
          pinged.push(ids.get(target.Arn['Fn::GetAtt'][0]));
        }
      }
      expect(pinged.sort()).toEqual(
        FUNCTIONS.filter((f) => f.role !== 'api')
          .map((f) => `Switchyard-${f.name}`)
          .sort(),
      );
    },
  );
});

describe('least privilege', () => {
  it.each(REGIONS)('%s: no mutating action on "*" in any IAM policy', (region) => {
    expect(wildcardMutations(of(region).json as TemplateJson)).toEqual([]);
  });

  it("gives the database promotion only to PromoteDatabase, the event waker and the region poller (RunEvacuation: pilot light's reader seen) and CheckCapacity (a graceful run's last group seen ready), on the plans' global clusters and members", () => {
    const { json } = of('us-west-2');
    for (const fn of FUNCTIONS) {
      const statements = statementsOfRole(json, `${fn.name}Role`);
      const promote = statements.filter((s) =>
        s.actions.some((a) => /GlobalCluster$/.test(a) && !a.includes('Describe')),
      );
      if (!['PromoteDatabase', 'WakeOnEvent', 'CheckCapacity', 'RunEvacuation'].includes(fn.name)) {
        expect(promote, fn.name).toEqual([]);
        continue;
      }
      expect(promote).toHaveLength(1);
      expect(promote[0]?.actions.sort()).toEqual([
        'rds:FailoverGlobalCluster',
        'rds:RemoveFromGlobalCluster',
        'rds:SwitchoverGlobalCluster',
      ]);
      expect(promote[0]?.resources.sort()).toEqual([
        'arn:aws:rds::111111111111:global-cluster:billing-global',
        'arn:aws:rds::111111111111:global-cluster:orders-global',
        'arn:aws:rds:us-east-1:111111111111:cluster:billing-use1',
        'arn:aws:rds:us-east-1:111111111111:cluster:orders-use1',
        'arn:aws:rds:us-west-2:111111111111:cluster:billing-usw2',
        'arn:aws:rds:us-west-2:111111111111:cluster:orders-usw2',
      ]);
    }
  });

  it("lets only PrepareDatabase add a reader, to pilot light clusters only, of the plan's class and engine", () => {
    const { json } = of('us-east-1');
    for (const fn of FUNCTIONS) {
      const create = statementsOfRole(json, `${fn.name}Role`).filter((s) =>
        s.actions.includes('rds:CreateDBInstance'),
      );
      expect(create.length, fn.name).toBe(fn.name === 'PrepareDatabase' ? 1 : 0);
    }
    const [create] = statementsOfRole(json, 'PrepareDatabaseRole').filter(
      (s) => s.sid === 'AddPilotLightReaders',
    );
    // billing is pilot light; orders (warm standby) keeps its readers and gets none.
    expect(create?.resources).toEqual([
      'arn:aws:rds:us-east-1:111111111111:cluster:billing-use1',
      'arn:aws:rds:us-east-1:111111111111:db:billing-use1-switchyard-*',
      'arn:aws:rds:us-west-2:111111111111:cluster:billing-usw2',
      'arn:aws:rds:us-west-2:111111111111:db:billing-usw2-switchyard-*',
      'arn:aws:rds:us-east-1:111111111111:og:*',
      'arn:aws:rds:us-east-1:111111111111:pg:*',
      'arn:aws:rds:us-east-1:111111111111:subgrp:*',
      'arn:aws:rds:us-west-2:111111111111:og:*',
      'arn:aws:rds:us-west-2:111111111111:pg:*',
      'arn:aws:rds:us-west-2:111111111111:subgrp:*',
    ]);
    expect(create?.condition).toEqual({
      StringEquals: { 'rds:DatabaseClass': ['db.r6g.large'], 'rds:DatabaseEngine': ['aurora-postgresql'] },
    });
  });

  it("lets ScaleCapacity, FinishExecution, RequestApproval (while the approver decides) and the failure paths (RecordFailure, an abort in the API) resize exactly the plans' groups, by name, in every plan region", () => {
    const { json } = of('us-east-1');
    for (const fn of FUNCTIONS) {
      const scale = statementsOfRole(json, `${fn.name}Role`).filter((s) =>
        s.actions.includes('autoscaling:UpdateAutoScalingGroup'),
      );
      expect(scale.length, fn.name).toBe(capabilitiesOf(fn).includes('scaleCapacity') ? 1 : 0);
      if (scale.length === 0) continue;
      expect(scale[0]?.resources.sort()).toEqual(
        [
          'us-east-1:billing-api-use1',
          'us-west-2:billing-api-usw2',
          'us-east-1:billing-workers-use1',
          'us-west-2:billing-workers-usw2',
          'us-east-1:orders-web-use1',
          'us-west-2:orders-web-usw2',
        ]
          .map((m) => {
            const [region, name] = m.split(':');
            return `arn:aws:autoscaling:${region}:111111111111:autoScalingGroup:*:autoScalingGroupName/${name}`;
          })
          .sort(),
      );
    }
    expect(FUNCTIONS.filter((f) => capabilitiesOf(f).includes('scaleCapacity')).map((f) => f.name)).toEqual([
      'RequestApproval',
      'ScaleCapacity',
      'FinishExecution',
      'RecordFailure',
      'OperatorApi',
    ]);
  });

  it('lets only ShiftTraffic, the event waker and AwaitEvent (a promotion done, the run ready), CheckDatabase (its own read of the promotion done, the run ready), CheckCapacity (the last group ready), RecordFailure (traffic following the writer), the reconciler and an evacuation (its batches) move traffic: routing controls by ARN, plan records by condition keys', () => {
    const { json } = of('us-west-2');
    for (const fn of FUNCTIONS) {
      const statements = statementsOfRole(json, `${fn.name}Role`);
      const mutating = statements.filter((s) =>
        s.actions.some(
          (a) => a === 'route53:ChangeResourceRecordSets' || a.startsWith('route53-recovery-cluster:Update'),
        ),
      );
      const movers = [
        'ShiftTraffic',
        'WakeOnEvent',
        'AwaitEvent',
        'CheckDatabase',
        'CheckCapacity',
        'RecordFailure',
        'Reconcile',
        'RunEvacuation',
      ];
      if (!movers.includes(fn.name)) {
        expect(mutating, fn.name).toEqual([]);
        continue;
      }
      expect(mutating).toEqual([
        {
          sid: 'UpdateRoutingControls',
          actions: [
            'route53-recovery-cluster:UpdateRoutingControlState',
            'route53-recovery-cluster:UpdateRoutingControlStates',
          ],
          resources: [
            'arn:aws:route53-recovery-control::111111111111:controlpanel/0123456789abcdef/routingcontrol/a1b2c3d4e5f6a7b8',
            'arn:aws:route53-recovery-control::111111111111:controlpanel/0123456789abcdef/routingcontrol/b2c3d4e5f6a7b8c9',
          ],
          condition: undefined,
        },
        {
          sid: 'ChangePlanRecords0',
          actions: ['route53:ChangeResourceRecordSets'],
          resources: ['arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ'],
          condition: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
                'api.billing.example.com',
                'api.orders.example.com',
              ],
              'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
              'route53:ChangeResourceRecordSetsActions': ['CREATE', 'UPSERT', 'DELETE'],
            },
          },
        },
      ]);
    }
  });

  it("scopes Step Functions calls: runbooks and drills in the plans' regions, the detection wait and evacuations here", () => {
    const { json } = of('us-east-1');
    const arn = (kind: string, region: string, name: string) =>
      `arn:aws:states:${region}:111111111111:${kind}:Switchyard-${name}${kind === 'execution' ? ':*' : ''}`;
    // A failover runs in the region it activates: us-east-1's API and detection start us-west-2's runbooks.
    const runbooks = REGIONS.flatMap((r) => [
      arn('stateMachine', r, 'WarmStandbyRunbook'),
      arn('stateMachine', r, 'PilotLightRunbook'),
    ]).sort();
    const runbookExecutions = REGIONS.flatMap((r) => [
      arn('execution', r, 'WarmStandbyRunbook'),
      arn('execution', r, 'PilotLightRunbook'),
    ]).sort();
    const bySid = (fn: string) =>
      Object.fromEntries(
        statementsOfRole(json, `${fn}Role`)
          .filter((s) => s.actions.some((a) => a.startsWith('states:')))
          .map((s) => [s.sid, { actions: s.actions, resources: [...s.resources].sort() }]),
      );
    // Every role that observes reads the runbooks' status (readiness: "the step functions of that
    // region answer"), read-only, on the runbooks only.
    const DescribeRunbooks = { actions: ['states:DescribeStateMachine'], resources: runbooks };
    // A parked step is woken by SendTaskSuccess on its token: AwaitEvent (its own, when what it
    // waits for already happened), CheckCapacity (the database branch parked on capacity), the
    // waker and an evacuation (its shared reads), on the runbooks only; no other runbook step
    // answers a token.
    const WakeParkedRunbookSteps = { actions: ['states:SendTaskSuccess'], resources: runbooks };
    const wakers = new Set(['AwaitEvent', 'CheckCapacity']);
    // AwaitEvent also starts its own region's poller of parked waits (many apps failing over into
    // the region: functions/evacuation/region-poller.ts), there only.
    const poller = {
      StartPollers: {
        actions: ['states:StartExecution'],
        resources: [arn('stateMachine', 'us-east-1', 'RegionPoller')],
      },
      ReadPollerExecutions: {
        actions: ['states:DescribeExecution'],
        resources: [arn('execution', 'us-east-1', 'RegionPoller')],
      },
    };
    for (const fn of FUNCTIONS.filter((f) => f.role === 'runbook'))
      expect(bySid(fn.name), fn.name).toEqual(
        fn.name === 'AwaitEvent'
          ? { DescribeRunbooks, WakeParkedRunbookSteps, ...poller }
          : wakers.has(fn.name)
            ? { DescribeRunbooks, WakeParkedRunbookSteps }
            : { DescribeRunbooks },
      );
    expect(bySid('WakeOnEvent')).toEqual({ DescribeRunbooks, WakeParkedRunbookSteps });
    expect(bySid('Readiness')).toEqual({ DescribeRunbooks });
    expect(bySid('EvaluateAlarm')).toEqual({
      DescribeRunbooks,
      StartRunbooks: { actions: ['states:StartExecution'], resources: runbooks },
      ReadRunbookExecutions: { actions: ['states:DescribeExecution'], resources: runbookExecutions },
      StartDetections: {
        actions: ['states:StartExecution'],
        resources: [arn('stateMachine', 'us-east-1', 'DetectionSustain')],
      },
      ReadDetectionExecutions: {
        actions: ['states:DescribeExecution'],
        resources: [arn('execution', 'us-east-1', 'DetectionSustain')],
      },
    });
    // A drill runs in the region the plan is active in: the API (on request) may start it in any.
    const drills = {
      StartDrills: {
        actions: ['states:StartExecution'],
        resources: REGIONS.map((r) => arn('stateMachine', r, 'DrillRunner')),
      },
      ReadDrillExecutions: {
        actions: ['states:DescribeExecution'],
        resources: REGIONS.map((r) => arn('execution', r, 'DrillRunner')),
      },
    };
    expect(bySid('RunDrill')).toEqual({
      DescribeRunbooks,
      StartRunbooks: { actions: ['states:StartExecution'], resources: runbooks },
      ReadRunbookExecutions: { actions: ['states:DescribeExecution'], resources: runbookExecutions },
      ...drills,
    });
    // An evacuation requests each app's failover as the API does; it starts no other machine, and
    // wakes the apps' parked steps from its shared reads (SendTaskSuccess only, on the runbooks).
    expect(bySid('RunEvacuation')).toEqual({
      DescribeRunbooks,
      StartRunbooks: { actions: ['states:StartExecution'], resources: runbooks },
      ReadRunbookExecutions: { actions: ['states:DescribeExecution'], resources: runbookExecutions },
      WakeParkedRunbookSteps,
    });
    expect(bySid('OperatorApi')).toEqual({
      DescribeRunbooks,
      StartRunbooks: { actions: ['states:StartExecution'], resources: runbooks },
      ReadRunbookExecutions: { actions: ['states:DescribeExecution'], resources: runbookExecutions },
      ...drills,
      AnswerRunbookApprovals: {
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: runbooks,
      },
      ControlRunbookExecutions: {
        actions: ['states:StopExecution', 'states:DescribeExecution'],
        resources: runbookExecutions,
      },
      // An evacuation runs in the control plane that accepted it: this region's machine only.
      StartEvacuations: {
        actions: ['states:StartExecution'],
        resources: [arn('stateMachine', 'us-east-1', 'EvacuationRunner')],
      },
      ReadEvacuationExecutions: {
        actions: ['states:DescribeExecution'],
        resources: [arn('execution', 'us-east-1', 'EvacuationRunner')],
      },
    });
  });

  it.each(REGIONS)(
    '%s: the reconciler runs every minute and after every FAILED or ABORTED execution',
    (region) => {
      const { template } = of(region);
      const target = [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReconcileFunction'), 'Arn'] } }),
      ];
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: target,
      });
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['switchyard'],
          'detail-type': ['Switchyard Execution Finished'],
          detail: { status: ['FAILED', 'ABORTED'] },
        },
        Targets: target,
      });
    },
  );

  it.each(REGIONS)(
    "%s: RDS's switchover/failover finished and reader created events of the plans' clusters wake parked steps, through a role that answers runbook tokens, moves traffic and starts a promotion, and changes no capacity",
    (region) => {
      const { template, json } = of(region);
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.rds'],
          'detail-type': ['RDS DB Cluster Event', 'RDS DB Instance Event'],
          resources: Match.arrayWith([
            Match.stringLikeRegexp(`^arn:aws:rds:${region}:111111111111:cluster:`),
          ]),
          detail: { EventID: ['RDS-EVENT-0185', 'RDS-EVENT-0238', 'RDS-EVENT-0005'] },
        },
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WakeOnEventFunction'), 'Arn'] },
          }),
        ],
      });
      const statements = statementsOfRole(json, 'WakeOnEventRole');
      const actions = statements.flatMap((st) => st.actions);
      expect(actions).toContain('states:SendTaskSuccess');
      const mutating = /^(rds:(Create|Delete)|autoscaling:(Update|Set)|states:(Start|Stop|SendTaskFailure))/;
      expect(actions.filter((a: string) => mutating.test(a))).toEqual([]);
      // It starts pilot light's promotion once it sees the new reader (PromoteDatabase's statement,
      // scoped as the promotion test above checks).
      expect(actions.filter((a: string) => /^rds:(Switchover|Failover|Remove)/.test(a)).sort()).toEqual([
        'rds:FailoverGlobalCluster',
        'rds:RemoveFromGlobalCluster',
        'rds:SwitchoverGlobalCluster',
      ]);
      // It moves a run's traffic once its promotion is done and the run ready (docs/architecture.md,
      // Wake-ups), with ShiftTraffic's statements (scoped as the test above checks).
      expect(
        actions.filter((a: string) => /^(route53-recovery-cluster:Update|route53:Change)/.test(a)),
      ).toEqual([
        'route53-recovery-cluster:UpdateRoutingControlState',
        'route53-recovery-cluster:UpdateRoutingControlStates',
        'route53:ChangeResourceRecordSets',
      ]);
      // The token may be answered on the runbooks only.
      const answer = statements.filter((st) => st.actions.includes('states:SendTaskSuccess'));
      for (const st of answer)
        for (const resource of st.resources)
          expect(JSON.stringify(resource)).toMatch(/WarmStandbyRunbook|PilotLightRunbook/);
    },
  );

  it.each(REGIONS)(
    '%s: readiness is evaluated every 5 minutes, by a role that can read, keep its results and emit, and change nothing',
    (region) => {
      const { template, json } = of(region);
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReadinessFunction'), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 0 },
          }),
        ],
      });
      const mutating =
        /^(rds:(Switchover|Failover|Remove|Create|Delete)|autoscaling:(Update|Set)|route53-recovery-cluster:Update|route53:Change|states:Start)/;
      const actions = statementsOfRole(json, 'ReadinessRole').flatMap((st) => st.actions);
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((a: string) => mutating.test(a))).toEqual([]);
    },
  );

  it('gives no role DeleteDBInstance when no plan lets the reconciler fence a returning writer', () => {
    for (const region of REGIONS) {
      for (const fn of FUNCTIONS) {
        const deletes = statementsOfRole(of(region).json, `${fn.name}Role`).filter((s) =>
          s.actions.includes('rds:DeleteDBInstance'),
        );
        expect(deletes, `${region} ${fn.name}`).toEqual([]);
      }
    }
  });

  it("grants every DynamoDB operation the functions' code sends (each command imported from the SDK's DynamoDB packages)", () => {
    const sent = dynamoDbActionsInSource(FUNCTIONS_DIR);
    expect(sent).toContain('dynamodb:BatchGetItem'); // the batched reads (functions/aws/state-store/table.ts)
    for (const region of REGIONS) {
      for (const fn of FUNCTIONS) {
        const table = statementsOfRole(of(region).json, `${fn.name}Role`).find(
          (s) => s.sid === 'StateTableItems',
        );
        expect(
          sent.filter((action) => !table?.actions.includes(action)),
          `${region} ${fn.name}`,
        ).toEqual([]);
      }
    }
  });

  it('scopes state and events to this region: own table replica, own default bus, source switchyard', () => {
    for (const region of REGIONS) {
      const { json } = of(region);
      for (const fn of FUNCTIONS) {
        const statements = statementsOfRole(json, `${fn.name}Role`);
        const table = statements.find((s) => s.sid === 'StateTableItems');
        expect(table?.resources).toEqual([`arn:aws:dynamodb:${region}:111111111111:table/switchyard-state`]);
        expect(table?.actions).not.toContain('dynamodb:DeleteItem');
        const events = statements.find((s) => s.sid === 'PutSwitchyardEvents');
        // The waker publishes nothing (it only answers task tokens).
        if (!capabilitiesOf(fn).includes('events')) {
          expect(events, fn.name).toBeUndefined();
          continue;
        }
        expect(events).toEqual({
          sid: 'PutSwitchyardEvents',
          actions: ['events:PutEvents'],
          resources: [`arn:aws:events:${region}:111111111111:event-bus/default`],
          condition: { StringEquals: { 'events:source': 'switchyard' } },
        });
      }
    }
  });
});

describe('cdk-nag', () => {
  it.each(REGIONS)('%s: AwsSolutions reports nothing that is not acknowledged with a reason', (region) => {
    const stack = built.stacks.find((s) => s.region === region);
    if (!stack) throw new Error(region);
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    expect(
      report.violations.map(
        (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual(
      [],
    );
    // Acknowledgements are written to the template with their reasons, for audit.
    const { json } = of(region);
    const acknowledged = Object.values(json.Resources).flatMap(
      (r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? [],
    );
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const rule of acknowledged) expect(rule.reason.length, rule.id).toBeGreaterThan(40);
  });
});

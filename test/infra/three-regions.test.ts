import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, STATE_MACHINES } from '../../functions/handlers/registry.js';
import type { SwitchyardApp } from '../../infra/app.js';
import { controlPlaneStackName } from '../../infra/control-plane-stack.js';
import { wildcardMutations } from '../../infra/iam-audit.js';
import {
  alarmRules,
  buildFast,
  CDK_WORK_TIMEOUT_MS,
  fixture,
  removeOutdirs,
  resourcesOf,
  statementsOfRole,
  type TemplateJson,
  templateOf,
} from './helpers.js';

// Plans of another shape: `ledger` is pilot light in three regions with Route 53 only (no ARC);
// `payments` is warm standby in two of them. Config: no witness (three replicas), ARC off.
const REGIONS = ['us-east-1', 'us-east-2', 'us-west-2'];
let built: SwitchyardApp;
const templates = new Map<string, ReturnType<typeof templateOf>>();
const of = (region: string) => {
  const t = templates.get(region);
  if (!t) throw new Error(region);
  return t;
};

afterAll(removeOutdirs);

beforeAll(async () => {
  built = await buildFast({
    configFile: fixture('configs/three-regions.yaml'),
    plansDir: fixture('plans-three-regions'),
  });
  for (const stack of built.stacks) templates.set(stack.region, templateOf(stack));
}, CDK_WORK_TIMEOUT_MS);

describe('three regions, pilot light without ARC', () => {
  it('deploys a complete control plane to each of the three regions', () => {
    expect(built.stacks.map((s) => s.stackName)).toEqual(REGIONS.map(controlPlaneStackName));
    for (const region of REGIONS) {
      const { template } = of(region);
      // FUNCTIONS and the console's function.
      template.resourceCountIs('AWS::Lambda::Function', FUNCTIONS.length + 1);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', STATE_MACHINES.length);
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        JwtConfiguration: {
          Issuer: 'https://idp.test.example/',
          Audience: ['switchyard-test', 'switchyard-cli'],
        },
      });
    }
  });

  it('puts a replica of the state table in each region, MRSC with three replicas and no witness', () => {
    const [[, table]] = resourcesOf(of('us-east-1').json, 'AWS::DynamoDB::GlobalTable') as [[string, any]];
    expect(table.Properties.TableName).toBe('switchyard-test-state');
    expect((table.Properties.Replicas as any[]).map((r) => r.Region).sort()).toEqual(REGIONS);
    expect(table.Properties.MultiRegionConsistency).toBe('STRONG');
    expect(table.Properties.GlobalTableWitnesses).toBeUndefined();
    for (const region of ['us-east-2', 'us-west-2']) {
      of(region).template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
      const stack = built.stacks.find((s) => s.region === region);
      expect(stack?.dependencies.map((d) => d.stackName)).toEqual([controlPlaneStackName('us-east-1')]);
    }
  });

  it('grants no ARC permission anywhere and no mutating action on "*"', () => {
    for (const region of REGIONS) {
      const json = of(region).json as TemplateJson;
      expect(JSON.stringify(json)).not.toContain('route53-recovery');
      expect(wildcardMutations(json)).toEqual([]);
    }
  });

  it('scopes each region to the plans that run there: payments is not in us-east-1', () => {
    const east1 = JSON.stringify(of('us-east-1').json);
    expect(east1).toContain('ledger-api-use1');
    expect(east1).not.toContain('payments-web');
    expect(east1).not.toContain('Z9PAYMENTS00000000001');
    const east2 = JSON.stringify(of('us-east-2').json);
    expect(east2).toContain('payments-web-usw2');
  });

  it('lets ScaleCapacity resize the pilot light groups in all three regions', () => {
    const scale = statementsOfRole(of('us-east-2').json, 'ScaleCapacityRole').find(
      (s) => s.sid === 'ScalePlanAutoScalingGroups',
    );
    expect(scale?.resources.sort()).toEqual(
      [
        'us-east-1:ledger-api-use1',
        'us-east-2:ledger-api-use2',
        'us-west-2:ledger-api-usw2',
        'us-east-2:payments-web-use2',
        'us-west-2:payments-web-usw2',
      ]
        .map((m) => {
          const [region, name] = m.split(':');
          return `arn:aws:autoscaling:${region}:222222222222:autoScalingGroup:*:autoScalingGroupName/${name}`;
        })
        .sort(),
    );
  });

  it('lets PromoteDatabase act on the three-member global cluster', () => {
    const promote = statementsOfRole(of('us-west-2').json, 'PromoteDatabaseRole').find(
      (s) => s.sid === 'PromoteAuroraGlobalClusters',
    );
    expect(promote?.resources.sort()).toEqual([
      'arn:aws:rds::222222222222:global-cluster:ledger-global',
      'arn:aws:rds:us-east-1:222222222222:cluster:ledger-use1',
      'arn:aws:rds:us-east-2:222222222222:cluster:ledger-use2',
      'arn:aws:rds:us-west-2:222222222222:cluster:ledger-usw2',
    ]);
  });

  it('changes Route 53 records only by normalized plan name, type and swap actions, per zone', () => {
    const changes = statementsOfRole(of('us-east-2').json, 'ShiftTrafficRole').filter((s) =>
      s.actions.includes('route53:ChangeResourceRecordSets'),
    );
    expect(changes.map((c) => [c.resources, c.condition])).toEqual([
      [
        ['arn:aws:route53:::hostedzone/Z9LEDGER0000000000001'],
        {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['api.ledger.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
            'route53:ChangeResourceRecordSetsActions': ['CREATE', 'UPSERT', 'DELETE'],
          },
        },
      ],
      [
        ['arn:aws:route53:::hostedzone/Z9PAYMENTS00000000001'],
        {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['pay.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
            'route53:ChangeResourceRecordSetsActions': ['CREATE', 'UPSERT', 'DELETE'],
          },
        },
      ],
    ]);
    const health = statementsOfRole(of('us-east-1').json, 'VerifyServiceRole').find(
      (s) => s.sid === 'ReadRoute53HealthChecks',
    );
    expect(health?.resources).toEqual(['arn:aws:route53:::healthcheck/hc-ledger-use1']);
  });

  it('listens for alarms only where they live, and schedules the drill where the plan runs', () => {
    expect(alarmRules(of('us-east-1').json)).toEqual([]);
    for (const region of ['us-east-2', 'us-west-2']) {
      const [[, rule]] = alarmRules(of(region).json) as [[string, any]];
      expect(rule.Properties.EventPattern.resources).toEqual([
        `arn:aws:cloudwatch:${region}:222222222222:alarm:ledger-canary-${region === 'us-east-2' ? 'use2' : 'usw2'}`,
      ]);
    }
    for (const region of REGIONS) {
      const schedules = resourcesOf(of(region).json, 'AWS::Scheduler::Schedule');
      expect(schedules.map(([, s]) => [s.Properties.Name, s.Properties.ScheduleExpression])).toEqual([
        ['switchyard-drill-ledger', 'cron(0 9 ? 2/3 WED#1 *)'],
      ]);
    }
  });
});

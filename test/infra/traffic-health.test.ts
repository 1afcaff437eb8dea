import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validatePlan } from '../../functions/core/plan.js';
import type { SwitchyardApp } from '../../infra/app.js';
import {
  CNAME_TTL_SECONDS,
  TRAFFIC_STACK_NAME,
  TRAFFIC_STACK_REGION,
  TrafficStack,
} from '../../infra/traffic-stack.js';
import {
  buildFast,
  CDK_WORK_TIMEOUT_MS,
  removeOutdirs,
  resourcesOf,
  statementsOfRole,
  type TemplateJson,
  templateOf,
} from './helpers.js';

// The example plans, billing with the health-checks traffic method.
let built: SwitchyardApp;
const jsonOf = new Map<string, TemplateJson>();
let global: TemplateJson;

afterAll(removeOutdirs);

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-hc-plans-'));
  writeFileSync(join(dir, 'orders.yaml'), readFileSync('plans/orders.yaml', 'utf8'));
  writeFileSync(
    join(dir, 'billing.yaml'),
    readFileSync('plans/billing.yaml', 'utf8').replace(
      '    hostedZoneId: Z0123456789ABCDEFGHIJ\n',
      '    hostedZoneId: Z0123456789ABCDEFGHIJ\n    method: health-checks\n    healthChecks: { intervalSeconds: 30, failureThreshold: 2 }\n',
    ),
  );
  built = await buildFast({ plansDir: dir });
  for (const stack of built.stacks) jsonOf.set(stack.region, templateOf(stack).json);
  if (!built.traffic) throw new Error('expected the global traffic stack');
  global = templateOf(built.traffic).json;
}, CDK_WORK_TIMEOUT_MS);

/** The logical ID of the health check whose Name tag is `name`. */
function checkNamed(json: TemplateJson, name: string): [string, any] {
  const found = resourcesOf(json, 'AWS::Route53::HealthCheck').find(([, r]) =>
    (r.Properties.HealthCheckTags as { Key: string; Value: string }[]).some(
      (t) => t.Key === 'Name' && t.Value === name,
    ),
  );
  if (!found) throw new Error(`no health check named ${name}`);
  return found;
}

describe('CDK: the health-checks traffic method', () => {
  it('gives every region of the plan a health endpoint (a function URL) and no Route 53 resource', () => {
    for (const region of ['us-east-1', 'us-west-2']) {
      const json = jsonOf.get(region) as TemplateJson;
      const urls = resourcesOf(json, 'AWS::Lambda::Url');
      expect(urls).toHaveLength(1);
      expect(urls[0]?.[1].Properties.AuthType).toBe('NONE');
      expect(resourcesOf(json, 'AWS::Route53::HealthCheck')).toEqual([]);
      expect(resourcesOf(json, 'AWS::Route53::RecordSet')).toEqual([]);
    }
  });

  it('creates the checks and records once, in one stack in us-east-1 (where Route 53 API lives)', () => {
    expect(built.traffic?.stackName).toBe(TRAFFIC_STACK_NAME);
    expect(built.traffic?.region).toBe(TRAFFIC_STACK_REGION);
    expect(TRAFFIC_STACK_REGION).toBe('us-east-1');
    // 2 regions asked about x 2 endpoints, plus one calculated check per region.
    expect(resourcesOf(global, 'AWS::Route53::HealthCheck')).toHaveLength(6);
    expect(resourcesOf(global, 'AWS::Route53::RecordSet')).toHaveLength(2);
  });

  it("checks every region's endpoint about every region: HTTPS, the plan's interval and threshold, the endpoint's own host", () => {
    for (const endpoint of ['us-east-1', 'us-west-2'])
      for (const subject of ['us-east-1', 'us-west-2']) {
        const [, check] = checkNamed(global, `switchyard-billing-${endpoint}-says-${subject}`);
        const config = check.Properties.HealthCheckConfig;
        expect(config).toMatchObject({
          Type: 'HTTPS',
          Port: 443,
          ResourcePath: `/billing/${subject}`,
          RequestInterval: 30,
          FailureThreshold: 2,
          EnableSNI: true,
        });
        // The host comes from that region's stack: a same-region import in us-east-1; from
        // us-west-2, the SSM parameter its stack writes in us-east-1, read by CDK's export reader
        // (CDK's cross-region references).
        const fqdn = JSON.stringify(config.FullyQualifiedDomainName);
        if (endpoint === 'us-east-1') expect(fqdn).toMatch(/Fn::ImportValue.*ControlPlane-us-east-1/);
        else
          expect(fqdn).toMatch(
            /ExportsReader.*\/cdk\/exports\/Switchyard-Traffic\/SwitchyardControlPlaneuswest2/,
          );
      }
  });

  it("writes the us-west-2 endpoint's URL for the global stack only into us-east-1's SSM parameters", () => {
    const json = jsonOf.get('us-west-2') as TemplateJson;
    const writers = resourcesOf(json, 'Custom::CrossRegionExportWriter');
    expect(writers).toHaveLength(1);
    const props = writers[0]?.[1].Properties.WriterProps;
    expect(props.region).toBe('us-east-1');
    expect(Object.keys(props.exports)).toEqual([
      expect.stringMatching(/^\/cdk\/exports\/Switchyard-Traffic\//),
    ]);
    expect(JSON.stringify(Object.values(props.exports))).toContain('TrafficHealthFunctionFunctionUrl');
    // The us-east-1 stack needs no writer: its value is a plain CloudFormation export.
    expect(resourcesOf(jsonOf.get('us-east-1') as TemplateJson, 'Custom::CrossRegionExportWriter')).toEqual(
      [],
    );
  });

  it('gives each region one calculated check over both endpoints asked about it, HealthThreshold 1', () => {
    for (const subject of ['us-east-1', 'us-west-2']) {
      const [, check] = checkNamed(global, `switchyard-billing-${subject}-active`);
      const config = check.Properties.HealthCheckConfig;
      expect(config.Type).toBe('CALCULATED');
      expect(config.HealthThreshold).toBe(1);
      const children = (config.ChildHealthChecks as { 'Fn::GetAtt': string[] }[]).map(
        (c) => c['Fn::GetAtt'][0],
      );
      expect(children.sort()).toEqual(
        ['us-east-1', 'us-west-2']
          .map((e) => checkNamed(global, `switchyard-billing-${e}-says-${subject}`)[0])
          .sort(),
      );
    }
  });

  it("makes the plan's first region the PRIMARY record: what Route 53 answers when every record is unhealthy", () => {
    const records = resourcesOf(global, 'AWS::Route53::RecordSet').map(([, r]) => r.Properties);
    const byRegion = Object.fromEntries(records.map((r) => [r.SetIdentifier, r]));
    expect(byRegion['us-east-1']).toMatchObject({
      Name: 'api.billing.example.com',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      Failover: 'PRIMARY',
      AliasTarget: {
        DNSName: 'billing-use1.elb.amazonaws.com',
        HostedZoneId: 'Z35SXDOTRQ7X7K',
        EvaluateTargetHealth: false,
      },
      HealthCheckId: {
        'Fn::GetAtt': [checkNamed(global, 'switchyard-billing-us-east-1-active')[0], 'HealthCheckId'],
      },
    });
    expect(byRegion['us-west-2']).toMatchObject({
      Failover: 'SECONDARY',
      AliasTarget: { DNSName: 'billing-usw2.elb.amazonaws.com', EvaluateTargetHealth: false },
      HealthCheckId: {
        'Fn::GetAtt': [checkNamed(global, 'switchyard-billing-us-west-2-active')[0], 'HealthCheckId'],
      },
    });
  });

  it('is cdk-nag clean: the app synthesizes with the AwsSolutions checks', () => {
    expect(() => built.app.synth()).not.toThrow();
  });

  it("lets readiness read the health checks' configuration (GetHealthCheck, read-only), whose IDs the global stack makes later", () => {
    const statements = statementsOfRole(jsonOf.get('us-west-2') as TemplateJson, 'ReadinessRole');
    expect(statements.filter((s) => s.sid === 'ReadHealthCheckConfigs')).toEqual([
      expect.objectContaining({
        actions: ['route53:GetHealthCheck'],
        resources: ['arn:aws:route53:::healthcheck/*'],
      }),
    ]);
  });

  it('lets the endpoint read the traffic switch of its plans and nothing else', () => {
    const json = jsonOf.get('us-west-2') as TemplateJson;
    const statements = statementsOfRole(json, 'TrafficHealthRole');
    const own = statements.filter((s) => s.sid === 'ReadTrafficSwitch');
    expect(own).toHaveLength(1);
    expect(own[0]?.actions).toEqual(['dynamodb:GetItem']);
    expect(own[0]?.condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['PLAN#billing'] },
    });
    // Besides its logs and traces, nothing: no write, no other table, no Route 53.
    const others = statements.filter((s) => s.sid !== 'ReadTrafficSwitch').flatMap((s) => s.actions);
    expect(others.every((a) => a.startsWith('logs:') || a.startsWith('xray:'))).toBe(true);
  });
});

describe('CDK: the global traffic stack alone', () => {
  it('makes a CNAME failover record a plain CNAME (TTL 60 s) carrying its calculated check, and refuses a region without an endpoint', () => {
    const document = parse(readFileSync('plans/billing.yaml', 'utf8')) as any;
    document.traffic.route53.method = 'health-checks';
    document.traffic.route53.records[0].type = 'CNAME';
    const result = validatePlan(document, 'billing.yaml');
    if (!result.plan) throw new Error(JSON.stringify(result.problems));
    const plan = result.plan;
    const hosts = new Map([
      ['us-east-1', 'abc.lambda-url.us-east-1.on.aws'],
      ['us-west-2', 'def.lambda-url.us-west-2.on.aws'],
    ]);
    const stack = new TrafficStack(new App(), 'T', {
      account: '111111111111',
      plans: [plan],
      endpointHosts: hosts,
    });
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    const records = resourcesOf(json, 'AWS::Route53::RecordSet').map(([, r]) => r.Properties);
    expect(
      records.map((r) => [r.SetIdentifier, r.Failover, r.Type, r.ResourceRecords, r.TTL, r.AliasTarget]),
    ).toEqual([
      [
        'us-east-1',
        'PRIMARY',
        'CNAME',
        ['billing-use1.elb.amazonaws.com'],
        String(CNAME_TTL_SECONDS),
        undefined,
      ],
      [
        'us-west-2',
        'SECONDARY',
        'CNAME',
        ['billing-usw2.elb.amazonaws.com'],
        String(CNAME_TTL_SECONDS),
        undefined,
      ],
    ]);
    expect(CNAME_TTL_SECONDS).toBe(60);
    expect(
      checkNamed(json, 'switchyard-billing-us-west-2-says-us-east-1')[1].Properties.HealthCheckConfig
        .FullyQualifiedDomainName,
    ).toBe('def.lambda-url.us-west-2.on.aws');
    expect(
      () =>
        new TrafficStack(new App(), 'T', {
          account: '111111111111',
          plans: [plan],
          endpointHosts: new Map([['us-east-1', 'abc.lambda-url.us-east-1.on.aws']]),
        }),
    ).toThrow(/no health endpoint in us-west-2/);
  });
});

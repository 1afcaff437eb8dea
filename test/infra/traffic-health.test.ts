import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchyardApp } from '../../infra/app.js';
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
}, CDK_WORK_TIMEOUT_MS);

describe('CDK: the health-checks traffic method', () => {
  it('gives every region of the plan a health endpoint (a function URL) and one HTTPS check of it per region asked about', () => {
    for (const region of ['us-east-1', 'us-west-2']) {
      const json = jsonOf.get(region) as TemplateJson;
      const urls = resourcesOf(json, 'AWS::Lambda::Url');
      expect(urls).toHaveLength(1);
      expect(urls[0]?.[1].Properties.AuthType).toBe('NONE');
      const checks = resourcesOf(json, 'AWS::Route53::HealthCheck').map(
        ([, r]) => r.Properties.HealthCheckConfig,
      );
      expect(checks.map((c) => c.ResourcePath).sort()).toEqual(['/billing/us-east-1', '/billing/us-west-2']);
      for (const check of checks)
        expect(check).toMatchObject({ Type: 'HTTPS', Port: 443, RequestInterval: 30, FailureThreshold: 2 });
    }
  });

  it('is cdk-nag clean: the app synthesizes with the AwsSolutions checks', () => {
    expect(() => built.app.synth()).not.toThrow();
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchyardApp } from '../../infra/app.js';
import {
  buildFast,
  CDK_WORK_TIMEOUT_MS,
  fixture,
  flatten,
  removeOutdirs,
  resourcesOf,
  templateOf,
} from './helpers.js';

// Break-glass in AWS: each region's stack has a second HTTP API with the AWS_IAM authorizer, and
// only the IAM roles of the deployment config may invoke it.

let built: SwitchyardApp;

beforeAll(async () => {
  built = await buildFast({ configFile: fixture('configs/break-glass.yaml') });
});
afterAll(removeOutdirs);

// The first test synthesizes the stacks: a CDK work guard, not vitest's 60 s (helpers.ts).
describe('the break-glass API (AWS_IAM)', { timeout: CDK_WORK_TIMEOUT_MS }, () => {
  it('routes ANY /{proxy+} to the operator-api function with the AWS_IAM authorizer, in every region', async () => {
    const { config } = built.deployment;
    const configured = Object.keys(config.operatorApi.breakGlass?.iamRoles ?? {});
    expect(configured.length).toBeGreaterThan(0);
    expect(built.stacks.length).toBeGreaterThan(1);
    for (const stack of built.stacks) {
      const { json } = templateOf(stack);
      const apis = resourcesOf(json, 'AWS::ApiGatewayV2::Api');
      const breakGlass = apis.find(([, api]) => api.Properties.Name === 'Switchyard-OperatorApi-BreakGlass');
      expect(breakGlass, stack.stackName).toBeDefined();
      const [apiId] = breakGlass as [string, unknown];
      const routes = resourcesOf(json, 'AWS::ApiGatewayV2::Route').filter(
        ([, r]) => r.Properties.ApiId.Ref === apiId,
      );
      expect(routes.map(([, r]) => r.Properties.RouteKey)).toEqual(['ANY /{proxy+}']);
      expect(routes.every(([, r]) => r.Properties.AuthorizationType === 'AWS_IAM')).toBe(true);
      // The same function as the JWT API's: one handler, two ways in.
      const integrations = resourcesOf(json, 'AWS::ApiGatewayV2::Integration');
      const targets = new Set(integrations.map(([, i]) => flatten(i.Properties.IntegrationUri)));
      expect(targets.size).toBe(2); // the operator API's function and the console's
      // The function knows the mapping it enforces.
      const fn = resourcesOf(json, 'AWS::Lambda::Function').find(([id]) => id.startsWith('OperatorApi'));
      const env = fn?.[1].Properties.Environment.Variables;
      expect(JSON.parse(env.SWITCHYARD_IAM_ROLES)).toEqual(config.operatorApi.breakGlass?.iamRoles);
    }
  });

  it('is not there without the config: no second API, no invoke policy', async () => {
    const plain = await buildFast();
    for (const stack of plain.stacks) {
      const { json } = templateOf(stack);
      expect(resourcesOf(json, 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
      expect(resourcesOf(json, 'AWS::IAM::ManagedPolicy')).toHaveLength(0);
    }
  });

  it('grants execute-api:Invoke on that API only, and only to the configured roles', async () => {
    const { config } = built.deployment;
    const names = Object.keys(config.operatorApi.breakGlass?.iamRoles ?? {}).map((arn) =>
      arn.split('/').pop(),
    );
    for (const stack of built.stacks) {
      const { json } = templateOf(stack);
      const [apiId] = resourcesOf(json, 'AWS::ApiGatewayV2::Api').find(
        ([, api]) => api.Properties.Name === 'Switchyard-OperatorApi-BreakGlass',
      ) as [string, unknown];
      const invoking = [
        ...resourcesOf(json, 'AWS::IAM::ManagedPolicy'),
        ...resourcesOf(json, 'AWS::IAM::Policy'),
      ].filter(([, p]) =>
        (p.Properties.PolicyDocument.Statement as any[]).some((s) =>
          [s.Action].flat().some((a: string) => a.startsWith('execute-api:')),
        ),
      );
      expect(invoking).toHaveLength(1);
      const [, policy] = invoking[0] as [string, any];
      expect(policy.Properties.Roles.map(flatten).sort()).toEqual([...names].sort());
      const [statement] = policy.Properties.PolicyDocument.Statement;
      expect(statement.Action).toBe('execute-api:Invoke');
      expect(flatten(statement.Resource)).toMatch(
        new RegExp(`:execute-api:${stack.region}:.*\\{Ref:${apiId}\\}/\\$default/\\*/\\*$`),
      );
    }
  });
});

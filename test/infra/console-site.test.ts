import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleHandler, readSite } from '../../console/lambda.js';
import type { SwitchyardApp } from '../../infra/app.js';
import { writeConsoleSite } from '../../infra/console-site.js';
import { ConsoleSite } from '../../infra/constructs/console-site.js';
import { buildFast, CDK_WORK_TIMEOUT_MS, removeOutdirs, resourcesOf, templateOf } from './helpers.js';

// The console in AWS: the routes on each region's operator API, and the function's package as
// synth writes it (built for real here, then served by the handler).

let built: SwitchyardApp;
const site = mkdtempSync(join(tmpdir(), 'switchyard-console-site-'));
const ISSUER = 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_EXAMPLE';

beforeAll(async () => {
  built = await buildFast();
  writeConsoleSite(site, {
    auth: { mode: 'oidc', issuer: ISSUER, clientId: 'console-client' },
    region: 'us-west-2',
  });
});

afterAll(() => {
  removeOutdirs();
  rmSync(site, { recursive: true, force: true });
});

// The first test synthesizes the stacks: a CDK work guard, not vitest's 60 s (helpers.ts).
describe("the console on every region's operator API", { timeout: CDK_WORK_TIMEOUT_MS }, () => {
  it('routes GET and HEAD of / and /assets/{proxy+} to the console function without the JWT authorizer', () => {
    for (const stack of built.stacks) {
      const { json } = templateOf(stack);
      const routes = Object.fromEntries(
        resourcesOf(json, 'AWS::ApiGatewayV2::Route').map(([, r]) => [
          r.Properties.RouteKey,
          r.Properties.AuthorizationType ?? 'NONE',
        ]),
      );
      expect(routes, stack.region).toEqual({
        'ANY /{proxy+}': 'JWT',
        'GET /': 'NONE',
        'HEAD /': 'NONE',
        'GET /assets/{proxy+}': 'NONE',
        'HEAD /assets/{proxy+}': 'NONE',
      });
      const fn = resourcesOf(json, 'AWS::Lambda::Function').find(
        ([, r]) => r.Properties.FunctionName === 'Switchyard-Console',
      );
      expect(fn?.[1].Properties).toMatchObject({ Handler: 'index.handler', Architectures: ['arm64'] });
      expect(
        Object.keys((json as { Outputs?: object }).Outputs ?? {}).some((k) => k.startsWith('ConsoleUrl')),
      ).toBe(true);
    }
  });

  it("packages each region's console with its own sign-in config (not the first region's)", () => {
    // Arrange: two regions' consoles in one app, bundled for real
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'switchyard-consoles-')) });
    for (const region of ['us-east-1', 'us-west-2'])
      new ConsoleSite(
        new Stack(app, `Console-${region}`, { env: { account: '111111111111', region } }),
        'Console',
        {
          config: { auth: { mode: 'oidc', issuer: ISSUER, clientId: 'console-client' }, region },
          logRetention: RetentionDays.ONE_WEEK,
        },
      );

    // Act
    const assembly = app.synth();

    // Assert
    const pages = ['us-east-1', 'us-west-2'].map((region) => {
      const [, fn] =
        resourcesOf(assembly.getStackByName(`Console-${region}`).template, 'AWS::Lambda::Function')[0] ?? [];
      const asset = join(
        assembly.directory,
        `asset.${String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '')}`,
      );
      return readFileSync(join(asset, 'site', 'index.html'), 'utf8');
    });
    expect(pages[0]).toContain('"region":"us-east-1"');
    expect(pages[1]).toContain('"region":"us-west-2"');
    rmSync(assembly.directory, { recursive: true, force: true });
  });

  it("gives the console's role nothing but its own logs", () => {
    const { json } = templateOf(built.stacks[0] as SwitchyardApp['stacks'][number]);
    const policies = resourcesOf(json, 'AWS::IAM::Policy').filter(([id]) => id.startsWith('ConsoleRole'));
    const actions = policies.flatMap(([, p]) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()),
    );
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a: string) => a.startsWith('logs:'))).toBe(true);
  });
});

describe("the console function's package", () => {
  const files = () => readSite(join(site, 'site'));
  const headers = () => JSON.parse(readFileSync(join(site, 'headers.json'), 'utf8'));
  const get = (path: string, extra: Record<string, string> = {}, method = 'GET') =>
    consoleHandler(
      files(),
      headers(),
    )({
      rawPath: path,
      headers: extra,
      requestContext: { http: { method } },
    } as unknown as APIGatewayProxyEventV2);

  it('serves the page with the OIDC config inlined and a CSP that allows only itself and the issuer', async () => {
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain(`"issuer":"${ISSUER}"`);
    expect(page.body).toContain('"clientId":"console-client"');
    expect(page.body).not.toMatch(/https?:\/\/(?!cognito-idp)/);
    const csp = String(page.headers?.['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' https://cognito-idp.us-west-2.amazonaws.com");
  });

  it('serves the bundle with an ETag, answers 304, 404 with the files it has, and 405', async () => {
    const js = await get('/assets/main.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers?.['content-type']).toBe('text/javascript; charset=utf-8');
    expect(String(js.body).length).toBeGreaterThan(10_000);
    expect((await get('/assets/main.js', { 'if-none-match': String(js.headers?.etag) })).statusCode).toBe(
      304,
    );
    const missing = await get('/assets/nope.js');
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(String(missing.body)).message).toContain('/assets/main.css');
    expect((await get('/', {}, 'POST')).statusCode).toBe(405);
  });
});

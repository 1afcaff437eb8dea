import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/handlers/registry.js';
import { buildApp, type SwitchyardApp } from '../../infra/app.js';
import { measureBundle } from '../../infra/bundle-measure.js';
import { LAMBDA_NODE_OPTIONS } from '../../infra/bundling.js';
import { controlPlaneStackName, entryOf } from '../../infra/control-plane-stack.js';
import { CDK_WORK_TIMEOUT_MS, resourcesOf, templateOf } from './helpers.js';

// The one test that bundles for real: the us-east-1 stack of the example deployment, with the real
// handlers, exactly as `npm run synth` does.
const REGION = 'us-east-1';
const outdir = mkdtempSync(join(tmpdir(), 'switchyard-infra-'));
let built: SwitchyardApp;
const assets = new Map<string, string>();
/** The console function's package (infra/console-site.ts), apart from the FUNCTIONS bundles. */
let consoleAsset = '';

beforeAll(async () => {
  built = await buildApp({ outdir, bundlingStacks: [controlPlaneStackName(REGION)] });
  const stack = built.stacks.find((s) => s.region === REGION);
  if (!stack) throw new Error(REGION);
  const { json } = templateOf(stack);
  for (const [, fn] of resourcesOf(json, 'AWS::Lambda::Function')) {
    const name = String(fn.Properties.FunctionName).replace(/^Switchyard-/, '');
    const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
    if (name === 'Console') consoleAsset = join(outdir, `asset.${hash}`);
    else assets.set(name, join(outdir, `asset.${hash}`, 'index.mjs'));
  }
}, CDK_WORK_TIMEOUT_MS);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('real bundling (local esbuild, no Docker)', () => {
  it('bundles every function of the stack to an ES module with a source map', () => {
    expect([...assets.keys()].sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
    for (const [name, file] of assets) {
      expect(existsSync(file), name).toBe(true);
      expect(existsSync(`${file}.map`), name).toBe(true);
      // Checked as a boolean: a failure must not print a megabyte of minified code.
      const banner = "import { createRequire as __switchyardCreateRequire } from 'node:module';";
      expect(readFileSync(file, 'utf8').startsWith(banner), name).toBe(true);
    }
  });

  it("packages the console: its handler, the page with this stack's sign-in config, and the bundle", () => {
    expect(existsSync(join(consoleAsset, 'index.mjs'))).toBe(true);
    const page = readFileSync(join(consoleAsset, 'site', 'index.html'), 'utf8');
    expect(page).toContain('"issuer":"https://auth.example.com/"');
    expect(page).toContain(`"region":"${REGION}"`);
    expect(existsSync(join(consoleAsset, 'site', 'assets', 'main.js'))).toBe(true);
    expect(existsSync(join(consoleAsset, 'site', 'assets', 'main.css'))).toBe(true);
  });

  it('embeds the validated plans in every bundle', () => {
    for (const fn of FUNCTIONS) {
      const code = readFileSync(assets.get(fn.name) ?? '', 'utf8');
      // The plans' documents, as JSON (no YAML parser ships in a bundle).
      expect(code.includes('orders-global') && code.includes('globalClusterId'), fn.name).toBe(true);
      expect(code, fn.name).not.toContain('__SWITCHYARD_PLANS__');
    }
  });

  it.each(['BeginExecution', 'CheckDatabase', 'OperatorApi'])(
    'deploys %s as `npm run bundle-size` measures it, byte for byte (one build, plugins included, every chunk)',
    async (name) => {
      const fn = FUNCTIONS.find((f) => f.name === name);
      if (!fn) throw new Error(name);
      const measured = await measureBundle(fn.name, entryOf(fn), built.deployment.plans, outdir);
      const deployed = readFileSync(assets.get(fn.name) ?? '');
      // Compared as a boolean: a failure must not print a megabyte of minified code.
      expect(readFileSync(measured.outfile ?? '').equals(deployed), name).toBe(true);
      expect(readFileSync(`${measured.outfile}.map`).equals(readFileSync(`${assets.get(fn.name)}.map`))).toBe(
        true,
      );
      // The package's other files: the chunks its `import()`s read (the operator API's lazy ports).
      const files = (dir: string) => readdirSync(dir).sort();
      const measuredDir = dirname(measured.outfile ?? '');
      const deployedDir = dirname(assets.get(fn.name) ?? '');
      expect(files(deployedDir)).toEqual(files(measuredDir));
      for (const file of files(measuredDir))
        expect(
          readFileSync(join(measuredDir, file)).equals(readFileSync(join(deployedDir, file))),
          file,
        ).toBe(true);
    },
    CDK_WORK_TIMEOUT_MS,
  );

  it('deploys the SDK trims: an exception our code matches is registered, one nobody matches is not', () => {
    const code = readFileSync(assets.get('CheckDatabase') ?? '', 'utf8');
    expect(code.includes('GlobalClusterNotFoundFault')).toBe(true);
    expect(code.includes('DBProxyTargetGroupNotFoundFault')).toBe(false);
  });

  it("loads in this machine's Node 20 (a node22 target) and reads its environment and embedded plans at first call", () => {
    const file = assets.get(FUNCTIONS[0].name) ?? '';
    // Any AWS call fails fast (closed local port, dummy credentials): the step must refuse the
    // empty event as invalid input before, and must not fail on its environment or plans.
    const script = `const { handler } = await import(${JSON.stringify(file)});
      try { await handler({}, { functionName: 'x', awsRequestId: 'r', getRemainingTimeInMillis: () => 30000 }); console.log('RESULT ok'); }
      catch (e) { console.log('RESULT ' + e.name + ': ' + e.message); }`;
    const result = spawnSync(
      process.execPath,
      [...LAMBDA_NODE_OPTIONS, '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          PATH: process.env.PATH,
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
          AWS_EC2_METADATA_DISABLED: 'true',
          SWITCHYARD_TABLE_NAME: 'switchyard-state',
          SWITCHYARD_STATE_MACHINE_ARNS: JSON.stringify({
            'warm-standby': `arn:aws:states:${REGION}:111111111111:stateMachine:Switchyard-WarmStandbyRunbook`,
          }),
          POWERTOOLS_SERVICE_NAME: 'switchyard',
          POWERTOOLS_METRICS_NAMESPACE: 'Switchyard',
        },
      },
    );
    const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT ')) ?? result.stderr;
    expect(line).toMatch(/^RESULT (ok|[A-Za-z]+Error: )/);
    expect(line).not.toMatch(
      /environment is invalid|no plans were embedded|ERR_|is not defined|Dynamic require/,
    );
  });

  it('leaves the other region unbundled (its template still written)', () => {
    expect(existsSync(join(outdir, `${controlPlaneStackName('us-west-2')}.template.json`))).toBe(true);
  });
});

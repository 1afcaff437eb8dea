import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PlanValidationError } from '../../functions/core/errors.js';
import { formatProblem } from '../../functions/core/plan.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { FUNCTIONS } from '../../functions/handlers/registry.js';
import { MissingHandlerError } from '../../infra/app.js';
import { type DeployConfigInput, DeploymentError, deploymentOf, loadDeployment } from '../../infra/config.js';
import { entryOf } from '../../infra/control-plane-stack.js';
import { buildFast, CDK_WORK_TIMEOUT_MS, removeOutdirs } from './helpers.js';

const CONFIG = 'infra/deploy.config.yaml';
const BAD_PLANS = 'test/fixtures/bad-plans';
const BAD_CONFIG = 'test/infra/fixtures/configs/bad.yaml';
const committed = (): DeployConfigInput => parse(readFileSync(CONFIG, 'utf8'));

const examplePlans = await loadPlans('plans');

/** The problems of a config document against the example plans (none: returns []). */
function problemsOf(edit: (config: Record<string, any>) => void) {
  const config = committed() as Record<string, any>;
  edit(config);
  try {
    deploymentOf(config, examplePlans, 'test.yaml');
    return [];
  } catch (error: unknown) {
    if (error instanceof DeploymentError) return error.problems;
    throw error;
  }
}

async function deploymentError(options: { configFile: string; plansDir: string }): Promise<DeploymentError> {
  const error = await loadDeployment(options).catch((e: unknown) => e);
  if (!(error instanceof DeploymentError))
    throw new Error(`expected a DeploymentError, got ${String(error)}`);
  return error;
}

afterAll(removeOutdirs);

describe('deployment config', () => {
  it('accepts the committed config with the example plans: MRSC over both plan regions plus a witness', async () => {
    const deployment = await loadDeployment({ configFile: CONFIG, plansDir: 'plans' });
    expect(deployment.regions).toEqual(['us-east-1', 'us-west-2']);
    expect(deployment.tableRegion).toBe('us-east-1');
    expect(deployment.config.stateTable).toEqual({
      name: 'switchyard-state',
      consistency: 'strong',
      witnessRegion: 'us-east-2',
    });
    expect(deployment.plans.map((p) => p.name)).toEqual(['billing', 'orders']);
  });

  it('lists every problem of a bad config, each with its path, what it got and what it expected', async () => {
    const error = await deploymentError({ configFile: BAD_CONFIG, plansDir: 'plans' });
    const byPath = Object.fromEntries(error.problems.map((p) => [p.path, p]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'account',
        'extra',
        'logRetentionDays',
        'operatorApi.jwtAuthorizer.audience',
        'operatorApi.jwtAuthorizer.issuer',
        'regions[1]',
        'stateTable.consistency',
        'stateTable.name',
        'useArc',
      ].sort(),
    );
    expect(byPath.account).toMatchObject({
      file: BAD_CONFIG,
      got: '1234',
      expected: expect.stringMatching(/12-digit/),
    });
    expect(byPath['regions[1]']).toMatchObject({ got: 'mars-north-1' });
    expect(byPath.useArc).toMatchObject({ got: 'maybe', expected: 'boolean' });
    expect(byPath['stateTable.consistency']).toMatchObject({
      got: 'strongest',
      expected: 'one of "strong", "eventual"',
    });
    expect(byPath['operatorApi.jwtAuthorizer.issuer']).toMatchObject({
      got: 'http://insecure.example/',
      expected: 'an https:// URL: the JWT issuer (iss)',
    });
    expect(byPath['operatorApi.jwtAuthorizer.audience']).toMatchObject({ expected: 'at least 1 item(s)' });
    expect(byPath.logRetentionDays?.got).toBe('42');
    expect(byPath.logRetentionDays?.expected).toMatch(/^one of 1, 3, 5, 7, 14, 30/);
    expect(byPath.extra?.message).toBe('unknown key "extra"');
    // The message is the whole list, one formatted problem a line.
    for (const problem of error.problems) expect(error.message).toContain(formatProblem(problem));
    expect(error.message).toMatch(/^9 problem\(s\) in the deployment:/);
  });

  it('stops on bad plans with exactly the problems `switchyard validate` lists', async () => {
    const fromLoader = await loadPlans(BAD_PLANS).catch((e: unknown) => e);
    if (!(fromLoader instanceof PlanValidationError)) throw new Error('bad plans must not load');
    const error = await deploymentError({ configFile: CONFIG, plansDir: BAD_PLANS });
    expect(error.problems).toEqual(fromLoader.problems);
    expect(error.problems.length).toBeGreaterThan(5);
    for (const problem of fromLoader.problems) expect(error.message).toContain(formatProblem(problem));
  });

  it('lists config and plan problems together when both are bad', async () => {
    const error = await deploymentError({ configFile: BAD_CONFIG, plansDir: BAD_PLANS });
    const files = new Set(error.problems.map((p) => p.file));
    expect(files.has(BAD_CONFIG)).toBe(true);
    expect([...files].some((f) => f.includes('bad-plans'))).toBe(true);
  });

  it('reports a missing config file and a missing plans directory', async () => {
    const error = await deploymentError({ configFile: 'infra/nope.yaml', plansDir: 'no-such-plans' });
    expect(error.problems.map((p) => p.message)).toEqual([
      'deployment config not found',
      'plans directory not found',
    ]);
  });

  it('the app builder throws the same complete list, before building any stack', async () => {
    const bad = await buildFast({ configFile: BAD_CONFIG, plansDir: BAD_PLANS }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(DeploymentError);
    const expected = await deploymentError({ configFile: BAD_CONFIG, plansDir: BAD_PLANS });
    expect((bad as DeploymentError).problems).toEqual(expected.problems);
  });

  it('names every function of FUNCTIONS whose entry file is missing, before bundling anything', async () => {
    const missing = await buildFast({
      entryFor: (fn) => (fn.role === 'runbook' ? entryOf(fn) : `functions/handlers/missing-${fn.entry}`),
    }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MissingHandlerError);
    expect((missing as MissingHandlerError).missing.map((m) => m.name)).toEqual(
      FUNCTIONS.filter((f) => f.role !== 'runbook').map((f) => f.name),
    );
    expect((missing as Error).message).toContain(
      'OperatorApi: functions/handlers/missing-operator-api.ts does not exist',
    );
  });

  it.each<[string, (c: Record<string, any>) => void, { path: string; message: RegExp }]>([
    [
      'witness in a replica region',
      (c) => {
        c.stateTable.witnessRegion = 'us-west-2';
      },
      { path: 'stateTable.witnessRegion', message: /must not hold a replica/ },
    ],
    [
      'no witness with two replicas',
      (c) => {
        delete c.stateTable.witnessRegion;
      },
      { path: 'stateTable.witnessRegion', message: /needs a witness region/ },
    ],
    [
      "witness outside the replicas' MRSC region set",
      (c) => {
        c.stateTable.witnessRegion = 'eu-west-1';
      },
      { path: 'stateTable.consistency', message: /one MRSC region set/ },
    ],
    [
      'a region MRSC does not serve',
      (c) => {
        c.regions = ['us-east-1', 'us-west-2', 'sa-east-1'];
        delete c.stateTable.witnessRegion;
      },
      { path: 'stateTable.consistency', message: /not offered in sa-east-1/ },
    ],
    [
      'four regions with strong consistency',
      (c) => {
        c.regions = ['us-east-1', 'us-west-2', 'us-east-2', 'us-west-1'];
      },
      { path: 'stateTable.consistency', message: /the deployment has 4 region\(s\)/ },
    ],
    [
      'a witness with eventual consistency',
      (c) => {
        c.stateTable.consistency = 'eventual';
      },
      { path: 'stateTable.witnessRegion', message: /only applies to multi-region strong consistency/ },
    ],
    [
      "another account than the plans'",
      (c) => {
        c.account = '999999999999';
      },
      { path: 'account', message: /plan billing names resources in account 111111111111/ },
    ],
    [
      'ARC disabled while a plan uses it',
      (c) => {
        c.useArc = false;
      },
      { path: 'useArc', message: /plan orders moves traffic with ARC/ },
    ],
    [
      'regions without a plan region',
      (c) => {
        c.regions = ['us-east-1'];
      },
      {
        path: 'regions',
        message: /plan billing runs in us-west-2, where no control plane would be deployed/,
      },
    ],
  ])('refuses %s', (_name, edit, expected) => {
    const problems = problemsOf(edit);
    expect(problems).toContainEqual(
      expect.objectContaining({
        file: 'test.yaml',
        path: expected.path,
        message: expect.stringMatching(expected.message),
      }),
    );
    for (const problem of problems) expect(problem.expected, problem.message).toBeTruthy();
  });

  it('accepts eventual consistency across four regions (the single-writer fallback)', () => {
    expect(
      problemsOf((c) => {
        c.regions = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1'];
        c.stateTable = { name: 'switchyard-state', consistency: 'eventual' };
      }),
    ).toEqual([]);
  });
});

describe('npm run synth on a bad config', () => {
  it(
    'exits non-zero and prints every problem, without a stack trace',
    () => {
      // A child that loads the CDK app's modules: CPU-bound work, guarded as the synths are. The
      // child's own limit is the guard (spawnSync blocks the test's timer), so the test's is longer.
      const result = spawnSync(
        'node_modules/.bin/tsx',
        ['infra/synth.ts', '--config', BAD_CONFIG, '--plans', BAD_PLANS],
        {
          encoding: 'utf8',
          timeout: CDK_WORK_TIMEOUT_MS,
        },
      );
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^\d+ problem\(s\) in the deployment:\n/);
      expect(result.stderr).toContain(
        `  - ${BAD_CONFIG}: account: a 12-digit AWS account ID, quoted (e.g. '012345678901') (got 1234, expected a 12-digit`,
      );
      expect(result.stderr).toContain(
        `  - ${BAD_PLANS}/broken-orders.yaml: regions[2]: region us-east-1 is named twice`,
      );
      expect(result.stderr).not.toMatch(/^\s+at /m);
    },
    CDK_WORK_TIMEOUT_MS + 60_000,
  );
});

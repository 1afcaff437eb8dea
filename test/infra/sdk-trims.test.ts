import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions } from '../../infra/bundling.js';
import { FUNCTIONS_DIR, REPO_ROOT } from '../../infra/paths.js';
import { exceptionsOurCodeImports, retryableExceptions, trimSchemasModule } from '../../infra/sdk-trims.js';

// What the bundles leave out of the SDK clients (infra/sdk-trims.ts): the exceptions no code of ours
// matches, and each client's package.json but its version. Built with the functions' own options.

const outdir = mkdtempSync(join(tmpdir(), 'switchyard-sdk-trims-'));
const FIXTURE = join(REPO_ROOT, 'test/infra/fixtures/bundles/sdk-errors.ts');
const trimmed = join(outdir, 'trimmed', 'index.mjs');
const untrimmed = join(outdir, 'untrimmed', 'index.mjs');

beforeAll(async () => {
  await build({ ...esbuildOptions(FIXTURE, trimmed, []), logLevel: 'silent' });
  await build({ ...esbuildOptions(FIXTURE, untrimmed, []), plugins: [], logLevel: 'silent' });
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** What the bundled fixture's RDS client throws for an error response with this code and status. */
function thrown(bundle: string, code: string, status: number): Record<string, unknown> {
  const run = spawnSync(process.execPath, [bundle, code, String(status)], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH },
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the fixture printed no RESULT: ${run.stderr}`);
  return JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>;
}

describe('the SDK exception trim', () => {
  it('keeps an exception our code matches: it is thrown as its own class', () => {
    expect(thrown(trimmed, 'GlobalClusterNotFoundFault', 404)).toMatchObject({
      name: 'GlobalClusterNotFoundFault',
      globalClusterNotFound: true,
      base: true,
    });
  });

  it("surfaces an exception no code of ours matches as the service's base exception, with AWS's code as its name and its message", () => {
    // Act
    const untrimmedError = thrown(untrimmed, 'DBProxyNotFoundFault', 404);
    const trimmedError = thrown(trimmed, 'DBProxyNotFoundFault', 404);

    // Assert: only the class differs; our translation passes both through unchanged
    expect(untrimmedError).toMatchObject({ dbProxyNotFound: true });
    expect(trimmedError).toEqual({
      ...untrimmedError,
      dbProxyNotFound: false,
    });
    expect(trimmedError).toMatchObject({
      name: 'DBProxyNotFoundFault',
      message: 'what AWS said about DBProxyNotFoundFault',
      fault: 'client',
      status: 404,
      base: true,
      translated: 'unchanged',
    });
  }, 60_000);

  it('still classifies an unmodelled server fault and throttling by name and status, as the SDK retries do', () => {
    expect(thrown(trimmed, 'InternalFailure', 500)).toMatchObject({
      name: 'InternalFailure',
      fault: 'server',
      translated: 'TransientAwsError',
    });
    expect(thrown(trimmed, 'Throttling', 400)).toMatchObject({
      name: 'Throttling',
      translated: 'ThrottledError',
    });
  }, 60_000);

  it('drops most of the modelled exceptions from the bundle, and every client package.json but its version', () => {
    const trimmedCode = readFileSync(trimmed, 'utf8');
    const untrimmedCode = readFileSync(untrimmed, 'utf8');
    // Checked as booleans: a failure must not print a bundle.
    const has = (code: string, text: string) => code.includes(text);
    expect(has(untrimmedCode, 'DBProxyTargetGroupNotFoundFault')).toBe(true);
    expect(has(trimmedCode, 'DBProxyTargetGroupNotFoundFault')).toBe(false);
    expect(has(untrimmedCode, 'AWS SDK for JavaScript Rds Client')).toBe(true);
    expect(has(trimmedCode, 'AWS SDK for JavaScript Rds Client')).toBe(false);
    const { version } = JSON.parse(
      readFileSync(join(REPO_ROOT, 'node_modules/@aws-sdk/client-rds/package.json'), 'utf8'),
    ) as { version: string };
    expect(has(trimmedCode, `{version:"${version}"}`)).toBe(true);
    expect(trimmedCode.length).toBeLessThan(untrimmedCode.length - 40 * 1024);
  });
});

describe('what the trim keeps', () => {
  it('finds the exception classes our code imports, across lines, and not type-only imports', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-imports-'));
    mkdirSync(join(dir, 'aws'));
    writeFileSync(
      join(dir, 'aws', 'a.ts'),
      `import {\n  DBClusterNotFoundFault,\n  type DBCluster,\n  RDSClient as Client,\n} from '@aws-sdk/client-rds';\nimport type { GlobalCluster } from '@aws-sdk/client-rds';\n`,
    );

    // Act
    const imported = exceptionsOurCodeImports(dir);
    rmSync(dir, { recursive: true, force: true });

    // Assert
    expect([...(imported.get('@aws-sdk/client-rds') ?? [])]).toEqual(['DBClusterNotFoundFault', 'RDSClient']);
  });

  it('refuses a client imported in a form whose names it cannot see (a namespace, a dynamic import)', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-imports-'));
    writeFileSync(
      join(dir, 'a.ts'),
      `import * as rds from '@aws-sdk/client-rds';\nconst sfn = await import('@aws-sdk/client-sfn');\n`,
    );

    // Act
    const scan = () => exceptionsOurCodeImports(dir);

    // Assert
    try {
      expect(scan).toThrow(
        /a\.ts: imports an @aws-sdk\/client-\* package other than by `import \{ \.\.\. \} from` \(got 2 such import\(s\)\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps every exception functions/ matches with instanceof', () => {
    const imported = exceptionsOurCodeImports(FUNCTIONS_DIR);
    expect(imported.get('@aws-sdk/client-rds')).toContain('InvalidGlobalClusterStateFault');
    expect(imported.get('@aws-sdk/client-dynamodb')).toContain('ConditionalCheckFailedException');
    expect(imported.get('@aws-sdk/client-route53-recovery-cluster')).toContain('ConflictException');
  });

  it('keeps the exceptions with a retryable trait, which the SDK reads from the instance', () => {
    const errors = (pkg: string) =>
      readFileSync(join(REPO_ROOT, `node_modules/@aws-sdk/${pkg}/dist-es/models/errors.js`), 'utf8');
    expect([...retryableExceptions(errors('client-dynamodb'))]).toEqual(['ReplicatedWriteConflictException']);
    expect([...retryableExceptions(errors('client-rds'))]).toEqual([]);
  });

  it("keeps the service's base exception, and fails when the SDK's layout changed (nothing to trim)", () => {
    const module = [
      '_s_registry.registerError(XServiceException$, XServiceException);',
      'n0_registry.registerError(AFault$, AFault);',
      'n0_registry.registerError(BFault$, BFault);',
    ].join('\n');
    const result = trimSchemasModule('@aws-sdk/client-x', module, new Set(['BFault']));
    expect(result).toEqual({
      contents:
        '_s_registry.registerError(XServiceException$, XServiceException);\nn0_registry.registerError(BFault$, BFault);',
      kept: ['BFault'],
      dropped: ['AFault'],
    });
    expect(() => trimSchemasModule('@aws-sdk/client-x', 'export const x = 1;', new Set())).toThrow(
      /@aws-sdk\/client-x: its schemas module registers no exception as expected .* the SDK's layout changed/,
    );
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureBundle } from '../../infra/bundle-measure.js';
import { LAMBDA_NODE_OPTIONS } from '../../infra/bundling.js';
import { HANDLERS_DIR, REPO_ROOT } from '../../infra/paths.js';
import { mapStackTrace } from '../../infra/source-map.js';

// The functions run without source maps (Node would parse the whole map at load); a logged stack
// trace names bundle positions, which `npm run map-stack` maps back to the sources.

const outdir = mkdtempSync(join(tmpdir(), 'switchyard-source-map-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('stack traces of a bundle', () => {
  it('name bundle positions at run time, and map back to the TypeScript line that threw', async () => {
    // Arrange: BeginExecution as the stacks bundle it, run with the functions' Node options and an
    // environment it refuses (no table name), so that it throws from environment.ts.
    const built = await measureBundle('BeginExecution', join(HANDLERS_DIR, 'begin-execution.ts'), [], outdir);
    const script = `const { handler } = await import(${JSON.stringify(built.outfile)});
      try { await handler({}, { functionName: 'x', awsRequestId: 'r', getRemainingTimeInMillis: () => 30000 }); }
      catch (e) { console.log(e.stack); }`;
    const run = spawnSync(process.execPath, [...LAMBDA_NODE_OPTIONS, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' },
    });
    const trace = run.stdout.slice(run.stdout.indexOf('Error: Switchyard Lambda environment is invalid'));
    const source = readFileSync(join(REPO_ROOT, 'functions/handlers/environment.ts'), 'utf8').split('\n');
    const throwLine = source.findIndex((l) => l.includes('Switchyard Lambda environment is invalid')) + 1;

    // Act
    const mapped = mapStackTrace(
      trace,
      JSON.parse(readFileSync(`${built.outfile}.map`, 'utf8')) as SourceMapPayload,
    );

    // Assert: the raw trace names the bundle only; the mapped one the source line, bundle beside it
    expect(trace).toMatch(/index\.mjs:\d+:\d+/);
    expect(trace).not.toContain('environment.ts');
    expect(mapped).toMatch(
      new RegExp(
        `at \\S+ \\(functions/handlers/environment\\.ts:${throwLine}:\\d+ \\[file://\\S+index\\.mjs:\\d+:\\d+\\]\\)`,
      ),
    );
    expect(mapped).toContain('functions/handlers/step-handler.ts:');
  }, 120_000);

  it("maps a position in a lazily loaded chunk with that chunk's map, and leaves a file without a map as it is", () => {
    // Arrange: a chunk's map whose first segment maps line 1, column 1 to aurora.ts line 3, column 5
    const chunkMap: SourceMapPayload = {
      file: 'chunk-ABC123.mjs',
      version: 3,
      sources: ['functions/aws/aurora.ts'],
      sourcesContent: [],
      names: [],
      mappings: 'AAEI',
      sourceRoot: '',
    };
    const trace =
      'Error: x\n    at f (file:///var/task/chunk-ABC123.mjs:1:1)\n    at g (file:///var/task/chunk-OTHER.mjs:1:1)';

    // Act
    const mapped = mapStackTrace(trace, new Map([['chunk-ABC123.mjs', chunkMap]]));

    // Assert
    expect(mapped).toContain('at f (functions/aws/aurora.ts:3:5 [file:///var/task/chunk-ABC123.mjs:1:1])');
    expect(mapped).toContain('at g (file:///var/task/chunk-OTHER.mjs:1:1)');
  });

  it('leaves a line that names no bundle position as it is', () => {
    const map: SourceMapPayload = {
      file: 'index.mjs',
      version: 3,
      sources: [],
      sourcesContent: [],
      names: [],
      mappings: '',
      sourceRoot: '',
    };
    expect(mapStackTrace('Error: x\n    at node:internal/process:1:2', map)).toBe(
      'Error: x\n    at node:internal/process:1:2',
    );
  });
});

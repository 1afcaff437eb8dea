import { readFileSync } from 'node:fs';
import type { Plan } from '../functions/core/plan.js';
import { buildLambda } from './bundling.js';

/**
 * The child process that builds one function at synth (infra/lambda-code.ts): CDK's local bundling
 * (`tryBundle`) is synchronous, and esbuild's plugins run only in its asynchronous API, so synth runs
 * this script with `node --import tsx` and waits for it. Reads `{ entry, outdir, plans }` as JSON on
 * stdin; writes the bundle into `outdir` ({@link buildLambda}); exits 1 with esbuild's error on
 * stderr when the build fails.
 */

interface BuildRequest {
  readonly entry: string;
  readonly outdir: string;
  readonly plans: readonly Plan[];
}

try {
  const request = JSON.parse(readFileSync(0, 'utf8')) as BuildRequest;
  await buildLambda(request.entry, request.outdir, request.plans);
} catch (error: unknown) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

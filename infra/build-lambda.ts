import { readFileSync } from 'node:fs';
import type { Plan } from '../functions/core/plan.js';
import { buildLambda } from './bundling.js';

/**
 * The child process that builds functions at synth (infra/lambda-code.ts): CDK's local bundling
 * (`tryBundle`) is synchronous, and esbuild's plugins run only in its asynchronous API, so synth runs
 * this script with `node --import tsx` and waits for it. Reads `{ builds: [{ entry, outdir }], plans }`
 * as JSON on stdin and writes each bundle into its `outdir` ({@link buildLambda}, all at once: one
 * process for a stack's functions); exits 1 with esbuild's errors on stderr when a build fails.
 */

interface BuildRequest {
  readonly builds: readonly { readonly entry: string; readonly outdir: string }[];
  readonly plans: readonly Plan[];
}

try {
  const request = JSON.parse(readFileSync(0, 'utf8')) as BuildRequest;
  await Promise.all(request.builds.map((b) => buildLambda(b.entry, b.outdir, request.plans)));
} catch (error: unknown) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

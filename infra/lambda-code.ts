import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { Architecture, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { Plan } from '../functions/core/plan.js';
import { LAMBDA_ARCHITECTURE_NAME, LAMBDA_RUNTIME_NAME } from './bundling.js';
import { REPO_ROOT } from './paths.js';

/** The CDK's runtime of {@link LAMBDA_RUNTIME_NAME} (infra/bundling.ts, with its esbuild target). */
export const LAMBDA_RUNTIME: Runtime = (() => {
  const runtime = Runtime.ALL.find((r) => r.name === LAMBDA_RUNTIME_NAME);
  if (!runtime) throw new Error(`the CDK knows no Lambda runtime ${LAMBDA_RUNTIME_NAME} (infra/bundling.ts)`);
  return runtime;
})();

/** The CDK's architecture of {@link LAMBDA_ARCHITECTURE_NAME}. */
export const LAMBDA_ARCHITECTURE: Architecture =
  LAMBDA_ARCHITECTURE_NAME === 'arm64' ? Architecture.ARM_64 : Architecture.X86_64;

/** The script that builds functions in a child process (infra/build-lambda.ts). */
const BUILD_SCRIPT = fileURLToPath(new URL('./build-lambda.ts', import.meta.url));

/** Built bundles of this process, by the JSON of the batch's entries and plans: the batch's directory. */
const built = new Map<string, string>();

/**
 * Builds `entries` with `plans` in one child process (once per process and batch), each into
 * `<dir>/<index>/`; returns `dir`. Throws naming the entry and esbuild's error when a build fails.
 */
function buildBatch(entries: readonly string[], plans: readonly Plan[]): string {
  const key = JSON.stringify({ entries, plans });
  const done = built.get(key);
  if (done) return done;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-lambdas-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  try {
    execFileSync(process.execPath, ['--import', 'tsx', BUILD_SCRIPT], {
      cwd: REPO_ROOT,
      input: JSON.stringify({
        builds: entries.map((entry, i) => ({ entry, outdir: join(dir, String(i)) })),
        plans,
      }),
      stdio: ['pipe', 'inherit', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error: unknown) {
    const stderr = (error as { stderr?: unknown }).stderr;
    throw new Error(
      `bundling ${entries.join(', ')} failed: ${typeof stderr === 'string' && stderr.trim() ? stderr.trim() : String(error)}`,
    );
  }
  built.set(key, dir);
  return dir;
}

/**
 * Builds one function at synth with esbuild's API and the shared options (infra/bundling.ts,
 * `buildLambda`), in a child process because CDK calls `tryBundle` synchronously. The child builds
 * the whole `batch` (the stack's functions) at the first of them, as one process, and each function
 * copies its own bundle: the bytes are those of a build of its entry alone, which is what
 * `npm run bundle-size` measures. The fields are what CDK's asset cache keys on (it serializes the
 * bundling options, and drops functions): two functions must never share a key, or one would get
 * the other's bundle.
 */
export class LocalLambdaBuild implements ILocalBundling {
  constructor(
    /** Absolute path of the function's entry file. */
    readonly entry: string,
    /** The deployment's validated plans, embedded in the bundle. */
    readonly plans: readonly Plan[],
    /** Every entry built with it in one child process (it is built alone when not among them). */
    readonly batch: readonly string[],
  ) {}

  tryBundle(outputDir: string): boolean {
    const batch = this.batch.includes(this.entry) ? this.batch : [this.entry];
    const dir = join(buildBatch(batch, this.plans), String(batch.indexOf(this.entry)));
    // The entry, the chunks it loads with `import()` and their maps: all that buildLambda wrote.
    for (const file of readdirSync(dir)) copyFileSync(join(dir, file), join(outputDir, file));
    return true;
  }
}

/**
 * A function's code: the bundle of `entry` built by {@link LocalLambdaBuild} (`index.mjs`, the
 * chunks it loads with `import()`, and their maps; the handler is `index.handler`), in one child
 * process with the other entries of `batch`. The asset's hash is the built output's, so a new
 * bundle is a new version and an unchanged one is not redeployed.
 */
export function lambdaCode(entry: string, plans: readonly Plan[], batch: readonly string[] = [entry]): Code {
  // The source directory is only stat'ed: the hash is the output's (a skipped stack's is its ID).
  return Code.fromAsset(dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Local bundling always succeeds or throws; CDK requires an image to fall back to.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
      local: new LocalLambdaBuild(entry, plans, batch),
    },
  });
}

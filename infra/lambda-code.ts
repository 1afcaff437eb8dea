import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
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

/** The script that builds one function in a child process (infra/build-lambda.ts). */
const BUILD_SCRIPT = fileURLToPath(new URL('./build-lambda.ts', import.meta.url));

/**
 * Builds one function at synth with esbuild's API and the shared options (infra/bundling.ts,
 * `buildLambda`), in a child process because CDK calls `tryBundle` synchronously. Its fields are
 * what CDK's asset cache keys on (it serializes the bundling options, and drops functions): two
 * functions must never share a key, or one would get the other's bundle.
 */
export class LocalLambdaBuild implements ILocalBundling {
  constructor(
    /** Absolute path of the function's entry file. */
    readonly entry: string,
    /** The deployment's validated plans, embedded in the bundle. */
    readonly plans: readonly Plan[],
  ) {}

  tryBundle(outputDir: string): boolean {
    try {
      execFileSync(process.execPath, ['--import', 'tsx', BUILD_SCRIPT], {
        cwd: REPO_ROOT,
        input: JSON.stringify({ entry: this.entry, outdir: outputDir, plans: this.plans }),
        stdio: ['pipe', 'inherit', 'pipe'],
        encoding: 'utf8',
      });
    } catch (error: unknown) {
      const stderr = (error as { stderr?: unknown }).stderr;
      throw new Error(
        `bundling ${this.entry} failed: ${typeof stderr === 'string' && stderr.trim() ? stderr.trim() : String(error)}`,
      );
    }
    return true;
  }
}

/**
 * A function's code: the bundle of `entry` built by {@link LocalLambdaBuild} (`index.mjs` and its
 * map; the handler is `index.handler`). The asset's hash is the built output's, so a new bundle is
 * a new version and an unchanged one is not redeployed.
 */
export function lambdaCode(entry: string, plans: readonly Plan[]): Code {
  // The source directory is only stat'ed: the hash is the output's (a skipped stack's is its ID).
  return Code.fromAsset(dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Local bundling always succeeds or throws; CDK requires an image to fall back to.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
      local: new LocalLambdaBuild(entry, plans),
    },
  });
}

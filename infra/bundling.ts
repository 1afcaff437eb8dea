import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import type { Plan } from '../functions/core/plan.js';
import { FUNCTIONS_DIR, REPO_ROOT } from './paths.js';
import { BARREL_NAMESPACE, exceptionsOurCodeImports, flatSdkBarrels, sdkTrims } from './sdk-trims.js';

/**
 * How every Lambda is built: the one source of these settings for the stacks (each function's
 * asset, infra/lambda-code.ts) and for `npm run bundle-size`, both through esbuild's API
 * ({@link buildLambda}), so that the measured bundle is the deployed one.
 */

/**
 * The Lambda runtime of every function, and below the esbuild target that matches it: move the two
 * together (and nothing else: the toolchain, the sandbox and the tests run on the machine's Node,
 * 20 or later, and a bundle for node22 also loads in Node 20, which test/infra/real-bundling checks).
 * nodejs22.x: deprecated 2027-04-30, function creation blocked from 2027-06-01 and updates from
 * 2027-07-01; nodejs20.x was deprecated 2026-04-30. Source: AWS Lambda Developer Guide, "Building
 * Lambda functions with Node.js", https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
 */
export const LAMBDA_RUNTIME_NAME = 'nodejs22.x';
/** esbuild's target for {@link LAMBDA_RUNTIME_NAME}. */
export const ESBUILD_TARGET = 'node22';
/**
 * The functions' instruction set. Names only in this module: it is loaded by the child process that
 * builds each function at synth (infra/build-lambda.ts), which should not load the CDK; the CDK's
 * `Runtime` and `Architecture` of these are in infra/lambda-code.ts.
 */
export const LAMBDA_ARCHITECTURE_NAME = 'arm64';

/**
 * The Node options every function runs with (its `NODE_OPTIONS`, set only when this is not empty),
 * here and in `npm run bundle-size`'s init measurement. Not `--enable-source-maps`: with it Node
 * reads and parses the bundle's whole source map when it loads the bundle, which cost 33 ms of init
 * CPU in BeginExecution (174 to 141 ms) and 44 ms in CheckDatabase (249 to 205 ms; interleaved
 * fresh processes, median of 9, Node 20, load average 19). The bundle still ships its linked map
 * (`index.mjs.map`, which Node does not read without the option): a stack trace in the logs names
 * positions in `index.mjs`, and `npm run map-stack` maps them back to the TypeScript sources.
 */
export const LAMBDA_NODE_OPTIONS: readonly string[] = [];

/**
 * ESM output bundles CommonJS dependencies (parts of the SDK, Powertools) that call `require` for
 * Node built-ins; an ES module has no `require`, so the bundle creates one.
 */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __switchyardCreateRequire } from 'node:module'; const require = __switchyardCreateRequire(import.meta.url);";

/**
 * The `__SWITCHYARD_PLANS__` define: a JavaScript string literal whose value is the JSON of the
 * plans as validation returns them (defaults applied, sorted by name). The stacks and
 * `npm run bundle-size` pass the plans of a validated deployment (infra/config.ts), so a bundle
 * never carries a plan its code would refuse, and a function reads its plans at cold start
 * without the plan schema, its validator or a YAML parser in its bundle
 * (functions/handlers/environment.ts).
 */
export function plansDefine(plans: readonly Plan[]): string {
  return JSON.stringify(JSON.stringify(plans));
}

/**
 * Modules the bundles replace (esbuild's `alias`: https://esbuild.github.io/api/#alias), each
 * replacement a path relative to the repository root, the working directory of
 * {@link esbuildOptions} (esbuild resolves an alias's target from its working directory, not from
 * the importing file).
 *
 * - The SDK's default credential chain, which every client's runtime config imports, becomes the
 *   environment provider alone: in Lambda the role's credentials are in the function's environment
 *   (functions/aws/lambda-credentials.ts cites the AWS source). 130 KB less in every bundle.
 * - The SDK's event-stream support, which it loads only for an operation with an event-stream input
 *   or output (none of ours), becomes a module that throws saying so (functions/aws/no-event-streams.ts).
 *   15 KB less in every bundle.
 */
export const LAMBDA_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/aws/lambda-credentials.ts',
  '@smithy/core/event-streams': './functions/aws/no-event-streams.ts',
};

/**
 * The esbuild options every function is built with: the one source of them, for synth
 * ({@link buildLambda}, run by each function's asset bundling, infra/lambda-code.ts) and for
 * `npm run bundle-size`, so that the measured bundle is the deployed one. `plans` are the
 * deployment's validated plans, embedded by {@link plansDefine}. The plugins are esbuild's API
 * only (NodejsFunction cannot pass them, which is why the stacks build with `lambda.Function` and
 * this function: docs/architecture.md, "Bundles").
 */
export function esbuildOptions(entry: string, outfile: string, plans: readonly Plan[]): BuildOptions {
  return {
    entryPoints: [entry],
    // Alias targets are paths relative to the repository root (see LAMBDA_ALIASES).
    absWorkingDir: REPO_ROOT,
    // `outfile`'s directory holds the entry (`index.mjs`) and the chunks of the modules the
    // function's code loads with `import()` (functions/aws/lazy-port.ts): Node reads a chunk when
    // that `import()` runs, not at init. A function without `import()` is one file, as before.
    outdir: dirname(outfile),
    entryNames: basename(outfile, extname(outfile)),
    outExtension: { '.js': extname(outfile) },
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    platform: 'node',
    target: ESBUILD_TARGET,
    format: 'esm',
    // Prefer the SDK's ES module builds: they tree-shake far better than the CommonJS ones.
    mainFields: ['module', 'main'],
    minify: true,
    // A linked external map (`index.mjs.map`) that Node does not read at run time (see
    // LAMBDA_NODE_OPTIONS); mapping a stack trace needs the mappings, not the sources.
    sourcemap: 'linked',
    sourcesContent: false,
    // The runtime ships an @aws-sdk v3, but not ours: we pin SDK versions, so we bundle them.
    external: [],
    define: { __SWITCHYARD_PLANS__: plansDefine(plans) },
    alias: { ...LAMBDA_ALIASES },
    banner: { js: CREATE_REQUIRE_BANNER },
    // Warnings and errors only: not esbuild's size summary for each function.
    logLevel: 'warning',
    plugins: [sdkTrims(exceptionsOurCodeImports(FUNCTIONS_DIR)), flatSdkBarrels()],
  };
}

/** The bundle's file name in its directory; Lambda's handler is `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * Builds one function as it is deployed: `outdir/index.mjs`, the chunks it loads with `import()`
 * (`chunk-HASH.mjs`), and each file's linked map (`index.mjs.map`, ...), whose `sources` are
 * rewritten to repository paths (`functions/aws/aurora.ts`, `node_modules/...`, a flattened barrel's
 * own code as `node_modules/.../index.js?local`), so that the
 * package, and so its asset hash, does not depend on where it was built. Returns esbuild's
 * metafile. Throws esbuild's error when the build fails.
 */
export async function buildLambda(entry: string, outdir: string, plans: readonly Plan[]): Promise<Metafile> {
  const outfile = join(outdir, BUNDLE_FILE);
  const result = await build({ ...esbuildOptions(entry, outfile, plans), metafile: true });
  for (const output of Object.keys(result.metafile.outputs).filter((o) => o.endsWith('.map'))) {
    const mapFile = resolve(REPO_ROOT, output);
    const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[] };
    map.sources = map.sources.map((source) => {
      // A flattened barrel's own code (flatSdkBarrels) is named by its module's absolute path.
      const flat = source.indexOf(`${BARREL_NAMESPACE}:`);
      const path = flat >= 0 ? source.slice(flat + BARREL_NAMESPACE.length + 1) : resolve(outdir, source);
      return relative(REPO_ROOT, path).replaceAll('\\', '/');
    });
    writeFileSync(mapFile, JSON.stringify(map));
  }
  return result.metafile;
}

/**
 * The files of a function's package as {@link buildLambda} wrote them (the entry, its chunks and
 * their maps), by name in `outdir`, from its metafile; the entry first.
 */
export function packageFiles(metafile: Metafile): string[] {
  const files = Object.keys(metafile.outputs).map((o) => basename(o));
  return [BUNDLE_FILE, ...files.filter((f) => f !== BUNDLE_FILE).sort()];
}

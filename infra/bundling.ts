import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import type { Plan } from '../functions/core/plan.js';
import { REPO_ROOT } from './paths.js';

/**
 * How every Lambda is built: the one source of these settings for the stacks (NodejsFunction) and
 * for `npm run bundle-size` (esbuild's API), so that the measured bundle is the deployed one.
 */

/**
 * The Lambda runtime of every function, and below the esbuild target that matches it: move the two
 * together (and nothing else: the toolchain, the sandbox and the tests run on the machine's Node,
 * 20 or later, and a bundle for node22 also loads in Node 20, which test/infra/real-bundling checks).
 * nodejs22.x: deprecated 2027-04-30, function creation blocked from 2027-06-01 and updates from
 * 2027-07-01; nodejs20.x was deprecated 2026-04-30. Source: AWS Lambda Developer Guide, "Building
 * Lambda functions with Node.js", https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_22_X;
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;
/** esbuild's target for {@link LAMBDA_RUNTIME}. */
export const ESBUILD_TARGET = 'node22';

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
 * replacement a path relative to the repository root, which is the working directory of CDK's local
 * bundling (`projectRoot`) and of {@link esbuildOptions} (esbuild resolves an alias's target from
 * its working directory, not from the importing file).
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

/** NodejsFunction bundling options for every function of the control plane. */
export function lambdaBundling(plans: readonly Plan[]): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: ESBUILD_TARGET,
    // Prefer the SDK's ES module builds: they tree-shake far better than the CommonJS ones.
    mainFields: ['module', 'main'],
    minify: true,
    sourceMap: true,
    sourceMapMode: SourceMapMode.DEFAULT,
    // Mapping a stack trace needs the mappings, not the sources: keeps the shipped .map small.
    sourcesContent: false,
    // The runtime ships an @aws-sdk v3, but not ours: we pin SDK versions, so we bundle them.
    externalModules: [],
    define: { __SWITCHYARD_PLANS__: plansDefine(plans) },
    banner: CREATE_REQUIRE_BANNER,
    // NodejsFunction has no `alias` option: esbuild's CLI flag, `--alias:<module>=<path>`.
    esbuildArgs: { '--alias': Object.entries(LAMBDA_ALIASES).map(([from, to]) => `${from}=${to}`) },
    // Warnings and errors only: not esbuild's size summary for each of 16 functions x regions.
    logLevel: LogLevel.WARNING,
  };
}

/**
 * The NodejsFunction options above, as esbuild API options. Each key of {@link lambdaBundling} has
 * its translation here (a test fails when one is added without it).
 */
export const TRANSLATED_BUNDLING_KEYS = [
  'format',
  'target',
  'mainFields',
  'minify',
  'sourceMap',
  'sourceMapMode',
  'sourcesContent',
  'externalModules',
  'define',
  'banner',
  'logLevel',
  'esbuildArgs',
] as const satisfies readonly (keyof BundlingOptions)[];

/**
 * The esbuild API options of {@link lambdaBundling}'s NodejsFunction options. Of `esbuildArgs`, only
 * `--alias` is translated (the one flag the stacks pass); any other flag throws, so that the measured
 * bundle never silently differs from the deployed one.
 */
export function esbuildOptions(entry: string, outfile: string, bundling: BundlingOptions): BuildOptions {
  const { '--alias': aliasArgs, ...otherArgs } = bundling.esbuildArgs ?? {};
  if (Object.keys(otherArgs).length > 0)
    throw new Error(
      `esbuildOptions translates only --alias of esbuildArgs; got ${Object.keys(otherArgs).join(', ')}`,
    );
  const aliases = aliasArgs === undefined ? [] : Array.isArray(aliasArgs) ? aliasArgs : [String(aliasArgs)];
  // Each `<module>=<path>`, as CDK passes it to esbuild's CLI.
  const alias = Object.fromEntries(
    aliases.map((arg) => [arg.split('=')[0], arg.slice(arg.indexOf('=') + 1)]),
  );
  return {
    entryPoints: [entry],
    // CDK's local bundling runs esbuild in the project root; alias targets resolve from here.
    absWorkingDir: REPO_ROOT,
    outfile,
    bundle: true,
    platform: 'node',
    target: bundling.target ?? ESBUILD_TARGET,
    format: bundling.format === OutputFormat.ESM ? 'esm' : 'cjs',
    ...(bundling.mainFields ? { mainFields: [...bundling.mainFields] } : {}),
    minify: bundling.minify ?? false,
    // SourceMapMode.DEFAULT is esbuild's plain `--sourcemap`: a linked external map.
    sourcemap: bundling.sourceMap
      ? bundling.sourceMapMode === SourceMapMode.INLINE
        ? 'inline'
        : 'linked'
      : false,
    sourcesContent: bundling.sourcesContent ?? true,
    external: [...(bundling.externalModules ?? [])],
    define: { ...(bundling.define ?? {}) },
    alias,
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    logLevel:
      bundling.logLevel === LogLevel.ERROR || bundling.logLevel === LogLevel.SILENT
        ? bundling.logLevel
        : 'warning',
  };
}

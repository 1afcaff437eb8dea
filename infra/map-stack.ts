import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { FUNCTIONS } from '../functions/handlers/registry.js';
import { TRAFFIC_HEALTH_FUNCTION } from '../functions/handlers/traffic-health.js';
import { CONFIG_ENV, loadChosenDeployment, reportBuildError } from './app.js';
import { measureBundle } from './bundle-measure.js';
import type { Deployment } from './config.js';
import { DEFAULT_CONFIG_FILE, HANDLERS_DIR } from './paths.js';
import { mapStackTrace } from './source-map.js';

/**
 * `npm run map-stack`: maps a stack trace from a function's logs back to the TypeScript sources.
 * The functions run without `--enable-source-maps` (infra/bundling.ts, `LAMBDA_NODE_OPTIONS`), so
 * a logged trace names positions in the bundle (`/var/task/index.mjs:LINE:COLUMN`). Give the trace
 * on stdin and either the deployed bundle's map (`--map index.mjs.map`, from the function's code
 * package; a chunk's map, `chunk-HASH.mjs.map`, for positions in that chunk) or the function's
 * name (`--function CheckDatabase`: the bundle is built again as synth builds it, every map of its
 * package loaded, from this checkout and the deployment config and plans, `--config`/`--plans` as
 * for synth; equal to the deployed one only when all three are those deployed).
 */

const MAPPED = [...FUNCTIONS, { name: TRAFFIC_HEALTH_FUNCTION, entry: 'traffic-health.ts' }] as const;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      map: { type: 'string' },
      function: { type: 'string' },
      config: { type: 'string' },
      plans: { type: 'string' },
    },
    strict: true,
  });
  const fn = MAPPED.find((f) => f.name === values.function);
  if ((values.map === undefined) === (values.function === undefined) || (values.function && !fn)) {
    process.stderr.write(
      `map-stack: got ${values.function ? `--function ${values.function}` : values.map ? 'both --map and --function' : 'neither --map nor --function'}; expected --map <index.mjs.map> or --function <one of ${MAPPED.map((f) => f.name).join(', ')}>, and the trace on stdin\n`,
    );
    return 2;
  }
  const trace = readFileSync(0, 'utf8');
  if (values.map) {
    // A chunk's map (`chunk-HASH.mjs.map`) maps that chunk's positions; any other, the entry's.
    const file = /([\w-]+\.mjs)\.map$/.exec(values.map)?.[1] ?? 'index.mjs';
    const map = JSON.parse(readFileSync(values.map, 'utf8')) as SourceMapPayload;
    process.stdout.write(mapStackTrace(trace, new Map([[file, map]])));
    return 0;
  }
  let deployment: Deployment;
  try {
    deployment = await loadChosenDeployment({ configFile: values.config, plansDir: values.plans });
  } catch (error: unknown) {
    return reportBuildError(error, (text) => process.stderr.write(text));
  }
  const outdir = mkdtempSync(join(tmpdir(), 'switchyard-map-stack-'));
  try {
    const built = await measureBundle(
      fn?.name ?? '',
      join(HANDLERS_DIR, fn?.entry ?? ''),
      deployment.plans,
      outdir,
    );
    // The maps of the entry and of every chunk: a trace may pass through a lazily loaded chunk.
    const dir = dirname(built.outfile ?? '');
    const maps = new Map(
      readdirSync(dir)
        .filter((f) => f.endsWith('.mjs.map'))
        .map((f) => [
          f.slice(0, -'.map'.length),
          JSON.parse(readFileSync(join(dir, f), 'utf8')) as SourceMapPayload,
        ]),
    );
    // A bundle built from other sources, config or plans maps to wrong lines, without a sign.
    process.stderr.write(
      `map-stack: mapped with ${fn?.name} as built now from this checkout and ${values.config ?? process.env[CONFIG_ENV] ?? DEFAULT_CONFIG_FILE}; right only if that is what is deployed (else use --map with the deployed index.mjs.map)\n`,
    );
    process.stdout.write(mapStackTrace(trace, maps));
    return 0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = await main();

import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { version as ESBUILD_VERSION } from 'esbuild';
import { FUNCTIONS } from '../functions/handlers/registry.js';
import { TRAFFIC_HEALTH_FUNCTION } from '../functions/handlers/traffic-health.js';
import { loadChosenDeployment, reportBuildError } from './app.js';
import {
  BUDGET_KB,
  type BundleSize,
  INIT_BUDGET_MS,
  type InitTime,
  kb,
  measureBundle,
  measureInit,
} from './bundle-measure.js';
import { ESBUILD_TARGET, LAMBDA_ARCHITECTURE_NAME } from './bundling.js';
import type { Deployment } from './config.js';
import { HANDLERS_DIR } from './paths.js';

/**
 * `npm run bundle-size`: bundles every function with esbuild exactly as the stacks do (the options
 * come from infra/bundling.ts, `buildLambda`, which synth runs too) and prints each minified size (the
 * package's code: the entry and the chunks it loads with `import()`), the bytes Node reads at init
 * (the entry and its static chunks), its gzip size, its init time (infra/bundle-measure.ts `measureInit`: import in a fresh Node process,
 * then one keep-warm invoke; `--no-init` skips it), the CPU time of that init, and the largest
 * inputs by package. The init budget is judged on CPU time (user + system), which waiting for a
 * core on a busy machine does not inflate; the wall time is printed beside it. `--strict` exits
 * non-zero when a bundle is over either budget or missing; `--markdown` prints the table as
 * Markdown (the README's); `--only A,B` measures the named functions; `--runs N` takes the median
 * of N fresh processes per function (default 3).
 */

/**
 * Every function the stacks deploy: the control plane's (FUNCTIONS) and the health endpoint of the
 * health-checks traffic method (deployed where a plan uses it, infra/constructs/traffic-health.ts).
 */
const MEASURED: readonly { readonly name: string; readonly entry: string }[] = [
  ...FUNCTIONS,
  { name: TRAFFIC_HEALTH_FUNCTION, entry: 'traffic-health.ts' },
];

/** The Lambda environment the bundles are imported with (no AWS call is made while measuring). */
const MEASURE_ENV = {
  AWS_REGION: 'us-east-1',
  SWITCHYARD_TABLE_NAME: 'switchyard-state',
  SWITCHYARD_STATE_MACHINE_ARNS: '{}',
} as const;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      plans: { type: 'string' },
      strict: { type: 'boolean', default: false },
      init: { type: 'boolean', default: true },
      markdown: { type: 'boolean', default: false },
      only: { type: 'string' },
      runs: { type: 'string', default: '3' },
    },
    strict: true,
    allowNegative: true,
  });
  const runs = Number(values.runs);
  const only = values.only?.split(',').map((n) => n.trim());
  const unknown = (only ?? []).filter((n) => !MEASURED.some((fn) => fn.name === n));
  if (!Number.isInteger(runs) || runs < 1 || unknown.length > 0) {
    process.stderr.write(
      `bundle-size: ${unknown.length > 0 ? `--only: no function ${unknown.join(', ')} (expected one of ${MEASURED.map((fn) => fn.name).join(', ')})` : `--runs: got ${values.runs}, expected a whole number >= 1`}\n`,
    );
    return 2;
  }
  let deployment: Deployment;
  try {
    deployment = await loadChosenDeployment({ configFile: values.config, plansDir: values.plans });
  } catch (error: unknown) {
    return reportBuildError(error, (text) => process.stderr.write(text));
  }
  const measured = only ? MEASURED.filter((fn) => only.includes(fn.name)) : MEASURED;
  const outdir = mkdtempSync(join(tmpdir(), 'switchyard-bundle-size-'));
  try {
    const sizes: BundleSize[] = [];
    const inits = new Map<string, InitTime>();
    for (const fn of measured) {
      const size = await measureBundle(fn.name, join(HANDLERS_DIR, fn.entry), deployment.plans, outdir);
      sizes.push(size);
      if (values.init && size.outfile) inits.set(fn.name, measureInit(size.outfile, MEASURE_ENV, runs));
    }
    const out = (text: string) => process.stdout.write(`${text}\n`);
    // Wall-clock init on a shared machine includes waiting for a core: say how busy it was.
    const load = `load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores`;
    if (values.markdown) {
      out(
        `esbuild ${ESBUILD_VERSION}, ${ESBUILD_TARGET}, ${LAMBDA_ARCHITECTURE_NAME}; init on Node ${process.versions.node}, median of ${runs}, ${load}.\n`,
      );
      out(
        '| function | minified | read at init | gzip | init ms (import + first invoke) | init CPU ms | largest inputs |',
      );
      out('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
      for (const s of sizes) {
        const init = inits.get(s.name);
        const initText = init
          ? `${init.importMs.toFixed(0)} + ${init.firstInvokeMs.toFixed(0)} = ${init.totalMs.toFixed(0)}`
          : '-';
        out(
          `| ${s.name} | ${s.bytes === undefined ? 'missing' : kb(s.bytes)} | ${kb(s.initBytes ?? 0)} | ${kb(s.gzipBytes ?? 0)} | ${initText} | ${init ? init.cpuMs.toFixed(0) : '-'} | ${s.topInputs.map((i) => `${i.path} ${kb(i.bytes)}`).join(', ')} |`,
        );
      }
      return 0;
    }
    out(
      `Bundle sizes (esbuild ${ESBUILD_VERSION}, ESM, minified, ${ESBUILD_TARGET}, ${LAMBDA_ARCHITECTURE_NAME}; budget ${BUDGET_KB} KB each)` +
        (values.init
          ? `; init on this machine (Node ${process.versions.node}, ${load}, median of ${runs}: import + first keep-warm invoke in real ms, and its CPU ms; budget ${INIT_BUDGET_MS} ms of CPU):`
          : ':'),
    );
    out(
      `  ${'function'.padEnd(18)} ${'minified'.padStart(10)} ${'at init'.padStart(10)} ${'gzip'.padStart(10)} ${'init ms'.padStart(16)} ${'cpu ms'.padStart(7)}  largest inputs`,
    );
    for (const s of sizes) {
      if (s.bytes === undefined) {
        out(
          `  ${s.name.padEnd(18)} ${'missing'.padStart(10)} ${''.padStart(10)}  ${relative(process.cwd(), s.entry)} does not exist yet`,
        );
        continue;
      }
      const init = inits.get(s.name);
      const over = s.bytes > BUDGET_KB * 1024 || (init && init.cpuMs > INIT_BUDGET_MS) ? '  OVER BUDGET' : '';
      const inputs = s.topInputs.map((i) => `${i.path} ${kb(i.bytes)}`).join(', ');
      const initText = init
        ? `${init.importMs.toFixed(0)}+${init.firstInvokeMs.toFixed(0)}=${init.totalMs.toFixed(0)}`
        : '-';
      out(
        `  ${s.name.padEnd(18)} ${kb(s.bytes).padStart(10)} ${kb(s.initBytes ?? 0).padStart(10)} ${kb(s.gzipBytes ?? 0).padStart(10)} ${initText.padStart(16)} ${(init ? init.cpuMs.toFixed(0) : '-').padStart(7)}  ${inputs}${over}`,
      );
    }
    const bytes = sizes.flatMap((s) => (s.bytes === undefined ? [] : [s.bytes]));
    const overInit = [...inits.values()].filter((i) => i.cpuMs > INIT_BUDGET_MS).length;
    const over = bytes.filter((b) => b > BUDGET_KB * 1024).length;
    const initCpu = [...inits.values()].map((i) => i.cpuMs);
    if (initCpu.length > 0)
      out(
        `init CPU: most ${Math.max(...initCpu).toFixed(0)} ms, least ${Math.min(...initCpu).toFixed(0)} ms; ${overInit} over ${INIT_BUDGET_MS} ms.`,
      );
    const missing = sizes.length - bytes.length;
    if (bytes.length > 0)
      out(
        `${bytes.length} bundle(s): largest ${kb(Math.max(...bytes))}, smallest ${kb(Math.min(...bytes))}; ${over} over budget${missing ? `; ${missing} entry file(s) missing` : ''}.`,
      );
    return values.strict && (over > 0 || overInit > 0 || missing > 0) ? 1 : 0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = await main();

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { version as ESBUILD_VERSION } from 'esbuild';
import { FUNCTIONS } from '../functions/handlers/registry.js';
import { CONFIG_ENV, displayPath, PLANS_ENV, reportBuildError } from './app.js';
import { BUDGET_KB, type BundleSize, kb, measureBundle } from './bundle-measure.js';
import { ESBUILD_TARGET, lambdaBundling } from './bundling.js';
import { loadDeployment } from './config.js';
import { DEFAULT_CONFIG_FILE, HANDLERS_DIR, PLANS_DIR } from './paths.js';

/**
 * `npm run bundle-size`: bundles every function with esbuild exactly as the stacks do (the options
 * come from infra/bundling.ts, shared with NodejsFunction) and prints each minified size, its
 * gzip size and the largest inputs. `--strict` exits non-zero when a bundle is over budget or missing.
 */

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      plans: { type: 'string' },
      strict: { type: 'boolean', default: false },
    },
    strict: true,
  });
  let deployment: Awaited<ReturnType<typeof loadDeployment>>;
  try {
    deployment = await loadDeployment({
      configFile: displayPath(values.config ?? process.env[CONFIG_ENV] ?? DEFAULT_CONFIG_FILE),
      plansDir: displayPath(values.plans ?? process.env[PLANS_ENV] ?? PLANS_DIR),
    });
  } catch (error: unknown) {
    return reportBuildError(error, (text) => process.stderr.write(text));
  }
  const bundling = lambdaBundling(deployment.planSources);
  const outdir = mkdtempSync(join(tmpdir(), 'switchyard-bundle-size-'));
  try {
    const sizes: BundleSize[] = [];
    for (const fn of FUNCTIONS)
      sizes.push(await measureBundle(fn.name, join(HANDLERS_DIR, fn.entry), bundling, outdir));
    const out = (text: string) => process.stdout.write(`${text}\n`);
    out(
      `Bundle sizes (esbuild ${ESBUILD_VERSION}, ESM, minified, ${ESBUILD_TARGET}, arm64; budget ${BUDGET_KB} KB each):`,
    );
    out(`  ${'function'.padEnd(18)} ${'minified'.padStart(10)} ${'gzip'.padStart(10)}  largest inputs`);
    for (const s of sizes) {
      if (s.bytes === undefined) {
        out(
          `  ${s.name.padEnd(18)} ${'missing'.padStart(10)} ${''.padStart(10)}  ${relative(process.cwd(), s.entry)} does not exist yet`,
        );
        continue;
      }
      const over = s.bytes > BUDGET_KB * 1024 ? '  OVER BUDGET' : '';
      const inputs = s.topInputs.map((i) => `${i.path} ${kb(i.bytes)}`).join(', ');
      out(
        `  ${s.name.padEnd(18)} ${kb(s.bytes).padStart(10)} ${kb(s.gzipBytes ?? 0).padStart(10)}  ${inputs}${over}`,
      );
    }
    const measured = sizes.flatMap((s) => (s.bytes === undefined ? [] : [s.bytes]));
    const over = measured.filter((b) => b > BUDGET_KB * 1024).length;
    const missing = sizes.length - measured.length;
    if (measured.length > 0)
      out(
        `${measured.length} bundle(s): largest ${kb(Math.max(...measured))}, smallest ${kb(Math.min(...measured))}; ${over} over budget${missing ? `; ${missing} entry file(s) missing` : ''}.`,
      );
    return values.strict && (over > 0 || missing > 0) ? 1 : 0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = await main();

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { buildConsoleSync, type ConsoleConfig, consoleCsp } from '../console/build.js';
import { ESBUILD_TARGET } from './bundling.js';
import { REPO_ROOT } from './paths.js';

/**
 * Writes the console's Lambda package into `outDir`: `index.mjs` (console/lambda.ts, bundled),
 * `site/` (the page with `config` inlined, and the bundle's assets) and `headers.json` (the page's
 * Content-Security-Policy). CDK's local bundling calls it at synth.
 */
export function writeConsoleSite(outDir: string, config: ConsoleConfig): void {
  const bundle = buildConsoleSync();
  mkdirSync(join(outDir, 'site', 'assets'), { recursive: true });
  writeFileSync(join(outDir, 'site', 'index.html'), bundle.page(config));
  for (const [path, asset] of bundle.assets) writeFileSync(join(outDir, 'site', path), asset.body);
  writeFileSync(join(outDir, 'headers.json'), JSON.stringify({ csp: consoleCsp(config) }));
  buildSync({
    entryPoints: [join(REPO_ROOT, 'console', 'lambda.ts')],
    outfile: join(outDir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    minify: true,
    logLevel: 'warning',
  });
}

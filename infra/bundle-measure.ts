import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import type { Plan } from '../functions/core/plan.js';
import { BUNDLE_FILE, buildLambda, LAMBDA_NODE_OPTIONS } from './bundling.js';
import { REPO_ROOT } from './paths.js';

/** Measures a function's bundle built with the stacks' options (infra/bundling.ts). */

export const BUDGET_KB = 300;
/**
 * The init budget per function (issue 10), in milliseconds of CPU time (user + system) of its import
 * and first invoke on this machine: the figure a busy machine does not inflate ({@link InitTime}).
 */
export const INIT_BUDGET_MS = 150;

const INIT_MARKER = 'SWITCHYARD_INIT ';

export interface BundleSize {
  readonly name: string;
  readonly entry: string;
  /**
   * Bytes of the package's code (minified): `index.mjs` and the chunks it loads with `import()`;
   * undefined when the entry file does not exist yet. The 300 KB budget is judged on this.
   */
  readonly bytes?: number;
  /**
   * Bytes Node reads at init: `index.mjs` and the chunks it imports statically (the chunks loaded
   * by `import()` are read only when a path of the function runs it). Equal to `bytes` for a function
   * without `import()`.
   */
  readonly initBytes?: number;
  /** Gzip size of the package's code (each file compressed alone, summed). */
  readonly gzipBytes?: number;
  readonly topInputs: readonly { readonly path: string; readonly bytes: number }[];
  /** Where the bundle was written (`index.mjs`), for {@link measureInit}. */
  readonly outfile?: string;
}

/** A bundle's measured init, in real milliseconds (medians of `runs` fresh Node processes). */
export interface InitTime {
  /** Loading the module: what Lambda's Init phase runs. */
  readonly importMs: number;
  /**
   * The first invoke, with a keep-warm ping: reads the environment, checks the embedded plans' shape
   * and composes the function's adapters, which a real cold start also pays on its first event. No
   * AWS call is made: the state store builds its DynamoDB client here, the other clients are built
   * at their first call (so a real first event pays a little more than this).
   */
  readonly firstInvokeMs: number;
  readonly totalMs: number;
  /**
   * CPU time (user + system, every thread of the process) over the same import and invoke, in
   * milliseconds: the figure that waiting for a core on a busy machine does not inflate.
   */
  readonly cpuMs: number;
}

/**
 * Measures a bundle's init by importing it in fresh Node processes (this machine's Node, with the
 * Node options the functions run with, `LAMBDA_NODE_OPTIONS`), then invoking its handler once with a keep-warm
 * ping. Real milliseconds on this machine: a Lambda arm64 environment differs, so the figure is for
 * comparing bundles, not a promise about AWS.
 */
export function measureInit(outfile: string, env: Readonly<Record<string, string>>, runs = 3): InitTime {
  // The function's own logs go to stdout too: the figures come on a line of their own.
  const script = `
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const mod = await import(${JSON.stringify(pathToFileURL(outfile).href)});
    const t1 = performance.now();
    const context = { functionName: 'init', awsRequestId: 'init', getRemainingTimeInMillis: () => 30000 };
    await mod.handler({ source: 'switchyard.keep-warm' }, context).catch(() => undefined);
    const t2 = performance.now();
    const cpu = process.cpuUsage(c0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    process.stdout.write('\\n${INIT_MARKER}' + JSON.stringify({ importMs: t1 - t0, firstInvokeMs: t2 - t1, cpuMs }) + '\\n');
  `;
  const samples: { importMs: number; firstInvokeMs: number; cpuMs: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(
      process.execPath,
      [...LAMBDA_NODE_OPTIONS, '--input-type=module', '-e', script],
      {
        env: { PATH: process.env.PATH ?? '', ...env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const line = out.split('\n').find((l) => l.startsWith(INIT_MARKER));
    if (!line) throw new Error(`${outfile}: the init measurement printed no ${INIT_MARKER.trim()} line`);
    samples.push(
      JSON.parse(line.slice(INIT_MARKER.length)) as {
        importMs: number;
        firstInvokeMs: number;
        cpuMs: number;
      },
    );
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const importMs = median(samples.map((s) => s.importMs));
  const firstInvokeMs = median(samples.map((s) => s.firstInvokeMs));
  return {
    importMs,
    firstInvokeMs,
    totalMs: median(samples.map((s) => s.importMs + s.firstInvokeMs)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
  };
}

/**
 * Bundles one entry as the stacks do ({@link buildLambda}, with the deployment's validated `plans`)
 * into `outdir/<name>/`; returns the bundle's size and largest inputs.
 */
export async function measureBundle(
  name: string,
  entry: string,
  plans: readonly Plan[],
  outdir: string,
): Promise<BundleSize> {
  if (!existsSync(entry)) return { name, entry, topInputs: [] };
  const outfile = join(outdir, name, BUNDLE_FILE);
  const metafile = await buildLambda(entry, join(outdir, name), plans);
  const code = Object.entries(metafile.outputs).filter(([path]) => path.endsWith('.mjs'));
  // By package: which dependencies the bytes come from (the project's own code is "(project)").
  const byPackage = new Map<string, number>();
  for (const [, output] of code)
    for (const [path, input] of Object.entries(output.inputs)) {
      const key = packageOf(path);
      byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
    }
  const topInputs = [...byPackage]
    .map(([path, bytes]) => ({ path, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 4);
  const fileOf = (path: string) => resolve(REPO_ROOT, path);
  return {
    name,
    entry,
    outfile,
    bytes: sum(code.map(([path]) => statSync(fileOf(path)).size)),
    initBytes: sum(initOutputs(metafile).map((path) => statSync(fileOf(path)).size)),
    gzipBytes: sum(code.map(([path]) => gzipSync(readFileSync(fileOf(path))).length)),
    topInputs,
  };
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/**
 * The outputs Node reads when it imports the entry: the entry and, transitively, the chunks it
 * imports statically (`import-statement`), not those behind an `import()` (`dynamic-import`).
 * Paths as the metafile names them (relative to the build's working directory).
 */
export function initOutputs(metafile: Metafile): string[] {
  // Not the first output with an `entryPoint`: each chunk behind an `import()` has one too.
  const entry = Object.keys(metafile.outputs).find((path) => basename(path) === BUNDLE_FILE);
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? [])
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  if (entry) visit(entry);
  return [...seen];
}

export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

/** The npm package an input path belongs to, or `(project)` for our own code. */
export function packageOf(path: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match?.[1] ?? '(project)';
}

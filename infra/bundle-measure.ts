import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build } from 'esbuild';
import { esbuildOptions } from './bundling.js';

/** Measures a function's bundle built with the stacks' options (infra/bundling.ts). */

export const BUDGET_KB = 300;

export interface BundleSize {
  readonly name: string;
  readonly entry: string;
  /** Bytes of `index.mjs` (minified), or undefined when the entry file does not exist yet. */
  readonly bytes?: number;
  readonly gzipBytes?: number;
  readonly topInputs: readonly { readonly path: string; readonly bytes: number }[];
}

/** Bundles one entry as the stacks do; returns the bundle's size and largest inputs. */
export async function measureBundle(
  name: string,
  entry: string,
  bundling: BundlingOptions,
  outdir: string,
): Promise<BundleSize> {
  if (!existsSync(entry)) return { name, entry, topInputs: [] };
  const outfile = join(outdir, name, 'index.mjs');
  const result = await build({ ...esbuildOptions(entry, outfile, bundling), metafile: true });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  // By package: which dependencies the bytes come from (the project's own code is "(project)").
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const key = packageOf(path);
    byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
  }
  const topInputs = [...byPackage]
    .map(([path, bytes]) => ({ path, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 4);
  return {
    name,
    entry,
    bytes: statSync(outfile).size,
    gzipBytes: gzipSync(readFileSync(outfile)).length,
    topInputs,
  };
}

export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

/** The npm package an input path belongs to, or `(project)` for our own code. */
export function packageOf(path: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match?.[1] ?? '(project)';
}

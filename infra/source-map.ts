import { SourceMap, type SourceMapPayload } from 'node:module';
import { BUNDLE_FILE } from './bundling.js';

/**
 * A position in a function's package as a V8 stack frame prints it: `index.mjs:LINE:COLUMN`, or a
 * chunk's `chunk-HASH.mjs:LINE:COLUMN` (1-based).
 */
const FRAME_POSITION = /([^\s()]*?([\w-]+\.mjs)):(\d+):(\d+)/g;

/**
 * The trace with every `FILE.mjs:LINE:COLUMN` replaced by the source position it was bundled from
 * (`functions/aws/aurora.ts:120:7`), the bundle position kept beside it in brackets. `maps` are the
 * package's maps by the name of the file each maps (`index.mjs`, `chunk-HASH.mjs`), or one map, the
 * entry's (`index.mjs`). A position of a file without a map, or that its map does not cover, is
 * left as it is.
 */
export function mapStackTrace(
  trace: string,
  maps: SourceMapPayload | ReadonlyMap<string, SourceMapPayload>,
): string {
  const byFile = new Map<string, SourceMap>();
  for (const [file, map] of maps instanceof Map ? maps : new Map([[BUNDLE_FILE, maps as SourceMapPayload]]))
    byFile.set(file, new SourceMap(map));
  return trace.replace(FRAME_POSITION, (whole, _path: string, file: string, line: string, column: string) => {
    const sourceMap = byFile.get(file);
    if (!sourceMap) return whole;
    // findEntry takes 0-based offsets; a stack frame prints 1-based ones.
    const entry = sourceMap.findEntry(Number(line) - 1, Number(column) - 1) as Partial<{
      originalSource: string;
      originalLine: number;
      originalColumn: number;
    }>;
    if (entry.originalSource === undefined || entry.originalLine === undefined) return whole;
    const source = repoPath(entry.originalSource);
    return `${source}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1} [${whole}]`;
  });
}

/**
 * A map's source path as a repository path: esbuild writes them relative to where the bundle was
 * written (`../../functions/aws/aurora.ts` from `cdk.out/asset.x/`, deeper from a temporary
 * directory), and every bundled file is our `functions/` code or a `node_modules/` package.
 */
function repoPath(source: string): string {
  return /(?:^|\/)((?:functions|node_modules)\/.*)$/.exec(source)?.[1] ?? source.replace(/^(\.\.\/)+/, '');
}

import { SourceMap, type SourceMapPayload } from 'node:module';

/** A position in a bundle as a V8 stack frame prints it: `index.mjs:LINE:COLUMN` (1-based). */
const FRAME_POSITION = /([^\s()]*index\.mjs):(\d+):(\d+)/g;

/**
 * The trace with every `index.mjs:LINE:COLUMN` replaced by the source position it was bundled from
 * (`functions/aws/aurora.ts:120:7`), the bundle position kept beside it in brackets; a position
 * the map does not cover is left as it is.
 */
export function mapStackTrace(trace: string, map: SourceMapPayload): string {
  const sourceMap = new SourceMap(map);
  return trace.replace(FRAME_POSITION, (whole, _file: string, line: string, column: string) => {
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

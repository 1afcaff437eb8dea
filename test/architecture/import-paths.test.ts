import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// What a function ships follows its value imports (docs/architecture.md, "Bundles"): a module
// reached only for one function's rare path is carried by every function whose imports reach it.
// These are source-level rules on the import graph; test/infra measures the bundles themselves.

const ROOT = resolve(import.meta.dirname, '../..');

/** The value imports of a TypeScript source (`import type` and `export type` left out). */
function valueImports(source: string): string[] {
  const found: string[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)'/gm;
  for (const match of source.matchAll(pattern)) if (!match[2]) found.push(match[3] ?? '');
  for (const match of source.matchAll(/\bimport\s*\(\s*'([^']+)'\s*\)/g)) found.push(match[1] ?? '');
  return found;
}

/** Every project module and npm package reached from `entry` through value imports, with the path to each. */
function reach(entry: string): Map<string, string[]> {
  const paths = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const via = paths.get(file) ?? [];
    for (const specifier of valueImports(readFileSync(resolve(ROOT, file), 'utf8'))) {
      let key: string;
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(resolve(ROOT, file)), specifier).replace(/\.js$/, '.ts');
        if (!existsSync(target)) continue;
        key = relative(ROOT, target);
      } else
        key = specifier
          .split('/')
          .slice(0, specifier.startsWith('@') ? 2 : 1)
          .join('/');
      if (paths.has(key)) continue;
      paths.set(key, [...via, key]);
      if (key.endsWith('.ts')) queue.push(key);
    }
  }
  return paths;
}

describe('import paths', () => {
  it.each(['functions/handlers/begin-execution.ts', 'functions/handlers/preflight.ts'])(
    "%s reaches no DataLoader: the batched reads are the scheduled evaluation's",
    (entry) => {
      // Act
      const reached = reach(entry);

      // Assess: the path, when there is one, says which import to cut
      expect(reached.get('dataloader')?.join(' -> ')).toBeUndefined();
      expect(reached.has('functions/readiness/readiness.ts')).toBe(true);
    },
  );

  it('the scheduled evaluation does (the walk follows the graph)', () => {
    expect(reach('functions/handlers/readiness.ts').get('dataloader')).toEqual(
      expect.arrayContaining(['functions/readiness/scheduled.ts', 'functions/observer/batched-reads.ts']),
    );
  });

  it('CheckCapacity and the shared reads wake a step without reaching the waker', () => {
    for (const entry of ['functions/handlers/check-capacity.ts', 'functions/handlers/run-evacuation.ts'])
      expect(reach(entry).get('functions/runbook/wake.ts')?.join(' -> '), entry).toBeUndefined();
  });
});

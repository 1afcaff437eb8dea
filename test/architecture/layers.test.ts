import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layering of docs/architecture.md: the core and the use cases import nothing from the
// adapters (functions/aws) nor any AWS SDK client; only the composition root (functions/handlers)
// binds adapters to ports.

const ROOT = resolve(import.meta.dirname, '../..');
const INNER = [
  'functions/core',
  'functions/runbook',
  'functions/reconciler',
  'functions/detection',
  'functions/drills',
  'functions/observer',
  'functions/operator-api',
  'functions/readiness',
  'functions/evacuation',
  'functions/traffic',
];
const ADAPTERS = join(ROOT, 'functions/aws');

/** Every `from '...'` and `import('...')` specifier of a TypeScript source, with its line. */
function importsOf(source: string): { specifier: string; line: number }[] {
  const found: { specifier: string; line: number }[] = [];
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'([^']+)'/gm;
  for (const match of source.matchAll(pattern)) {
    const line = source.slice(0, match.index).split('\n').length;
    found.push({ specifier: match[1] ?? '', line });
  }
  return found;
}

/** The imports of `file` that break the layering: an adapter module or an AWS SDK client. */
function layerViolations(file: string, source: string): string[] {
  return importsOf(source).flatMap(({ specifier, line }) => {
    const at = `${relative(ROOT, file)}:${line} imports ${specifier}`;
    if (specifier.startsWith('@aws-sdk/client-') || specifier === '@aws-sdk/lib-dynamodb') return [at];
    if (!specifier.startsWith('.')) return [];
    const target = resolve(dirname(file), specifier);
    return target === ADAPTERS || target.startsWith(`${ADAPTERS}/`) ? [at] : [];
  });
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('layers', () => {
  it('the core and the use cases import nothing from functions/aws nor an SDK client', () => {
    // Arrange
    const files = INNER.flatMap(sources);

    // Act
    const violations = files.flatMap((f) => layerViolations(f, readFileSync(f, 'utf8')));

    // Assert
    expect(files.length).toBeGreaterThan(30);
    expect(violations).toEqual([]);
  });

  it('catches an adapter import, a type-only one, and an SDK client', () => {
    // Arrange
    const file = join(ROOT, 'functions/runbook/example.ts');
    const source = [
      "import type { StateStore } from '../aws/state-store.js';",
      "import { RDSClient } from '@aws-sdk/client-rds';",
      "import { x } from './ports/state-store.js';",
      "const lazy = await import('../aws/arc.js');",
    ].join('\n');

    // Act
    const violations = layerViolations(file, source);

    // Assert
    expect(violations).toEqual([
      'functions/runbook/example.ts:1 imports ../aws/state-store.js',
      'functions/runbook/example.ts:2 imports @aws-sdk/client-rds',
      'functions/runbook/example.ts:4 imports ../aws/arc.js',
    ]);
  });

  it('functions/ has no import cycle among its modules (imports of values; type-only ones are erased)', () => {
    // Arrange: each module's value imports of other modules of functions/
    const files = sources('functions');
    const graph = new Map(files.map((f) => [f, valueImports(f, readFileSync(f, 'utf8'))]));

    // Act
    const cycles = importCycles(graph);

    // Assert
    expect(files.length).toBeGreaterThan(30);
    expect(cycles).toEqual([]);
  });

  it('finds a cycle of two modules and ignores a type-only import back', () => {
    // Arrange
    const a = join(ROOT, 'functions/runbook/a.ts');
    const b = join(ROOT, 'functions/runbook/b.ts');
    const c = join(ROOT, 'functions/runbook/c.ts');
    const graph = new Map([
      [a, valueImports(a, "import { b } from './b.js';")],
      [b, valueImports(b, "import {\n  a,\n} from './a.js';\nimport type { C } from './c.js';")],
      [c, valueImports(c, "import type { B } from './b.js';")],
    ]);

    // Act
    const cycles = importCycles(graph);

    // Assert
    expect(cycles).toEqual([['functions/runbook/a.ts', 'functions/runbook/b.ts']]);
  });
});

/** The modules `file` imports values from (`import type` and `export type` left out), as paths. */
function valueImports(file: string, source: string): string[] {
  const pattern = /^(?:import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?'(\.[^']+)'/gms;
  return [...source.matchAll(pattern)]
    .filter((match) => !match[1])
    .map((match) => resolve(dirname(file), match[2] ?? '').replace(/\.js$/, '.ts'));
}

/** The import cycles of `graph` (its strongly connected components of two or more modules), sorted. */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm over the modules of the graph.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (module: string): void => {
    index.set(module, next);
    low.set(module, next++);
    stack.push(module);
    for (const target of graph.get(module) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(module, Math.min(low.get(module) ?? 0, low.get(target) ?? 0));
      } else if (stack.includes(target))
        low.set(module, Math.min(low.get(module) ?? 0, index.get(target) ?? 0));
    }
    if (low.get(module) !== index.get(module)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member) component.push(relative(ROOT, member));
    } while (member !== module);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const module of graph.keys()) if (!index.has(module)) visit(module);
  return cycles;
}

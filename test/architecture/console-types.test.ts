import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// One vocabulary (docs/code-style.md): the console reads the core's records as types
// (console/src/types.ts) instead of restating them, and imports nothing of the control plane as a
// value (but the constants of a module that imports nothing), so the browser bundle holds none of it.

const ROOT = resolve(import.meta.dirname, '../..');
const CONSOLE = join(ROOT, 'console/src');

/** The names a TypeScript source declares at top level as exported types or interfaces. */
function declaredTypes(source: string): string[] {
  return [...source.matchAll(/^export\s+(?:interface|type)\s+([A-Za-z0-9_]+)/gm)].map((m) => m[1] ?? '');
}

/** Every import of a source from outside console/, with whether it is type-only. */
function importsOutside(source: string): { specifier: string; typeOnly: boolean }[] {
  return [...source.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)]
    .filter((m) => (m[2] ?? '').startsWith('../../'))
    .map((m) => ({ specifier: m[2] ?? '', typeOnly: m[1] !== undefined }));
}

/** The names a source declares as a narrowing of another type (`type X = Omit<Y, ...>` or `Pick<Y, ...>`). */
function derivedTypes(source: string): string[] {
  return [...source.matchAll(/^export\s+type\s+([A-Za-z0-9_]+)\s*=\s*(?:Omit|Pick)<\s*[A-Za-z0-9_]+/gm)].map(
    (m) => m[1] ?? '',
  );
}

describe('the console vocabulary', () => {
  it('declares none of the records the core defines: it imports them (or narrows them)', () => {
    // Arrange
    const core = declaredTypes(readFileSync(join(ROOT, 'functions/core/records.ts'), 'utf8'));
    const console = readFileSync(join(CONSOLE, 'types.ts'), 'utf8');

    // Act
    const derived = derivedTypes(console);
    const restated = declaredTypes(console).filter((name) => core.includes(name) && !derived.includes(name));

    // Assert
    expect(core).toEqual(expect.arrayContaining(['ExecutionRecord', 'StepRecord', 'AuditEntry']));
    expect(restated).toEqual([]);
    expect(importsOutside(console)).toEqual([
      { specifier: '../../functions/core/execution-views.js', typeOnly: true },
      { specifier: '../../functions/core/records.js', typeOnly: true },
    ]);
  });

  it("declares none of the API's execution views: one definition, in the core", () => {
    // Arrange
    const views = declaredTypes(readFileSync(join(ROOT, 'functions/core/execution-views.ts'), 'utf8'));
    const apiFiles = readdirSync(join(ROOT, 'functions/operator-api')).filter((f) => f.endsWith('.ts'));

    // Act
    const inConsole = declaredTypes(readFileSync(join(CONSOLE, 'types.ts'), 'utf8')).filter((name) =>
      views.includes(name),
    );
    const inApi = apiFiles.flatMap((f) =>
      declaredTypes(readFileSync(join(ROOT, 'functions/operator-api', f), 'utf8'))
        .filter((name) => views.includes(name))
        .map((name) => `${f}: ${name}`),
    );

    // Assert
    expect(views).toEqual(expect.arrayContaining(['ExecutionSummary', 'ExecutionDetail', 'ApprovalView']));
    expect(inConsole).toEqual([]);
    expect(inApi).toEqual([]);
  });

  it('imports nothing from outside console/ but types, and constants of modules that import nothing', () => {
    // Arrange
    const files = readdirSync(CONSOLE).filter((f) => /\.tsx?$/.test(f));
    // A module without imports (functions/core/text-bounds.ts: the API's limit on free text) puts
    // only itself in the browser bundle, and lets the console stop where the API refuses.
    const isLeaf = (specifier: string) =>
      !/^import\s/m.test(readFileSync(resolve(CONSOLE, specifier.replace(/\.js$/, '.ts')), 'utf8'));

    // Act
    const values = files.flatMap((f) =>
      importsOutside(readFileSync(join(CONSOLE, f), 'utf8'))
        .filter((i) => !i.typeOnly && !isLeaf(i.specifier))
        .map((i) => `${f} imports ${i.specifier}`),
    );

    // Assert
    expect(files.length).toBeGreaterThan(10);
    expect(values).toEqual([]);
  });
});

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
});

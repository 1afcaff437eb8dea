import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The map stays true (docs/ and the README): every file or folder of the repo they name in
// backticks exists, and the README's folder table lists every top-level folder and every folder
// under functions/ and sandbox/.

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
/** Build output the docs may name: ignored by git, written by `npm run bench`. */
const GENERATED = ['bench/results/'];
/** What git ignores (node_modules, cdk.out, ...): not the repo's, though a checkout may hold it. */
const IGNORED = readFileSync(join(ROOT, '.gitignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim().replace(/\/$/, ''))
  .filter((line) => line !== '' && !line.startsWith('#'));

/** The repo's top-level folders (not hidden, not ignored by git). */
const TOP = readdirSync(ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !IGNORED.includes(e.name))
  .map((e) => e.name);

/**
 * The repo paths a Markdown text names in backticks: a word of the form `folder/...` whose first
 * folder is one of the repo's top-level folders, not part of a URL or a route (`/sandbox/truth`).
 * Patterns (`*`, `{app}`, `[id]`) are left out.
 */
function pathsIn(markdown: string): string[] {
  const spans = [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  return spans
    .flatMap((span) => [...span.matchAll(/(?<![\w./-])[\w.@-]+(?:\/[\w.@*{}[\]-]*)+/g)].map((m) => m[0]))
    .map((p) => p.replace(/[.,:;)]+$/, ''))
    .filter((p) => TOP.includes(p.split('/')[0] ?? '') && !/[*{}[\]]/.test(p));
}

/** The folders the README's folder table lists (its first column). */
function foldersInTable(readme: string): string[] {
  const table = readme.slice(readme.indexOf('| folder '));
  const rows = table.slice(0, table.search(/\n(?!\|)/)).split('\n');
  return rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ''));
}

function subfolders(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(ROOT.length + 1));
}

describe('the docs and the README', () => {
  it('name only repo paths that exist', () => {
    // Act
    const named = DOCS.flatMap((doc) =>
      pathsIn(readFileSync(join(ROOT, doc), 'utf8')).map((path) => ({ doc, path })),
    );
    const missing = named
      .filter(({ path }) => !GENERATED.some((g) => path.startsWith(g)))
      .filter(({ path }) => !existsSync(join(ROOT, path)))
      .map(({ doc, path }) => `${doc} names ${path}`);

    // Assert
    expect(named.length).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });

  it("list every top-level folder and every folder under functions/ and sandbox/ in the README's table", () => {
    // Arrange
    const listed = foldersInTable(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const folders = [...TOP, ...subfolders('functions'), ...subfolders('sandbox')];

    // Act
    // A top-level folder is listed by itself or by its subfolders (`functions/core`, ...).
    const unlisted = folders.filter((f) => !listed.some((l) => l === f || l.startsWith(`${f}/`)));

    // Assert
    expect(listed).toContain('functions/core');
    expect(unlisted).toEqual([]);
  });

  it('finds a path in backticks but not a route or a pattern', () => {
    expect(pathsIn('see `functions/core/plan.ts`, `GET /sandbox/truth`, `test/x/*.ts` and `docs/`.')).toEqual(
      ['functions/core/plan.ts', 'docs/'],
    );
  });
});

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type PlanProblem, PlanValidationError } from './errors.js';
import type { Plan } from './plan.js';
import { MAX_PLAN_NESTING, type PlanDocument, validatePlanDocuments } from './plan-set.js';
import { errorCode, parseYamlFile, readYamlFile, type YamlFileKind } from './yaml-file.js';

export { MAX_PLAN_NESTING } from './plan-set.js';

const PLAN_FILE = /\.ya?ml$/;

/**
 * The largest plan file read, in bytes (256 KiB). The example plans are about 2 KB; a plan with
 * five regions and dozens of groups, clusters and records stays under 50 KB. Past this the file
 * is refused unread, so a huge file costs neither memory nor parsing time.
 */
export const MAX_PLAN_FILE_BYTES = 256 * 1024;

/**
 * How many alias expansions a plan file may make (`*anchor`), the `yaml` library's
 * `maxAliasCount`: beyond it a "billion laughs" document is refused instead of expanded.
 */
export const MAX_PLAN_ALIASES = 100;

/** A plan file's bounds (functions/core/yaml-file.ts), and the words its problems use. */
export const PLAN_FILE_KIND: YamlFileKind = {
  noun: 'plan',
  maxBytes: MAX_PLAN_FILE_BYTES,
  maxAliases: MAX_PLAN_ALIASES,
  maxNesting: MAX_PLAN_NESTING,
  typical: { size: 'a plan is a few KB', nesting: 'a plan needs about 6', aliases: 'a plan needs none' },
  mapping: 'a mapping such as "name: orders" with strategy, regions, traffic, ... (see plans/schema.json)',
};

/** The most plan files one directory may hold (a control plane deploys every plan to every region). */
export const MAX_PLAN_FILES = 500;

/**
 * Loads every plan (`*.yaml`, `*.yml`) of a directory. Throws {@link PlanValidationError} listing
 * every problem of every file (unreadable or oversized files, YAML syntax and resource limits,
 * schema, cross-field and cross-plan rules) so that a person fixes them all in one pass; it
 * throws nothing else.
 */
export async function loadPlans(dir: string): Promise<Plan[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new PlanValidationError(`plans: ${dir} is not a directory`, [
      {
        file: dir,
        path: '',
        message: 'plans directory not found',
        got: info ? 'a file that is not a directory' : dir,
        expected: 'a directory of *.yaml plans',
      },
    ]);
  }
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => PLAN_FILE.test(f)).sort();
  } catch (error: unknown) {
    throw new PlanValidationError(`plans: cannot list ${dir}`, [
      {
        file: dir,
        path: '',
        message: 'cannot list the plans directory',
        got: errorCode(error),
        expected: 'a readable directory of *.yaml plans',
      },
    ]);
  }
  if (names.length > MAX_PLAN_FILES) {
    throw new PlanValidationError(`plans: too many plan files in ${dir}`, [
      {
        file: dir,
        path: '',
        message: 'too many plan files',
        got: `${names.length} *.yaml files`,
        expected: `at most ${MAX_PLAN_FILES}`,
      },
    ]);
  }
  const read = await Promise.all(names.map((name) => readYamlFile(join(dir, name), PLAN_FILE_KIND)));
  const sources = read.filter((r): r is { file: string; text: string } => 'text' in r);
  const unread = read.filter((r): r is PlanProblem => !('text' in r));
  return parsePlans(sources, dir, unread);
}

/**
 * Parses and validates plan sources already in memory (the same rules as {@link loadPlans}):
 * throws {@link PlanValidationError} with every problem, `earlier` ones first.
 */
export function parsePlans(
  sources: readonly { file: string; text: string }[],
  where = 'plans',
  earlier: readonly PlanProblem[] = [],
): Plan[] {
  const documents: PlanDocument[] = [];
  const problems: PlanProblem[] = [...earlier];
  for (const { file, text } of sources) {
    const parsed = parsePlanText(file, text);
    if ('problems' in parsed) problems.push(...parsed.problems);
    else documents.push({ file, document: parsed.document });
  }
  return validatePlanDocuments(documents, where, problems);
}

/**
 * One plan file's YAML as data, or its problems: too large, nested too deep, not YAML, an alias
 * that is undefined or expands too much, or a document that is not a mapping
 * (functions/core/yaml-file.ts, with {@link PLAN_FILE_KIND}'s bounds). Never throws.
 */
export function parsePlanText(
  file: string,
  text: string,
): { document: Record<string, unknown> } | { problems: PlanProblem[] } {
  return parseYamlFile(file, text, PLAN_FILE_KIND);
}

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { type PlanProblem, PlanValidationError } from './errors.js';
import type { Plan } from './plan.js';
import { type PlanDocument, validatePlanDocuments } from './plan-set.js';

const PLAN_FILE = /\.ya?ml$/;

/**
 * Loads every plan (`*.yaml`, `*.yml`) of a directory. Throws {@link PlanValidationError} listing
 * every problem of every file (YAML syntax, schema, cross-field and cross-plan rules) so that a
 * person fixes them all in one pass.
 */
export async function loadPlans(dir: string): Promise<Plan[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new PlanValidationError(`plans: ${dir} is not a directory`, [
      {
        file: dir,
        path: '',
        message: 'plans directory not found',
        got: dir,
        expected: 'a directory of *.yaml plans',
      },
    ]);
  }
  const files = (await readdir(dir)).filter((f) => PLAN_FILE.test(f)).sort();
  const sources = await Promise.all(
    files.map(async (f) => ({ file: join(dir, f), text: await readFile(join(dir, f), 'utf8') })),
  );
  return parsePlans(sources, dir);
}

/** Parses and validates plan sources already in memory (the same rules as {@link loadPlans}). */
export function parsePlans(sources: readonly { file: string; text: string }[], where = 'plans'): Plan[] {
  const documents: PlanDocument[] = [];
  const problems: PlanProblem[] = [];
  for (const { file, text } of sources) {
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const line = e.linePos?.[0];
        problems.push({
          file,
          path: line ? `line ${line.line}:${line.col}` : '',
          message: `YAML: ${e.message.split('\n')[0]}`,
        });
      }
      continue;
    }
    documents.push({ file, document: doc.toJS() });
  }
  return validatePlanDocuments(documents, where, problems);
}

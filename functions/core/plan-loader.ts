import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { type PlanProblem, PlanValidationError } from './errors.js';
import { formatProblem, type Plan, validatePlan } from './plan.js';

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
  const plans: { file: string; plan: Plan }[] = [];
  const problems: PlanProblem[] = [];
  if (sources.length === 0) {
    problems.push({
      file: where,
      path: '',
      message: 'no plan files',
      got: 'no *.yaml files',
      expected: 'at least one plan',
    });
  }
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
    const result = validatePlan(doc.toJS(), file);
    if (result.plan) plans.push({ file, plan: result.plan });
    else problems.push(...result.problems);
  }

  // Rules across plans: names unique, and no AWS resource is driven by two plans.
  const owners = new Map<string, string>();
  const claim = (key: string, file: string, path: string, what: string) => {
    const other = owners.get(key);
    if (other)
      problems.push({
        file,
        path,
        message: `${what} is also in ${basename(other)}`,
        got: key.split('|')[1],
        expected: 'each plan and resource in one plan only',
      });
    else owners.set(key, file);
  };
  for (const { file, plan } of plans) {
    claim(`plan|${plan.name}`, file, 'name', 'plan name');
    plan.database?.auroraGlobalClusters.forEach((c, i) => {
      claim(`cluster|${c.globalClusterId}`, file, `database.auroraGlobalClusters[${i}]`, 'global cluster');
    });
    plan.compute?.autoScalingGroups.forEach((g, i) => {
      for (const [region, name] of Object.entries(g.members))
        claim(
          `asg|${region}/${name}`,
          file,
          `compute.autoScalingGroups[${i}].members.${region}`,
          'Auto Scaling group',
        );
    });
  }

  if (problems.length > 0) {
    throw new PlanValidationError(
      `${problems.length} problem(s) in plans:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
      problems,
    );
  }
  return plans.map((p) => p.plan).sort((a, b) => a.name.localeCompare(b.name));
}

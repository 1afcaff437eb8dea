import { type PlanProblem, PlanValidationError } from './errors.js';
import { formatProblem, type Plan, validatePlan } from './plan.js';

/** A plan file parsed (from YAML, or embedded as JSON in a Lambda bundle), not yet validated. */
export interface PlanDocument {
  readonly file: string;
  readonly document: unknown;
}

/**
 * Validates a set of plan documents: each plan's schema and cross-field rules, and the rules across
 * plans. Throws {@link PlanValidationError} with every problem (and any `earlier` ones, e.g. YAML
 * syntax) so that a person fixes them all in one pass. No YAML here: Lambda bundles use it too.
 */
export function validatePlanDocuments(
  documents: readonly PlanDocument[],
  where = 'plans',
  earlier: readonly PlanProblem[] = [],
): Plan[] {
  const plans: { file: string; plan: Plan }[] = [];
  const problems: PlanProblem[] = [...earlier];
  if (documents.length === 0 && earlier.length === 0) {
    problems.push({
      file: where,
      path: '',
      message: 'no plan files',
      got: 'no *.yaml files',
      expected: 'at least one plan',
    });
  }
  for (const { file, document } of documents) {
    const result = validatePlan(document, file);
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
        message: `${what} is also in ${other.split('/').pop()}`,
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

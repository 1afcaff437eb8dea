import { type PlanProblem, PlanValidationError } from './errors.js';
import { formatProblem, nestsDeeperThan, type Plan, validatePlan } from './plan.js';

/**
 * The deepest nesting a plan document may have, in levels. The schema's deepest path has six
 * (`traffic.route53.records[0].targets.us-east-1.dnsName`); the YAML library composes documents
 * recursively, so this bound, checked before parsing and again on the data, keeps any input far
 * from the stack's end.
 */
export const MAX_PLAN_NESTING = 32;

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
    // Documents embedded as JSON (Lambda bundles) have not been through the YAML loader's bound.
    if (nestsDeeperThan(document, MAX_PLAN_NESTING)) {
      problems.push({
        file,
        path: '',
        message: 'plan nested too deeply',
        got: `more than ${MAX_PLAN_NESTING} levels`,
        expected: `at most ${MAX_PLAN_NESTING} levels of nesting (a plan needs about 6)`,
      });
      continue;
    }
    const result = validatePlan(document, file);
    if (result.plan) plans.push({ file, plan: result.plan });
    else problems.push(...result.problems);
  }

  problems.push(...crossPlanProblems(plans));

  if (problems.length > 0) {
    throw new PlanValidationError(
      `${problems.length} problem(s) in plans:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
      problems,
    );
  }
  return plans.map((p) => p.plan).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Rules across plans: plan names are unique, and no AWS resource is driven by two plans, since
 * failing one over would move the other: a global cluster (by id) or any of its member cluster
 * ARNs, an Auto Scaling group (by region and name), a Route 53 record (by hosted zone, name and
 * type: names compare case-insensitively and without the final dot, as DNS does) or an ARC
 * routing control (by ARN). Each problem names both plans and both files.
 */
export function crossPlanProblems(plans: readonly { file: string; plan: Plan }[]): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const owners = new Map<string, { file: string; plan: string }>();
  const claim = (
    key: string,
    shown: string,
    owner: { file: string; plan: Plan },
    path: string,
    what: string,
  ) => {
    const other = owners.get(key);
    if (!other) {
      owners.set(key, { file: owner.file, plan: owner.plan.name });
      return;
    }
    // Within one plan, a resource named twice is planProblems' rule (with its own message).
    if (other.file === owner.file) return;
    problems.push({
      file: owner.file,
      path,
      message:
        what === 'plan name'
          ? `plan name is also in ${other.file}: two plans named ${shown}`
          : `${what} is also in ${other.file} (plan ${other.plan}): failing over plan ${owner.plan.name} would move plan ${other.plan} too`,
      got: shown,
      expected: 'each plan name and AWS resource in one plan only',
    });
  };
  for (const owner of plans) {
    const { plan } = owner;
    claim(`plan|${plan.name}`, plan.name, owner, 'name', 'plan name');
    plan.database?.auroraGlobalClusters.forEach((c, i) => {
      const path = `database.auroraGlobalClusters[${i}]`;
      claim(
        `cluster|${c.globalClusterId}`,
        c.globalClusterId,
        owner,
        `${path}.globalClusterId`,
        'global cluster',
      );
      for (const [region, arn] of Object.entries(c.members))
        claim(`cluster-arn|${arn}`, arn, owner, `${path}.members.${region}`, 'Aurora cluster');
    });
    plan.compute?.autoScalingGroups.forEach((g, i) => {
      for (const [region, name] of Object.entries(g.members))
        claim(
          `asg|${region}/${name}`,
          `${name} in ${region}`,
          owner,
          `compute.autoScalingGroups[${i}].members.${region}`,
          'Auto Scaling group',
        );
    });
    const route53 = plan.traffic.route53;
    route53?.records.forEach((r, i) => {
      const name = r.name.toLowerCase().replace(/\.$/, '');
      claim(
        `record|${route53.hostedZoneId}|${name}|${r.type}`,
        `${r.name} ${r.type} in hosted zone ${route53.hostedZoneId}`,
        owner,
        `traffic.route53.records[${i}]`,
        'Route 53 record',
      );
    });
    for (const [region, arn] of Object.entries(plan.traffic.arc?.routingControls ?? {}))
      claim(`routing-control|${arn}`, arn, owner, `traffic.arc.routingControls.${region}`, 'routing control');
  }
  return problems;
}

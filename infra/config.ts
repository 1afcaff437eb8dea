import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import { type PlanProblem, PlanValidationError } from '../functions/core/errors.js';
import { formatProblem, type Plan, problemsFromIssue, RegionName, show } from '../functions/core/plan.js';
import { loadPlans } from '../functions/core/plan-loader.js';
import { MRSC_REGION_SETS } from '../functions/core/regions.js';
import { IamRoleMapSchema } from '../functions/operator-api/identity.js';

/**
 * The deployment config (`infra/deploy.config.yaml`): where and how the control plane is deployed.
 * The plans say *what* fails over; this file says which account, which regions, how the state
 * table replicates and who may call the operator API. A bad config or a bad plan stops synth with
 * every problem listed, in the format `switchyard validate` uses.
 */

// Where DynamoDB offers multi-region strong consistency: the core's list (the sandbox models it too).
export { MRSC_REGION_SETS };

/** The finite retentions CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const DeployConfigSchema = z.strictObject({
  /** The one AWS account every stack deploys to; every ARN in the plans must name it. */
  // YAML reads an unquoted account ID as a number: take it, and say how to keep leading zeros.
  account: z.preprocess(
    (value) => (typeof value === 'number' ? String(value) : value),
    z.string().regex(/^\d{12}$/, "a 12-digit AWS account ID, quoted (e.g. '012345678901')"),
  ),
  /** Regions that get a control plane; default: every region of every plan, in plan order. */
  regions: z.array(RegionName).min(1).max(5).optional(),
  /** Whether traffic may move with ARC routing controls (a plan with `traffic.arc` needs `true`). */
  useArc: z.boolean(),
  stateTable: z.strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'a DynamoDB table name (3-255 letters, digits, _ . -)'),
    /** `strong` (MRSC, docs/state-store.md) or `eventual` (MREC; only for region sets MRSC cannot serve). */
    consistency: z.enum(['strong', 'eventual']).default('strong'),
    /** MRSC with two replicas needs a witness region: not a replica, in the same MRSC region set. */
    witnessRegion: RegionName.optional(),
  }),
  operatorApi: z.strictObject({
    jwtAuthorizer: z.strictObject({
      issuer: z.url({ protocol: /^https$/, error: 'an https:// URL: the JWT issuer (iss)' }),
      audience: z.array(z.string().min(1)).min(1),
    }),
    /**
     * The console's OIDC sign-in (authorization code with PKCE): the public client's id (default:
     * the first audience, as with a Cognito app client) and the scopes to ask for (default openid).
     */
    console: z
      .strictObject({
        clientId: z.string().min(1).optional(),
        scope: z.string().min(1).optional(),
      })
      .optional(),
    /**
     * Break-glass, for when the identity provider's region is down: the same routes on a second
     * HTTP API with the `AWS_IAM` authorizer (SigV4), each IAM role named here mapped to the
     * Switchyard roles its sessions get. Only these roles are granted `execute-api:Invoke` on it;
     * they must be roles of the deployment account (an HTTP API has no resource policy).
     */
    breakGlass: z
      .strictObject({
        iamRoles: IamRoleMapSchema.check(
          z.refine((roles) => Object.keys(roles).length > 0, { error: 'at least one IAM role ARN' }),
        ),
      })
      .optional(),
    /** Stage throttling: the API is for a handful of operators, not the public. */
    throttle: z
      .strictObject({
        rateLimit: z.number().positive().default(10),
        burstLimit: z.number().int().positive().default(20),
      })
      .default({ rateLimit: 10, burstLimit: 20 }),
  }),
  logRetentionDays: z.literal(LOG_RETENTION_DAYS),
});

export type DeployConfig = z.infer<typeof DeployConfigSchema>;
export type DeployConfigInput = z.input<typeof DeployConfigSchema>;

/** A validated deployment: the config, the plans, and what follows from them. */
export interface Deployment {
  readonly config: DeployConfig;
  /** The validated plans, sorted by name; embedded into every bundle (`__SWITCHYARD_PLANS__`). */
  readonly plans: readonly Plan[];
  /** Regions that get a `ControlPlane` stack; each holds a replica of the state table. */
  readonly regions: readonly string[];
  /** The region whose stack defines the global table (the first region); the others import it. */
  readonly tableRegion: string;
}

/** A deployment that cannot be synthesized. `problems` lists every problem found. */
export class DeploymentError extends Error {
  override readonly name = 'DeploymentError';
  constructor(readonly problems: readonly PlanProblem[]) {
    super(
      `${problems.length} problem(s) in the deployment:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
    );
  }
}

export interface LoadDeploymentOptions {
  readonly configFile: string;
  readonly plansDir: string;
}

/**
 * Reads and validates the deployment config and the plans. Throws {@link DeploymentError} with
 * every problem of both (config schema, plan problems from `loadPlans`, and the rules between them).
 */
export async function loadDeployment(options: LoadDeploymentOptions): Promise<Deployment> {
  const configResult = await readConfig(options.configFile);
  const plansResult = await loadPlans(options.plansDir).then(
    (plans) => ({ plans, problems: [] as readonly PlanProblem[] }),
    (error: unknown) => {
      if (error instanceof PlanValidationError) return { plans: undefined, problems: error.problems };
      throw error;
    },
  );
  const problems = [...configResult.problems, ...plansResult.problems];
  if (configResult.config && plansResult.plans) {
    problems.push(...deploymentProblems(configResult.config, plansResult.plans, options.configFile));
  }
  if (problems.length > 0 || !configResult.config || !plansResult.plans) throw new DeploymentError(problems);
  return resolveDeployment(configResult.config, plansResult.plans);
}

/**
 * Builds a deployment from values already in memory (tests). Throws {@link DeploymentError} when
 * the config is invalid or does not fit the plans.
 */
export function deploymentOf(
  input: unknown,
  plans: readonly Plan[],
  file = 'deploy.config.yaml',
): Deployment {
  const { config, problems } = validateConfig(input, file);
  if (!config) throw new DeploymentError(problems);
  const more = deploymentProblems(config, plans, file);
  if (more.length > 0) throw new DeploymentError(more);
  return resolveDeployment(config, plans);
}

/** Validates a config document against the schema; every problem with path, got and expected. */
export function validateConfig(
  document: unknown,
  file: string,
): { config: DeployConfig; problems: [] } | { config?: undefined; problems: PlanProblem[] } {
  const parsed = DeployConfigSchema.safeParse(document, { reportInput: true });
  if (parsed.success) return { config: parsed.data, problems: [] };
  return {
    problems: parsed.error.issues.flatMap((issue) =>
      problemsFromIssue(issue, file, 'infra/deploy.config.yaml'),
    ),
  };
}

/** The regions of a deployment: the configured list, or every plan region in plan order. */
export function deploymentRegions(config: DeployConfig, plans: readonly Plan[]): string[] {
  if (config.regions) return [...config.regions];
  return [...new Set(plans.flatMap((p) => p.regions))];
}

/** Rules between the config and the plans. */
export function deploymentProblems(
  config: DeployConfig,
  plans: readonly Plan[],
  file: string,
): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const add = (path: string, message: string, got: unknown, expected: string) =>
    problems.push({ file, path, message, got: show(got), expected });

  const regions = deploymentRegions(config, plans);
  if (config.regions) {
    const seen = new Set<string>();
    config.regions.forEach((region, i) => {
      if (seen.has(region))
        add(`regions[${i}]`, `region ${region} is named twice`, region, 'each region once');
      seen.add(region);
    });
    for (const plan of plans) {
      const missing = plan.regions.filter((r) => !seen.has(r));
      if (missing.length > 0)
        add(
          'regions',
          `plan ${plan.name} runs in ${missing.join(', ')}, where no control plane would be deployed`,
          config.regions,
          `every region of every plan (${plan.regions.join(', ')})`,
        );
    }
  }

  for (const plan of plans) {
    const accounts = [...new Set(planArns(plan).map((arn) => arn.split(':')[4] ?? ''))].filter(Boolean);
    const others = accounts.filter((a) => a !== config.account);
    if (others.length > 0)
      add(
        'account',
        `plan ${plan.name} names resources in account ${others.join(', ')}`,
        config.account,
        `the account of the plans' ARNs (${accounts.join(', ')})`,
      );
    if (plan.traffic.arc && !config.useArc)
      add(
        'useArc',
        `plan ${plan.name} moves traffic with ARC routing controls (traffic.arc) but ARC is not enabled`,
        false,
        'true, or remove traffic.arc from the plan',
      );
  }

  const { consistency, witnessRegion } = config.stateTable;
  if (consistency === 'eventual') {
    if (witnessRegion)
      add(
        'stateTable.witnessRegion',
        'a witness region only applies to multi-region strong consistency',
        witnessRegion,
        'no witnessRegion with consistency: eventual',
      );
    return problems;
  }

  // MRSC: exactly three regions hold the quorum: three replicas, or two replicas and a witness.
  if (regions.length > 3 || regions.length < 2) {
    add(
      'stateTable.consistency',
      `multi-region strong consistency takes 2 replicas and a witness, or 3 replicas; the deployment has ${regions.length} region(s)`,
      regions,
      '2 or 3 regions, or consistency: eventual (and the single-writer rule of docs/state-store.md)',
    );
    return problems;
  }
  if (regions.length === 2 && !witnessRegion)
    add(
      'stateTable.witnessRegion',
      'multi-region strong consistency with two replicas needs a witness region',
      'nothing',
      `a region of the same MRSC region set as ${regions.join(', ')} that is not one of them`,
    );
  if (regions.length === 3 && witnessRegion)
    add(
      'stateTable.witnessRegion',
      'multi-region strong consistency with three replicas takes no witness',
      witnessRegion,
      'no witnessRegion',
    );
  if (witnessRegion && regions.includes(witnessRegion))
    add(
      'stateTable.witnessRegion',
      'the witness region must not hold a replica',
      witnessRegion,
      `a region other than ${regions.join(', ')}`,
    );
  const quorum = [...regions, ...(witnessRegion ? [witnessRegion] : [])];
  const sets = Object.entries(MRSC_REGION_SETS);
  const setOf = (region: string) => sets.find(([, members]) => members.includes(region))?.[0];
  const unsupported = quorum.filter((r) => !setOf(r));
  if (unsupported.length > 0)
    add(
      'stateTable.consistency',
      `multi-region strong consistency is not offered in ${unsupported.join(', ')}`,
      quorum,
      `regions of one MRSC region set (${sets.map(([name, members]) => `${name}: ${members.join(', ')}`).join('; ')}), or consistency: eventual`,
    );
  else if (new Set(quorum.map(setOf)).size > 1)
    add(
      'stateTable.consistency',
      'the replicas and the witness of a strongly consistent table must be in one MRSC region set',
      quorum,
      `regions of one set (${sets.map(([name, members]) => `${name}: ${members.join(', ')}`).join('; ')})`,
    );
  return problems;
}

function resolveDeployment(config: DeployConfig, plans: readonly Plan[]): Deployment {
  const regions = deploymentRegions(config, plans);
  const tableRegion = regions[0];
  if (!tableRegion)
    throw new DeploymentError([{ file: 'deploy.config.yaml', path: 'regions', message: 'no regions' }]);
  return { config, plans, regions, tableRegion };
}

async function readConfig(
  file: string,
): Promise<{ config: DeployConfig; problems: [] } | { config?: undefined; problems: PlanProblem[] }> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined)
    return {
      problems: [
        {
          file,
          path: '',
          message: 'deployment config not found',
          got: file,
          expected: 'a YAML file (see infra/deploy.config.yaml)',
        },
      ],
    };
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    return {
      problems: doc.errors.map((e) => {
        const line = e.linePos?.[0];
        return {
          file,
          path: line ? `line ${line.line}:${line.col}` : '',
          message: `YAML: ${e.message.split('\n')[0]}`,
        };
      }),
    };
  return validateConfig(doc.toJS(), file);
}

/** Every ARN a plan names (cluster members, alarms, routing controls). */
function planArns(plan: Plan): string[] {
  return [
    ...(plan.database?.auroraGlobalClusters ?? []).flatMap((c) => Object.values(c.members)),
    ...(plan.detection?.alarms ?? []),
    ...Object.values(plan.traffic.arc?.routingControls ?? {}),
  ];
}

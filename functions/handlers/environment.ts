import type { Plan } from '../core/plan.js';
import { STRATEGIES } from '../core/records.js';
import * as z from '../core/zod.js';
import type { StateMachineKey } from './registry.js';

/**
 * The Lambda environment, parsed once at cold start; a wrong environment fails loudly here and
 * nowhere else. CDK sets these variables (infra/) and embeds the plans into the bundle at build
 * time (esbuild `define` of `__SWITCHYARD_PLANS__`: the JSON of the plans as validation returned
 * them, infra/bundling.ts `plansDefine`), so no plan read needs another region.
 */
declare const __SWITCHYARD_PLANS__: string | undefined;

export const ENV = {
  region: 'AWS_REGION',
  tableName: 'SWITCHYARD_TABLE_NAME',
  stateMachineArns: 'SWITCHYARD_STATE_MACHINE_ARNS',
  eventBusName: 'SWITCHYARD_EVENT_BUS_NAME',
  /** The operator API's break-glass map, JSON `{ "<IAM role ARN>": [roles] }` (identity.ts). */
  iamRoles: 'SWITCHYARD_IAM_ROLES',
  /** The plans' JSON, where no bundle embeds them (a test running the sources). */
  plansJson: 'SWITCHYARD_PLANS_JSON',
} as const;

/** Parses JSON text; an issue (not a thrown SyntaxError) when it is not JSON. */
const json = z.pipe(
  z.string(),
  z.transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.issues.push({ code: 'custom', message: 'not JSON', input: text });
      return z.NEVER;
    }
  }),
);

const EnvironmentSchema = z.object({
  [ENV.region]: z.string().check(z.regex(/^[a-z]{2}(-gov)?-[a-z]+-\d+$/)),
  [ENV.tableName]: z.string().check(z.minLength(3)),
  /** JSON: `{ "warm-standby": arn, "pilot-light": arn }` of this region's state machines. */
  [ENV.stateMachineArns]: z.pipe(
    json,
    z.partialRecord(z.enum([...STRATEGIES, 'detection', 'drill']), z.string().check(z.startsWith('arn:'))),
  ),
  [ENV.eventBusName]: z._default(z.string(), 'default'),
});

/**
 * The embedded plans' shape, checked only as far as a build could get it wrong (a bundle built
 * from something other than a validated deployment): the plans themselves were validated at synth
 * by the same code (infra/config.ts), and the plan schema stays out of the bundles.
 */
const EmbeddedPlans = z.pipe(
  json,
  z.array(
    z.looseObject({
      name: z.string().check(z.minLength(1)),
      regions: z.array(z.string()).check(z.minLength(2)),
    }),
  ),
);

export interface LambdaEnvironment {
  readonly region: string;
  readonly tableName: string;
  readonly stateMachineArns: Partial<Record<StateMachineKey, string>>;
  readonly eventBusName: string;
  readonly plans: readonly Plan[];
}

const problemsOf = (error: z.core.$ZodError, prefix = ''): string[] =>
  error.issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}: ${i.message}`);

/** Reads and checks the environment; throws with every problem when it is wrong. */
export function readLambdaEnvironment(env: NodeJS.ProcessEnv = process.env): LambdaEnvironment {
  const parsed = EnvironmentSchema.safeParse(env);
  const plansJson = typeof __SWITCHYARD_PLANS__ === 'string' ? __SWITCHYARD_PLANS__ : env[ENV.plansJson];
  const plans = plansJson === undefined ? undefined : EmbeddedPlans.safeParse(plansJson);
  const problems = [
    ...(parsed.success ? [] : problemsOf(parsed.error)),
    ...(plans === undefined
      ? ['no plans were embedded at build time']
      : plans.success
        ? []
        : problemsOf(plans.error, 'embedded plans')),
  ];
  if (!parsed.success || !plans?.success || problems.length > 0)
    throw new Error(`Switchyard Lambda environment is invalid: ${problems.join('; ')}`);
  return {
    region: parsed.data[ENV.region],
    tableName: parsed.data[ENV.tableName],
    stateMachineArns: parsed.data[ENV.stateMachineArns],
    eventBusName: parsed.data[ENV.eventBusName],
    // Validated at synth (see EmbeddedPlans): the JSON of `Plan[]` as validation returned it.
    plans: plans.data as unknown as Plan[],
  };
}

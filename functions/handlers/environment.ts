import * as z from 'zod';
import type { Plan } from '../core/plan.js';
import { type PlanDocument, validatePlanDocuments } from '../core/plan-set.js';
import { STRATEGIES } from '../core/records.js';
import type { StateMachineKey } from './registry.js';

/**
 * The Lambda environment, parsed once at cold start; a wrong environment fails loudly here and
 * nowhere else. CDK sets these variables (infra/) and embeds the validated plans into the bundle
 * at build time (esbuild `define` of `__SWITCHYARD_PLANS__`: the JSON of `[{ file, document }]`,
 * the YAML already parsed, so no YAML parser ships in a bundle), so no plan read needs another
 * region.
 */
declare const __SWITCHYARD_PLANS__: string | undefined;

export const ENV = {
  region: 'AWS_REGION',
  tableName: 'SWITCHYARD_TABLE_NAME',
  stateMachineArns: 'SWITCHYARD_STATE_MACHINE_ARNS',
  eventBusName: 'SWITCHYARD_EVENT_BUS_NAME',
  /** The operator API's break-glass map, JSON `{ "<IAM role ARN>": [roles] }` (identity.ts). */
  iamRoles: 'SWITCHYARD_IAM_ROLES',
} as const;

const EnvironmentSchema = z.object({
  [ENV.region]: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d+$/),
  [ENV.tableName]: z.string().min(3),
  /** JSON: `{ "warm-standby": arn, "pilot-light": arn }` of this region's state machines. */
  [ENV.stateMachineArns]: z
    .string()
    .transform((text) => JSON.parse(text) as unknown)
    .pipe(z.partialRecord(z.enum([...STRATEGIES, 'detection', 'drill']), z.string().startsWith('arn:'))),
  [ENV.eventBusName]: z.string().default('default'),
});

export interface LambdaEnvironment {
  readonly region: string;
  readonly tableName: string;
  readonly stateMachineArns: Partial<Record<StateMachineKey, string>>;
  readonly eventBusName: string;
  readonly plans: readonly Plan[];
}

/** Reads and checks the environment; throws with every problem when it is wrong. */
export function readLambdaEnvironment(env: NodeJS.ProcessEnv = process.env): LambdaEnvironment {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Switchyard Lambda environment is invalid: ${problems}`);
  }
  const plansJson =
    typeof __SWITCHYARD_PLANS__ === 'string' ? __SWITCHYARD_PLANS__ : env.SWITCHYARD_PLANS_JSON;
  if (!plansJson)
    throw new Error('Switchyard Lambda environment is invalid: no plans were embedded at build time');
  // The plans were validated at synth; validating again at cold start costs little and means a
  // bundle never runs on a plan its own code would refuse.
  const documents = JSON.parse(plansJson) as PlanDocument[];
  return {
    region: parsed.data[ENV.region],
    tableName: parsed.data[ENV.tableName],
    stateMachineArns: parsed.data[ENV.stateMachineArns],
    eventBusName: parsed.data[ENV.eventBusName],
    plans: validatePlanDocuments(documents, 'embedded plans'),
  };
}

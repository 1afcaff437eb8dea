import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FUNCTIONS } from '../functions/handlers/registry.js';
import { type Deployment, DeploymentError, loadDeployment } from './config.js';
import { StateMachineDefinitionError } from './constructs/state-machine.js';
import {
  ControlPlaneStack,
  type ControlPlaneStackProps,
  controlPlaneStackName,
  entryOf,
} from './control-plane-stack.js';
import { acknowledgeFindings } from './nag.js';
import { DEFAULT_CONFIG_FILE, PLANS_DIR } from './paths.js';
import { TRAFFIC_STACK_NAME, TrafficStack } from './traffic-stack.js';

/** Environment variables that point the app at another config or plan directory. */
export const CONFIG_ENV = 'SWITCHYARD_DEPLOY_CONFIG';
export const PLANS_ENV = 'SWITCHYARD_PLANS';

export interface BuildAppOptions {
  /** Default: `$SWITCHYARD_DEPLOY_CONFIG`, else `infra/deploy.config.yaml`. */
  readonly configFile?: string;
  /** Default: `$SWITCHYARD_PLANS`, else `plans/`. */
  readonly plansDir?: string;
  /** Cloud assembly directory. Default: the CLI's (`CDK_OUTDIR`), else a temporary one. */
  readonly outdir?: string;
  /** Test-only: skip esbuild. Templates are complete; function code assets are placeholders. */
  readonly skipBundling?: boolean;
  /** Test-only: bundle only these stacks (by name); the others get placeholder assets. */
  readonly bundlingStacks?: readonly string[];
  /** Test-only: where each function's entry file is (default: functions/handlers/<entry>). */
  readonly entryFor?: ControlPlaneStackProps['entryFor'];
}

export interface SwitchyardApp {
  readonly app: App;
  readonly deployment: Deployment;
  /** One stack per deployment region, in deployment order (the first defines the state table). */
  readonly stacks: readonly ControlPlaneStack[];
  /**
   * The health-checks traffic method's global stack (us-east-1): its Route 53 health checks and
   * failover records. Absent when no plan uses the method.
   */
  readonly traffic?: TrafficStack;
}

/**
 * Loads and validates the deployment config and the plans, then builds the CDK app: one
 * `ControlPlane` stack per region, every stack checked by cdk-nag's AwsSolutions rules. Throws
 * {@link DeploymentError} listing every problem when the config or a plan is bad.
 */
export async function buildApp(options: BuildAppOptions = {}): Promise<SwitchyardApp> {
  return buildAppFor(await loadChosenDeployment(options), options);
}

/**
 * Loads the deployment the tools are pointed at: the given config file and plans directory, else
 * the environment's (`CONFIG_ENV`, `PLANS_ENV`), else the defaults; paths shown relative to the
 * working directory in problems. Throws {@link DeploymentError} as {@link loadDeployment} does.
 */
export function loadChosenDeployment(
  options: { readonly configFile?: string | undefined; readonly plansDir?: string | undefined } = {},
): Promise<Deployment> {
  return loadDeployment({
    configFile: displayPath(options.configFile ?? process.env[CONFIG_ENV] ?? DEFAULT_CONFIG_FILE),
    plansDir: displayPath(options.plansDir ?? process.env[PLANS_ENV] ?? PLANS_DIR),
  });
}

/** Handlers named in FUNCTIONS whose entry file does not exist. */
export class MissingHandlerError extends Error {
  override readonly name = 'MissingHandlerError';
  constructor(readonly missing: readonly { name: string; entry: string }[]) {
    super(
      `${missing.length} function(s) of FUNCTIONS (functions/handlers/registry.ts) have no entry file:\n${missing
        .map((m) => `  - ${m.name}: ${m.entry} does not exist`)
        .join('\n')}`,
    );
  }
}

/** A path as problems should show it: relative to the working directory when it is inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : resolve(path);
}

/** Builds the app for a deployment already validated (see {@link buildApp}). */
export function buildAppFor(deployment: Deployment, options: BuildAppOptions = {}): SwitchyardApp {
  // Every entry is checked before anything is bundled, and all missing ones are named at once.
  const missing = FUNCTIONS.map((fn) => ({ name: fn.name, entry: entryOf(fn, options.entryFor) })).filter(
    (f) => !existsSync(f.entry),
  );
  if (missing.length > 0) throw new MissingHandlerError(missing);
  const bundlingStacks = options.skipBundling ? [] : options.bundlingStacks;
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    ...(bundlingStacks ? { context: { 'aws:cdk:bundling-stacks': [...bundlingStacks] } } : {}),
  });
  Tags.of(app).add('switchyard:component', 'control-plane');
  const healthCheckPlans = deployment.plans.filter((p) => p.traffic.route53?.method === 'health-checks');
  const stacks = deployment.regions.map(
    (region) =>
      new ControlPlaneStack(app, controlPlaneStackName(region), {
        stackName: controlPlaneStackName(region),
        deployment,
        account: deployment.config.account,
        region,
        // The global traffic stack takes each region's health endpoint host (CDK, "Cross-region
        // references": the producer writes an SSM parameter in the consumer's region).
        ...(healthCheckPlans.length > 0 ? { crossRegionReferences: true } : {}),
        ...(options.entryFor ? { entryFor: options.entryFor } : {}),
      }),
  );
  // The table's stack creates every replica: deploy it before the stacks that use them.
  const tableStack = stacks.find((s) => s.region === deployment.tableRegion);
  for (const stack of stacks) if (tableStack && stack !== tableStack) stack.addStackDependency(tableStack);
  const traffic =
    healthCheckPlans.length > 0 ? trafficStack(app, deployment, stacks, healthCheckPlans) : undefined;
  for (const stack of [...stacks, ...(traffic ? [traffic] : [])]) acknowledgeFindings(stack);
  // cdk-nag 3 is a policy-validation plugin: synth fails on any finding not acknowledged (infra/nag.ts).
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
  );
  return { app, deployment, stacks, ...(traffic ? { traffic } : {}) };
}

/** The global stack of the health-checks plans, fed each plan region's health endpoint host. */
function trafficStack(
  app: App,
  deployment: Deployment,
  stacks: readonly ControlPlaneStack[],
  plans: Deployment['plans'],
): TrafficStack {
  const endpointHosts = new Map<string, string>();
  for (const stack of stacks)
    if (stack.trafficHealth) endpointHosts.set(stack.region, stack.trafficHealth.host);
  return new TrafficStack(app, TRAFFIC_STACK_NAME, {
    stackName: TRAFFIC_STACK_NAME,
    account: deployment.config.account,
    plans,
    endpointHosts,
  });
}

/**
 * Prints what stops a synth (a deployment problem list, a state machine placeholder without a
 * function, a missing handler, an unacknowledged cdk-nag finding) without a stack trace, and
 * returns the exit code. Anything else is a bug and is rethrown.
 */
export function reportBuildError(error: unknown, write: (text: string) => void): number {
  if (error instanceof DeploymentError) {
    write(`${error.message}\n`);
    return 1;
  }
  if (error instanceof StateMachineDefinitionError || error instanceof MissingHandlerError) {
    write(`${error.name}: ${error.message}\n`);
    return 1;
  }
  // CDK's policy validation (cdk-nag findings: `ValidationFailed`, the report in its message) and
  // construct validations (`ValidationFailedWithErrors`).
  if (
    error instanceof Error &&
    (/^ValidationFailed/.test(error.name) || /^Validation failed/.test(error.message))
  ) {
    write(`${error.message}\n`);
    return 1;
  }
  throw error;
}

// The CDK CLI's entry (`cdk deploy --app "tsx infra/app.ts"`): the CLI passes CDK_OUTDIR.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const { app } = await buildApp();
    app.synth();
  } catch (error: unknown) {
    process.exitCode = reportBuildError(error, (text) => process.stderr.write(text));
  }
}

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Plan } from '../../functions/core/plan.js';
import type { FunctionName } from '../../functions/handlers/registry.js';
import type { TRAFFIC_HEALTH_FUNCTION } from '../../functions/handlers/traffic-health.js';
import { LAMBDA_NODE_OPTIONS } from '../bundling.js';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, lambdaCode } from '../lambda-code.js';

export interface ControlPlaneFunctionProps {
  /**
   * The logical name from FUNCTIONS (construct ID, function name suffix, ASL placeholder), or the
   * health-checks traffic method's endpoint, which is not a step.
   */
  readonly name: FunctionName | typeof TRAFFIC_HEALTH_FUNCTION;
  /** Absolute path of the handler's entry file. */
  readonly entry: string;
  /** The deployment's validated plans, which the bundle embeds (infra/bundling.ts). */
  readonly embeddedPlans: readonly Plan[];
  /** The entries built with this one in one process at synth (infra/lambda-code.ts); default: alone. */
  readonly buildBatch?: readonly string[];
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** Everything the function may do besides writing its own logs and traces. */
  readonly statements: readonly PolicyStatement[];
}

/** Memory and timeout of every step: the handlers make a few AWS calls and return; none sleeps. */
const MEMORY_MB = 512;
const TIMEOUT = Duration.seconds(30);

/**
 * One Lambda of the control plane, built by infra/lambda-code.ts (esbuild's API with the shared
 * options of infra/bundling.ts, ESM, ARM64), with its own role
 * (no managed policy: it writes to its own log group only) and an explicit log group with retention.
 */
export class ControlPlaneFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ControlPlaneFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Logs are the audit trail of a failover: kept when the stack goes, until their retention.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Switchyard ${props.name}: least privilege on the plans' resources`,
    });
    this.logGroup.grantWrite(this.role);
    for (const statement of props.statements) this.role.addToPrincipalPolicy(statement);

    this.function = new LambdaFunction(this, 'Function', {
      functionName: `Switchyard-${props.name}`,
      description: `Switchyard control plane: ${props.name}`,
      code: lambdaCode(props.entry, props.embeddedPlans, props.buildBatch),
      handler: 'index.handler',
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      memorySize: MEMORY_MB,
      timeout: TIMEOUT,
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'switchyard',
        POWERTOOLS_METRICS_NAMESPACE: 'Switchyard',
        // No source maps at run time (infra/bundling.ts): `npm run map-stack` maps a logged trace.
        ...(LAMBDA_NODE_OPTIONS.length > 0 ? { NODE_OPTIONS: LAMBDA_NODE_OPTIONS.join(' ') } : {}),
        ...props.environment,
      },
    });
  }
}

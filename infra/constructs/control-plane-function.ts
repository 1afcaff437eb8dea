import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionName } from '../../functions/handlers/registry.js';
import type { TRAFFIC_HEALTH_FUNCTION } from '../../functions/handlers/traffic-health.js';
import { LAMBDA_ARCHITECTURE, LAMBDA_NODE_OPTIONS, LAMBDA_RUNTIME } from '../bundling.js';
import { DEPS_LOCK_FILE, REPO_ROOT } from '../paths.js';

export interface ControlPlaneFunctionProps {
  /**
   * The logical name from FUNCTIONS (construct ID, function name suffix, ASL placeholder), or the
   * health-checks traffic method's endpoint, which is not a step.
   */
  readonly name: FunctionName | typeof TRAFFIC_HEALTH_FUNCTION;
  /** Absolute path of the handler's entry file. */
  readonly entry: string;
  readonly bundling: BundlingOptions;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** Everything the function may do besides writing its own logs and traces. */
  readonly statements: readonly PolicyStatement[];
}

/** Memory and timeout of every step: the handlers make a few AWS calls and return; none sleeps. */
const MEMORY_MB = 512;
const TIMEOUT = Duration.seconds(30);

/**
 * One Lambda of the control plane: a NodejsFunction (local esbuild, ESM, ARM64) with its own role
 * (no managed policy: it writes to its own log group only) and an explicit log group with retention.
 */
export class ControlPlaneFunction extends Construct {
  readonly function: NodejsFunction;
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

    this.function = new NodejsFunction(this, 'Function', {
      functionName: `Switchyard-${props.name}`,
      description: `Switchyard control plane: ${props.name}`,
      entry: props.entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: DEPS_LOCK_FILE,
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      memorySize: MEMORY_MB,
      timeout: TIMEOUT,
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      bundling: props.bundling,
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

import { CfnOutput, Fn } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Plan } from '../../functions/core/plan.js';
import { TRAFFIC_HEALTH_FUNCTION } from '../../functions/handlers/traffic-health.js';
import { ControlPlaneFunction } from './control-plane-function.js';

export interface TrafficHealthProps {
  /** This region's plans whose `traffic.route53.method` is `health-checks`. */
  readonly plans: readonly Plan[];
  readonly entry: string;
  /** The deployment's validated plans, which the bundle embeds (infra/bundling.ts). */
  readonly embeddedPlans: readonly Plan[];
  /** The entries built with this one in one process at synth (infra/lambda-code.ts). */
  readonly buildBatch?: readonly string[];
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** This region's replica of the state table. */
  readonly tableArn: string;
}

/**
 * The health-checks traffic method's regional half (docs/architecture.md, "Traffic by health
 * checks"): this region's health endpoint, a Lambda function URL that answers `GET /<app>/<region>`.
 * The function may read the traffic switch item and nothing else (one GetItem on the table). The
 * URL has no IAM auth: Route 53's health checkers cannot sign requests; it reveals only which
 * region an app's traffic goes to. The Route 53 health checks of it, and the failover records,
 * are the global half (`infra/traffic-stack.ts`), which takes {@link TrafficHealth.host}.
 */
export class TrafficHealth extends Construct {
  readonly endpoint: ControlPlaneFunction;
  /** The endpoint's host name, `<id>.lambda-url.<region>.on.aws` (a token), what the checks request. */
  readonly host: string;

  constructor(scope: Construct, id: string, props: TrafficHealthProps) {
    super(scope, id);
    this.endpoint = new ControlPlaneFunction(this, TRAFFIC_HEALTH_FUNCTION, {
      name: TRAFFIC_HEALTH_FUNCTION,
      entry: props.entry,
      embeddedPlans: props.embeddedPlans,
      ...(props.buildBatch ? { buildBatch: props.buildBatch } : {}),
      environment: props.environment,
      logRetention: props.logRetention,
      statements: [
        new PolicyStatement({
          sid: 'ReadTrafficSwitch',
          effect: Effect.ALLOW,
          actions: ['dynamodb:GetItem'],
          resources: [props.tableArn],
          // Only the TRAFFIC items' partition keys, PLAN#<app> of the plans it serves.
          conditions: {
            'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': props.plans.map((p) => `PLAN#${p.name}`) },
          },
        }),
      ],
    });
    const url = this.endpoint.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    // https://<id>.lambda-url.<region>.on.aws/ -> <id>.lambda-url.<region>.on.aws
    this.host = Fn.select(2, Fn.split('/', url.url));
    new CfnOutput(this, 'HealthEndpointUrl', {
      value: url.url,
      description: "The health-checks traffic method's endpoint in this region: GET /<app>/<region>",
    });
  }
}

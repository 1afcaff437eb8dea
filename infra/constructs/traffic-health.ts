import { CfnOutput, Fn } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnHealthCheck } from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { Plan } from '../../functions/core/plan.js';
import { TRAFFIC_HEALTH_FUNCTION } from '../../functions/handlers/traffic-health.js';
import { healthPath } from '../../functions/traffic/health-endpoint.js';
import { ControlPlaneFunction } from './control-plane-function.js';

export interface TrafficHealthProps {
  /** This region's plans whose `traffic.route53.method` is `health-checks`. */
  readonly plans: readonly Plan[];
  readonly entry: string;
  readonly bundling: BundlingOptions;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** This region's replica of the state table. */
  readonly tableArn: string;
}

/**
 * The health-checks traffic method's regional half (docs/architecture.md, "Traffic by health
 * checks"): this region's health endpoint, a Lambda function URL, and one Route 53 HTTPS health
 * check of it per plan region S (path `/<app>/S`). The function may read the traffic switch item
 * and nothing else (one GetItem on the table). The URL has no IAM auth: Route 53's health checkers
 * cannot sign requests; it reveals only which region an app's traffic goes to.
 */
export class TrafficHealth extends Construct {
  readonly endpoint: ControlPlaneFunction;
  /** Per plan, per region asked about: the HTTPS health check of this region's endpoint. */
  readonly healthChecks: ReadonlyMap<string, ReadonlyMap<string, CfnHealthCheck>>;

  constructor(scope: Construct, id: string, props: TrafficHealthProps) {
    super(scope, id);
    this.endpoint = new ControlPlaneFunction(this, TRAFFIC_HEALTH_FUNCTION, {
      name: TRAFFIC_HEALTH_FUNCTION,
      entry: props.entry,
      bundling: props.bundling,
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
    const host = Fn.select(2, Fn.split('/', url.url));

    const checks = new Map<string, Map<string, CfnHealthCheck>>();
    for (const plan of props.plans) {
      const route53 = plan.traffic.route53;
      if (!route53) continue;
      const perRegion = new Map<string, CfnHealthCheck>();
      for (const region of plan.regions) {
        const check = new CfnHealthCheck(this, `${plan.name}-${region}`, {
          healthCheckConfig: {
            type: 'HTTPS',
            fullyQualifiedDomainName: host,
            port: 443,
            resourcePath: healthPath(plan.name, region),
            requestInterval: route53.healthChecks.intervalSeconds,
            failureThreshold: route53.healthChecks.failureThreshold,
            enableSni: true,
          },
          healthCheckTags: [{ key: 'Name', value: `switchyard-${plan.name}-says-${region}` }],
        });
        perRegion.set(region, check);
        new CfnOutput(this, `${plan.name}-${region}-HealthCheckId`, {
          value: check.attrHealthCheckId,
          description: `Route 53 health check: this region's endpoint says ${plan.name} traffic goes to ${region}`,
        });
      }
      checks.set(plan.name, perRegion);
    }
    this.healthChecks = checks;
    new CfnOutput(this, 'HealthEndpointUrl', {
      value: url.url,
      description: "The health-checks traffic method's endpoint in this region: GET /<app>/<region>",
    });
  }
}

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnHealthCheck, CfnRecordSet } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { Plan } from '../functions/core/plan.js';
import { healthPath } from '../functions/traffic/health-endpoint.js';

/** Route 53's API is served from us-east-1 only: the one stack of global resources lives there. */
export const TRAFFIC_STACK_REGION = 'us-east-1';

/** Stack name of the health-checks method's global half. */
export const TRAFFIC_STACK_NAME = 'Switchyard-Traffic';

/**
 * The TTL (seconds) of a failover record that is a plain CNAME: an alias record has no TTL of its
 * own (Route 53 uses the alias target's, 60 s for a load balancer), so a CNAME gets the same.
 */
export const CNAME_TTL_SECONDS = 60;

export interface TrafficStackProps extends StackProps {
  readonly account: string;
  /** The plans whose `traffic.route53.method` is `health-checks`. */
  readonly plans: readonly Plan[];
  /**
   * Per plan region, the host name of that region's health endpoint (`<id>.lambda-url.<region>.on.aws`):
   * a token of the region's ControlPlane stack, which CDK passes across regions.
   */
  readonly endpointHosts: ReadonlyMap<string, string>;
}

/** One plan's health checks, as the stack creates them. */
export interface PlanHealthChecks {
  /** Per region S asked about, per endpoint region E: the HTTPS check of E's endpoint at `/<app>/S`. */
  readonly endpoint: ReadonlyMap<string, ReadonlyMap<string, CfnHealthCheck>>;
  /** Per region S: the CALCULATED check over every region's endpoint asked about S (HealthThreshold 1). */
  readonly calculated: ReadonlyMap<string, CfnHealthCheck>;
  /** The failover records, PRIMARY (the plan's first region) and SECONDARY, per record name. */
  readonly records: readonly CfnRecordSet[];
}

/**
 * The health-checks traffic method's global half (docs/architecture.md, "Traffic by health
 * checks"), created once at deploy, never by a runbook: for every plan region S, one HTTPS health
 * check per region E of E's health endpoint at `/<app>/S`, one CALCULATED check of S over them
 * (`HealthThreshold: 1`: any region that still answers vouches for the active one), and for every
 * record of the plan the two failover records: the plan's first region PRIMARY, the second
 * SECONDARY, `SetIdentifier` the region, each carrying its region's calculated check, an alias to
 * the region's target with `EvaluateTargetHealth: false` (A and AAAA) or a plain CNAME (TTL
 * {@link CNAME_TTL_SECONDS}). Route 53 answers the PRIMARY when every record is unhealthy (Route 53
 * Developer Guide, "How Amazon Route 53 chooses records when health checking is configured",
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html):
 * that is the plan's first region, which happens only when no region's endpoint answers.
 *
 * The endpoint checks live here, beside the calculated checks that name them, rather than in each
 * region's stack: what crosses regions is only each endpoint's host name, which changes only if the
 * function URL is replaced, while checks that change together (a new interval replaces every
 * HTTPS check) are replaced in one stack, where CloudFormation creates the new ones, points the
 * calculated checks at them and then deletes the old ones.
 */
export class TrafficStack extends Stack {
  /** Per plan name. */
  readonly healthChecks: ReadonlyMap<string, PlanHealthChecks>;

  constructor(scope: Construct, id: string, props: TrafficStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.account, region: TRAFFIC_STACK_REGION },
      crossRegionReferences: true,
      description:
        'Switchyard health-checks traffic method: Route 53 health checks and failover records (global, created once)',
    });
    const all = new Map<string, PlanHealthChecks>();
    for (const plan of props.plans) all.set(plan.name, this.planChecks(plan, props.endpointHosts));
    this.healthChecks = all;
  }

  private planChecks(plan: Plan, hosts: ReadonlyMap<string, string>): PlanHealthChecks {
    const route53 = plan.traffic.route53;
    if (!route53) throw new Error(`plan ${plan.name}: the health-checks method needs traffic.route53`);
    const endpoint = new Map<string, Map<string, CfnHealthCheck>>();
    const calculated = new Map<string, CfnHealthCheck>();
    for (const subject of plan.regions) {
      const children = new Map<string, CfnHealthCheck>();
      for (const endpointRegion of plan.regions) {
        const host = hosts.get(endpointRegion);
        if (!host)
          throw new Error(
            `plan ${plan.name}: no health endpoint in ${endpointRegion} (expected a ControlPlane stack there)`,
          );
        const name = `switchyard-${plan.name}-${endpointRegion}-says-${subject}`;
        const check = new CfnHealthCheck(this, `${plan.name}-${endpointRegion}-says-${subject}`, {
          healthCheckConfig: {
            type: 'HTTPS',
            fullyQualifiedDomainName: host,
            port: 443,
            resourcePath: healthPath(plan.name, subject),
            requestInterval: route53.healthChecks.intervalSeconds,
            failureThreshold: route53.healthChecks.failureThreshold,
            enableSni: true,
          },
          healthCheckTags: [{ key: 'Name', value: name }],
        });
        children.set(endpointRegion, check);
        new CfnOutput(this, `${plan.name}-${endpointRegion}-says-${subject}-HealthCheckId`, {
          value: check.attrHealthCheckId,
          description: `Route 53 HTTPS check: ${endpointRegion}'s endpoint says ${plan.name} traffic goes to ${subject}`,
        });
      }
      endpoint.set(subject, children);
      const active = new CfnHealthCheck(this, `${plan.name}-${subject}-active`, {
        healthCheckConfig: {
          type: 'CALCULATED',
          childHealthChecks: [...children.values()].map((c) => c.attrHealthCheckId),
          healthThreshold: 1,
        },
        healthCheckTags: [{ key: 'Name', value: `switchyard-${plan.name}-${subject}-active` }],
      });
      calculated.set(subject, active);
      new CfnOutput(this, `${plan.name}-${subject}-active-HealthCheckId`, {
        value: active.attrHealthCheckId,
        description: `Route 53 calculated check: healthy while any region's endpoint says ${plan.name} traffic goes to ${subject}`,
      });
    }

    const records: CfnRecordSet[] = [];
    for (const record of route53.records) {
      plan.regions.forEach((region, i) => {
        const target = record.targets[region];
        const check = calculated.get(region);
        if (!target || !check) return;
        const failover = i === 0 ? 'PRIMARY' : 'SECONDARY';
        records.push(
          new CfnRecordSet(this, `${plan.name}-${record.name}-${record.type}-${region}`, {
            hostedZoneId: route53.hostedZoneId,
            name: record.name,
            type: record.type,
            setIdentifier: region,
            failover,
            healthCheckId: check.attrHealthCheckId,
            // The switch alone decides: a target's own health would let both records be unhealthy
            // (a region short of capacity), and Route 53 would then answer the PRIMARY.
            ...(record.type === 'CNAME'
              ? { resourceRecords: [target.dnsName], ttl: String(CNAME_TTL_SECONDS) }
              : {
                  aliasTarget: {
                    dnsName: target.dnsName,
                    hostedZoneId: target.hostedZoneId,
                    evaluateTargetHealth: false,
                  },
                }),
          }),
        );
      });
    }
    return { endpoint, calculated, records };
  }
}

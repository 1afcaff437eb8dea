import * as z from 'zod';
import type { Plan } from '../functions/core/plan.js';
import type { SimulatedAws } from './world.js';

/**
 * Drift (docs/contracts.md, Scenario): changes made behind Switchyard's back, as a person at the
 * console would make them, through the simulated services' own API operations (so AWS's rules
 * and timings apply: a switchover takes its time, a max below min is refused).
 */
export const DriftSchema = z.discriminatedUnion('kind', [
  /** Someone switched the global database's writer over to `to` (SwitchoverGlobalCluster). */
  z.strictObject({
    kind: z.literal('writer-moved'),
    globalClusterId: z.string().min(1),
    to: z.string().min(1),
  }),
  /** Someone set a routing control by hand (UpdateRoutingControlState). */
  z.strictObject({
    kind: z.literal('routing-control'),
    region: z.string().min(1),
    state: z.enum(['On', 'Off']),
  }),
  /** Someone lowered (or raised) an Auto Scaling group's max (UpdateAutoScalingGroup MaxSize). */
  z.strictObject({
    kind: z.literal('asg-max'),
    group: z.string().min(1),
    max: z.number().int().nonnegative(),
  }),
  /** Someone removed a secondary from the global database (RemoveFromGlobalCluster). */
  z.strictObject({
    kind: z.literal('secondary-removed'),
    globalClusterId: z.string().min(1),
    region: z.string().min(1),
  }),
  /**
   * Someone deleted one of a health-checks plan's Route 53 health checks (DeleteHealthCheck): the
   * calculated check of `region`'s record, or with `endpoint` the HTTPS check of `endpoint`'s
   * health endpoint asked about `region`.
   */
  z.strictObject({
    kind: z.literal('health-check-deleted'),
    app: z.string().min(1),
    region: z.string().min(1),
    endpoint: z.string().min(1).optional(),
  }),
]);
export type Drift = z.infer<typeof DriftSchema>;

/**
 * Applies one drift to the simulated AWS. Throws an Error saying what was wrong (a name no plan
 * has, or AWS's own refusal) when it cannot.
 */
export function applyDrift(aws: SimulatedAws, plans: readonly Plan[], drift: Drift): void {
  switch (drift.kind) {
    case 'writer-moved': {
      const arn = clusterArn(plans, drift.globalClusterId, drift.to);
      // SwitchoverGlobalCluster is called in the primary's region (Aurora User Guide, switchovers).
      const primary = aws.rds.globalWriterArn(drift.globalClusterId)?.split(':')[3] ?? drift.to;
      aws.rds.handle(
        'SwitchoverGlobalCluster',
        { GlobalClusterIdentifier: drift.globalClusterId, TargetDbClusterIdentifier: arn },
        { region: primary },
      );
      return;
    }
    case 'secondary-removed': {
      const arn = clusterArn(plans, drift.globalClusterId, drift.region);
      aws.rds.handle(
        'RemoveFromGlobalCluster',
        { GlobalClusterIdentifier: drift.globalClusterId, DbClusterIdentifier: arn },
        { region: drift.region },
      );
      return;
    }
    case 'routing-control': {
      const arc = plans.map((p) => p.traffic.arc).find((a) => a?.routingControls[drift.region]);
      const arn = arc?.routingControls[drift.region];
      const endpoint = arc?.clusterEndpoints[0];
      if (!arn || !endpoint)
        throw new Error(
          `drift routing-control: no plan has an ARC routing control in ${drift.region} (expected a region of a plan with traffic.arc)`,
        );
      aws.arc.handle(
        'UpdateRoutingControlState',
        { RoutingControlArn: arn, RoutingControlState: drift.state },
        { region: endpoint.region, endpoint: endpoint.endpoint },
      );
      return;
    }
    case 'health-check-deleted': {
      const plan = plans.find((p) => p.name === drift.app);
      const regions = plan?.regions ?? [];
      const switchChecks = aws.route53.healthCheckIds(drift.app)[drift.region]?.switch;
      if (plan?.traffic.route53?.method !== 'health-checks' || !switchChecks)
        throw new Error(
          `drift health-check-deleted: ${drift.app} has no health-checks traffic in ${drift.region} (expected an app with traffic.route53.method health-checks and one of its regions ${regions.join(', ')})`,
        );
      const endpointAt = drift.endpoint === undefined ? -1 : regions.indexOf(drift.endpoint as never);
      if (drift.endpoint !== undefined && endpointAt < 0)
        throw new Error(
          `drift health-check-deleted: no endpoint in ${drift.endpoint} (expected one of ${regions.join(', ')})`,
        );
      const id = endpointAt < 0 ? switchChecks.calculated : switchChecks.endpoints[endpointAt];
      // Route 53's API lives in us-east-1.
      aws.route53.handle('DeleteHealthCheck', { HealthCheckId: id }, { region: 'us-east-1' });
      return;
    }
    case 'asg-max': {
      for (const plan of plans)
        for (const group of plan.compute?.autoScalingGroups ?? [])
          for (const [region, name] of Object.entries(group.members))
            if (name === drift.group) {
              aws.autoScaling.handle(
                'UpdateAutoScalingGroup',
                { AutoScalingGroupName: name, MaxSize: drift.max },
                { region },
              );
              return;
            }
      throw new Error(
        `drift asg-max: no plan has the Auto Scaling group ${drift.group} (expected a member name of compute.autoScalingGroups)`,
      );
    }
  }
}

function clusterArn(plans: readonly Plan[], globalClusterId: string, region: string): string {
  for (const plan of plans)
    for (const cluster of plan.database?.auroraGlobalClusters ?? [])
      if (cluster.globalClusterId === globalClusterId) {
        const arn = cluster.members[region];
        if (arn) return arn;
        throw new Error(
          `drift: ${globalClusterId} has no member in ${region} (expected one of ${Object.keys(cluster.members).join(', ')})`,
        );
      }
  throw new Error(`drift: no plan has the global cluster ${globalClusterId}`);
}

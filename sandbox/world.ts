import type { Plan } from '../functions/core/plan.js';
import type { Random } from '../functions/core/random.js';
import { SimulatedArc } from './aws/arc.js';
import { SimulatedAutoScaling } from './aws/autoscaling.js';
import { SimulatedCloudWatch } from './aws/cloudwatch.js';
import { sandboxTableTopology } from './aws/dynamodb-mrsc.js';
import { SimulatedElb } from './aws/elb.js';
import { SimulatedEventBridge } from './aws/eventbridge.js';
import { SimulatedRds } from './aws/rds.js';
import { SimulatedRoute53 } from './aws/route53.js';
import { CHECKER_REGIONS } from './aws/route53-health.js';
import { AwsSimulator, type SimContext } from './aws/simulator.js';
import type { VirtualClock } from './clock.js';
import { FaultSet } from './faults.js';
import type { LatencyProfile } from './latency.js';
import { QuotaBuckets, type QuotaLimit, withLimits } from './quotas.js';
import { GroundTruth } from './truth.js';

/** The simulated multi-region AWS of a set of plans, with its ground truth. */
export interface SimulatedAws {
  readonly ctx: SimContext;
  readonly simulator: AwsSimulator;
  readonly faults: FaultSet;
  readonly rds: SimulatedRds;
  readonly autoScaling: SimulatedAutoScaling;
  readonly cloudWatch: SimulatedCloudWatch;
  readonly arc: SimulatedArc;
  readonly route53: SimulatedRoute53;
  readonly eventBridge: SimulatedEventBridge;
  readonly truth: GroundTruth;
}

/**
 * Builds the simulated AWS and provisions every plan's resources in it: the plan's first region
 * active (writer, active capacity, routing), the others on standby.
 */
export function createSimulatedAws(
  plans: readonly Plan[],
  options: {
    clock: VirtualClock;
    random: Random;
    latency: LatencyProfile;
    faults?: FaultSet;
    /** Quota limits replacing the modelled ones, by quota id. */
    quotas?: Readonly<Record<string, QuotaLimit>>;
  },
): SimulatedAws {
  const faults = options.faults ?? new FaultSet();
  let truth: GroundTruth | undefined;
  let simulator: AwsSimulator | undefined;
  let bus: SimulatedEventBridge | undefined;
  const ctx: SimContext = {
    clock: options.clock,
    random: options.random,
    latency: options.latency,
    faults,
    quotas: new QuotaBuckets(
      () => options.clock.now(),
      options.latency.timeScale,
      withLimits(options.quotas),
    ),
    stateTable: sandboxTableTopology(plans.flatMap((p) => p.regions)),
    changed: (resources) => truth?.changed(resources),
    beginOperation: (name, app, resource) =>
      simulator?.beginOperation(name, app, resource) ?? (() => undefined),
    emitServiceEvent: (event) => {
      bus?.emitService(event);
    },
  };
  simulator = new AwsSimulator(ctx);
  const rds = new SimulatedRds(ctx);
  const autoScaling = new SimulatedAutoScaling(ctx);
  const elb = new SimulatedElb(ctx, autoScaling);
  const cloudWatch = new SimulatedCloudWatch(ctx, rds);
  const arc = new SimulatedArc(ctx);
  const byName = new Map(plans.map((p) => [p.name, p]));
  // A region's app endpoint (the alias target, a load balancer) is healthy when the region is up
  // and every group there has a target healthy in its target group (InService alone is not enough).
  const targetHealthy = (region: string, planName: string) => {
    if (faults.isRegionDown(region)) return false;
    const groups = byName.get(planName)?.compute?.autoScalingGroups ?? [];
    return groups.every((g) => autoScaling.healthyInService(region, g.members[region] ?? '') > 0);
  };
  const route53 = new SimulatedRoute53(ctx, {
    targetHealthy,
    arc,
    regionDown: (region) => faults.isRegionDown(region),
    checkerReaches: (checker, region) =>
      CHECKER_REGIONS.indexOf(checker as (typeof CHECKER_REGIONS)[number]) >= faults.checkersBlocked(region),
  });
  const eventBridge = new SimulatedEventBridge(ctx);
  bus = eventBridge;
  for (const service of [rds, autoScaling, elb, cloudWatch, arc, route53, eventBridge])
    simulator.register(service);
  // ARC before Route 53: its routing-control health checks read the initial states.
  for (const plan of plans) {
    rds.provision(plan);
    autoScaling.provision(plan);
    cloudWatch.provision(plan);
    arc.provision(plan);
    route53.provision(plan);
  }
  truth = new GroundTruth(ctx, plans, { route53, arc, writers: rds, capacity: autoScaling });
  return { ctx, simulator, faults, rds, autoScaling, cloudWatch, arc, route53, eventBridge, truth };
}

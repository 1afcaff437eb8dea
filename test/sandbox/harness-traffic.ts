import { fileURLToPath } from 'node:url';
import { type AwsClients, createAwsClients } from '../../functions/aws/clients.js';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { seededRandom } from '../../functions/core/random.js';
import { SimulatedArc } from '../../sandbox/aws/arc.js';
import { SimulatedRoute53 } from '../../sandbox/aws/route53.js';
import { CHECKER_REGIONS } from '../../sandbox/aws/route53-health.js';
import { AwsSimulator, type SimContext } from '../../sandbox/aws/simulator.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { FaultSet } from '../../sandbox/faults.js';
import { FAST } from '../../sandbox/latency.js';
import { type CapacityView, GroundTruth, type WriterView } from '../../sandbox/truth.js';

/** The example plans of the repository (orders: ARC + Route 53; billing: Route 53 only). */
export function examplePlans(): Promise<Plan[]> {
  return loadPlans(fileURLToPath(new URL('../../plans', import.meta.url)));
}

/** A stand-in for the RDS model: which regions hold a writable cluster of each global cluster. */
export class FakeWriters implements WriterView {
  private readonly writable = new Map<string, string[]>();

  constructor(private readonly ctx: SimContext) {}

  set(globalClusterId: string, regions: string[]): void {
    this.writable.set(globalClusterId, [...regions]);
    this.ctx.changed();
  }

  writerRegions(globalClusterId: string): string[] {
    return this.allWriterRegions(globalClusterId).filter((r) => !this.ctx.faults.isRegionDown(r));
  }

  allWriterRegions(globalClusterId: string): string[] {
    return [...(this.writable.get(globalClusterId) ?? [])];
  }
}

/** A stand-in for the Auto Scaling model: healthy InService counts per region and group. */
export class FakeCapacity implements CapacityView {
  private readonly counts = new Map<string, number>();

  constructor(private readonly ctx: SimContext) {}

  set(region: string, groupName: string, count: number): void {
    this.counts.set(`${region}/${groupName}`, count);
    this.ctx.changed();
  }

  healthyInService(region: string, groupName: string): number {
    if (this.ctx.faults.isRegionDown(region)) return 0;
    return this.counts.get(`${region}/${groupName}`) ?? 0;
  }
}

export interface TrafficHarness {
  readonly clock: VirtualClock;
  readonly faults: FaultSet;
  readonly ctx: SimContext;
  readonly arc: SimulatedArc;
  readonly route53: SimulatedRoute53;
  readonly simulator: AwsSimulator;
  readonly clients: AwsClients;
  readonly writers: FakeWriters;
  readonly capacity: FakeCapacity;
  readonly truth: GroundTruth;
  readonly plans: Plan[];
  /** Milliseconds since the harness was built. */
  elapsed(): number;
  /** Runs the clock to `ms` after the harness was built. */
  runTo(ms: number): Promise<void>;
}

/**
 * Route 53 + ARC models behind the real SDK clients, with fake writers and capacity and a ground
 * truth over them. Targets are healthy when their region is up and every group of the plan has an
 * InService instance there (what the lead wires from the Auto Scaling model).
 */
export function trafficHarness(plans: Plan[], seed = 1): TrafficHarness {
  const clock = new VirtualClock();
  const faults = new FaultSet();
  const listeners: (() => void)[] = [];
  const ctx: SimContext = {
    clock,
    random: seededRandom(seed),
    latency: FAST,
    faults,
    changed: () => {
      for (const listener of listeners) listener();
    },
  };
  const writers = new FakeWriters(ctx);
  const capacity = new FakeCapacity(ctx);
  const arc = new SimulatedArc(ctx);
  const targetHealthy = (region: string, planName: string) => {
    const plan = plans.find((p) => p.name === planName);
    if (!plan || faults.isRegionDown(region)) return false;
    return (plan.compute?.autoScalingGroups ?? []).every((g) => {
      const name = g.members[region];
      return name !== undefined && capacity.healthyInService(region, name) > 0;
    });
  };
  const route53 = new SimulatedRoute53(ctx, {
    targetHealthy,
    arc,
    regionDown: (region) => faults.isRegionDown(region),
    checkerReaches: (checker, region) =>
      CHECKER_REGIONS.indexOf(checker as (typeof CHECKER_REGIONS)[number]) >= faults.checkersBlocked(region),
  });
  for (const plan of plans) {
    arc.provision(plan);
    route53.provision(plan);
  }
  const simulator = new AwsSimulator(ctx);
  simulator.register(route53);
  simulator.register(arc);
  const clients = createAwsClients({
    interceptor: simulator,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
  });
  const truth = new GroundTruth(ctx, plans, { route53, arc, writers, capacity });
  listeners.push(() => truth.evaluate());
  const t0 = clock.now();
  return {
    clock,
    faults,
    ctx,
    arc,
    route53,
    simulator,
    clients,
    writers,
    capacity,
    truth,
    plans,
    elapsed: () => clock.now() - t0,
    runTo: (ms) => clock.runUntil(t0 + ms),
  };
}

/** Sets every plan's capacity (active profile in its first region, standby elsewhere) and writers. */
export function activeInFirstRegion(h: TrafficHarness): void {
  for (const plan of h.plans) {
    for (const group of plan.compute?.autoScalingGroups ?? []) {
      plan.regions.forEach((region, i) => {
        const name = group.members[region];
        if (!name) return;
        h.capacity.set(region, name, i === 0 ? group.active.desired : group.standby.desired);
      });
    }
    for (const cluster of plan.database?.auroraGlobalClusters ?? []) {
      h.writers.set(cluster.globalClusterId, [plan.regions[0] as string]);
    }
  }
}

import { generatedPlans } from '../../bench/apps.js';
import type { Plan } from '../../functions/core/plan.js';
import { planRegistry } from '../../functions/core/plan-registry.js';
import { seededRandom } from '../../functions/core/random.js';
import type { GlobalClusterView } from '../../functions/runbook/ports/aurora.js';
import type { GroupCapacity } from '../../functions/runbook/ports/auto-scaling.js';
import type { EvacuationRecord } from '../../functions/runbook/ports/evacuations.js';
import {
  fakeArc,
  fakeAurora,
  fakeAutoScaling,
  fakeClock,
  fakeTaskTokens,
  fakeWaits,
} from '../runbook/fakes.js';

// A world of apps failing over from us-east-1 to us-west-2 for the shared reads' unit tests (an
// evacuation's, shared-reads.test.ts, and a region poller's, region-poller.test.ts), against
// in-memory fakes of their ports: what each pass reads, and which parked steps it wakes.

export const FROM = 'us-east-1';
export const TO = 'us-west-2';

/** `count` apps failing over from us-east-1 to us-west-2, each with its run under way. */
export function world(count: number) {
  const plans: Plan[] = generatedPlans(count);
  const clock = fakeClock();
  const clusters: Record<string, GlobalClusterView> = {};
  const groups: Record<string, Partial<GroupCapacity>> = {};
  for (const plan of plans) {
    const cluster = plan.database?.auroraGlobalClusters[0];
    const group = plan.compute?.autoScalingGroups[0];
    if (!cluster || !group) throw new Error(`generated plan ${plan.name} has no cluster or group`);
    clusters[cluster.globalClusterId] = {
      id: cluster.globalClusterId,
      status: 'failing-over',
      members: [
        { clusterArn: cluster.members[FROM] as string, region: FROM, isWriter: true },
        { clusterArn: cluster.members[TO] as string, region: TO, isWriter: false },
      ],
      writerRegion: FROM,
      failover: {
        status: 'failing-over',
        fromClusterArn: cluster.members[FROM] as string,
        toClusterArn: cluster.members[TO] as string,
        isDataLossAllowed: true,
      },
    };
    groups[`${TO}/${group.members[TO]}`] = {
      desired: group.active.desired,
      inService: 0,
      healthyInService: 0,
    };
  }
  const aurora = fakeAurora(clusters);
  const autoScaling = fakeAutoScaling(groups);
  const counted = { globalClusters: 0, describeMany: 0, describe: 0, describeGlobalCluster: 0 };
  const waits = fakeWaits();
  const tokens = fakeTaskTokens();
  const deps = {
    clock,
    random: seededRandom(1),
    plans: planRegistry(plans),
    aurora: {
      ...aurora.port,
      describeGlobalClusters: (region: string) => {
        counted.globalClusters++;
        return aurora.port.describeGlobalClusters?.(region) ?? Promise.resolve([]);
      },
      describeGlobalCluster: (region: string, id: string) => {
        counted.describeGlobalCluster++;
        return aurora.port.describeGlobalCluster(region, id);
      },
    },
    autoScaling: {
      ...autoScaling.port,
      describeMany: (region: string, names: readonly string[]) => {
        counted.describeMany++;
        return autoScaling.port.describeMany?.(region, names) ?? Promise.resolve(new Map());
      },
      describe: (region: string, name: string) => {
        counted.describe++;
        return autoScaling.port.describe(region, name);
      },
    },
    arc: fakeArc({}).port,
    waits: waits.port,
    stepFunctions: tokens.port,
  };
  const record: EvacuationRecord = {
    id: 'evac-1',
    from: FROM,
    to: TO,
    mode: 'ungraceful',
    requestedBy: 'alice',
    reason: 'test',
    requestedAt: new Date(clock.now()).toISOString(),
    region: TO,
    requestHash: 'h',
    status: 'RUNNING',
    apps: plans.map((p) => ({
      app: p.name,
      to: TO,
      priority: 100,
      status: 'STARTED' as const,
      executionId: `exec-${p.name}`,
      attempts: 0,
    })),
    version: 1,
  };
  /**
   * Parks `app`'s step on `what` with a live token, as AwaitEvent does (`shared`: listed for the
   * region's poller, as outside an evacuation with many apps).
   */
  const park = async (plan: Plan, what: string, shared = false) => {
    const token = `token-${plan.name}-${what}`;
    tokens.waiting.add(token);
    await waits.port.park({
      app: plan.name,
      executionId: `exec-${plan.name}`,
      what,
      token,
      region: TO,
      parkedAt: new Date(clock.now()).toISOString(),
      expiresAt: new Date(clock.now() + 30_000).toISOString(),
      ...(shared ? { shared: true } : {}),
    });
  };
  /** The promotion of `plan`'s global database done: the target is the writer. */
  const promote = (plan: Plan) => {
    const id = plan.database?.auroraGlobalClusters[0]?.globalClusterId as string;
    const view = clusters[id] as GlobalClusterView;
    const { failover: _, ...rest } = view;
    clusters[id] = {
      ...rest,
      status: 'available',
      writerRegion: TO,
      members: view.members.map((m) => ({ ...m, isWriter: m.region === TO })),
    };
  };
  /** `plan`'s group in the target serving its whole active profile. */
  const serve = (plan: Plan) => {
    const group = plan.compute?.autoScalingGroups[0];
    const key = `${TO}/${group?.members[TO]}`;
    const desired = group?.active.desired ?? 0;
    groups[key] = { ...groups[key], inService: desired, healthyInService: desired };
  };
  return { plans, deps, record, counted, tokens, waits, park, promote, serve };
}

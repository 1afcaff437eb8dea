import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import type { Plan } from '../../functions/core/plan.js';
import { planRegistry } from '../../functions/core/plan-registry.js';
import { seededRandom } from '../../functions/core/random.js';
import { wakeFromSharedReads } from '../../functions/evacuation/shared-reads.js';
import type { GlobalClusterView } from '../../functions/runbook/ports/aurora.js';
import type { GroupCapacity } from '../../functions/runbook/ports/auto-scaling.js';
import type { EvacuationRecord } from '../../functions/runbook/ports/evacuations.js';
import { waitKey } from '../../functions/runbook/ports/task-waits.js';
import {
  fakeArc,
  fakeAurora,
  fakeAutoScaling,
  fakeClock,
  fakeTaskTokens,
  fakeWaits,
} from '../runbook/fakes.js';

// Unit tests of a region evacuation's shared reads (functions/evacuation/shared-reads.ts) against
// in-memory fakes of their ports: how many reads a pass makes, and which parked steps it wakes.

const FROM = 'us-east-1';
const TO = 'us-west-2';

/** `count` apps failing over from us-east-1 to us-west-2, each with its run under way. */
function world(count: number) {
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
  /** Parks `app`'s step on `what` with a live token, as AwaitEvent does. */
  const park = async (plan: Plan, what: string) => {
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
  return { plans, deps, record, counted, tokens, park, promote, serve };
}

describe('shared reads of a region evacuation', () => {
  it('reads each target region once per pass, however many apps: O(regions), not O(apps)', async () => {
    // Arrange: 40 apps, every one parked on its promotion and its group.
    const w = world(40);
    for (const plan of w.plans) {
      await w.park(plan, waitKey('promotion', plan.database?.auroraGlobalClusters[0]?.globalClusterId));
      await w.park(plan, waitKey('group', plan.compute?.autoScalingGroups[0]?.name));
    }

    // Act: three passes (three seconds of the evacuation's loop) with nothing done yet.
    for (let i = 0; i < 3; i++) await wakeFromSharedReads(w.record, w.deps);

    // Assert: one DescribeGlobalClusters and one batched group read per pass, none per app.
    expect(w.counted).toEqual({ globalClusters: 3, describeMany: 3, describe: 0, describeGlobalCluster: 0 });
    expect(w.tokens.answered).toHaveLength(0);
  });

  it('wakes exactly the parked steps whose condition it reads met, once each', async () => {
    // Arrange: app1's promotion is done, app2's group serves; app3 neither. All parked.
    const w = world(3);
    const [app1, app2, app3] = w.plans as [Plan, Plan, Plan];
    for (const plan of w.plans) {
      await w.park(plan, waitKey('promotion', plan.database?.auroraGlobalClusters[0]?.globalClusterId));
      await w.park(plan, waitKey('group', plan.compute?.autoScalingGroups[0]?.name));
    }
    w.promote(app1);
    w.serve(app2);

    // Act
    const first = await wakeFromSharedReads(w.record, w.deps);
    const second = await wakeFromSharedReads(w.record, w.deps);

    // Assert: two wakes, by the shared read, with what it read; the second pass answers nothing again.
    expect(first.woken.sort()).toEqual([
      `${app1.name} promotion#${app1.database?.auroraGlobalClusters[0]?.globalClusterId}`,
      `${app2.name} group#${app2.compute?.autoScalingGroups[0]?.name}`,
    ]);
    expect(second.woken).toEqual([]);
    expect(w.tokens.answered.map((a) => a.token).sort()).toEqual([
      `token-${app1.name}-promotion#${app1.database?.auroraGlobalClusters[0]?.globalClusterId}`,
      `token-${app2.name}-group#${app2.compute?.autoScalingGroups[0]?.name}`,
    ]);
    expect(w.tokens.answered[0]?.output).toMatchObject({ woken: true, by: 'shared-read' });
    expect(w.record.apps.find((a) => a.app === app3.name)?.woken).toBeUndefined();
  });

  it('stops reading RDS and Auto Scaling once every wait it could answer was answered', async () => {
    // Arrange: two apps, both parked on both waits, both done.
    const w = world(2);
    for (const plan of w.plans) {
      await w.park(plan, waitKey('promotion', plan.database?.auroraGlobalClusters[0]?.globalClusterId));
      await w.park(plan, waitKey('group', plan.compute?.autoScalingGroups[0]?.name));
      w.promote(plan);
      w.serve(plan);
    }

    // Act: the first pass wakes all four; two more passes follow.
    const first = await wakeFromSharedReads(w.record, w.deps);
    await wakeFromSharedReads(w.record, w.deps);
    await wakeFromSharedReads(w.record, w.deps);

    // Assert: read once, not again (the woken steps read for themselves from then on).
    expect(first.woken).toHaveLength(4);
    expect(w.counted).toMatchObject({ globalClusters: 1, describeMany: 1 });
  });

  it('leaves a step that is not parked, or whose wait has timed out, to its own fallback', async () => {
    // Arrange: app1 promoted but never parked; app2 promoted, parked, and its wait expired.
    const w = world(2);
    const [app1, app2] = w.plans as [Plan, Plan];
    w.promote(app1);
    w.promote(app2);
    await w.park(app2, waitKey('promotion', app2.database?.auroraGlobalClusters[0]?.globalClusterId));
    w.deps.clock.advance(31_000);

    // Act
    const pass = await wakeFromSharedReads(w.record, w.deps);

    // Assert
    expect(pass.woken).toEqual([]);
    expect(w.tokens.answered).toHaveLength(0);
  });

  it('a read that fails is that pass only: no error escapes, and the next pass wakes', async () => {
    // Arrange: RDS throttles the first read (of both apps' clusters at once).
    const w = world(2);
    const [app1] = w.plans as [Plan, Plan];
    await w.park(app1, waitKey('promotion', app1.database?.auroraGlobalClusters[0]?.globalClusterId));
    w.promote(app1);
    const describeGlobalClusters = w.deps.aurora.describeGlobalClusters;
    await w.park(
      w.plans[1] as Plan,
      waitKey('promotion', w.plans[1]?.database?.auroraGlobalClusters[0]?.globalClusterId),
    );
    let throttle = true;
    w.deps.aurora.describeGlobalClusters = (region: string) => {
      if (throttle) {
        throttle = false;
        return Promise.reject(Object.assign(new Error('Rate exceeded (fake)'), { name: 'ThrottledError' }));
      }
      return describeGlobalClusters(region);
    };

    // Act
    const first = await wakeFromSharedReads(w.record, w.deps);
    const second = await wakeFromSharedReads(w.record, w.deps);

    // Assert
    expect(first.errors).toEqual([expect.stringContaining('Rate exceeded')]);
    expect(first.woken).toEqual([]);
    expect(second.woken).toHaveLength(1);
  });
});

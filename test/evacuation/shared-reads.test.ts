import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import { wakeFromSharedReads } from '../../functions/evacuation/shared-reads.js';
import { waitKey } from '../../functions/runbook/ports/task-waits.js';
import { TO, world } from './shared-reads-world.js';

// Unit tests of a region evacuation's shared reads (functions/evacuation/shared-reads.ts) against
// in-memory fakes of their ports: how many reads a pass makes, and which parked steps it wakes.

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
    // The region poller's rule (metWait): the promotion's wake hands on the writers it read, and
    // when, for the woken check to decide on while fresh; the group's, the group and when.
    const output = (token: string) => w.tokens.answered.find((a) => a.token.includes(token))?.output;
    const target = app1.database?.auroraGlobalClusters[0]?.members[TO];
    expect(output(`${app1.name}-promotion`)).toMatchObject({
      promoted: { writers: [target], readAt: expect.any(String) },
    });
    expect(output(`${app2.name}-group`)).toMatchObject({
      ready: { group: app2.compute?.autoScalingGroups[0]?.name, readAt: expect.any(String) },
    });
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

import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import { pollRegion } from '../../functions/evacuation/region-poller.js';
import {
  ensureRegionPoller,
  POLLER_IDLE_POLLS,
  POLLER_LEASE_MS,
} from '../../functions/evacuation/region-poller-start.js';
import { waitKey } from '../../functions/runbook/ports/task-waits.js';
import { TO, world } from './shared-reads-world.js';

// Unit tests of a region's poller of parked waits (functions/evacuation/region-poller.ts): the
// shared reads of failovers that are not part of an evacuation, against in-memory fakes.

const POLLER_ARN = `arn:aws:states:${TO}:111111111111:stateMachine:switchyard-RegionPoller`;

/** `world(count)`, with every app parked (shared) on its promotion and its group, and a lease held. */
async function parkedWorld(count: number, parked = true) {
  const w = world(count);
  for (const plan of parked ? w.plans : []) {
    await w.park(plan, waitKey('promotion', plan.database?.auroraGlobalClusters[0]?.globalClusterId), true);
    await w.park(plan, waitKey('group', plan.compute?.autoScalingGroups[0]?.name), true);
  }
  const now = w.deps.clock.now();
  const lease = await w.waits.port.claimPoller(TO, now, now + POLLER_LEASE_MS);
  const deps = { ...w.deps, waits: w.waits.port };
  const input = (progress: unknown) => ({ poller: { region: TO, epoch: lease?.epoch }, progress });
  return { ...w, deps, input };
}

describe("a region's poller of parked waits", () => {
  it.each([4, 40])(
    'reads the region once per pass with %i apps parked: O(regions), not O(apps)',
    async (count) => {
      const w = await parkedWorld(count);

      // Act: three passes (three seconds of the poller's loop) with nothing done yet.
      let progress: unknown = null;
      for (let i = 0; i < 3; i++) progress = await pollRegion(w.input(progress), w.deps);

      // Assert: per pass one Query of the parked waits, one DescribeGlobalClusters and one batched
      // group read, whatever the number of apps; nothing woken yet.
      expect(w.waits.calls.listShared).toBe(3);
      expect(w.counted).toEqual({
        globalClusters: 3,
        describeMany: 3,
        describe: 0,
        describeGlobalCluster: 0,
      });
      expect(progress).toMatchObject({ done: false, parked: 2 * count, woken: 0, idle: 0 });
      expect(w.tokens.answered).toHaveLength(0);
    },
  );

  it('wakes exactly the parked waits it reads met, handing on what it read', async () => {
    const w = await parkedWorld(3);
    const [app1, app2] = w.plans as [Plan, Plan, Plan];
    w.promote(app1);
    w.serve(app2);

    const pass = await pollRegion(w.input(null), w.deps);

    expect(pass.woken).toBe(2);
    const gc = app1.database?.auroraGlobalClusters[0];
    expect(w.tokens.answered.map((a) => a.token).sort()).toEqual([
      `token-${app1.name}-promotion#${gc?.globalClusterId}`,
      `token-${app2.name}-group#${app2.compute?.autoScalingGroups[0]?.name}`,
    ]);
    const promotion = w.tokens.answered.find((a) => a.token.includes('promotion'))?.output;
    // The read that woke it travels with the wake: the woken check need not read RDS again.
    expect(promotion).toMatchObject({
      woken: true,
      by: 'shared-read',
      promoted: { writers: [gc?.members[TO]] },
    });
  });

  it('ends after passes with nothing parked, freeing its lease; a poller whose lease was taken ends at once', async () => {
    const w = await parkedWorld(1, false);
    let progress: Awaited<ReturnType<typeof pollRegion>> | null = null;
    for (let i = 0; i < POLLER_IDLE_POLLS; i++) {
      w.deps.clock.advance(1_000);
      progress = await pollRegion(w.input(progress), w.deps);
    }
    expect(progress).toMatchObject({ done: true, idle: POLLER_IDLE_POLLS });
    expect(progress?.ended).toMatch(/nothing parked/);
    // Freed: the next waiter claims it at once, with the next epoch.
    const next = await w.waits.port.claimPoller(TO, w.deps.clock.now(), w.deps.clock.now() + POLLER_LEASE_MS);
    expect(next?.epoch).toBe(2);
    // The first poller, if it ran again, finds the lease another's and ends.
    expect(await pollRegion(w.input(null), w.deps)).toMatchObject({ done: true, ended: /another poller/ });
  });

  it('is started once by the first waiter, and again after a poller died and its lease lapsed', async () => {
    const w = world(2);
    const started: string[] = [];
    const deps = {
      clock: w.deps.clock,
      waits: w.waits.port,
      stateMachineArns: { poller: POLLER_ARN },
      stepFunctions: {
        ...w.deps.stepFunctions,
        start: async (_region: string, _arn: string, name: string) => {
          started.push(name);
          return `${POLLER_ARN}:${name}`;
        },
      },
    };

    // Two waiters park at once: one claim, one start.
    expect(await Promise.all([ensureRegionPoller(TO, deps), ensureRegionPoller(TO, deps)])).toEqual([
      true,
      true,
    ]);
    expect(started).toEqual([`poller-${TO}-1`]);
    // The poller died (never renewed): past its lease, the next waiter starts another.
    w.deps.clock.advance(POLLER_LEASE_MS + 1);
    expect(await ensureRegionPoller(TO, deps)).toBe(true);
    expect(started).toEqual([`poller-${TO}-1`, `poller-${TO}-2`]);
    // No poller machine deployed here: the waiter reads for itself.
    expect(await ensureRegionPoller(TO, { ...deps, stateMachineArns: {} })).toBe(false);
  });
});

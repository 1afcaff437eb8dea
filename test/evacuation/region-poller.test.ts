import { describe, expect, it } from 'vitest';
import { ThrottledError } from '../../functions/core/errors.js';
import type { Plan } from '../../functions/core/plan.js';
import {
  POLL_BURST_MS,
  POLL_FLOOR_MS,
  POLL_SHARE,
  pollIntervalMs,
  SUSTAINED_PER_SECOND,
} from '../../functions/evacuation/poll-budget.js';
import { pollRegion } from '../../functions/evacuation/region-poller.js';
import {
  ensureRegionPoller,
  POLLER_IDLE_POLLS,
  POLLER_LEASE_MS,
} from '../../functions/evacuation/region-poller-start.js';
import type { RoutingControlState } from '../../functions/runbook/ports/arc.js';
import type { AuroraEngine } from '../../functions/runbook/ports/aurora.js';
import { waitKey } from '../../functions/runbook/ports/task-waits.js';
import type { TrafficSwitch } from '../../functions/runbook/ports/traffic-switch.js';
import { fakeDns } from '../runbook/fakes.js';
import { FROM, TO, world } from './shared-reads-world.js';

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

/**
 * `world(count)` with every app's Preflight parked for the poller's read (`observe#<read>`, as
 * functions/runbook/read-park.ts parks it), the observer's ports beside the world's, and every
 * read the batched reads may make counted, by call.
 */
async function parkedReads(count: number, read: 'preflight-graceful' | 'preflight-ungraceful') {
  const w = world(count);
  for (const plan of w.plans) await w.park(plan, waitKey('observe', read), true);
  const now = w.deps.clock.now();
  const lease = await w.waits.port.claimPoller(TO, now, now + POLLER_LEASE_MS);
  const calls: Record<string, number> = {};
  const count1 = (what: string) => {
    calls[what] = (calls[what] ?? 0) + 1;
  };
  const { aurora, autoScaling, arc } = w.deps;
  const deps = {
    ...w.deps,
    waits: w.waits.port,
    region: TO,
    aurora: {
      ...aurora,
      describeGlobalClusters: (region: string) => {
        count1(`DescribeGlobalClusters ${region}`);
        return aurora.describeGlobalClusters(region);
      },
      describeCluster: (region: string, arn: string) => {
        count1(`DescribeDBClusters(one) ${region}`);
        return aurora.describeCluster(region, arn);
      },
      describeClusters: (region: string, ids: readonly string[]) => {
        count1(`DescribeDBClusters ${region}`);
        return Promise.all(ids.map((id) => aurora.describeCluster(region, id)));
      },
    },
    autoScaling: {
      ...autoScaling,
      describeMany: (region: string, names: readonly string[]) => {
        count1(`DescribeAutoScalingGroups ${region}`);
        return autoScaling.describeMany?.(region, names) ?? Promise.resolve(new Map());
      },
    },
    arc: {
      ...arc,
      listStates: async (): Promise<Record<string, RoutingControlState>> => {
        count1('ListRoutingControls');
        return Object.fromEntries(
          w.plans.flatMap((p) =>
            Object.values(p.traffic.arc?.routingControls ?? {}).map((a) => [a, 'On' as const]),
          ),
        );
      },
    },
    auroraLag: {
      replicationLagMs: async () => 100,
      replicationLagsMs: async (
        region: string,
        reads: readonly { clusterIdOrArn: string; engine?: AuroraEngine }[],
      ) => {
        count1(`GetMetricData ${region}`);
        return reads.map(() => 100);
      },
    },
    dns: fakeDns(
      Object.fromEntries(
        w.plans.flatMap((p) => (p.traffic.route53?.records ?? []).map((r) => [r.name, FROM])),
      ),
    ).port,
    traffic: {} as TrafficSwitch, // ARC plans: the health-checks switch is never read
  };
  const input = { poller: { region: TO, epoch: lease?.epoch }, progress: null };
  return { ...w, deps, input, calls };
}

describe("a region's poller of parked waits", () => {
  it.each([4, 40])(
    "answers %i parked Preflights' reads with one batched read per kind and region: O(regions), not O(apps)",
    async (count) => {
      const w = await parkedReads(count, 'preflight-graceful');

      const pass = await pollRegion(w.input, w.deps);

      // Per pass and region read (a graceful Preflight reads the source and the target): one
      // DescribeGlobalClusters, one DescribeDBClusters, one DescribeAutoScalingGroups, one
      // GetMetricData; one ListRoutingControls for the ARC cluster; nothing read app by app.
      expect(w.calls).toEqual({
        [`DescribeGlobalClusters ${FROM}`]: 1,
        [`DescribeGlobalClusters ${TO}`]: 1,
        [`DescribeDBClusters ${FROM}`]: 1,
        [`DescribeDBClusters ${TO}`]: 1,
        [`DescribeAutoScalingGroups ${FROM}`]: 1,
        [`DescribeAutoScalingGroups ${TO}`]: 1,
        [`GetMetricData ${TO}`]: 1,
        ListRoutingControls: 1,
      });
      // Every parked Preflight answered with its own app's observation of both regions, and the
      // time of the read (it decides on it only while that is fresh).
      expect(pass).toMatchObject({ woken: count, parked: count, reads: { observed: count } });
      expect(w.tokens.answered).toHaveLength(count);
      for (const plan of w.plans) {
        const answer = w.tokens.answered.find((a) => a.token.startsWith(`token-${plan.name}-observe`));
        expect(answer?.output).toMatchObject({
          woken: true,
          by: 'shared-read',
          readAt: new Date(w.deps.clock.now()).toISOString(),
          observation: {
            app: plan.name,
            clusters: [{ globalClusterId: plan.database?.auroraGlobalClusters[0]?.globalClusterId }],
          },
        });
        const output = answer?.output as { observation?: { clusters: { regions: object }[] } } | undefined;
        expect(Object.keys(output?.observation?.clusters[0]?.regions ?? {}).sort()).toEqual([FROM, TO]);
      }
    },
  );

  it("reads only the target for an ungraceful Preflight's park", async () => {
    const w = await parkedReads(3, 'preflight-ungraceful');
    await pollRegion(w.input, w.deps);
    expect(Object.keys(w.calls).filter((c) => c.includes(FROM))).toEqual([]);
    expect(w.tokens.answered).toHaveLength(3);
  });

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

  it("wakes a graceful run's capacity gate with the time it read every group ready", async () => {
    const w = await parkedWorld(2, false);
    const [app1, app2] = w.plans as [Plan, Plan];
    for (const plan of [app1, app2]) await w.park(plan, waitKey('capacity'), true);
    w.serve(app1);

    const pass = await pollRegion(w.input(null), w.deps);

    // Only the app whose groups are all ready; its gate decides on this read while it is fresh
    // (2 s) instead of reading the groups again.
    expect(pass.woken).toBe(1);
    expect(w.tokens.answered).toEqual([
      {
        region: TO,
        token: `token-${app1.name}-capacity`,
        output: expect.objectContaining({
          by: 'shared-read',
          capacityReady: { readAt: new Date(w.deps.clock.now()).toISOString() },
        }),
      },
    ]);
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

  describe('at its budget (poll-budget.ts)', () => {
    /** `parkedWorld(count)` whose clock can wait (virtual: a sleep advances it), as the sandbox's. */
    async function pacedWorld(count: number) {
      const w = await parkedWorld(count);
      const clock = { ...w.deps.clock, sleep: async (ms: number) => w.deps.clock.advance(ms) };
      return { ...w, deps: { ...w.deps, clock } };
    }

    it.each([1, 40, 300])(
      "keeps its calls per second within a quarter of each service's rate with %i apps parked, never under the floor",
      async (count) => {
        const w = await pacedWorld(count);
        const t0 = w.deps.clock.now();

        // Act: one invocation: passes back to back, at the budget's pace, for the burst.
        const progress = await pollRegion(w.input(null), w.deps);
        const seconds = (w.deps.clock.now() - t0) / 1000;

        // Assert: a pass reads RDS once and Auto Scaling once per 100 groups; over the burst, no
        // more than a quarter of either rate, and passes no closer than the floor.
        expect(seconds * 1000).toBeGreaterThanOrEqual(POLL_BURST_MS);
        const passes = w.waits.calls.listShared;
        // The adapters' pages: DescribeGlobalClusters answers 100 global clusters a page and
        // DescribeAutoScalingGroups takes 100 names a call.
        const pages = Math.ceil(count / 100);
        const reads = w.counted.globalClusters + w.counted.describeGlobalCluster;
        const rds = reads * pages;
        const autoScaling = w.counted.describeMany * pages + w.counted.describe;
        expect(reads).toBe(passes);
        expect(rds / seconds).toBeLessThanOrEqual(POLL_SHARE * SUSTAINED_PER_SECOND.rds);
        expect(autoScaling / seconds).toBeLessThanOrEqual(POLL_SHARE * SUSTAINED_PER_SECOND.autoscaling);
        expect(passes).toBeLessThanOrEqual(Math.ceil(seconds / (POLL_FLOOR_MS / 1000)));
        // One app: every 333 ms (RDS bounds it); 300 apps: 3 pages of each a pass, every second.
        expect(passes).toBe(Math.ceil(POLL_BURST_MS / pollIntervalMs({ rds: pages, autoscaling: pages })));
        expect(progress).toMatchObject({ done: false, nextPollSeconds: 0, woken: 0 });
      },
    );

    it('answers nobody from a throttled read, and backs off, doubling, until a clean pass', async () => {
      const w = await parkedWorld(2);
      for (const plan of w.plans) w.promote(plan);
      const throttled = { on: true };
      const { aurora } = w.deps;
      const deps = {
        ...w.deps,
        aurora: {
          ...aurora,
          describeGlobalClusters: async (region: string) => {
            if (throttled.on) throw new ThrottledError('Rate exceeded (test)');
            return (await aurora.describeGlobalClusters?.(region)) ?? [];
          },
        },
        autoScaling: {
          ...w.deps.autoScaling,
          describeMany: async (region: string, names: readonly string[]) => {
            if (throttled.on) throw new ThrottledError('Rate exceeded (test)');
            return (await w.deps.autoScaling.describeMany?.(region, names)) ?? new Map();
          },
        },
      };

      const first = await pollRegion(w.input(null), deps);
      const second = await pollRegion(w.input(first), deps);

      expect(w.tokens.answered).toHaveLength(0);
      expect([first.woken, second.woken]).toEqual([0, 0]);
      expect([first.backoffMs, second.backoffMs]).toEqual([1_000, 2_000]);
      expect(second.nextPollSeconds).toBe(2);
      expect(second.errors?.[0]).toMatch(/ThrottledError/);

      // RDS answers again: the promotions are woken, once each, and the back-off halves.
      throttled.on = false;
      const third = await pollRegion(w.input(second), deps);
      expect(third.woken).toBe(2);
      expect(third.backoffMs).toBe(1_000);
      const fourth = await pollRegion(w.input(third), deps);
      expect(fourth.woken).toBe(0);
      expect(w.tokens.answered).toHaveLength(2);
    });
  });
});

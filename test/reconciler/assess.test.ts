import { describe, expect, it } from 'vitest';
import type { PlanState } from '../../functions/aws/state-store.js';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import type {
  AppObservation,
  GroupReadiness,
  RegionCluster,
  Seen,
} from '../../functions/observer/observe.js';
import { assess } from '../../functions/reconciler/reconcile.js';

// The reconciler's decisions, table by table, on observations made by hand (no AWS, no sandbox).

const plans = await loadPlans('test/fixtures/plans-closed-loop');
const shop = plans.find((p) => p.name === 'shop') as Plan;
const E = 'us-east-1';
const W = 'us-west-2';

const state = (activeRegion: string, status: PlanState['status'] = 'ACTIVE'): PlanState =>
  ({ app: 'shop', activeRegion, status, version: 3 }) as PlanState;

const writer: RegionCluster = { writable: true, member: true, status: 'available' };
const reader: RegionCluster = {
  writable: false,
  member: true,
  status: 'available',
  synchronizationStatus: 'connected',
};
const detachedWriter: RegionCluster = { writable: true, member: false, status: 'available' };
const down = { unknown: 'RegionUnavailableError: no answer' };
const capacity = (healthy: number): GroupReadiness => ({
  healthyInService: healthy,
  pending: 0,
  waiting: 0,
  notServing: 0,
  notServingReasons: [],
  desired: 6,
  activeDesired: 6,
  healthyPercent: Math.round((1000 * healthy) / 6) / 10,
  ready: healthy >= 6,
  minimumMet: healthy >= 2,
});

function observation(
  clusters: Record<string, Seen<RegionCluster>>,
  groups: Record<string, Seen<GroupReadiness>>,
  traffic: Seen<string | null>,
  reachable: Record<string, boolean | 'unknown'> = { [E]: true, [W]: true },
): AppObservation {
  return {
    app: 'shop',
    at: '2026-01-01T00:00:00.000Z',
    regions: [E, W],
    clusters: [
      {
        globalClusterId: 'shop-global',
        regions: clusters,
        writers: Object.entries(clusters)
          .filter(([, s]) => !('unknown' in s) && s.writable)
          .map(([r]) => r),
        moving: false,
      },
    ],
    capacity: [{ group: 'shop-web', regions: groups }],
    traffic: { mechanism: 'arc', region: traffic },
    reachable,
  };
}

describe('assess: what the reconciler would do', () => {
  it('does nothing when writer, traffic, capacity and the record agree', () => {
    const seen = observation({ [E]: writer, [W]: reader }, { [E]: capacity(6), [W]: capacity(1) }, E);
    expect(assess(shop, state(E), seen)).toMatchObject({ kind: 'consistent' });
  });

  it('moves traffic to the writer when users are on a region that is down and the writer has some capacity', () => {
    const seen = observation({ [E]: down, [W]: writer }, { [E]: down, [W]: capacity(1) }, E, {
      [E]: false,
      [W]: true,
    });
    expect(assess(shop, state(E), seen)).toMatchObject({ kind: 'move-traffic', to: W, from: E });
  });

  it('moves traffic to the writer at the ungraceful minimum even when the old region answers', () => {
    const seen = observation({ [E]: reader, [W]: writer }, { [E]: capacity(6), [W]: capacity(2) }, E);
    expect(assess(shop, state(E), seen)).toMatchObject({ kind: 'move-traffic', to: W });
  });

  it('does not move traffic to a writer region with no healthy capacity: drift, for a person', () => {
    const seen = observation({ [E]: reader, [W]: writer }, { [E]: capacity(6), [W]: capacity(0) }, E);
    expect(assess(shop, state(E), seen)).toMatchObject({
      kind: 'drift',
      why: expect.stringMatching(/capacity is none/),
    });
  });

  it('makes the record follow the truth, DEGRADED while capacity is under healthyPercent', () => {
    const seen = observation({ [E]: down, [W]: writer }, { [E]: down, [W]: capacity(3) }, W, {
      [E]: false,
      [W]: true,
    });
    expect(assess(shop, state(E), seen)).toMatchObject({
      kind: 'set-record',
      activeRegion: W,
      status: 'DEGRADED',
    });
  });

  it('sets ACTIVE again once everything is together and ready', () => {
    const seen = observation({ [E]: reader, [W]: writer }, { [E]: capacity(1), [W]: capacity(6) }, W);
    expect(assess(shop, state(W, 'DEGRADED'), seen)).toMatchObject({
      kind: 'set-record',
      activeRegion: W,
      status: 'ACTIVE',
    });
  });

  it('fences a returning old writer when the plan allows it and users are on the detached one', () => {
    const seen = observation({ [E]: writer, [W]: detachedWriter }, { [E]: capacity(6), [W]: capacity(6) }, W);
    expect(assess(shop, state(W, 'DEGRADED'), seen)).toMatchObject({
      kind: 'fence-writer',
      region: E,
      keep: W,
    });
  });

  it('reports two writers as drift when the plan does not allow fencing', () => {
    const noFence = {
      ...shop,
      database: {
        auroraGlobalClusters: (shop.database?.auroraGlobalClusters ?? []).map((c) => ({
          ...c,
          fenceReturningWriter: 'none' as const,
        })),
      },
    };
    const seen = observation({ [E]: writer, [W]: detachedWriter }, { [E]: capacity(6), [W]: capacity(6) }, W);
    expect(assess(noFence, state(W), seen)).toMatchObject({
      kind: 'drift',
      why: expect.stringMatching(/does not let Switchyard fence/),
    });
  });

  it('never guesses: an unknown writer in a region that answers blocks every decision', () => {
    const seen = observation(
      { [E]: { unknown: 'ThrottledError: Rate exceeded' }, [W]: writer },
      { [E]: capacity(6), [W]: capacity(6) },
      E,
      { [E]: 'unknown', [W]: true },
    );
    expect(assess(shop, state(E), seen)).toMatchObject({ kind: 'unknown' });
  });

  it('never guesses: an unknown capacity read changes no status', () => {
    const seen = observation(
      { [E]: writer, [W]: reader },
      { [E]: { unknown: 'ThrottledError' }, [W]: capacity(1) },
      E,
    );
    expect(assess(shop, state(E), seen)).toMatchObject({ kind: 'unknown' });
  });

  it('never guesses: unknown traffic blocks every decision', () => {
    const seen = observation(
      { [E]: reader, [W]: writer },
      { [E]: capacity(6), [W]: capacity(6) },
      { unknown: 'ARC down' },
    );
    expect(assess(shop, state(E), seen)).toMatchObject({ kind: 'unknown' });
  });
});

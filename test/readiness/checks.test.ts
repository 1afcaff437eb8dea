import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import type { AppObservation, RegionCluster } from '../../functions/observer/observe.js';
import type { ReadinessContext } from '../../functions/readiness/checks.js';
import { evaluate } from '../../functions/readiness/readiness.js';

// The readiness rules, table by table, over observations built by hand: pure, no sandbox.

const [billing, orders] = await loadPlans('plans');
const EAST = 'us-east-1';
const WEST = 'us-west-2';
const NOW = Date.parse('2026-01-01T00:00:00Z');
const RUNBOOK = 'arn:aws:states:us-west-2:111111111111:stateMachine:switchyard-warm-standby';

const cluster = (over: Partial<RegionCluster> = {}): RegionCluster => ({
  writable: false,
  member: true,
  status: 'available',
  synchronizationStatus: 'connected',
  engineVersion: '16.4',
  instances: 1,
  ...over,
});

function observation(west: Partial<RegionCluster> = {}, east: Partial<RegionCluster> = {}): AppObservation {
  return {
    app: 'orders',
    at: new Date(NOW).toISOString(),
    regions: [EAST, WEST],
    clusters: [
      {
        globalClusterId: 'orders-global',
        regions: { [EAST]: cluster({ writable: true, instances: 2, ...east }), [WEST]: cluster(west) },
        writers: [...(east.writable === false ? [] : [EAST]), ...(west.writable ? [WEST] : [])],
        moving: false,
      },
    ],
    capacity: [
      {
        group: 'orders-web',
        regions: {
          [EAST]: {
            healthyInService: 6,
            pending: 0,
            waiting: 0,
            notServing: 0,
            notServingReasons: [],
            desired: 6,
            max: 24,
            activeDesired: 6,
            healthyPercent: 100,
            ready: true,
            minimumMet: true,
          },
          [WEST]: {
            healthyInService: 1,
            pending: 0,
            waiting: 0,
            notServing: 0,
            notServingReasons: [],
            // orders declares a Stopped pool of maxGroupPreparedCapacity 6: 6 - desired 1 = 5.
            warmPool: { poolState: 'Stopped', size: 5, warmed: 5 },
            desired: 1,
            max: 24,
            activeDesired: 6,
            healthyPercent: 16.7,
            ready: false,
            minimumMet: false,
          },
        },
      },
    ],
    traffic: { mechanism: 'arc', region: EAST, routingControls: { [EAST]: 'On', [WEST]: 'Off' } },
    reachable: { [EAST]: true, [WEST]: true },
  };
}

function context(over: Partial<ReadinessContext> = {}): ReadinessContext {
  if (!orders) throw new Error('plans/orders.yaml missing');
  return {
    plan: orders,
    target: WEST,
    source: EAST,
    mode: 'graceful',
    observation: observation(),
    state: undefined,
    lock: undefined,
    lastDrillAt: new Date(NOW - 86_400_000).toISOString(),
    missingAlarms: [],
    runbooks: { [WEST]: { arn: RUNBOOK, status: 'ACTIVE' } },
    now: NOW,
    ...over,
  };
}

const codes = (ctx: ReadinessContext) => evaluate(ctx).findings.map((f) => `${f.severity} ${f.code}`);

describe('readiness rules', () => {
  it('a healthy warm standby is READY with no finding', () => {
    expect(evaluate(context())).toEqual({ verdict: 'READY', findings: [] });
  });

  it.each([
    [
      'target pending-resync (after an ungraceful failover)',
      { west: { synchronizationStatus: 'pending-resync' } },
      'graceful',
      ['blocking CLUSTER_NOT_CONNECTED'],
    ],
    [
      'target pending-resync, ungraceful too',
      { west: { synchronizationStatus: 'pending-resync' } },
      'ungraceful',
      ['blocking CLUSTER_NOT_CONNECTED'],
    ],
    [
      'source pending-resync blocks a switchover only',
      { east: { synchronizationStatus: 'pending-resync' } },
      'ungraceful',
      [],
    ],
    [
      'engine versions differ',
      { west: { engineVersion: '15.8' } },
      'graceful',
      ['blocking ENGINE_VERSION_MISMATCH'],
    ],
    [
      // AWS refuses a managed failover between different versions too, and orders' plan does not
      // allow detach-and-promote, the one way left: the run would scale capacity and then fail.
      'engine versions differ, ungraceful, no detach-and-promote',
      { west: { engineVersion: '15.8' } },
      'ungraceful',
      ['blocking ENGINE_VERSION_MISMATCH'],
    ],
    ['lag over the RPO', { west: { lagMs: 45_000 } }, 'graceful', ['blocking REPLICATION_LAG_OVER_RPO']],
    [
      'secondary removed',
      { west: { member: false, writable: true } },
      'graceful',
      ['blocking SECONDARY_MISSING', 'blocking MULTIPLE_WRITERS'],
    ],
    ['headless warm standby', { west: { instances: 0 } }, 'graceful', ['blocking HEADLESS_TARGET']],
  ] as const)(
    '%s',
    (_name, {
      west,
      east,
    }: { west?: Partial<RegionCluster>; east?: Partial<RegionCluster> }, mode, expected) => {
      const ctx = context({ mode, observation: observation(west, east) });
      expect(codes(ctx)).toEqual(expected);
      expect(evaluate(ctx).verdict).toBe(
        expected.some((c) => c.startsWith('blocking')) ? 'NOT_READY' : 'READY',
      );
    },
  );

  it('engine versions differ, ungraceful: a warning only when the plan allows detach-and-promote', () => {
    if (!orders) throw new Error('plans/orders.yaml missing');
    const database = orders.database;
    if (!database) throw new Error('orders has no database');
    const detachable = {
      ...orders,
      database: {
        ...database,
        auroraGlobalClusters: database.auroraGlobalClusters.map((c) => ({
          ...c,
          allowDetachAndPromote: true,
        })),
      },
    };
    const mismatch = observation({ engineVersion: '15.8' });
    const allowed = evaluate(context({ plan: detachable, mode: 'ungraceful', observation: mismatch }));
    const refused = evaluate(context({ mode: 'ungraceful', observation: mismatch }));

    expect(allowed.findings.map((f) => `${f.severity} ${f.code}`)).toEqual([
      'warning ENGINE_VERSION_MISMATCH',
    ]);
    expect(allowed.findings[0]?.message).toMatch(/detach-and-promote/);
    expect(refused.verdict).toBe('NOT_READY');
    expect(refused.findings[0]?.message).toMatch(
      /AWS refuses a managed failover .* the plan does not allow detach-and-promote/,
    );
  });

  it('engine versions differ, seen from the target alone (ungraceful reads no other region): the global database says the writer runs another version', () => {
    const seen = observation({ engineVersion: '15.8', globalEngineVersion: '16.4' });
    const [clusterSeen] = seen.clusters;
    if (!clusterSeen) throw new Error('no cluster');
    const targetOnly: AppObservation = {
      ...seen,
      regions: [WEST],
      clusters: [
        { ...clusterSeen, regions: { [WEST]: clusterSeen.regions[WEST] as RegionCluster }, writers: [] },
      ],
    };
    const { verdict, findings } = evaluate(context({ mode: 'ungraceful', observation: targetOnly }));

    expect(verdict).toBe('NOT_READY');
    expect(findings.find((f) => f.code === 'ENGINE_VERSION_MISMATCH')?.message).toMatch(
      /engine version 15\.8, the global database runs 16\.4/,
    );
    const same = observation({ globalEngineVersion: '16.4' });
    expect(codes(context({ mode: 'ungraceful', observation: same }))).toEqual([]);
  });

  it('a headless pilot-light target is a warning that counts the reader it adds', () => {
    if (!billing) throw new Error('plans/billing.yaml missing');
    const { findings } = evaluate(context({ plan: billing, observation: observation({ instances: 0 }) }));
    const headless = findings.find((f) => f.code === 'HEADLESS_TARGET');
    expect(headless?.severity).toBe('warning');
    expect(headless?.message).toMatch(/480 s of the RTO objective of 900 s/);
  });

  it('drift: a routing control flipped by hand, a writer moved, a max lowered', () => {
    const seen = observation({ writable: true }, { writable: false });
    const flipped = {
      ...seen,
      traffic: { ...seen.traffic, routingControls: { [EAST]: 'On', [WEST]: 'On' } },
    } as AppObservation;
    expect(codes(context({ observation: flipped }))).toEqual([
      'blocking ROUTING_CONTROL_DISAGREES',
      'warning WRITER_MOVED_OUTSIDE',
    ]);
    const lowered = observation();
    const groups = lowered.capacity[0]?.regions as Record<string, { max: number }>;
    (groups[WEST] as { max: number }).max = 2;
    expect(codes(context({ observation: lowered }))).toEqual(['warning ASG_MAX_BELOW_ACTIVE_DESIRED']);
  });

  it('the lock, the cooldown, the last drill and the alarms', () => {
    const lock = {
      app: 'orders',
      holder: 'x',
      epoch: 3,
      leaseExpiresAt: NOW + 60_000,
      acquiredAt: '',
      reason: '',
      released: false,
    };
    const state = {
      app: 'orders',
      activeRegion: EAST,
      status: 'ACTIVE' as const,
      version: 2,
      lastFailoverAt: new Date(NOW - 60_000).toISOString(),
      updatedAt: '',
    };
    expect(
      codes(
        context({
          lock,
          state,
          lastDrillAt: null,
          missingAlarms: ['arn:aws:cloudwatch:us-west-2:111111111111:alarm:gone'],
        }),
      ),
    ).toEqual(['blocking LOCK_HELD', 'warning COOLDOWN', 'warning DRILL_STALE', 'warning ALARM_MISSING']);
    // Preflight evaluates its own run: its own lock is no finding.
    expect(codes(context({ lock, self: 'x' }))).toEqual([]);
  });

  it('a drill read bounded by time says how far back it read, not "never"', () => {
    const message = (over: Partial<ReadinessContext>) =>
      evaluate(context(over)).findings.find((f) => f.code === 'DRILL_STALE')?.message;
    expect(message({ lastDrillAt: null })).toBe(
      'no PASSED drill on record (expected one in the last 100 days)',
    );
    expect(message({ lastDrillAt: null, drillsReadSince: '2025-09-23T00:00:00.000Z' })).toBe(
      'no PASSED drill in the last 100 days (drill reports read back to 2025-09-23T00:00:00.000Z; older ones not read: a PASSED drill before then is stale anyway; expected one in the last 100 days)',
    );
  });
});

/** `observation()` with the target's group (orders-web in us-west-2) changed by `over`. */
function withWestGroup(over: Record<string, unknown>): AppObservation {
  const seen = observation();
  const regions = seen.capacity[0]?.regions as Record<string, object>;
  regions[WEST] = { ...regions[WEST], ...over };
  return seen;
}

describe('the runbook of the target region', () => {
  it('is blocking when DescribeStateMachine says it is not ACTIVE, or did not answer (unknown, said so)', () => {
    const deleting = evaluate(context({ runbooks: { [WEST]: { arn: RUNBOOK, status: 'DELETING' } } }));
    expect(deleting.verdict).toBe('NOT_READY');
    expect(deleting.findings).toEqual([
      {
        code: 'RUNBOOK_UNAVAILABLE',
        severity: 'blocking',
        resource: RUNBOOK,
        message: "orders's runbook in us-west-2: status DELETING (expected ACTIVE)",
      },
    ]);
    const unread = evaluate(
      context({
        runbooks: {
          [WEST]: { arn: RUNBOOK, status: { unknown: 'DescribeStateMachine: ThrottledError: slow down' } },
        },
      }),
    );
    expect(unread.findings.map((f) => `${f.severity} ${f.code}`)).toEqual(['blocking RUNBOOK_UNAVAILABLE']);
    expect(unread.findings[0]?.message).toMatch(
      /did not answer: unknown \(got: DescribeStateMachine: Thrott/,
    );
    // A retryable read failure (throttled) is only a warning: the next read (Preflight retries) decides.
    const throttled = evaluate(
      context({
        runbooks: {
          [WEST]: {
            arn: RUNBOOK,
            status: { unknown: 'DescribeStateMachine: ThrottledError: slow down', retryable: true },
          },
        },
      }),
    );
    expect(throttled.verdict).toBe('READY');
    expect(throttled.findings.map((f) => `${f.severity} ${f.code}`)).toEqual(['warning RUNBOOK_UNAVAILABLE']);
    // Only the target's runbook counts: the source's (not a failover's region) is not read here.
    expect(codes(context({ target: WEST, runbooks: { [EAST]: { arn: 'x', status: 'DELETING' } } }))).toEqual(
      [],
    );
  });
});

describe('warm pools (issue 14)', () => {
  it.each([
    ['missing', { warmPool: undefined }, ['blocking WARM_POOL_MISSING']],
    [
      'smaller than the plan gives',
      { warmPool: { poolState: 'Stopped', size: 2, warmed: 2 } },
      ['warning WARM_POOL_SMALL'],
    ],
    [
      'not yet warmed',
      { warmPool: { poolState: 'Stopped', size: 5, warmed: 3 } },
      ['warning WARM_POOL_NOT_WARMED'],
    ],
    ['warmed count unread (no DescribeWarmPool)', { warmPool: { poolState: 'Stopped', size: 5 } }, []],
  ] as const)('%s', (_name, over, expected) => {
    expect(codes(context({ observation: withWestGroup(over) }))).toEqual(expected);
  });

  it('says what was got and expected for a small pool', () => {
    const { findings } = evaluate(
      context({ observation: withWestGroup({ warmPool: { poolState: 'Stopped', size: 2, warmed: 2 } }) }),
    );
    expect(findings[0]).toMatchObject({
      resource: 'orders-web-usw2',
      message: expect.stringMatching(/warm pool of 2 instances \(expected 5: .*desired 1 and max 24\)/),
    });
  });

  it('a plan without a pool (billing) gets no warm pool finding', () => {
    if (!billing) throw new Error('plans/billing.yaml missing');
    const seen = withWestGroup({ warmPool: undefined });
    const web = seen.capacity[0] as { group: string };
    web.group = billing.compute?.autoScalingGroups[0]?.name ?? 'billing-api';
    expect(
      codes(context({ plan: billing, observation: seen })).filter((c) => c.includes('WARM_POOL')),
    ).toEqual([]);
  });
});

describe('the health-checks traffic method (issue 9)', () => {
  const switched = (switchRegion: AppObservation['traffic']['switchRegion']) => {
    const seen = observation();
    return { ...seen, traffic: { ...seen.traffic, switchRegion } } as AppObservation;
  };

  it('the traffic switch naming another region than the recorded active one disagrees', () => {
    expect(codes(context({ observation: switched(WEST) }))).toEqual(['blocking HEALTH_ENDPOINT_DISAGREES']);
    expect(codes(context({ observation: switched(WEST), mode: 'ungraceful' }))).toEqual([
      'warning HEALTH_ENDPOINT_DISAGREES',
    ]);
    expect(codes(context({ observation: switched(EAST) }))).toEqual([]);
    // A running execution moves the switch itself (Preflight's own run).
    expect(codes(context({ observation: switched(WEST), self: 'x' }))).toEqual([]);
  });

  it('an unread switch is unknown, a warning, never blocking', () => {
    const { verdict, findings } = evaluate(
      context({
        observation: switched({ unknown: 'traffic switch: RegionUnavailableError: us-east-1 down' }),
      }),
    );
    expect(verdict).toBe('READY');
    expect(findings).toEqual([
      expect.objectContaining({
        code: 'HEALTH_ENDPOINT_UNKNOWN',
        severity: 'warning',
        message: expect.stringMatching(/unknown \(got: traffic switch: RegionUnavailableError/),
      }),
    ]);
  });
});

describe('a source that answers nothing', () => {
  it('blocks a graceful failover once, as SOURCE_UNREACHABLE, and is no finding for an ungraceful one', () => {
    const seen = { ...observation(), reachable: { [EAST]: false, [WEST]: true } };
    const down = seen.clusters[0]?.regions as Record<string, unknown>;
    down[EAST] = { unknown: 'shop-global in us-east-1: RegionUnavailableError', retryable: true };
    expect(codes(context({ observation: seen }))).toEqual(['blocking SOURCE_UNREACHABLE']);
    expect(codes(context({ observation: seen, mode: 'ungraceful' }))).toEqual([]);
  });
});

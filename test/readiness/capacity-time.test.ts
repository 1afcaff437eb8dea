import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import type { GroupReadiness } from '../../functions/observer/observe.js';
import { CAPACITY_SECONDS, capacityTime } from '../../functions/readiness/capacity-time.js';
import { REALISTIC } from '../../sandbox/latency.js';

// The expected capacity time readiness answers with, with and without a warm pool: pure.

const plans = await loadPlans('plans');
const web = plans.find((p) => p.name === 'orders')?.compute?.autoScalingGroups[0];
if (!web) throw new Error('plans/orders.yaml has no Auto Scaling group');

const standby = (over: Partial<GroupReadiness> = {}): GroupReadiness => ({
  healthyInService: 1,
  pending: 0,
  waiting: 0,
  notServing: 0,
  notServingReasons: [],
  desired: 1,
  max: 24,
  activeDesired: 6,
  healthyPercent: 16.7,
  ready: false,
  minimumMet: false,
  ...over,
});

describe('capacityTime', () => {
  it.each([
    [
      'a Stopped pool covering every instance: a warm start',
      { poolState: 'Stopped', size: 5, warmed: 5 },
      5,
      60,
    ],
    ['a Hibernated pool: a resume', { poolState: 'Hibernated', size: 5, warmed: 5 }, 5, 50],
    ['a Running pool: only Pending', { poolState: 'Running', size: 5 }, 5, 35],
    [
      'a pool too small: the rest launch from nothing, nothing saved',
      { poolState: 'Stopped', size: 5, warmed: 2 },
      2,
      120,
    ],
  ] as const)('%s', (_name, warmPool, fromPool, withPoolSeconds) => {
    expect(capacityTime(web, standby({ warmPool }))).toEqual({
      group: web.name,
      needed: 5,
      fromPool,
      withPoolSeconds,
      withoutPoolSeconds: 120,
    });
  });

  it('no pool: null with it; a group already at its active profile needs nothing', () => {
    expect(capacityTime(web, standby())).toMatchObject({ withPoolSeconds: null, withoutPoolSeconds: 120 });
    expect(
      capacityTime(web, standby({ healthyInService: 6, warmPool: { poolState: 'Stopped', size: 0 } })),
    ).toEqual({ group: web.name, needed: 0, fromPool: 0, withPoolSeconds: 0, withoutPoolSeconds: 0 });
  });

  it("uses the figures the sandbox simulates (each side cites them; neither imports the other's)", () => {
    const { autoscaling, elb } = REALISTIC;
    expect(CAPACITY_SECONDS.launch * 1000).toBe(autoscaling.launchMs);
    for (const state of ['Stopped', 'Hibernated', 'Running'] as const)
      expect((CAPACITY_SECONDS.warmStart[state] ?? 0) * 1000).toBe(autoscaling.warmStartMs[state]);
    expect(CAPACITY_SECONDS.healthCheck * 1000).toBe(elb.healthCheckIntervalMs);
  });
});

/**
 * The single-app failover cases of `npm run bench` (bench/run.ts), shared with bench/timeline.ts.
 */
import type { Plan } from '../functions/core/plan.js';
import { parseScenario, type Scenario } from '../sandbox/scenario.js';

/** One failover case: a scenario's events against the example plans. */
export interface Case {
  readonly name: string;
  readonly strategy: string;
  /** Whether `orders` keeps the warm pool its plan declares (false: launched from nothing). */
  readonly warmPool?: boolean;
  readonly events: unknown[];
}

export const CASES: Case[] = [
  {
    name: 'warm standby with a Stopped warm pool, graceful',
    strategy: 'warm-standby',
    warmPool: true,
    events: [
      { at: 0, failover: { app: 'orders', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'bench' } },
      { at: 5, approve: { app: 'orders', by: 'bob' } },
    ],
  },
  {
    name: 'warm standby with a Stopped warm pool, ungraceful',
    strategy: 'warm-standby',
    warmPool: true,
    events: [
      { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
      {
        at: 0,
        failover: { app: 'orders', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'bench' },
      },
      { at: 5, approve: { app: 'orders', by: 'bob' } },
    ],
  },
  {
    name: 'warm standby, graceful switchover',
    strategy: 'warm-standby',
    events: [
      { at: 0, failover: { app: 'orders', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'bench' } },
      { at: 5, approve: { app: 'orders', by: 'bob' } },
    ],
  },
  {
    name: 'warm standby, ungraceful after a region outage',
    strategy: 'warm-standby',
    events: [
      { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
      {
        at: 0,
        failover: { app: 'orders', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'bench' },
      },
      { at: 5, approve: { app: 'orders', by: 'bob' } },
    ],
  },
  {
    name: 'pilot light, graceful switchover',
    strategy: 'pilot-light',
    events: [
      {
        at: 0,
        failover: { app: 'billing', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'bench' },
      },
    ],
  },
  {
    // billing moves traffic with Route 53 records, whose API lives in us-east-1: with us-east-1 down
    // it cannot fail over (a scenario test shows it). Here the source is impaired, not gone.
    name: 'pilot light, ungraceful',
    strategy: 'pilot-light',
    events: [
      {
        at: 0,
        failover: { app: 'billing', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'bench' },
      },
    ],
  },
];

/** A case's scenario, as the bench runs every case: realistic latency, seed 1, one virtual hour at most. */
export function caseScenario(c: Case): Scenario {
  return parseScenario({ name: c.name, latency: 'realistic', seed: 1, timeout: 3600, events: c.events });
}

/** The plans with every warm pool removed: instances launch from nothing. */
export function withoutWarmPools(plans: readonly Plan[]): Plan[] {
  return plans.map((plan) =>
    plan.compute
      ? {
          ...plan,
          compute: {
            ...plan.compute,
            autoScalingGroups: plan.compute.autoScalingGroups.map(({ warmPool: _pool, ...group }) => group),
          },
        }
      : plan,
  );
}

import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

/**
 * The simulator's own work for N apps failing over at once, in operations (not time, which
 * depends on this machine): apps the ground truth re-read, timers the virtual clock fired, API
 * calls answered. Each must grow linearly with the apps: per app, the same at 8 apps as at 2.
 */
async function workOf(apps: number) {
  const plans = generatedPlans(apps);
  let work = { appsEvaluated: 0, timers: 0, calls: 0 };
  const report = await simulate(
    plans,
    parseScenario({
      name: `${apps} apps fail over at once`,
      latency: 'fast',
      seed: 1,
      timeout: 3600,
      events: plans.map((plan) => ({
        at: 0,
        failover: { app: plan.name, to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'test' },
      })),
    }),
    {
      inspect: (sandbox) => {
        work = {
          appsEvaluated: sandbox.aws.truth.evaluations().appsEvaluated,
          timers: sandbox.clock.firedTimers(),
          calls: sandbox.aws.simulator.log.length,
        };
      },
    },
  );
  expect(report.executions.filter((e) => e.status === 'SUCCEEDED')).toHaveLength(apps);
  return { appsEvaluated: work.appsEvaluated / apps, timers: work.timers / apps, calls: work.calls / apps };
}

describe('the simulator costs O(1) per app', { timeout: 300_000 }, () => {
  it('re-reads, timers and calls per app stay flat from 2 to 8 apps failing over at once', async () => {
    const two = await workOf(2);
    const eight = await workOf(8);
    // Quadratic work (every change re-reading every app) would be 4x per app at 8 apps.
    expect(eight.appsEvaluated).toBeLessThan(1.25 * two.appsEvaluated);
    expect(eight.timers).toBeLessThan(1.25 * two.timers);
    expect(eight.calls).toBeLessThan(1.25 * two.calls);
  });
});

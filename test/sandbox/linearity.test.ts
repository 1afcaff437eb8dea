import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { REGION_POLLER_MIN_PLANS } from '../../functions/runbook/context.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

/**
 * The simulator's own work for N apps failing over at once, in operations (not time, which
 * depends on this machine): apps the ground truth re-read, timers the virtual clock fired, API
 * calls answered. Each must grow linearly with the apps: per app, the same at 10 apps as at 5.
 * Both counts are at least REGION_POLLER_MIN_PLANS, so both runs' waits are read by the region
 * poller (a fixed cost per region and second, which more apps share).
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
  it('re-reads, timers and calls per app stay flat from 5 to 10 apps failing over at once', async () => {
    expect(REGION_POLLER_MIN_PLANS).toBeLessThanOrEqual(5);
    const five = await workOf(5);
    const ten = await workOf(10);
    // Quadratic work (every change re-reading every app) would be 2x per app at 10 apps.
    expect(ten.appsEvaluated).toBeLessThan(1.25 * five.appsEvaluated);
    expect(ten.timers).toBeLessThan(1.25 * five.timers);
    expect(ten.calls).toBeLessThan(1.25 * five.calls);
  });
});

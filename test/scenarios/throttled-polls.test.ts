import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import type { CallRecord } from '../../sandbox/aws/simulator.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

const plans = await loadPlans('plans');

describe('a throttled poll is unknown, not a failed step', { timeout: 300_000 }, () => {
  it('orders fails over while AWS throttles every DescribeAutoScalingGroups in the target for 90 s', async () => {
    const calls: CallRecord[] = [];
    // From 15 s (the approval is in; CheckCapacity and the database's capacity gate are polling)
    // to 105 s, every read of the target's groups is throttled, after the SDK's own retries too.
    // Failing each throttled poll, Step Functions' retries (5, at most 50 s of backoff) ran out
    // and the run failed; polled again after a backoff, it waits the throttling out.
    const report = await simulate(
      plans,
      parseScenario({
        name: 'throttled capacity polls',
        latency: 'realistic',
        seed: 1,
        timeout: 1800,
        events: [
          {
            at: 0,
            failover: { app: 'orders', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'test' },
          },
          { at: 5, approve: { app: 'orders', by: 'bob' } },
          {
            at: 15,
            fault: {
              kind: 'api-errors',
              service: 'autoscaling',
              region: 'us-west-2',
              operation: 'DescribeAutoScalingGroups',
              error: 'Throttling',
              rate: 1,
            },
          },
          { at: 105, clear: 'all' },
        ],
      }),
      {
        inspect: (sandbox) => {
          const t0 = sandbox.clock.start;
          for (const c of sandbox.aws.simulator.log)
            calls.push({
              ...c,
              startedAt: (c.startedAt - t0) / 1000,
              finishedAt: (c.finishedAt - t0) / 1000,
            });
        },
      },
    );
    const [execution] = report.executions;
    expect(report.executions).toHaveLength(1);
    expect(execution?.status, execution?.error).toBe('SUCCEEDED');
    expect(execution?.steps.filter((s) => s.status === 'FAILED')).toEqual([]);

    // The polls were throttled all along the window, and then answered.
    const polls = calls.filter(
      (c) => c.operation === 'DescribeAutoScalingGroups' && c.region === 'us-west-2',
    );
    const throttled = polls.filter((c) => c.error === 'Throttling');
    expect(throttled.length).toBeGreaterThan(10);
    expect(Math.min(...throttled.map((c) => c.startedAt))).toBeLessThan(20);
    expect(Math.max(...throttled.map((c) => c.startedAt))).toBeGreaterThan(90);
    expect(polls.some((c) => c.ok && c.startedAt >= 105)).toBe(true);
    // Backed off while throttled: far fewer polls than one a second (each poll is up to 3
    // attempts), and the run ends soon after the throttling does (a backoff is at most 20 s).
    expect(throttled.length).toBeLessThan(3 * 90);
    expect(execution?.rtoSeconds).toBeLessThan(105 + 20 + 120);
    expect(report.invariants.every((i) => i.held)).toBe(true);
  });
});

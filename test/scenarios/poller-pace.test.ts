import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { POLL_FLOOR_MS, POLL_SHARE, SUSTAINED_PER_SECOND } from '../../functions/evacuation/poll-budget.js';
import type { CallRecord, OperationRecord } from '../../sandbox/aws/simulator.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

// The region poller at its budget's pace (functions/evacuation/poll-budget.ts): one app's parked
// promotion is read every 333 ms (RDS: one DescribeGlobalClusters a pass, a quarter of 12 calls a
// second), so its end is seen, and the run's traffic moved, well before RDS's event (0.5 s by our
// assumption) and the waker's read would. Virtual seconds, realistic profile, seed 1.

const plans = await loadPlans('plans');

const ungraceful = [
  { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
  { at: 0, failover: { app: 'orders', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'test' } },
  { at: 5, approve: { app: 'orders', by: 'bob' } },
];

async function run(events: unknown[]) {
  const scenario = parseScenario({
    name: 'poller-pace',
    latency: 'realistic',
    seed: 1,
    timeout: 1800,
    events,
  });
  const t0 = Date.parse(scenario.start);
  let operations: OperationRecord[] = [];
  let calls: CallRecord[] = [];
  const report = await simulate(plans, scenario, {
    inspect: (sandbox) => {
      operations = [...sandbox.aws.simulator.operations];
      calls = [...sandbox.aws.simulator.log];
    },
  });
  const seconds = (at: number | undefined) => ((at ?? Number.NaN) - t0) / 1000;
  const op = (name: string) => operations.find((o) => o.name === name && o.app === 'orders');
  return { report, calls, op, seconds };
}

describe('the region poller at its budget', { timeout: 300_000 }, () => {
  it("sees one app's promotion done, and moves its traffic, within 0.75 s of its end, with RDS's events lost", async () => {
    const { report, calls, op, seconds } = await run([
      { at: 0, fault: { kind: 'service-events-lost', source: 'aws.rds' } },
      ...ungraceful,
    ]);
    expect(report.executions[0]?.status).toBe('SUCCEEDED');
    const failoverEnd = seconds(op('rds:failover')?.finishedAt);
    const trafficMoved = seconds(op('arc:propagation')?.startedAt);
    // Without the poller only the parked step's 5 s fallback and ShiftTraffic would see it.
    expect(trafficMoved - failoverEnd).toBeGreaterThan(0);
    expect(trafficMoved - failoverEnd).toBeLessThan(0.75);
    // The poller read it: its DescribeGlobalClusters in the target region, one a pass, within
    // its budget over the promotion's two minutes (plus the floor's rounding).
    const polls = calls.filter(
      (c) => c.executionId?.startsWith('poller-') && c.service === 'rds' && c.region === 'us-west-2',
    );
    expect(polls.length).toBeGreaterThan(100);
    const span = (polls.at(-1)?.startedAt ?? 0) - (polls[0]?.startedAt ?? 0);
    const perSecond = (polls.length - 1) / (span / 1000);
    expect(perSecond).toBeLessThanOrEqual(POLL_SHARE * SUSTAINED_PER_SECOND.rds + 1e-9);
    expect(perSecond).toBeGreaterThan(1000 / POLL_FLOOR_MS / 2);
  });
});

import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

// The RPO of an ungraceful failover started long into an outage. While the writer's region is out
// the replication lag metric stops (the sandbox publishes none, as AWS's stops), so a read of the
// last 5 minutes finds nothing 10 minutes in. The RPO is then the lag last seen before the metric
// stopped, labelled with that datapoint's time; unknown only when there is no datapoint at all.
// Virtual seconds, fast profile.

const plans = await loadPlans('plans');
const OUTAGE_AT = 120;
const FAILOVER_AT = OUTAGE_AT + 600;

describe('RPO of an ungraceful failover started 10 minutes into an outage', () => {
  it('is the replication lag last seen before the metric stopped, with when it was seen', async () => {
    // Arrange: us-east-1 (orders' writer) goes down at 120 s; the failover is asked at 720 s.
    const scenario = parseScenario({
      latency: 'fast',
      seed: 1,
      timeout: 1800,
      events: [
        { at: OUTAGE_AT, fault: { kind: 'region-outage', region: 'us-east-1' } },
        {
          at: FAILOVER_AT,
          failover: { app: 'orders', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'outage' },
        },
        { at: FAILOVER_AT + 1, approve: { app: 'orders', by: 'bob' } },
      ],
    });

    // Act: the simulator's call log kept, each call with the execution it is attributed to
    let calls: { operation: string; executionId?: string }[] = [];
    const report = await simulate(plans, scenario, {
      inspect: (sandbox: Sandbox) => {
        calls = sandbox.aws.simulator.log.map((c) => ({
          operation: c.operation,
          ...(c.executionId ? { executionId: c.executionId } : {}),
        }));
      },
    });

    // Assess: measured (not "not measured"), from the minute before the outage, and labelled so
    const execution = report.executions[0];
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.rpoSeconds).toEqual(expect.any(Number));
    expect(execution?.rpoSeconds).toBeGreaterThan(0);
    expect(execution?.rpoLastSeenAt).toBeGreaterThanOrEqual(OUTAGE_AT - 60);
    expect(execution?.rpoLastSeenAt).toBeLessThanOrEqual(OUTAGE_AT);
    // The calls its steps made carry its id (filtering the call log by execution finds them): the
    // promotion and the lag read that gave the RPO among them.
    const own = new Set(calls.filter((c) => c.executionId === execution?.id).map((c) => c.operation));
    expect([...own]).toEqual(expect.arrayContaining(['FailoverGlobalCluster', 'GetMetricData']));
  });
});

import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { WAKE_FALLBACK_SECONDS } from '../../functions/runbook/context.js';
import type { OperationRecord } from '../../sandbox/aws/simulator.js';
import { REALISTIC } from '../../sandbox/latency.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

// Event-driven wake-ups (functions/runbook/wake.ts): a parked step is woken by RDS's event (or by
// the capacity branch) well within its poll fallback, and without the events the fallback still
// completes the run. Times are virtual seconds, realistic profile.

const plans = await loadPlans('plans');

/** Plays `events` and returns the report, the operations and RDS events seen, times from the start. */
async function run(events: unknown[], options: { plans?: typeof plans } = {}) {
  const scenario = parseScenario({ name: 'wake-ups', latency: 'realistic', seed: 1, timeout: 1800, events });
  const t0 = Date.parse(scenario.start);
  let operations: OperationRecord[] = [];
  let rdsEvents: string[] = [];
  const report = await simulate(options.plans ?? plans, scenario, {
    inspect: (sandbox) => {
      operations = [...sandbox.aws.simulator.operations];
      rdsEvents = sandbox.aws.eventBridge.published
        .filter((e) => e.source === 'aws.rds')
        .map((e) => String(e.detail.EventID));
    },
  });
  const seconds = (at: number | undefined) => ((at ?? Number.NaN) - t0) / 1000;
  const ended = (name: string) => seconds(operations.find((o) => o.name === name)?.finishedAt);
  const started = (name: string) => seconds(operations.find((o) => o.name === name)?.startedAt);
  const execution = report.executions[0];
  const step = (name: string) => execution?.steps.find((s) => s.name === name);
  return { report, execution, step, ended, started, rdsEvents };
}

const pilotLight = [
  { at: 0, failover: { app: 'billing', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'test' } },
];

describe('wake-ups', () => {
  it("pilot light: RDS's instance-created and failover-completed events wake the parked steps within a second or so, not the 5 s fallback", async () => {
    const { execution, step, ended, rdsEvents } = await run(pilotLight);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(rdsEvents).toEqual(expect.arrayContaining(['RDS-EVENT-0005', 'RDS-EVENT-0238']));
    // The reader became available, RDS said so (after its 0.5 s delivery delay), the waker read
    // RDS and answered the token, and CheckPrepare read it available.
    const readerLag = (step('PrepareDatabase')?.finishedAt ?? Number.NaN) - ended('rds:create-instance');
    expect(readerLag).toBeGreaterThan(REALISTIC.eventBridge.serviceEventDelayMs / 1000);
    expect(readerLag).toBeLessThan(1.5);
    const promotionLag = (step('PromoteDatabase')?.finishedAt ?? Number.NaN) - ended('rds:failover');
    expect(promotionLag).toBeLessThan(1.5);
    expect(WAKE_FALLBACK_SECONDS).toBeGreaterThanOrEqual(5);
  });

  it('with the events lost, the parked steps end their wait on the poll fallback and the run still succeeds', async () => {
    const { execution, step, ended, rdsEvents } = await run([
      { at: 0, fault: { kind: 'service-events-lost', source: 'aws.rds' } },
      ...pilotLight,
    ]);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(rdsEvents).toEqual([]);
    const readerLag = (step('PrepareDatabase')?.finishedAt ?? Number.NaN) - ended('rds:create-instance');
    // Found by a check after a parked Task's timeout: later than an event, within one fallback.
    expect(readerLag).toBeLessThan(WAKE_FALLBACK_SECONDS + 1.5);
    const promotionLag = (step('PromoteDatabase')?.finishedAt ?? Number.NaN) - ended('rds:failover');
    expect(promotionLag).toBeLessThan(WAKE_FALLBACK_SECONDS + 1.5);
  });

  it('graceful: the capacity branch wakes the database branch parked on it, which starts the switchover within a second or so', async () => {
    const { execution, step, started } = await run([
      { at: 0, failover: { app: 'orders', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'test' } },
      { at: 5, approve: { app: 'orders', by: 'bob' } },
    ]);
    expect(execution?.status).toBe('SUCCEEDED');
    const capacityReady = step('ScaleCapacity')?.finishedAt ?? Number.NaN;
    const switchoverStarted = started('rds:switchover');
    expect(switchoverStarted).toBeGreaterThan(capacityReady);
    expect(switchoverStarted - capacityReady).toBeLessThan(1.5);
  });
});

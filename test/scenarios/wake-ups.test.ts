import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { WAKE_FALLBACK_SECONDS } from '../../functions/runbook/context.js';
import type { CallRecord, OperationRecord } from '../../sandbox/aws/simulator.js';
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
  let log: CallRecord[] = [];
  const report = await simulate(options.plans ?? plans, scenario, {
    inspect: (sandbox) => {
      operations = [...sandbox.aws.simulator.operations];
      log = [...sandbox.aws.simulator.log];
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
  /** Who called `operation` (the execution the call was made for, `-` outside any), answered or refused. */
  const calls = (operation: string) =>
    log.filter((c) => c.operation === operation).map((c) => c.executionId ?? '-');
  return { report, execution, step, ended, started, rdsEvents, calls };
}

const pilotLight = [
  { at: 0, failover: { app: 'billing', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'test' } },
];

describe('wake-ups', () => {
  it("pilot light: the region poller's watch of the new reader starts the failover within one pass, a read and the call; RDS's events still arrive, and the promotion's end wakes its step within a second or so", async () => {
    const { execution, step, ended, started, rdsEvents, calls } = await run(pilotLight);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(rdsEvents).toEqual(expect.arrayContaining(['RDS-EVENT-0005', 'RDS-EVENT-0238']));
    // The reader became available; the poller's next pass (at most 667 ms later at its budget: two
    // RDS calls a pass, `pollIntervalMs`) read it (its table query 70 ms, RDS 250 ms), fenced the
    // run (70 ms) and called FailoverGlobalCluster (250 ms): sooner than RDS's event (0.5 s, the
    // sandbox's assumption) and the waker's read and call would (1.02 s).
    const readerToFailover = started('rds:failover') - ended('rds:create-instance');
    expect(readerToFailover).toBeGreaterThan(0.25);
    expect(readerToFailover).toBeLessThan(0.667 + 0.07 + 0.25 + 0.07 + 0.25 + 0.05);
    // Exactly one promotion: the watch started it, the event's waker and PromoteDatabase followed.
    expect(calls('FailoverGlobalCluster')).toEqual([expect.stringMatching(/^poller-us-west-2-/)]);
    const readerLag = (step('PrepareDatabase')?.finishedAt ?? Number.NaN) - ended('rds:create-instance');
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

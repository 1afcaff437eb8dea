import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { leaseSecondsFor } from '../../functions/runbook/begin.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { type SimulationReport, simulate } from '../../sandbox/simulate.js';

// One accepted request per app and a lock never left held or lapsed, played as scenarios through
// the sandbox and asserted on the ground-truth report. Times are virtual seconds.

const plans = await loadPlans('plans');
const planOf = (name: string) => {
  const plan = plans.find((p) => p.name === name);
  if (!plan) throw new Error(`no plan ${name}`);
  return plan;
};

function play(
  scenario: Record<string, unknown>,
  inspect?: (sandbox: Sandbox) => void | Promise<void>,
): Promise<SimulationReport> {
  return simulate(
    plans,
    parseScenario({ latency: 'fast', seed: 3, ...scenario }),
    inspect ? { inspect } : {},
  );
}

const failoversOf = (report: SimulationReport, app: string) =>
  report.requests.filter((r) => r.kind === 'failover' && r.app === app);

// Whole scenarios take real CPU: on a shared two-core machine that can outlast the default
// real-time budget. Every bound asserted is in virtual time.
describe('requests and locks (ground truth)', { timeout: 300_000 }, () => {
  it('two requests at the same virtual instant: one accepted and run, the other refused naming it', async () => {
    let started: string[] = [];
    const report = await play(
      {
        timeout: 1200,
        events: [
          { at: 5, failover: { app: 'billing', to: 'us-west-2', by: 'alice', reason: 'first' } },
          { at: 5, failover: { app: 'billing', to: 'us-west-2', by: 'carol', reason: 'second' } },
        ],
      },
      (sandbox) => {
        // Runbook executions: the region's poller (`poller-<region>-<epoch>`), which reads the
        // promotion for every run, is not one.
        started = sandbox.stepFunctions
          .list()
          .map((e) => e.name)
          .filter((name) => !name.startsWith('poller-'));
      },
    );

    const requests = failoversOf(report, 'billing');
    expect(requests).toHaveLength(2);
    const accepted = requests.filter((r) => r.accepted);
    const refused = requests.filter((r) => !r.accepted);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const winner = accepted[0]?.executionId;
    expect(refused[0]?.error).toMatch(/^FailoverInProgressError: /);
    expect(refused[0]?.error).toContain(`locked by ${winner}`);
    // The refused request started nothing: one runbook execution, and it succeeded.
    expect(started).toEqual([winner]);
    expect(report.executions).toHaveLength(1);
    expect(report.executions[0]).toMatchObject({ id: winner, status: 'SUCCEEDED', to: 'us-west-2' });
    expect(report.final.billing).toEqual({
      activeRegion: 'us-west-2',
      status: 'ACTIVE',
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
      writers: { 'billing-global': ['us-west-2'] },
    });
    expect(report.invariants.every((i) => i.held)).toBe(true);
  });

  it("lists the requests in the order of the scenario's events, whichever was answered first", async () => {
    // The approval at 0.01 s is answered (refused: no execution yet) before the failover's dry run
    // at 0 s has answered; the report still lists the failover first.
    const report = await play({
      timeout: 600,
      events: [
        { at: 0, failover: { app: 'orders', to: 'us-west-2', by: 'alice', reason: 'first' } },
        { at: 0.01, approve: { app: 'orders', by: 'bob' } },
        { at: 30, approve: { app: 'orders', by: 'bob' } },
      ],
    });

    expect(report.requests.map((r) => [r.at, r.kind, r.accepted])).toEqual([
      [0, 'failover', true],
      [0.01, 'approve', false],
      [30, 'approve', true],
    ]);
  });

  it('a Begin that crashes more often than its Retry allows leaves no lock held: the next request runs', async () => {
    // BeginExecution's Retry allows 1 + 3 attempts on Lambda.Unknown: crash all four.
    const report = await play({
      timeout: 1800,
      events: [
        { at: 0, fault: { kind: 'lambda-crash', step: 'BeginExecution', times: 4 } },
        { at: 5, failover: { app: 'billing', to: 'us-west-2', by: 'alice', reason: 'crashes' } },
        { at: 60, failover: { app: 'billing', to: 'us-west-2', by: 'carol', reason: 'again' } },
      ],
    });

    const [crashed, retried] = failoversOf(report, 'billing');
    expect(crashed?.accepted).toBe(true);
    // 55 s later, far inside the lease the crashed Begin took (leaseSecondsFor), the app is free.
    expect(60 - 5).toBeLessThan(leaseSecondsFor(planOf('billing')));
    expect(retried?.accepted).toBe(true);
    const byId = new Map(report.executions.map((e) => [e.id, e]));
    expect(byId.get(String(crashed?.executionId))?.status).toBe('FAILED');
    expect(byId.get(String(retried?.executionId))?.status).toBe('SUCCEEDED');
    expect(report.final.billing?.activeRegion).toBe('us-west-2');
    expect(report.invariants.every((i) => i.held)).toBe(true);
  });

  it('an approval wait longer than the working lease keeps the lock: a request during it is refused', async () => {
    // orders needs an approval (timeout: the plan's default 3600 s); its working lease is shorter.
    const orders = planOf('orders');
    const lateRequestAt = leaseSecondsFor(orders) + 200;
    expect(orders.approvals.operatorFailover).toBe('required');
    expect(orders.approvals.timeoutSeconds).toBeGreaterThan(lateRequestAt + 100);

    const report = await play({
      timeout: lateRequestAt + 1200,
      events: [
        { at: 0, failover: { app: 'orders', to: 'us-west-2', by: 'alice', reason: 'waits long' } },
        { at: lateRequestAt, failover: { app: 'orders', to: 'us-west-2', by: 'carol', reason: 'me too' } },
        { at: lateRequestAt + 100, approve: { app: 'orders', by: 'bob' } },
      ],
    });

    const [first, late] = failoversOf(report, 'orders');
    expect(first?.accepted).toBe(true);
    expect(late?.accepted).toBe(false);
    expect(late?.error).toMatch(/^FailoverInProgressError: /);
    expect(late?.error).toContain(`locked by ${first?.executionId}`);
    const approval = report.requests.find((r) => r.kind === 'approve');
    expect(approval).toMatchObject({ accepted: true, executionId: first?.executionId });
    expect(report.executions).toHaveLength(1);
    expect(report.executions[0]).toMatchObject({ id: first?.executionId, status: 'SUCCEEDED' });
    expect(report.final.orders?.activeRegion).toBe('us-west-2');
  });
});

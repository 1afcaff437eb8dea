import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CASES, caseScenario } from '../../bench/cases.js';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans, parsePlans } from '../../functions/core/plan-loader.js';
import type { CallRecord } from '../../sandbox/aws/simulator.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

// Capacity prepared while the approval waits (`approvals.capacity`, docs/contracts.md): the
// target's Auto Scaling group scales out as the wait begins, the promotion and traffic still wait
// for the approver, and a run that is never approved gives the capacity back. Virtual seconds.

const plans = await loadPlans('plans');

/** The example plans with orders' `approvals` line replaced. */
async function ordersApprovals(approvals: string): Promise<Plan[]> {
  const sources = await Promise.all(
    ['orders.yaml', 'billing.yaml'].map(async (file) => {
      const text = await readFile(`plans/${file}`, 'utf8');
      return {
        file,
        text:
          file === 'orders.yaml'
            ? text.replace('approvals: { operatorFailover: required }', approvals)
            : text,
      };
    }),
  );
  return parsePlans(sources);
}

const request = (mode: 'graceful' | 'ungraceful') => ({
  at: 0,
  failover: { app: 'orders', to: 'us-west-2', mode, by: 'alice', reason: 'approval-capacity test' },
});

/** Plays a scenario; returns the report, the call log and orders' group in us-west-2 at the end. */
async function play(events: unknown[], withPlans: readonly Plan[] = plans) {
  let calls: CallRecord[] = [];
  let desired: number | undefined;
  const scenario = parseScenario({ latency: 'fast', seed: 1, timeout: 900, events });
  const report = await simulate(withPlans, scenario, {
    inspect: (sandbox) => {
      calls = [...sandbox.aws.simulator.log];
      desired = sandbox.aws.autoScaling.group('us-west-2', 'orders-web-usw2')?.desired;
    },
  });
  const t0 = Date.parse(scenario.start);
  /** Virtual seconds from the scenario start of each successful call of `operation` in us-west-2. */
  const at = (operation: string) =>
    calls
      .filter((c) => c.operation === operation && c.region === 'us-west-2' && c.ok)
      .map((c) => (c.startedAt - t0) / 1000);
  return { report, at, desired };
}

describe('capacity while the approval waits', () => {
  it('pooled ungraceful bench case: Begin writes in one round, the group launches before the approval, control plane under 1.9 s', async () => {
    const pooled = CASES.find((c) => c.name === 'warm standby with a Stopped warm pool, ungraceful');
    if (!pooled) throw new Error('bench case missing from bench/cases.ts');
    const scenario = caseScenario(pooled);
    let calls: CallRecord[] = [];
    const report = await simulate(plans, scenario, {
      inspect: (sandbox) => {
        calls = [...sandbox.aws.simulator.log];
      },
    });
    const execution = report.executions[0];
    expect(execution?.status).toBe('SUCCEEDED');
    const t0 = Date.parse(scenario.start);
    const approvedAt = t0 + 5_000; // the case's approve event
    const own = calls.filter((c) => c.executionId === execution?.id && c.ok);
    const firstScale = own.find((c) => c.operation === 'UpdateAutoScalingGroup');
    const promotion = own.find((c) => c.operation === 'FailoverGlobalCluster');
    // The launch starts at the request's verdict, under its lock (the request's own update, outside
    // any execution), and the wait's repeats it, both seconds before the approver answers; the
    // database promotion still waits for the approval.
    const requestScale = calls.find(
      (c) => c.operation === 'UpdateAutoScalingGroup' && c.executionId === undefined && c.ok,
    );
    expect(requestScale?.startedAt).toBeLessThan(t0 + 1_000);
    expect(firstScale?.caller).toBe('RequestApproval');
    expect(firstScale?.startedAt).toBeLessThan(approvedAt - 3_000);
    expect(promotion?.startedAt).toBeGreaterThan(approvedAt);
    // Begin adopts the reservation the API handed over in one round of writes: it reads nothing
    // (before, the state, the lock and the record, then its writes: two DynamoDB round trips).
    const begin = own.filter((c) => c.caller === 'BeginExecution');
    expect(begin.length).toBeGreaterThan(0);
    expect(begin.filter((c) => c.operation === 'GetItem' || c.operation === 'Query')).toEqual([]);
    const rounds = new Set(begin.map((c) => c.startedAt));
    expect(rounds.size).toBe(1);
    // 2.30 s when the launch began after the approval (its 0.53 s gap: SendTaskSuccess, the Map,
    // ScaleCapacity's fence and UpdateAutoScalingGroup, now inside the approval wait).
    expect(execution?.controlPlaneSeconds).toBeLessThan(1.9);
  });

  it('an approval that times out: ABORTED, the capacity scaled out during the wait is back at standby', async () => {
    const short = await ordersApprovals('approvals: { operatorFailover: required, timeoutSeconds: 60 }');
    const { report, at, desired } = await play([request('ungraceful')], short);

    const execution = report.executions[0];
    expect(execution?.status).toBe('ABORTED');
    const updates = at('UpdateAutoScalingGroup');
    // Out at the request's verdict and again as the wait began (idempotent), back once it timed
    // out (RecordFailure, from Auto Scaling's answer).
    expect(updates).toHaveLength(3);
    expect(updates[1]).toBeLessThan(5);
    expect(updates[2]).toBeGreaterThanOrEqual(60);
    expect(desired).toBe(1); // orders' standby profile
    expect(report.final.orders?.writerRegion).toBe('us-east-1');
  });

  it('aborted while it waits: the capacity is given back by the abort', async () => {
    const { report, at, desired } = await play([
      request('graceful'),
      { at: 30, abort: { app: 'orders', by: 'carol', reason: 'not today' } },
    ]);

    expect(report.executions[0]?.status).toBe('ABORTED');
    const updates = at('UpdateAutoScalingGroup');
    expect(updates).toHaveLength(3); // the request's, the wait's (idempotent), the abort's
    expect(updates[1]).toBeLessThan(5);
    expect(updates[2]).toBeGreaterThanOrEqual(30);
    expect(desired).toBe(1);
  });

  it('approvals.capacity: after-approval keeps the old order: nothing scales before the approval', async () => {
    const after = await ordersApprovals(
      'approvals: { operatorFailover: required, capacity: after-approval }',
    );
    const { report, at } = await play(
      [request('graceful'), { at: 30, approve: { app: 'orders', by: 'bob' } }],
      after,
    );

    expect(report.executions[0]?.status).toBe('SUCCEEDED');
    const updates = at('UpdateAutoScalingGroup');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates[0]).toBeGreaterThanOrEqual(30);
  });
});

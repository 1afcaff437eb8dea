import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans, parsePlans } from '../../functions/core/plan-loader.js';
import { REALISTIC } from '../../sandbox/latency.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { loadScenario, parseScenario } from '../../sandbox/scenario.js';
import { type SimulationReport, simulate } from '../../sandbox/simulate.js';

const plans = await loadPlans('plans');

/** Plays a scenario file or an inline scenario; `inspect` sees the sandbox before it closes. */
async function play(
  scenario: string | Record<string, unknown>,
  options: { plans?: readonly Plan[]; inspect?: (sandbox: Sandbox) => void | Promise<void> } = {},
): Promise<SimulationReport> {
  const parsed =
    typeof scenario === 'string' ? await loadScenario(`scenarios/${scenario}.yaml`) : parseScenario(scenario);
  return simulate(options.plans ?? plans, parsed, options.inspect ? { inspect: options.inspect } : {});
}

/** The example plans with one plan's YAML edited. */
async function plansWith(file: string, edit: (text: string) => string): Promise<Plan[]> {
  const sources = await Promise.all(
    ['orders.yaml', 'billing.yaml'].map(async (f) => {
      const text = await readFile(`plans/${f}`, 'utf8');
      return { file: f, text: f === file ? edit(text) : text };
    }),
  );
  return parsePlans(sources);
}

const only = <T>(items: readonly T[]): T => {
  expect(items).toHaveLength(1);
  return items[0] as T;
};

/** The three placements every scenario agrees on: the record, the writer and the traffic. */
function placement(
  final:
    | { activeRegion: string | null; writerRegion: string | null; trafficRegion: string | null }
    | undefined,
) {
  return (
    final && {
      activeRegion: final.activeRegion,
      writerRegion: final.writerRegion,
      trafficRegion: final.trafficRegion,
    }
  );
}

describe('scenarios in the sandbox (ground truth)', () => {
  it('graceful switchover: RPO 0, writer and traffic in the target, a short outage, invariants held', async () => {
    const report = await play('graceful-switchover');
    const execution = only(report.executions);
    expect(execution).toMatchObject({
      app: 'orders',
      mode: 'graceful',
      from: 'us-east-1',
      to: 'us-west-2',
      status: 'SUCCEEDED',
      rpoSeconds: 0,
    });
    expect(execution.approvalWaitSeconds).toBeGreaterThan(0);
    expect(execution.rtoSeconds).toBeLessThan(300); // the plan's objective
    expect(placement(report.final.orders)).toEqual({
      activeRegion: 'us-west-2',
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
    });
    expect(report.invariants.every((i) => i.held)).toBe(true);
    // Every AWS change it made had finished when the run ended.
    expect(report.pendingAtEnd).toEqual([]);
    // Users lose service only while the writer switches over and DNS follows (resolvers keep the
    // old answer for the TTL): bounded by those two, whatever the capacity step took. (Not by the
    // RTO: with a quick capacity step the TTL after the traffic change outlasts it.)
    const outage = report.outages.filter((o) => o.app === 'orders').reduce((s, o) => s + o.seconds, 0);
    expect(outage).toBeLessThan((REALISTIC.aurora.switchoverMs + REALISTIC.route53.dnsTtlMs) / 1000 + 10);
    // The recorded RTO is rounded to 0.1 s; the two parts are not: they differ by at most half of
    // that (toBeCloseTo's `< 0.05` failed on 0.05 plus float noise).
    const parts = execution.awsBusySeconds + (execution.controlPlaneSeconds ?? 0);
    expect(Math.abs(parts - (execution.rtoSeconds ?? 0))).toBeLessThanOrEqual(0.05 + 1e-9);
  });

  it('region outage: ungraceful failover succeeds without the failed region, RPO is the replication lag', async () => {
    let callsIntoFailedRegion = 0;
    const report = await play('region-outage', {
      inspect: (sandbox) => {
        callsIntoFailedRegion = sandbox.aws.simulator.log.filter(
          (c) => c.region === 'us-east-1' && c.ok && c.executionId !== undefined,
        ).length;
      },
    });
    const execution = only(report.executions);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.rpoSeconds).toBeGreaterThan(0);
    expect(execution.rpoSeconds).toBeLessThanOrEqual(30); // under the plan's RPO objective
    expect(callsIntoFailedRegion).toBe(0);
    expect(placement(report.final.orders)).toEqual({
      activeRegion: 'us-west-2',
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
    });
    // The outage starts with the region and ends once DNS follows the routing control.
    const outage = only(report.outages.filter((o) => o.app === 'orders'));
    expect(outage.from).toBe(0);
    expect(outage.to).toBeLessThan(300);
  });

  it('pilot light: capacity is launched from zero, and the headless secondary gets a reader the RTO pays for', async () => {
    const report = await play('pilot-light');
    const execution = only(report.executions);
    expect(execution).toMatchObject({ app: 'billing', runbook: 'pilot-light', status: 'SUCCEEDED' });
    const scale = execution.steps.filter((s) => s.name === 'ScaleCapacity');
    expect(scale).toHaveLength(2);
    // Launches from nothing: at least the fastest launch the model draws (90 s - 10%).
    for (const step of scale)
      expect((step.finishedAt ?? 0) - step.startedAt).toBeGreaterThan(
        (REALISTIC.autoscaling.launchMs * 0.9) / 1000,
      );
    // billing's secondary is headless: PrepareDatabase adds a reader and waits for it (8 minutes in
    // the realistic profile) before the promotion, which AWS refuses to a cluster without one.
    const prepare = only(execution.steps.filter((s) => s.name === 'PrepareDatabase'));
    const promote = only(execution.steps.filter((s) => s.name === 'PromoteDatabase'));
    expect(prepare.status).toBe('SUCCEEDED');
    expect((prepare.finishedAt ?? 0) - prepare.startedAt).toBeGreaterThanOrEqual(
      REALISTIC.aurora.instanceCreateMs / 1000,
    );
    // The promotion starts once the reader exists: the waker may start it as it reads the reader
    // available, a moment before PrepareDatabase's entry is closed (docs/architecture.md, Wake-ups).
    expect(promote.startedAt).toBeGreaterThanOrEqual(
      prepare.startedAt + REALISTIC.aurora.instanceCreateMs / 1000,
    );
    expect(promote.startedAt).toBeGreaterThan((prepare.finishedAt ?? 0) - 1);
    expect(execution.rtoSeconds).toBeGreaterThan(REALISTIC.aurora.instanceCreateMs / 1000);
    expect(placement(report.final.billing)).toEqual({
      activeRegion: 'us-west-2',
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
    });
  });

  it('Route 53 control plane down and two ARC endpoints down: traffic still moves, with ARC', async () => {
    let route53Calls = 0;
    const report = await play('route53-down', {
      inspect: (sandbox) => {
        // The run's Route 53 API calls (its control plane, down here); the name servers it asks
        // (DNS questions, Route 53's data plane) answer through the outage and are not API calls.
        route53Calls = sandbox.aws.simulator.log.filter(
          (c) => c.service === 'route53' && !c.operation.startsWith('DNS ') && c.executionId !== undefined,
        ).length;
      },
    });
    expect(only(report.executions).status).toBe('SUCCEEDED');
    expect(route53Calls).toBe(0);
    expect(report.final.orders?.trafficRegion).toBe('us-west-2');
  });

  it('two requests for one app: exactly one runs, the other is refused with a clear error', async () => {
    const report = await play({
      latency: 'fast',
      events: [
        {
          at: 0,
          failover: { app: 'billing', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'first' },
        },
        {
          at: 0,
          failover: {
            app: 'billing',
            to: 'us-west-2',
            mode: 'ungraceful',
            by: 'carol',
            reason: 'second, same instant',
          },
        },
        {
          at: 2,
          failover: { app: 'billing', to: 'us-west-2', mode: 'graceful', by: 'dave', reason: 'third, later' },
        },
      ],
    });
    const accepted = report.requests.filter((r) => r.accepted);
    const refused = report.requests.filter((r) => !r.accepted);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.error).toMatch(/^FailoverInProgressError: billing is locked by /);
    expect(report.executions.filter((e) => e.status === 'SUCCEEDED')).toHaveLength(1);
    expect(report.final.billing?.writerRegion).toBe('us-west-2');
  });

  it('a step Lambda crashing twice is retried, and the database is promoted once, never flipped back', async () => {
    let promotions = 0;
    const report = await play(
      {
        latency: 'fast',
        events: [
          { at: 0, fault: { kind: 'lambda-crash', step: 'PromoteDatabase', times: 2 } },
          {
            at: 1,
            failover: {
              app: 'billing',
              to: 'us-west-2',
              mode: 'ungraceful',
              by: 'alice',
              reason: 'crash test',
            },
          },
        ],
      },
      {
        inspect: (sandbox) => {
          promotions = sandbox.aws.simulator.log.filter(
            (c) => c.operation === 'FailoverGlobalCluster' && c.ok,
          ).length;
        },
      },
    );
    expect(only(report.executions).status).toBe('SUCCEEDED');
    expect(promotions).toBe(1);
    expect(placement(report.final.billing)).toEqual({
      activeRegion: 'us-west-2',
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
    });
    expect(report.invariants.every((i) => i.held)).toBe(true);
  });

  it('approval: waits, refuses self-approval, proceeds on another approver', async () => {
    const report = await play({
      latency: 'fast',
      events: [
        {
          at: 0,
          failover: {
            app: 'orders',
            to: 'us-west-2',
            mode: 'graceful',
            by: 'carol',
            reason: 'needs approval',
          },
        },
        { at: 30, approve: { app: 'orders', by: 'carol' } },
        { at: 60, approve: { app: 'orders', by: 'bob' } },
      ],
    });
    const [request, selfApproval, approval] = report.requests;
    expect(request?.accepted).toBe(true);
    expect(selfApproval).toMatchObject({ kind: 'approve', by: 'carol', accepted: false });
    expect(selfApproval?.error).toMatch(/^ForbiddenError: .*self-approval/i);
    expect(approval).toMatchObject({ kind: 'approve', by: 'bob', accepted: true });
    const execution = only(report.executions);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.approvalWaitSeconds).toBeGreaterThanOrEqual(59);
    // Nothing moved while it waited: the step after approval starts after bob's approval.
    const promote = execution.steps.find((s) => s.name === 'PromoteDatabase');
    expect(promote?.startedAt).toBeGreaterThanOrEqual(60);
  });

  it("acts as the sandbox's users: victor (viewer) may not approve, bob (approver) may not request; the API's 403 is reported", async () => {
    const report = await play({
      latency: 'fast',
      events: [
        {
          at: 0,
          failover: { app: 'orders', to: 'us-west-2', mode: 'graceful', by: 'bob', reason: 'not mine' },
        },
        {
          at: 1,
          failover: {
            app: 'orders',
            to: 'us-west-2',
            mode: 'graceful',
            by: 'alice',
            reason: 'needs approval',
          },
        },
        { at: 30, approve: { app: 'orders', by: 'victor' } },
        { at: 60, approve: { app: 'orders', by: 'bob' } },
      ],
    });

    const [byBob, byAlice, byVictor, approval] = report.requests;
    expect(byBob).toMatchObject({ kind: 'failover', by: 'bob', accepted: false });
    expect(byBob?.error).toMatch(/^ForbiddenError: .*needs role operator/);
    expect(byAlice).toMatchObject({ by: 'alice', accepted: true });
    expect(byVictor).toMatchObject({ kind: 'approve', by: 'victor', accepted: false });
    expect(byVictor?.error).toMatch(/^ForbiddenError: .*needs role approver/);
    expect(approval).toMatchObject({ kind: 'approve', by: 'bob', accepted: true });
    const execution = only(report.executions);
    expect(execution.status).toBe('SUCCEEDED');
    // Victor's approval at 30 did not end the wait: bob's at 60 did.
    expect(execution.approvalWaitSeconds).toBeGreaterThan(50);
  });
  it('approval timeout: the execution ends ABORTED, nothing moved, the lock is free again', async () => {
    const shortApproval = await plansWith('orders.yaml', (t) =>
      t.replace(
        'approvals: { operatorFailover: required }',
        'approvals: { operatorFailover: required, timeoutSeconds: 60 }',
      ),
    );
    const report = await play(
      {
        latency: 'fast',
        events: [
          {
            at: 0,
            failover: {
              app: 'orders',
              to: 'us-west-2',
              mode: 'graceful',
              by: 'alice',
              reason: 'nobody approves',
            },
          },
          {
            at: 120,
            failover: {
              app: 'orders',
              to: 'us-west-2',
              mode: 'graceful',
              by: 'carol',
              reason: 'after the timeout',
            },
          },
        ],
      },
      { plans: shortApproval },
    );
    const [first, second] = report.executions;
    expect(first?.status).toBe('ABORTED');
    expect(first?.steps.some((s) => s.name === 'PromoteDatabase')).toBe(false);
    expect(report.requests[1]?.accepted).toBe(true); // the lock was released
    expect(second?.id).toBe(report.requests[1]?.executionId);
    expect(report.final.orders?.writerRegion).toBe('us-east-1');
  });

  it('Aurora failover failing, detach not allowed: fails cleanly, traffic stays where the writer is', async () => {
    const report = await play({
      latency: 'fast',
      events: [
        { at: 0, fault: { kind: 'aurora-failover-fails', globalClusterId: 'orders-global' } },
        {
          at: 1,
          failover: {
            app: 'orders',
            to: 'us-west-2',
            mode: 'ungraceful',
            by: 'alice',
            reason: 'failover will fail',
          },
        },
        { at: 5, approve: { app: 'orders', by: 'bob' } },
      ],
    });
    const execution = only(report.executions);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toMatch(/DatabasePromotionFailedError/);
    expect(placement(report.final.orders)).toEqual({
      activeRegion: 'us-east-1',
      writerRegion: 'us-east-1',
      trafficRegion: 'us-east-1',
    });
    expect(report.invariants.every((i) => i.held)).toBe(true);
  });

  it('Aurora failover failing, detach allowed: detach-and-promote as a last resort', async () => {
    const detachable = await plansWith('orders.yaml', (t) =>
      t
        .replace('allowDetachAndPromote: false', 'allowDetachAndPromote: true')
        .replace('approvals: { operatorFailover: required }', 'approvals: { operatorFailover: none }'),
    );
    let detaches = 0;
    const report = await play(
      {
        latency: 'fast',
        events: [
          { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
          { at: 0, fault: { kind: 'aurora-failover-fails', globalClusterId: 'orders-global' } },
          {
            at: 1,
            failover: {
              app: 'orders',
              to: 'us-west-2',
              mode: 'ungraceful',
              by: 'alice',
              reason: 'last resort',
            },
          },
        ],
      },
      {
        plans: detachable,
        inspect: (sandbox) => {
          detaches = sandbox.aws.simulator.log.filter(
            (c) => c.operation === 'RemoveFromGlobalCluster' && c.ok,
          ).length;
        },
      },
    );
    const execution = only(report.executions);
    expect(execution.status).toBe('SUCCEEDED');
    expect(detaches).toBe(1);
    expect(execution.rpoSeconds).toBeGreaterThan(0);
    expect(report.final.orders?.writerRegion).toBe('us-west-2');
    expect(report.final.orders?.trafficRegion).toBe('us-west-2');
  });

  it('Aurora engine versions differ: the failover AWS refuses becomes the manual one (detach), or fails saying why', async () => {
    const detachable = await plansWith('orders.yaml', (t) =>
      t
        .replace('allowDetachAndPromote: false', 'allowDetachAndPromote: true')
        .replace('approvals: { operatorFailover: required }', 'approvals: { operatorFailover: none }'),
    );
    const mismatch = {
      kind: 'engine-version-mismatch',
      globalClusterId: 'orders-global',
      region: 'us-west-2',
    };
    let detaches = 0;
    const ungraceful = await play(
      {
        latency: 'fast',
        events: [
          { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
          { at: 0, fault: mismatch },
          {
            at: 1,
            failover: { app: 'orders', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'versions' },
          },
        ],
      },
      {
        plans: detachable,
        inspect: (sandbox) => {
          detaches = sandbox.aws.simulator.log.filter(
            (c) => c.operation === 'RemoveFromGlobalCluster' && c.ok,
          ).length;
        },
      },
    );
    const graceful = await play(
      {
        latency: 'fast',
        events: [
          { at: 0, fault: mismatch },
          {
            at: 1,
            failover: { app: 'orders', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'versions' },
          },
        ],
      },
      { plans: detachable },
    );

    expect(only(ungraceful.executions).status).toBe('SUCCEEDED');
    expect(detaches).toBe(1);
    expect(ungraceful.final.orders?.writerRegion).toBe('us-west-2');
    // The graceful request's dry run (readiness) refuses it before anything starts, saying why.
    expect(graceful.executions).toEqual([]);
    expect(only(graceful.requests).error).toMatch(
      /^NotReadyError: .*ENGINE_VERSION_MISMATCH: .*engine version 16\.2, writer in us-east-1 runs 16\.4/,
    );
    expect(graceful.final.orders?.writerRegion).toBe('us-east-1');
  });

  it('Aurora engine versions differ and the plan allows no detach: an ungraceful run stops at Preflight, before it scales anything', async () => {
    const noApproval = await plansWith('orders.yaml', (t) =>
      t.replace('approvals: { operatorFailover: required }', 'approvals: { operatorFailover: none }'),
    );
    const report = await play(
      {
        latency: 'fast',
        events: [
          {
            at: 0,
            fault: { kind: 'engine-version-mismatch', globalClusterId: 'orders-global', region: 'us-west-2' },
          },
          {
            at: 1,
            failover: { app: 'orders', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'versions' },
          },
        ],
      },
      { plans: noApproval },
    );
    const execution = only(report.executions);

    expect(execution.status).toBe('FAILED');
    // Read from the target alone: its RDS says the global database (the writer) runs 16.4.
    expect(execution.error).toMatch(
      /ENGINE_VERSION_MISMATCH .*engine version 16\.2, the global database runs 16\.4 .*does not allow detach-and-promote/,
    );
    expect(execution.steps.map((s) => s.name)).not.toContain('ScaleCapacity');
    expect(execution.steps.map((s) => s.name)).not.toContain('PromoteDatabase');
    expect(report.final.orders?.writerRegion).toBe('us-east-1');
  });

  it('a Route 53-only plan cannot move traffic while us-east-1 (its control plane) is down, and says so', async () => {
    const report = await play({
      latency: 'fast',
      timeout: 900,
      events: [
        { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
        {
          at: 1,
          failover: { app: 'billing', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'no ARC' },
        },
      ],
    });
    const execution = only(report.executions);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toMatch(/RegionUnavailableError: .*route53\.us-east-1/);
    // Nothing was half-done: the database was never promoted.
    expect(execution.steps.some((s) => s.name === 'PromoteDatabase')).toBe(false);
  });

  it('a Route 53 change still PENDING when the run ends is reported as such, and the truth has not moved', async () => {
    // Prepare: billing's record change stays PENDING for two hours; the run ends long before.
    const report = await play({
      latency: 'fast',
      timeout: 3600,
      events: [
        { at: 0, fault: { kind: 'route53-change-stuck', seconds: 7200 } },
        {
          at: 1,
          failover: { app: 'billing', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'stuck' },
        },
      ],
    });
    // Assess: the run gave up polling, and the report says which change was still pending, whose
    // and until when, while the ground truth still sends users to us-east-1.
    const execution = only(report.executions);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toMatch(/WaitTimedOutError: Route 53 change \/change\/\w+: not done/);
    const pending = only(report.pendingAtEnd);
    expect(pending).toMatchObject({
      operation: 'route53:change',
      resource: expect.stringMatching(/^\/change\/\w+$/),
      app: 'billing',
      count: 1,
      // Made by the region poller (or the waker, WakeOnEvent), outside the run, for it once its promotion
      // was done: the run is named, not null.
      executionId: execution.id,
    });
    expect(execution.error).toContain(pending.resource ?? '?');
    expect(pending.dueAt).toBeGreaterThan(report.endedAt);
    expect(pending.dueAt).toBeGreaterThan(7200);
    expect(report.final.billing?.trafficRegion).toBe('us-east-1');
  });

  it('capacity shortage below healthyPercent (graceful): says so, and traffic does not move to the unready region', async () => {
    // billing's RTO objective (900 s) sets its waits' budget (`pollBudgetSeconds`): at 120 s, the
    // capacity wait and the promotion's gate on it give up after minutes, not half an hour of
    // virtual polling (a third of the CPU), and the outcome asserted is the same.
    const quickBudget = await plansWith('billing.yaml', (t) =>
      t.replace('rtoSeconds: 900', 'rtoSeconds: 120'),
    );
    const report = await play(
      {
        latency: 'fast',
        events: [
          { at: 0, fault: { kind: 'capacity-shortage', group: 'billing-api-usw2', maxInService: 1 } },
          {
            at: 1,
            failover: {
              app: 'billing',
              to: 'us-west-2',
              mode: 'graceful',
              by: 'alice',
              reason: 'short on capacity',
            },
          },
        ],
      },
      { plans: quickBudget },
    );
    const execution = only(report.executions);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toMatch(/CapacityNotReadyError: .*billing-api/);
    // It gave up within the budget the plan set (120 s for capacity, twice that for the gate).
    expect(execution.finishedAt).toBeLessThan(400);
    expect(placement(report.final.billing)).toEqual({
      activeRegion: 'us-east-1',
      writerRegion: 'us-east-1',
      trafficRegion: 'us-east-1',
    });
  });

  it('capacity shortage in an ungraceful failover: moves once the documented minimum is met', async () => {
    const report = await play({
      latency: 'fast',
      events: [
        { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
        { at: 0, fault: { kind: 'capacity-shortage', group: 'orders-web-usw2', maxInService: 3 } },
        {
          at: 1,
          failover: {
            app: 'orders',
            to: 'us-west-2',
            mode: 'ungraceful',
            by: 'alice',
            reason: 'degraded beats down',
          },
        },
        { at: 2, approve: { app: 'orders', by: 'bob' } },
      ],
    });
    const execution = only(report.executions);
    expect(execution.status).toBe('SUCCEEDED');
    const scale = execution.steps.find((s) => s.name === 'ScaleCapacity');
    expect(scale?.status).toBe('SUCCEEDED');
    expect(report.final.orders?.trafficRegion).toBe('us-west-2');
  });

  it('failback: a graceful activation of the original region', async () => {
    const report = await play({
      latency: 'fast',
      events: [
        {
          at: 0,
          failover: { app: 'billing', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'there' },
        },
        {
          at: 300,
          failover: { app: 'billing', to: 'us-east-1', mode: 'graceful', by: 'alice', reason: 'and back' },
        },
      ],
    });
    expect(report.executions.map((e) => [e.from, e.to, e.status])).toEqual([
      ['us-east-1', 'us-west-2', 'SUCCEEDED'],
      ['us-west-2', 'us-east-1', 'SUCCEEDED'],
    ]);
    expect(report.executions.every((e) => e.rpoSeconds === 0)).toBe(true);
    expect(placement(report.final.billing)).toEqual({
      activeRegion: 'us-east-1',
      writerRegion: 'us-east-1',
      trafficRegion: 'us-east-1',
    });
  });

  it('an alarm sustained for sustainSeconds fails over by itself (automatic detection)', async () => {
    const report = await play('alarm-automatic');
    const execution = only(report.executions);
    expect(execution).toMatchObject({
      trigger: 'alarm',
      mode: 'ungraceful',
      to: 'us-west-2',
      status: 'SUCCEEDED',
    });
    // Decided no earlier than the alarm (at 30 s) plus the plan's sustainSeconds (120 s).
    expect(execution.startedAt).toBeGreaterThanOrEqual(150);
    expect(report.final.orders?.writerRegion).toBe('us-west-2');
  });

  it("a DR drill: there and back gracefully, with a report of each leg's RTO and RPO against the objectives", async () => {
    const report = await play({
      latency: 'fast',
      events: [{ at: 0, drill: { app: 'billing', by: 'alice', soakSeconds: 120 } }],
    });
    expect(report.requests[0]).toMatchObject({ kind: 'drill', accepted: true });
    expect(report.executions.map((e) => [e.trigger, e.mode, e.from, e.to, e.status])).toEqual([
      ['schedule', 'graceful', 'us-east-1', 'us-west-2', 'SUCCEEDED'],
      ['schedule', 'graceful', 'us-west-2', 'us-east-1', 'SUCCEEDED'],
    ]);
    const [back, there] = [report.executions[1], report.executions[0]];
    expect((back?.startedAt ?? 0) - (there?.finishedAt ?? 0)).toBeGreaterThanOrEqual(120); // the soak
    const drill = only(report.drills);
    expect(drill).toMatchObject({ app: 'billing', outcome: 'PASSED', executionIds: [there?.id, back?.id] });
    expect(drill.detail?.legs).toEqual([
      expect.objectContaining({ to: 'us-west-2', rpoSeconds: 0, rtoSeconds: there?.rtoSeconds }),
      expect.objectContaining({ to: 'us-east-1', rpoSeconds: 0, rtoSeconds: back?.rtoSeconds }),
    ]);
    expect(placement(report.final.billing)).toEqual({
      activeRegion: 'us-east-1',
      writerRegion: 'us-east-1',
      trafficRegion: 'us-east-1',
    });
  });

  it('a drill that cannot complete is reported FAILED with the reason', async () => {
    // billing's RTO objective sets its waits' budget, as in the capacity shortage above: at 120 s
    // (not 900 s) the first leg's capacity wait gives up after 2 minutes, not 15, and the run ends
    // at about 580 virtual seconds instead of 2,150 (4 s of CPU instead of 9 at load 13), with the
    // same outcome.
    const quickBudget = await plansWith('billing.yaml', (t) =>
      t.replace('rtoSeconds: 900', 'rtoSeconds: 120'),
    );
    const report = await play(
      {
        latency: 'fast',
        events: [
          { at: 0, fault: { kind: 'capacity-shortage', group: 'billing-api-usw2', maxInService: 1 } },
          { at: 1, drill: { app: 'billing', by: 'alice' } },
        ],
      },
      { plans: quickBudget },
    );
    const drill = only(report.drills);
    expect(drill.outcome).toBe('FAILED');
    expect(JSON.stringify(drill.detail?.problems)).toMatch(/FAILED: CapacityNotReadyError/);
    expect(report.final.billing?.writerRegion).toBe('us-east-1');
    // Its cost, in virtual time: the leg gave up within the budget the plan set (120 s for
    // capacity, twice that for the promotion's gate on it), and the run ended soon after.
    expect(only(report.executions).finishedAt).toBeLessThan(400);
    expect(report.endedAt).toBeLessThan(800);
  });

  it.each([
    ['FinishExecution', 'after it released the lock'],
    ['RunDrill', 'while starting a leg'],
  ])('a drill survives %s crashing once (%s): retries report, they do not redo', async (step) => {
    const report = await play({
      latency: 'fast',
      events: [
        { at: 1, fault: { kind: 'lambda-crash', step, times: 1 } },
        { at: 2, drill: { app: 'billing', by: 'alice', soakSeconds: 5 } },
      ],
    });
    expect(report.executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(only(report.drills).outcome).toBe('PASSED');
    expect(placement(report.final.billing)).toEqual({
      activeRegion: 'us-east-1',
      writerRegion: 'us-east-1',
      trafficRegion: 'us-east-1',
    });
  });

  it('a failure path that cannot read the writer touches nothing and marks the app DEGRADED', async () => {
    let status: string | undefined;
    const report = await play(
      {
        latency: 'fast',
        events: [
          {
            at: 1,
            failover: {
              app: 'billing',
              to: 'us-west-2',
              mode: 'graceful',
              by: 'alice',
              reason: 'reads fail',
            },
          },
          {
            // After the writer moved (billing's headless secondary first gets a reader, 24 s in the
            // fast profile; the promotion ends at 30.8 s), while traffic moves (until 33.1 s) and
            // before verification reads the writer.
            at: 32,
            fault: {
              kind: 'api-errors',
              service: 'rds',
              region: 'us-west-2',
              error: 'ThrottlingException',
              rate: 1,
            },
          },
        ],
      },
      {
        inspect: async (sandbox) => {
          status = (await sandbox.run(sandbox.region('us-west-2').deps.store.getState('billing')))?.status;
        },
      },
    );
    expect(only(report.executions).status).toBe('FAILED');
    expect(status).toBe('DEGRADED');
    // Nothing was undone blindly: users are still served, from the region the writer moved to.
    expect(report.final.billing).toMatchObject({ writerRegion: 'us-west-2', trafficRegion: 'us-west-2' });
    const last = report.outages.filter((o) => o.app === 'billing').at(-1);
    expect(last?.to).toBeLessThan(report.endedAt);
  });

  it('throttling on half the calls in the target region: retried with backoff, the failover still succeeds', async () => {
    let throttled = 0;
    const report = await play(
      {
        latency: 'fast',
        events: [
          {
            at: 0,
            fault: {
              kind: 'api-errors',
              service: 'rds',
              region: 'us-west-2',
              error: 'ThrottlingException',
              rate: 0.5,
            },
          },
          {
            at: 0,
            fault: {
              kind: 'api-errors',
              service: 'autoscaling',
              region: 'us-west-2',
              error: 'Throttling',
              rate: 0.5,
            },
          },
          {
            at: 0,
            fault: {
              kind: 'api-errors',
              service: 'dynamodb',
              region: 'us-west-2',
              error: 'ThrottlingException',
              rate: 0.3,
            },
          },
          {
            at: 1,
            failover: {
              app: 'billing',
              to: 'us-west-2',
              mode: 'ungraceful',
              by: 'alice',
              reason: 'under load',
            },
          },
        ],
      },
      {
        inspect: (sandbox) => {
          throttled = sandbox.aws.simulator.log.filter((c) => !c.ok && c.region === 'us-west-2').length;
        },
      },
    );
    expect(throttled).toBeGreaterThan(10);
    expect(only(report.executions).status).toBe('SUCCEEDED');
    expect(placement(report.final.billing)).toEqual({
      activeRegion: 'us-west-2',
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
    });
  });

  it('gives the same report on every run of the same scenario and seed', async () => {
    const first = await play('region-outage');
    const second = await play('region-outage');
    expect(second).toEqual(first);
  });
});

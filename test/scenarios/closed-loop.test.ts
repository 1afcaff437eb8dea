import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../functions/aws/state-store.js';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { type ExecutionReport, type SimulationReport, simulate } from '../../sandbox/simulate.js';

// Cases from public bug reports of this job: partial failures that left users on a region with no
// writer, or records that contradicted AWS. Every test asserts on the ground truth: the final
// writer, traffic and record agree (or the app is DEGRADED with a reason), the outage ends when a
// servable region exists, and no step is RUNNING in a finished execution.

const closedLoop = await loadPlans('test/fixtures/plans-closed-loop');
const examples = await loadPlans('plans');

interface Played {
  readonly report: SimulationReport;
  readonly audit: AuditEntry[];
  /** Step Functions' own status of each execution, by id. */
  readonly machineStatus: Record<string, string>;
}

async function play(
  events: Record<string, unknown>[],
  options: { plans?: readonly Plan[]; app?: string; latency?: 'realistic' | 'fast' } = {},
): Promise<Played> {
  const scenario = parseScenario({ latency: options.latency ?? 'realistic', timeout: 3600, events });
  let audit: AuditEntry[] = [];
  const machineStatus: Record<string, string> = {};
  const report = await simulate(options.plans ?? closedLoop, scenario, {
    inspect: async (sandbox: Sandbox) => {
      audit = await sandbox.run(sandbox.region('us-west-2').deps.store.listAudit(options.app ?? 'shop', 100));
      for (const e of sandbox.stepFunctions.list()) machineStatus[e.name] = e.status;
    },
  });
  for (const execution of report.executions) expectNoStepRunning(execution);
  return { report, audit, machineStatus };
}

function expectNoStepRunning(execution: ExecutionReport): void {
  expect(execution.steps.filter((s) => s.status === 'RUNNING').map((s) => s.name)).toEqual([]);
}

const only = <T>(items: readonly T[]): T => {
  expect(items).toHaveLength(1);
  return items[0] as T;
};

const invariant = (report: SimulationReport, name: string) => report.invariants.find((i) => i.name === name);

describe('closed loop: judged by the true state, converging after every failure', () => {
  it('detach-and-promote, then the old region returns: the returning writer is fenced within two reconciler passes', async () => {
    const { report, audit } = await play([
      { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
      { at: 0, fault: { kind: 'aurora-failover-fails', globalClusterId: 'shop-global' } },
      {
        at: 5,
        failover: { app: 'shop', to: 'us-west-2', mode: 'ungraceful', by: 'oncall', reason: 'region down' },
      },
      { at: 900, clear: { kind: 'region-outage', region: 'us-east-1' } },
    ]);
    const execution = only(report.executions.filter((e) => e.app === 'shop'));
    expect(execution.status).toBe('SUCCEEDED');
    // Two writers from the instant us-east-1 returns, until the reconciler fences the old one: one
    // pass to see it, the settle time (60 s), and the pass that acts.
    const split = invariant(report, 'single-writer');
    const violation = only(split?.violations ?? []);
    expect(violation.at).toBe(900);
    expect(violation.to).toBeLessThanOrEqual(900 + 2 * 60 + 5);
    expect(report.final.shop).toEqual({
      activeRegion: 'us-west-2',
      status: 'DEGRADED',
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
      writers: { 'shop-global': ['us-west-2'] },
    });
    const fenced = only(audit.filter((a) => a.action === 'reconciler.writer-fenced'));
    expect(fenced.detail).toMatch(
      /us-east-1 came back.*deleting its instances.*rebuild the global database from us-west-2/,
    );
    expect(invariant(report, 'traffic-follows-writer')?.held).toBe(true);
    expect(invariant(report, 'record-matches-truth')?.held).toBe(true);
  });

  it('PriorRequestNotComplete during the shift: the change is made once Route 53 takes it, users follow the writer', async () => {
    const { report } = await play(
      [
        {
          at: 5,
          failover: { app: 'ledger', to: 'us-west-2', mode: 'ungraceful', by: 'oncall', reason: 'drill' },
        },
        {
          // While capacity is still launching (InService at 90 s ±10%, serving one health check
          // later): the shift meets the fault.
          at: 100,
          fault: {
            kind: 'api-errors',
            service: 'route53',
            region: 'us-east-1',
            error: 'PriorRequestNotComplete',
            rate: 1,
          },
        },
        { at: 191.5, clear: { kind: 'api-errors', service: 'route53', region: 'us-east-1' } },
      ],
      { app: 'ledger' },
    );
    const execution = only(report.executions);
    expect(execution.status).toBe('SUCCEEDED');
    const shift = execution.steps.find((s) => s.name === 'ShiftTraffic');
    expect(shift?.finishedAt).toBeGreaterThan(191.5);
    expect(report.final.ledger).toMatchObject({
      activeRegion: 'us-west-2',
      status: 'ACTIVE',
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
    });
    // The outage ends once the change is applied and one TTL has passed (45 s + 60 s, realistic).
    const outage = only(report.outages.filter((o) => o.app === 'ledger'));
    expect(outage.to).toBeLessThanOrEqual(191.5 + 2 + 45 + 60 + 5);
    expect(report.invariants.every((i) => i.held)).toBe(true);
  });

  it('source down with only 2 of 6 instances: traffic moves to the writer at the ungraceful minimum, reported under capacity', async () => {
    const { report } = await play([
      { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
      { at: 0, fault: { kind: 'capacity-shortage', group: 'shop-web-usw2', maxInService: 2 } },
      {
        at: 5,
        failover: { app: 'shop', to: 'us-west-2', mode: 'ungraceful', by: 'oncall', reason: 'region down' },
      },
    ]);
    const execution = only(report.executions);
    expect(execution).toMatchObject({ status: 'SUCCEEDED', underCapacity: true });
    expect(report.final.shop).toEqual({
      activeRegion: 'us-west-2',
      status: 'DEGRADED', // served, but under the plan's healthyPercent: the record says so
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
      writers: { 'shop-global': ['us-west-2'] },
    });
    const outage = only(report.outages.filter((o) => o.app === 'shop'));
    expect(outage.to).toBeLessThanOrEqual((execution.finishedAt ?? 0) + 1);
    expect(report.invariants.every((i) => i.held)).toBe(true);
  });

  it('a change applied but never confirmed (GetChange fails): resolved by asking the name servers, not by assuming failure', async () => {
    const { report } = await play(
      [
        {
          at: 0,
          fault: {
            kind: 'api-errors',
            service: 'route53',
            operation: 'GetChange',
            error: 'InternalFailure',
            rate: 1,
          },
        },
        {
          at: 5,
          failover: { app: 'ledger', to: 'us-west-2', mode: 'graceful', by: 'oncall', reason: 'planned' },
        },
      ],
      { app: 'ledger' },
    );
    const execution = only(report.executions);
    expect(execution.status).toBe('SUCCEEDED');
    expect(report.final.ledger).toMatchObject({ activeRegion: 'us-west-2', trafficRegion: 'us-west-2' });
    expect(report.invariants.every((i) => i.held)).toBe(true);
  });

  it('never SUCCEEDED while the name still resolves elsewhere: verification waits for the authoritative DNS answer', async () => {
    const { report } = await play(
      [
        {
          at: 0,
          failover: { app: 'orders', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'planned' },
        },
        { at: 20, approve: { app: 'orders', by: 'bob' } },
      ],
      { plans: examples, app: 'orders' },
    );
    const execution = only(report.executions);
    expect(execution.status).toBe('SUCCEEDED');
    // ShiftTraffic's entry starts when the routing control is set (by ShiftTraffic, or by the
    // step that saw the promotion done and moved traffic first: docs/architecture.md, Wake-ups).
    const shifted = execution.steps.find((s) => s.name === 'ShiftTraffic')?.startedAt ?? 0;
    const verified = execution.steps.find((s) => s.name === 'VerifyService')?.finishedAt ?? 0;
    // The routing control is On at once; the record's RECOVERY_CONTROL health check, and so the
    // name servers' answer, follows 5 s later (realistic profile): verification waits for it.
    expect(verified - shifted).toBeGreaterThanOrEqual(5);
  });

  it('FinishExecution crashing past its retries after verified service: record, Step Functions and report all say SUCCEEDED', async () => {
    const { report, machineStatus } = await play(
      [
        { at: 0, fault: { kind: 'lambda-crash', step: 'FinishExecution', times: 10 } },
        {
          at: 5,
          failover: { app: 'ledger', to: 'us-west-2', mode: 'graceful', by: 'oncall', reason: 'planned' },
        },
      ],
      { app: 'ledger', latency: 'fast' },
    );
    const execution = only(report.executions);
    expect(execution.status).toBe('SUCCEEDED');
    expect(machineStatus[execution.id]).toBe('SUCCEEDED');
    expect(report.final.ledger).toMatchObject({ activeRegion: 'us-west-2', status: 'ACTIVE' });
  });

  it('a failed Preflight is in the steps with its error, and nothing is left RUNNING', async () => {
    // A graceful request with its source down is refused by the request's dry run (readiness); an
    // ungraceful request goes on with its findings, and Preflight (the same rules) stops it: the
    // old primary, back from its outage, is still being rebuilt (pending-resync).
    const { report } = await play(
      [
        { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
        {
          at: 5,
          failover: { app: 'shop', to: 'us-west-2', mode: 'graceful', by: 'oncall', reason: 'planned' },
        },
        {
          at: 6,
          failover: { app: 'shop', to: 'us-west-2', mode: 'ungraceful', by: 'oncall', reason: 'region down' },
        },
        { at: 300, clear: 'all' },
        {
          at: 305,
          failover: { app: 'shop', to: 'us-east-1', mode: 'ungraceful', by: 'oncall', reason: 'back' },
        },
      ],
      { latency: 'fast' },
    );
    const graceful = report.requests.find((r) => r.at === 5);
    expect(graceful?.error).toMatch(/^NotReadyError: .*SOURCE_UNREACHABLE/);
    const [away, back] = report.executions;
    expect(away?.status).toBe('SUCCEEDED');
    expect(back?.status).toBe('FAILED');
    const preflight = back?.steps.find((s) => s.name === 'Preflight');
    expect(preflight).toMatchObject({ status: 'FAILED' });
    expect(preflight?.error).toMatch(/^PreconditionFailedError: .*CLUSTER_NOT_CONNECTED/);
  });

  it('traffic left on a dead region by a failed run follows the writer once the reconciler can move it', async () => {
    const { report, audit } = await play([
      { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
      { at: 100, fault: { kind: 'arc-cluster-unavailable', endpointsDown: 5 } },
      {
        at: 5,
        failover: { app: 'shop', to: 'us-west-2', mode: 'ungraceful', by: 'oncall', reason: 'region down' },
      },
      { at: 600, clear: { kind: 'arc-cluster-unavailable' } },
    ]);
    const execution = only(report.executions);
    expect(execution.status).toBe('FAILED');
    const moved = only(audit.filter((a) => a.action === 'reconciler.traffic-moved'));
    expect(moved.detail).toMatch(/to us-west-2/);
    expect(report.final.shop).toMatchObject({
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
      activeRegion: 'us-west-2',
    });
    // Served again within two reconciler passes (the second one after the settle time) of ARC
    // answering; each pass pays the timeouts of reading the region that is down (about 16 s).
    const outage = only(report.outages.filter((o) => o.app === 'shop'));
    expect(outage.to).toBeLessThanOrEqual(600 + 2 * 60 + 20);
    expect(invariant(report, 'record-matches-truth')?.held).toBe(true);
  });
});

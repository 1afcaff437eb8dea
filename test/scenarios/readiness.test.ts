import { describe, expect, it } from 'vitest';
import type { ReadinessRecord } from '../../functions/aws/readiness-results.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { type ReadinessEntry, type SimulationReport, simulate } from '../../sandbox/simulate.js';

// Drift behind Switchyard's back is found by the scheduled readiness evaluation within one period
// (5 virtual minutes), and a graceful request while a blocking finding holds is refused with it.

const plans = await loadPlans('plans');
// The reconciler makes the record follow a moved writer once the finding has held for the plan's
// settle time; with a long one, readiness alone is what reports the drift.
const patient = plans.map((p) => ({ ...p, reconcile: { settleSeconds: 3600 } }));
const PERIOD = 300;

let kept: ReadinessRecord | undefined;

async function play(
  events: Record<string, unknown>[],
  timeout = 1200,
  use: typeof plans = plans,
  keptOf?: string,
): Promise<SimulationReport> {
  return simulate(use, parseScenario({ latency: 'fast', timeout, events }), {
    inspect: async (sandbox) => {
      if (keptOf)
        kept = await sandbox.run(sandbox.region('us-east-1').deps.readiness.get(keptOf, 'us-west-2'));
    },
  });
}

const entries = (report: SimulationReport, app: string, region: string): ReadinessEntry[] =>
  report.readiness.filter((r) => r.app === app && r.region === region);

/** The first entry at or after `from` whose findings hold `code`. */
const found = (report: SimulationReport, app: string, region: string, code: string, from: number) =>
  entries(report, app, region).find((e) => e.at >= from && e.findings.some((f) => f.code === code));

// A drift at 310 s comes after the first evaluation (300 s); a later event keeps the run going
// past the next one (600 s).
const DRIFT_AT = 310;
const KEEP_RUNNING = { at: 700, clear: 'all' };

describe('readiness: drift is found within one evaluation period', () => {
  it.each([
    {
      drift: { kind: 'routing-control', region: 'us-west-2', state: 'On' },
      app: 'orders',
      code: 'ROUTING_CONTROL_DISAGREES',
      verdict: 'NOT_READY',
    },
    {
      drift: { kind: 'asg-max', group: 'orders-web-usw2', max: 2 },
      app: 'orders',
      code: 'ASG_MAX_BELOW_ACTIVE_DESIRED',
      verdict: 'READY',
    },
    {
      drift: { kind: 'secondary-removed', globalClusterId: 'billing-global', region: 'us-west-2' },
      app: 'billing',
      code: 'SECONDARY_MISSING',
      verdict: 'NOT_READY',
    },
    {
      drift: { kind: 'writer-moved', globalClusterId: 'orders-global', to: 'us-west-2' },
      app: 'orders',
      code: 'WRITER_MOVED_OUTSIDE',
      verdict: 'READY',
    },
  ])('$drift.kind: $code', async ({ drift, app, code, verdict }) => {
    // Prepare / Act
    const report = await play([{ at: DRIFT_AT, drift }, KEEP_RUNNING], 1200, patient, app);

    // Assess: READY before the drift, the finding within one period after it
    const history = entries(report, app, 'us-west-2');
    expect(history[0]?.verdict).toBe('READY');
    expect(history[0]?.at).toBeGreaterThanOrEqual(PERIOD);
    expect(history[0]?.at).toBeLessThan(DRIFT_AT);
    expect(history[0]?.findings.filter((f) => f.severity === 'blocking')).toEqual([]);
    const seen = found(report, app, 'us-west-2', code, DRIFT_AT);
    if (verdict === 'READY') {
      // A warning changes no verdict, so no entry: the finding is on the kept result, evaluated
      // at most one period after the drift.
      expect(seen).toBeUndefined();
      expect(kept?.findings.find((f) => f.code === code)?.severity).toBe('warning');
      expect(Date.parse(kept?.evaluatedAt ?? '')).toBeGreaterThan(0);
      return;
    }
    expect(seen, JSON.stringify(report.readiness)).toBeDefined();
    expect(seen?.verdict).toBe(verdict);
    expect((seen?.at ?? Infinity) - DRIFT_AT).toBeLessThanOrEqual(PERIOD);
    const finding = seen?.findings.find((f) => f.code === code);
    expect(finding?.severity).toBe('blocking');
    expect(finding?.message).toMatch(/expected/);
  });
});

describe('readiness: the dry run of a failover request', () => {
  it('refuses a graceful request during a blocking finding with the list; an ungraceful one proceeds', async () => {
    // Prepare: a routing control flipped by hand; Act: a graceful, then an ungraceful request
    const report = await play(
      [
        { at: 10, drift: { kind: 'routing-control', region: 'us-west-2', state: 'On' } },
        {
          at: 20,
          failover: { app: 'orders', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'test' },
        },
        {
          at: 30,
          failover: { app: 'orders', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'test' },
        },
        { at: 40, approve: { app: 'orders', by: 'bob' } },
      ],
      1800,
    );

    // Assess
    const [graceful, ungraceful] = report.requests.filter((r) => r.kind === 'failover');
    expect(graceful?.accepted).toBe(false);
    expect(graceful?.error).toMatch(/^NotReadyError: .*ROUTING_CONTROL_DISAGREES/);
    expect(ungraceful?.accepted).toBe(true);
    expect(report.executions.find((e) => e.id === ungraceful?.executionId)?.status).toBe('SUCCEEDED');
  });
});

describe('readiness: one rule set with Preflight', () => {
  it('a drill after an ungraceful failover stops at Preflight while the old primary is pending-resync, before any capacity moves', async () => {
    // Prepare: orders fails over ungracefully while us-east-1 is down; us-east-1 comes back and
    // its cluster is rebuilt (pending-resync) from the new writer
    const report = await simulate(
      plans,
      parseScenario({
        latency: 'realistic',
        timeout: 3600,
        events: [
          { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
          {
            at: 5,
            failover: { app: 'orders', to: 'us-west-2', mode: 'ungraceful', by: 'carol', reason: 'down' },
          },
          { at: 10, approve: { app: 'orders', by: 'bob' } },
          { at: 900, clear: 'all' },
          // Act: a drill right after the region is back
          { at: 910, drill: { app: 'orders', by: 'carol', soakSeconds: 60 } },
        ],
      }),
    );

    // Assess
    const [failover, leg] = report.executions.filter((e) => e.app === 'orders');
    expect(failover?.status).toBe('SUCCEEDED');
    expect(leg?.status).toBe('FAILED');
    const preflight = leg?.steps.find((s) => s.name === 'Preflight');
    expect(preflight?.error).toMatch(/^PreconditionFailedError: .*CLUSTER_NOT_CONNECTED .*pending-resync/);
    expect(leg?.steps.map((s) => s.name)).not.toContain('ScaleCapacity');
    // The schedule had told it before the drill: us-east-1 was NOT_READY (down, then rebuilt).
    const before = report.readiness.filter(
      (r) => r.app === 'orders' && r.region === 'us-east-1' && r.at < 910,
    );
    expect(before.at(-1)?.verdict).toBe('NOT_READY');
  });
});

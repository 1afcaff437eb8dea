import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../functions/aws/state-store.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

const examples = await loadPlans('plans');

describe('drills on their schedule', () => {
  it("a scheduled drill runs in simulate on its plan's cron, with no request, and leaves evidence", async () => {
    // orders drills at cron(0 14 ? 1/3 TUE#2 *): 14:00 UTC on the second Tuesday of January, April,
    // July and October. The scenario starts two minutes before the one of January 2026 and has no
    // event at all; billing's (15:00) falls after its timeout.
    const scenario = parseScenario({ latency: 'realistic', start: '2026-01-13T13:58:00Z', timeout: 3600 });
    let audit: AuditEntry[] = [];
    let detection: unknown;
    const report = await simulate(examples, scenario, {
      inspect: async (sandbox: Sandbox) => {
        const deps = sandbox.region('us-east-1').deps;
        audit = await sandbox.run(deps.store.listAudit('orders', 50));
        const state = await sandbox.run(deps.store.getState('orders'));
        detection = state?.lastFailoverAt;
      },
    });

    // at: 0 is the scenario's start, after the sandbox's own setup (a few virtual ms).
    expect(Date.parse(report.start) - Date.parse('2026-01-13T13:58:00Z')).toBeLessThan(1000);
    expect(report.requests).toEqual([]);
    expect(report.drills.map((d) => d.app)).toEqual(['orders']);
    const drill = report.drills[0];
    // Fired at 14:00 (EventBridge Scheduler's 60 s window, at its start), by the schedule.
    expect(Date.parse(drill?.at ?? '') - Date.parse('2026-01-13T14:00:00Z')).toBeGreaterThanOrEqual(0);
    expect(Date.parse(drill?.at ?? '') - Date.parse('2026-01-13T14:00:00Z')).toBeLessThan(5_000);
    expect(drill).toMatchObject({
      outcome: 'PASSED',
      detail: {
        schedule: 'cron(0 14 ? 1/3 TUE#2 *)',
        startedBy: { kind: 'schedule', by: 'switchyard:drill', schedule: 'cron(0 14 ? 1/3 TUE#2 *)' },
        readinessBefore: { source: 'preflight', region: 'us-west-2', verdict: 'READY', findings: [] },
      },
    });
    expect(drill?.detail?.planSha256).toMatch(/^[0-9a-f]{64}$/);
    // Both legs ran on the schedule's trigger and met the objectives.
    const legs = report.executions.filter((e) => e.app === 'orders');
    expect(legs.map((e) => [e.from, e.to, e.trigger, e.status])).toEqual([
      ['us-east-1', 'us-west-2', 'schedule', 'SUCCEEDED'],
      ['us-west-2', 'us-east-1', 'schedule', 'SUCCEEDED'],
    ]);
    for (const leg of legs) expect(leg.rtoSeconds).toBeLessThanOrEqual(300);
    // The ground truth of the drill's window: the outages users saw during the two switchovers.
    expect(drill?.groundTruth.from).toBe(drill?.at);
    expect(drill?.groundTruth.outages.length).toBeGreaterThan(0);
    for (const outage of drill?.groundTruth.outages ?? [])
      expect(Date.parse(outage.from)).toBeGreaterThanOrEqual(Date.parse(drill?.at ?? ''));
    expect(audit.some((a) => a.action === 'drill.started' && a.actor === 'switchyard:drill')).toBe(true);
    // A drill does not arm the detection cooldown: no failover time is recorded for its legs.
    expect(detection).toBeUndefined();
    expect(report.final.orders).toMatchObject({ activeRegion: 'us-east-1', writerRegion: 'us-east-1' });
  });

  it('a rate schedule fires when the sandbox starts and every period, each drill on its own', async () => {
    const plans = examples.map((p) =>
      p.name === 'billing' && p.drills
        ? { ...p, drills: { ...p.drills, schedule: 'rate(30 minutes)', soakSeconds: 0 } }
        : { ...p, drills: undefined },
    );
    const report = await simulate(plans, parseScenario({ latency: 'fast', timeout: 2700 }));
    // At 0 and at 30 min; the next (60 min) is after the timeout.
    expect(report.drills.map((d) => [d.app, d.outcome])).toEqual([
      ['billing', 'PASSED'],
      ['billing', 'PASSED'],
    ]);
    const starts = report.drills
      .map((d) => Date.parse(d.at) - Date.parse(report.start))
      .sort((a, b) => a - b);
    expect(starts[0]).toBeLessThan(1000);
    expect(Math.abs((starts[1] ?? 0) - 30 * 60_000)).toBeLessThan(1000);
  });

  it("a drill whose Preflight fails records the target NOT_READY with Preflight's finding", async () => {
    // billing moves traffic with Route 53 records only: with Route 53's control plane down its
    // Preflight cannot read them, and the drill fails before it changes anything.
    const report = await simulate(
      examples,
      parseScenario({
        latency: 'fast',
        timeout: 1800,
        events: [
          { at: 0, fault: { kind: 'route53-control-plane-down' } },
          { at: 5, drill: { app: 'billing', by: 'alice', soakSeconds: 0 } },
        ],
      }),
    );
    const drill = report.drills.find((d) => d.app === 'billing');
    expect(drill?.outcome).toBe('FAILED');
    expect(drill?.detail?.startedBy).toEqual({ kind: 'operator', by: 'alice' });
    const readiness = drill?.detail?.readinessBefore as {
      verdict: string;
      region: string;
      findings: { code: string; severity: string; resource: string; message: string }[];
    };
    expect(readiness).toMatchObject({ verdict: 'NOT_READY', region: 'us-west-2' });
    expect(readiness.findings).toHaveLength(1);
    expect(readiness.findings[0]).toMatchObject({ severity: 'blocking', resource: 'billing' });
    expect(readiness.findings[0]?.message.length).toBeGreaterThan(0);
  });

  it("a schedule firing while the app's active region is down starts no drill", async () => {
    // us-east-1 (orders' active region) is down at 14:00: its Scheduler invokes nothing, and
    // us-west-2's RunDrill skips the drill, since only the active region's control plane runs it.
    const report = await simulate(
      examples,
      parseScenario({
        latency: 'fast',
        start: '2026-01-13T13:58:00Z',
        timeout: 600,
        events: [{ at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } }],
      }),
    );
    // The run went past the firing (14:00, 120 s in): a schedule due before the timeout keeps it going.
    expect(report.endedAt).toBeGreaterThanOrEqual(120);
    expect(report.drills).toEqual([]);
    expect(report.executions).toEqual([]);
  });
});

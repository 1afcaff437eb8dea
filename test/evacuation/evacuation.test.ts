import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import type { Plan } from '../../functions/core/plan.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { type SimulationReport, simulate } from '../../sandbox/simulate.js';

/** Four warm-standby apps with ARC: app1 and app2 in the first wave (priority 0), app3 and app4 after. */
const PLANS: Plan[] = generatedPlans(4).map((plan, i) => ({ ...plan, priority: i < 2 ? 0 : 10 }));

async function play(events: unknown[], plans: readonly Plan[] = PLANS): Promise<SimulationReport> {
  return simulate(plans, parseScenario({ latency: 'fast', seed: 1, timeout: 1800, events }));
}

const OUTAGE = { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } };
const EVACUATE = {
  at: 1,
  evacuate: {
    from: 'us-east-1',
    to: 'us-west-2',
    mode: 'ungraceful',
    by: 'alice',
    reason: 'us-east-1 is down',
  },
};

describe('region evacuation (ground truth)', () => {
  it('fails every app over in waves by priority: a wave starts once the previous one has ended', async () => {
    const report = await play([OUTAGE, EVACUATE]);

    const evacuation = report.evacuations[0];
    expect(report.evacuations).toHaveLength(1);
    expect(evacuation).toMatchObject({
      from: 'us-east-1',
      to: 'us-west-2',
      apps: 4,
      succeeded: 4,
      failed: 0,
    });
    expect(evacuation?.status).toBe('SUCCEEDED');
    expect(evacuation?.allServedAt).not.toBeNull();
    expect(evacuation?.allServedAt).toBeGreaterThan(evacuation?.startedAt ?? 0);
    for (const app of ['app1', 'app2', 'app3', 'app4']) {
      expect(report.final[app]).toMatchObject({
        activeRegion: 'us-west-2',
        writerRegion: 'us-west-2',
        trafficRegion: 'us-west-2',
      });
    }
    // Waves: the second wave's failovers were requested after every failover of the first ended.
    const byApp = new Map(report.executions.map((e) => [e.app, e]));
    const firstWaveEnd = Math.max(
      ...['app1', 'app2'].map((a) => byApp.get(a)?.finishedAt ?? Number.POSITIVE_INFINITY),
    );
    for (const app of ['app3', 'app4'])
      expect(byApp.get(app)?.startedAt).toBeGreaterThanOrEqual(firstWaveEnd);
    // The first wave ran together, not one app after the other.
    expect(Math.abs((byApp.get('app1')?.startedAt ?? 0) - (byApp.get('app2')?.startedAt ?? 99))).toBeLessThan(
      1,
    );
    expect(report.executions.every((e) => e.status === 'SUCCEEDED' && e.trigger === 'operator')).toBe(true);
    for (const invariant of report.invariants)
      expect(invariant, invariant.name).toMatchObject({ held: true });
  });

  it('paces and retries requests a throttled service refuses, and every app still fails over', async () => {
    // Step Functions in us-west-2 throttles most StartExecution calls: the SDK's own retries do
    // not get every start through, so the evacuation must pace the rest.
    const throttle = {
      at: 0,
      fault: {
        kind: 'api-errors',
        service: 'sfn',
        region: 'us-west-2',
        operation: 'StartExecution',
        error: 'ThrottlingException',
        rate: 0.8,
      },
    };
    const report = await play([OUTAGE, throttle, { ...EVACUATE, at: 1 }]);

    const evacuation = report.evacuations[0];
    expect(evacuation).toMatchObject({ apps: 4, succeeded: 4, failed: 0 });
    // Some app needed more than the SDK's retries: its request was tried again on a later poll.
    expect(evacuation?.outcomes.some((o) => /tried again/.test(o.error ?? ''))).toBe(true);
    expect(evacuation?.allServedAt).not.toBeNull();
  });

  it('one app that cannot fail over fails alone: the others succeed, and the next wave still runs', async () => {
    const report = await play([
      OUTAGE,
      { at: 0, fault: { kind: 'aurora-failover-fails', globalClusterId: 'app1-global' } },
      EVACUATE,
    ]);

    const evacuation = report.evacuations[0];
    expect(evacuation).toMatchObject({
      apps: 4,
      succeeded: 3,
      failed: 1,
      status: 'FAILED',
      allServedAt: null,
    });
    const outcome = (app: string) => evacuation?.outcomes.find((o) => o.app === app);
    expect(outcome('app1')?.status).toBe('FAILED');
    expect(outcome('app1')?.error).toBeTruthy();
    for (const app of ['app2', 'app3', 'app4']) {
      expect(outcome(app)?.status).toBe('SUCCEEDED');
      expect(outcome(app)?.servedAt).not.toBeNull();
    }
  });

  it('refuses a second evacuation of a region while the first runs, naming it; the first ends SUCCEEDED', async () => {
    const second = { ...EVACUATE.evacuate, mode: 'graceful', reason: 'again' };
    const report = await play([
      OUTAGE,
      { ...EVACUATE, evacuate: { ...EVACUATE.evacuate, idempotencyKey: 'first' } },
      { at: 2, evacuate: second },
      // The same key with the same request still answers the first one.
      { at: 3, evacuate: { ...EVACUATE.evacuate, idempotencyKey: 'first' } },
    ]);

    const first = report.evacuations[0];
    expect(first).toMatchObject({ status: 'SUCCEEDED', apps: 4, succeeded: 4, failed: 0 });
    expect(report.requests.map((r) => r.accepted)).toEqual([true, false, true]);
    expect(report.requests[1]?.error).toMatch(
      new RegExp(
        `^ConflictError: evacuation of us-east-1: .*evacuation ${first?.id} of us-east-1 is running`,
      ),
    );
    expect(report.requests[2]?.evacuationId).toBe(first?.id);
    // Every evacuation reported is the first one (answered twice), and every failover succeeded.
    expect(new Set(report.evacuations.map((e) => e.id))).toEqual(new Set([first?.id]));
    expect(report.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
  });

  it('accepts one of two evacuations of a region requested at once, and the next one once it ended', async () => {
    const some = (apps: string[], reason: string) => ({ ...EVACUATE.evacuate, apps, reason });
    const report = await play([
      OUTAGE,
      { at: 1, evacuate: some(['app1', 'app2'], 'first') },
      { at: 1, evacuate: some(['app1', 'app2'], 'the same, at once') },
      { at: 600, evacuate: some(['app3', 'app4'], 'after the first ended') },
    ]);

    const [a, b, later] = report.requests;
    expect([a?.accepted, b?.accepted].sort()).toEqual([false, true]);
    const refused = a?.accepted ? b : a;
    const accepted = a?.accepted ? a : b;
    expect(refused?.error).toMatch(
      new RegExp(`^ConflictError: .*evacuation ${accepted?.evacuationId} of us-east-1 is running`),
    );
    expect(report.evacuations.find((e) => e.id === accepted?.evacuationId)?.status).toBe('SUCCEEDED');
    expect(later).toMatchObject({ accepted: true });
    expect(later?.evacuationId).not.toBe(accepted?.evacuationId);
  });

  it('refuses a bad request, saying what was wrong, and starts nothing', async () => {
    const report = await play([
      { at: 0, evacuate: { from: 'us-east-1', to: 'us-east-1', by: 'alice', reason: 'x' } },
      { at: 1, evacuate: { from: 'eu-north-1', by: 'alice', reason: 'x' } },
      { at: 2, evacuate: { from: 'us-west-2', by: 'alice', reason: 'nothing is active there' } },
    ]);

    expect(report.requests.map((r) => r.accepted)).toEqual([false, false, false]);
    expect(report.requests[0]?.error).toMatch(
      /InvalidInputError: .*body\.to: .*got "us-east-1"; expected a region other than from/,
    );
    expect(report.requests[1]?.error).toMatch(
      /body\.from: unknown region \(got "eu-north-1"; expected a region of a plan/,
    );
    expect(report.requests[2]?.error).toMatch(/PreconditionFailedError: .*no app to fail over/);
    expect(report.executions).toHaveLength(0);
    expect(report.evacuations).toHaveLength(0);
  });
});

import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import type { Plan } from '../../functions/core/plan.js';
import type { CallRecord } from '../../sandbox/aws/simulator.js';
import type { QuotaUsage } from '../../sandbox/quotas.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { type SimulationReport, simulate } from '../../sandbox/simulate.js';

/**
 * An evacuation of Route 53 records apps (copies of `plans/billing.yaml`, every app's record in the
 * one hosted zone), switched over gracefully: the evacuation's flusher moves many apps' records in
 * one change batch per zone (functions/evacuation/traffic-batch.ts), backs a busy zone off, and
 * follows each change with one GetChange, not one per app. Timings in virtual time only.
 */

/** Real-time limit of one test (several apps' switchovers in virtual time; slower on a loaded machine). */
const SIMULATION_TIMEOUT_MS = 300_000;

const EVACUATE = {
  at: 1,
  evacuate: { from: 'us-east-1', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'records test' },
};

interface Played {
  readonly report: SimulationReport;
  readonly route53: CallRecord[];
  readonly quotas: QuotaUsage[];
}

async function play(plans: readonly Plan[], events: unknown[]): Promise<Played> {
  let route53: CallRecord[] = [];
  let quotas: QuotaUsage[] = [];
  const report = await simulate(plans, parseScenario({ latency: 'fast', seed: 1, timeout: 3600, events }), {
    inspect: (sandbox) => {
      route53 = sandbox.aws.simulator.log.filter((c) => c.service === 'route53');
      quotas = sandbox.aws.simulator.quotas.usage();
    },
  });
  return { report, route53, quotas };
}

const calls = (log: readonly CallRecord[], operation: string) => log.filter((c) => c.operation === operation);

/** Every app of the evacuation succeeded and is served from us-west-2, per the ground truth. */
function expectAllServed(report: SimulationReport, apps: number): void {
  const evacuation = report.evacuations[0];
  expect(evacuation).toMatchObject({ apps, succeeded: apps, failed: 0, status: 'SUCCEEDED' });
  expect(evacuation?.allServedAt).not.toBeNull();
  for (const outcome of evacuation?.outcomes ?? []) expect(outcome.servedAt, outcome.app).not.toBeNull();
  for (const app of evacuation?.outcomes ?? [])
    expect(report.final[app.app], app.app).toMatchObject({ trafficRegion: 'us-west-2' });
  for (const invariant of report.invariants) expect(invariant, invariant.name).toMatchObject({ held: true });
}

describe('an evacuation of Route 53 records apps in one hosted zone', () => {
  it(
    'switches 6 apps with fewer ChangeResourceRecordSets than apps, one GetChange per change, none throttled',
    async () => {
      const { report, route53, quotas } = await play(generatedPlans(6, 'billing'), [EVACUATE]);

      expectAllServed(report, 6);
      const changes = calls(route53, 'ChangeResourceRecordSets');
      // Batched: the apps whose own resources were ready within the same second shared a change.
      expect(changes.filter((c) => c.ok).length).toBeGreaterThanOrEqual(1);
      expect(changes.filter((c) => c.ok).length).toBeLessThan(6);
      // Each change followed by one GetChange a poll for all its apps, not one per app.
      expect(calls(route53, 'GetChange').length).toBeLessThan(6);
      // Within Route 53's quotas: nothing throttled, by the account's or an operation's bucket.
      for (const quota of quotas.filter((q) => q.quota.startsWith('route53')))
        expect(quota, `${quota.quota} ${quota.scope}`).toMatchObject({ throttled: 0 });
    },
    SIMULATION_TIMEOUT_MS,
  );

  it(
    'a zone busy with a stuck change (PriorRequestNotComplete) is backed off, and every app still switches in the batch',
    async () => {
      // Every change stays PENDING, and its zone busy, 20 s longer than Route 53 takes. app5, not
      // part of the evacuation, fails over on its own a second earlier: its change takes the zone
      // first, so the evacuation's batch meets PriorRequestNotComplete for about 20 s.
      const stuck = { at: 0, fault: { kind: 'route53-change-stuck', seconds: 20 } };
      const alone = {
        at: 0,
        failover: { app: 'app5', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'before the rest' },
      };
      const apps = ['app1', 'app2', 'app3', 'app4'];
      const evacuate = { ...EVACUATE, evacuate: { ...EVACUATE.evacuate, apps } };
      const { report, route53 } = await play(generatedPlans(5, 'billing'), [stuck, alone, evacuate]);

      expectAllServed(report, 4);
      expect(report.final.app5).toMatchObject({ trafficRegion: 'us-west-2' });
      const changes = calls(route53, 'ChangeResourceRecordSets');
      // The zone refused the batch while app5's change was being applied...
      expect(changes.some((c) => c.error === 'PriorRequestNotComplete')).toBe(true);
      // ...and the four apps waited for the batch (backed off) rather than each taking its change
      // back after 10 s and calling Route 53 on its own (5 changes): app5's change and few batches.
      expect(changes.filter((c) => c.ok).length).toBeLessThanOrEqual(3);
    },
    SIMULATION_TIMEOUT_MS,
  );
  it(
    'a graceful request whose readiness reads AWS throttles is paced and asked again, not refused as NOT_READY',
    async () => {
      // Auto Scaling throttles every DescribeAutoScalingGroups (past the SDK's retries) for the
      // first 6 s: each request's dry run cannot tell whether the target's groups can serve, which
      // is no verdict. The evacuation tries the requests again, paced, and every app switches.
      const throttle = {
        at: 0,
        fault: {
          kind: 'api-errors',
          service: 'autoscaling',
          operation: 'DescribeAutoScalingGroups',
          error: 'Throttling',
          rate: 1,
        },
      };
      const clear = { at: 6, clear: { kind: 'api-errors', service: 'autoscaling' } };
      const { report } = await play(generatedPlans(3, 'billing'), [throttle, clear, EVACUATE]);

      expectAllServed(report, 3);
      // Each app's failover was requested once its reads answered: none before the throttling ended.
      for (const execution of report.executions) expect(execution.startedAt).toBeGreaterThanOrEqual(6);
    },
    SIMULATION_TIMEOUT_MS,
  );
});

import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import type { CallRecord } from '../../sandbox/aws/simulator.js';
import type { QuotaUsage } from '../../sandbox/quotas.js';
import { parseScenario, SCENARIO_START } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

/**
 * A region evacuation of more apps than RDS's and Auto Scaling's API rates allow each to poll on
 * its own (docs/architecture.md, "Shared reads"). The scenario lowers both quotas (its `quotas`)
 * so that twelve apps reach them as a hundred reach AWS's: RDS 3 calls per second per region
 * (AWS: 12) and Auto Scaling 5 (the sandbox's unpublished 20). Before the shared reads, each app's
 * parked database step read RDS twice per 5 s and its capacity step Auto Scaling every second: 12
 * apps were 4.8 RDS and 12 Auto Scaling calls per second, over both limits for the whole wait,
 * and 4 of the 12 failed (measured with the shared reads and the 30 s fallback taken out).
 */
const APPS = 12;
const QUOTAS = {
  'rds-api': { burst: 30, refillPerSecond: 3 },
  'autoscaling-api': { burst: 30, refillPerSecond: 5 },
};

/** Real-time limit: twelve apps' failovers in the fast profile take about a minute here. */
const SIMULATION_TIMEOUT_MS = 300_000;

describe('region evacuation under the RDS and Auto Scaling quotas (ground truth)', () => {
  it(
    'fails every app over, the waits read once per region for all apps and under the quotas',
    async () => {
      const plans = generatedPlans(APPS);
      let calls: CallRecord[] = [];
      let quotas: QuotaUsage[] = [];
      const report = await simulate(
        plans,
        parseScenario({
          latency: 'realistic',
          seed: 1,
          timeout: 1800,
          quotas: QUOTAS,
          events: [
            { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
            {
              at: 1,
              evacuate: {
                from: 'us-east-1',
                to: 'us-west-2',
                mode: 'ungraceful',
                by: 'alice',
                reason: 'down',
              },
            },
          ],
        }),
        {
          inspect: (sandbox) => {
            calls = [...sandbox.aws.simulator.log];
            quotas = sandbox.aws.simulator.quotas.usage();
          },
        },
      );

      // Every app served from us-west-2, per the ground truth.
      const evacuation = report.evacuations[0];
      expect(evacuation).toMatchObject({ apps: APPS, succeeded: APPS, failed: 0, status: 'SUCCEEDED' });
      expect(evacuation?.allServedAt).not.toBeNull();
      for (const plan of plans)
        expect(report.final[plan.name]).toMatchObject({
          writerRegion: 'us-west-2',
          trafficRegion: 'us-west-2',
        });

      // While the apps wait (every promotion started, none done: 40 s to 110 s after the request),
      // the calls to RDS and Auto Scaling in the target region stay under the lowered quotas: the
      // evacuation reads once per poll for all, each app's own read is a 30 s fallback. (Each app
      // polling on its own was 4.8 RDS and 12 Auto Scaling calls per second here.)
      const t0 = Date.parse(SCENARIO_START) + 1_000;
      const perSecond = (service: string, from: number, to: number) =>
        calls.filter(
          (c) =>
            c.service === service &&
            c.region === 'us-west-2' &&
            c.startedAt >= t0 + from * 1000 &&
            c.startedAt < t0 + to * 1000,
        ).length /
        (to - from);
      expect(perSecond('rds', 40, 110)).toBeLessThanOrEqual(QUOTAS['rds-api'].refillPerSecond);
      expect(perSecond('autoscaling', 40, 110)).toBeLessThanOrEqual(
        QUOTAS['autoscaling-api'].refillPerSecond,
      );
      // The scenario's quotas were the ones in force (its `quotas` replace the modelled limits).
      const rds = quotas.find((q) => q.quota === 'rds-api' && q.scope === 'us-west-2');
      expect(rds?.limitPerSecond).toBe(QUOTAS['rds-api'].refillPerSecond);
    },
    SIMULATION_TIMEOUT_MS,
  );
});

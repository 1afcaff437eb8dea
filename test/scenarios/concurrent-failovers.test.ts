import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

// Issue 10, "never let one app's throttling fail another", for failovers that are NOT an
// evacuation: every app's team (or every app's alarm) asks for its own failover at the same
// instant. With the account's Auto Scaling and RDS buckets lowered, a handful of apps exceed them
// as 100 apps exceed the real ones (bench/apps.ts): each request's dry run and each run's polls
// meet empty buckets. Every app must still fail over, in bounded time.

const APPS = 8;

describe('independent failovers at once, past the API quotas', { timeout: 300_000 }, () => {
  it(`${APPS} apps each request a graceful failover at t=0 and all succeed`, async () => {
    const plans = generatedPlans(APPS);
    const throttled: Record<string, number> = {};
    let pollers: { name: string; region: string }[] = [];
    const ownReads: Record<string, number> = {};
    const report = await simulate(
      plans,
      parseScenario({
        name: 'independent failovers at once',
        latency: 'realistic',
        seed: 1,
        timeout: 1800,
        // Each graceful dry run reads 4 Auto Scaling and 4 RDS APIs (both regions): 8 apps ask 32
        // of each at once, three times the bucket.
        quotas: {
          'autoscaling-api': { burst: 10, refillPerSecond: 2 },
          'rds-api': { burst: 10, refillPerSecond: 2 },
        },
        events: plans.map((plan) => ({
          at: 0,
          failover: { app: plan.name, to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'test' },
        })),
      }),
      {
        inspect: (sandbox) => {
          pollers = sandbox.stepFunctions
            .list()
            .filter((e) => e.name.startsWith('poller-'))
            .map((e) => ({ name: e.name, region: e.region }));
          // RDS and Auto Scaling calls by the function that made them.
          for (const call of sandbox.aws.simulator.log)
            if (call.service === 'rds' || call.service === 'autoscaling')
              ownReads[call.caller ?? '-'] = (ownReads[call.caller ?? '-'] ?? 0) + 1;
          for (const use of sandbox.aws.simulator.quotas.usage())
            if (use.throttled > 0) throttled[use.quota] = (throttled[use.quota] ?? 0) + use.throttled;
        },
      },
    );

    // The quotas were exceeded: this is the case under test.
    expect(throttled['autoscaling-api'] ?? 0).toBeGreaterThan(10);
    expect(throttled['rds-api'] ?? 0).toBeGreaterThan(10);
    // Every request was accepted (paced in its dry run, or asked again after its Retry-After),
    // and every run succeeded without a failed step.
    expect(
      report.requests.filter((r) => !r.accepted).map((r) => r.error),
      'refused requests',
    ).toEqual([]);
    expect(report.executions).toHaveLength(APPS);
    for (const execution of report.executions) {
      expect(execution.status, `${execution.app}: ${execution.error}`).toBe('SUCCEEDED');
      expect(execution.steps.filter((s) => s.status === 'FAILED')).toEqual([]);
    }
    // Bounded: every app served within its plan's RTO objective (orders: 900 s).
    expect(Math.max(...report.executions.map((e) => e.rtoSeconds ?? Number.POSITIVE_INFINITY))).toBeLessThan(
      900,
    );
    expect(report.invariants.filter((i) => !i.held)).toEqual([]);
    // Their parked waits were read by the target region's poller (8 plans into us-west-2: at least
    // REGION_POLLER_MIN_PLANS), started by the first waiter; only there.
    expect(pollers.length).toBeGreaterThanOrEqual(1);
    expect(new Set(pollers.map((p) => p.region))).toEqual(new Set(['us-west-2']));
    // Preflights that could not decide on their requests' dry runs (paced past 5 s) parked for
    // the poller's read of every parked app at once instead of reading RDS and Auto Scaling
    // themselves (about 8 calls each, both regions, and their retries: 9 in all with these 8 apps).
    // The call log names who called (the poller runs in RunEvacuation; the dry runs in the API).
    expect(ownReads.RunEvacuation ?? 0).toBeGreaterThan(0);
    expect(ownReads.OperatorApi ?? 0).toBeGreaterThan(0);
    expect(ownReads.Preflight ?? 0, "Preflight's own RDS and Auto Scaling calls").toBe(0);
    // So did every VerifyService poll (185 calls of its own before, with these 8 apps).
    expect(ownReads.VerifyService ?? 0, "VerifyService's own RDS and Auto Scaling calls").toBe(0);
  });

  // The bench's 200 apps (bench/apps.ts), scaled down: 24 apps against RDS's and Auto Scaling's
  // buckets scaled by 24 / 200 (RDS: 300 and 12 a second; Auto Scaling's modelled 100 and 20).
  // Each request's dry run empties both buckets for seconds, as 200 do the real ones. Before
  // Preflight parked again after an unanswered park, each Preflight then read both regions for
  // itself on every one of its throttled retries, and some ran out of them.
  const MANY = 24;
  it(`${MANY} apps into one region under RDS's and Auto Scaling's quotas scaled to them: all succeed, no Preflight or capacity gate reads for itself`, async () => {
    const plans = generatedPlans(MANY);
    const calls: Record<string, number> = {};
    let throttled = 0;
    const report = await simulate(
      plans,
      parseScenario({
        name: 'many failovers into one region',
        latency: 'realistic',
        seed: 1,
        timeout: 1800,
        quotas: {
          'rds-api': { burst: 36, refillPerSecond: 1.44 },
          'autoscaling-api': { burst: 12, refillPerSecond: 2.4 },
        },
        events: plans.map((plan) => ({
          at: 0,
          failover: { app: plan.name, to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'test' },
        })),
      }),
      {
        inspect: (sandbox) => {
          for (const call of sandbox.aws.simulator.log)
            if (call.service === 'rds' || call.service === 'autoscaling') {
              const key = `${call.caller ?? '-'} ${call.operation}`;
              calls[key] = (calls[key] ?? 0) + 1;
              if (call.throttled) throttled++;
            }
        },
      },
    );

    expect(throttled, 'throttled RDS and Auto Scaling calls').toBeGreaterThan(MANY);
    expect(report.requests.filter((r) => !r.accepted).map((r) => r.error)).toEqual([]);
    for (const execution of report.executions)
      expect(execution.status, `${execution.app}: ${execution.error}`).toBe('SUCCEEDED');
    expect(report.executions).toHaveLength(MANY);
    // Bounded: every app served within its plan's RTO objective (orders: 900 s).
    expect(Math.max(...report.executions.map((e) => e.rtoSeconds ?? Number.POSITIVE_INFINITY))).toBeLessThan(
      900,
    );
    expect(report.invariants.filter((i) => !i.held)).toEqual([]);
    // Parked on the poller: no Preflight read for itself (it parks again while the poller's reads
    // are throttled), and no PromoteDatabase gate read at entry (it parks on capacity at once).
    const own = (caller: string) => Object.entries(calls).filter(([key]) => key.startsWith(`${caller} `));
    expect(own('Preflight'), "Preflight's own calls").toEqual([]);
    expect(own('PromoteDatabase'), "PromoteDatabase's own calls").toEqual([]);
    // The dry runs leave DescribeWarmPool out when a poller serves the region (a warning's refinement).
    expect(calls['OperatorApi DescribeWarmPool'] ?? 0).toBe(0);
  });
});

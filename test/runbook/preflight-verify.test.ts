import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { ThrottledError, TransientAwsError } from '../../functions/core/errors.js';
import { planRegistry } from '../../functions/core/plan-registry.js';
import { sharedReader } from '../../functions/runbook/context.js';
import type { GlobalClusterView } from '../../functions/runbook/ports/aurora.js';
import {
  PREFLIGHT_PARK_WINDOW_SECONDS,
  preflight,
  preflightOrPark,
} from '../../functions/runbook/preflight.js';
import { READ_PARK_SECONDS } from '../../functions/runbook/read-park.js';
import { shiftTraffic } from '../../functions/runbook/traffic.js';
import {
  DNS_RECHECK_BUDGET_MS,
  FOLLOW_DNS_RECHECK_MS,
  verifyService,
} from '../../functions/runbook/verify.js';
import {
  allReady,
  begun,
  clustersOf,
  promotionUnderWay,
  SOURCE,
  servedFromTarget,
  setup,
  TARGET,
} from './late-steps-world.js';

// Unit tests of Preflight and VerifyService against in-memory fakes of their ports
// (late-steps-world.ts, fakes.ts). One describe per step; times are virtual (the fake clock).

describe('Preflight', () => {
  it('lists every resource to prepare and records the step SUCCEEDED when nothing blocks', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 1 });
    const run = await begun(env);

    // Act
    const result = await preflight({ run }, env.deps);

    // Assert
    expect(result.resources).toEqual([
      { kind: 'database', id: 'orders-global' },
      { kind: 'capacity', id: 'orders-web' },
    ]);
    expect(result.lagMs).toEqual({ 'orders-global': 1_500 });
    expect(env.state.executions.get('exec-1')?.steps.Preflight?.status).toBe('SUCCEEDED');
  });

  it('refuses with the list of blocking findings, and records nothing as succeeded', async () => {
    // Arrange: two blocking problems: the source serves under its healthyPercent (a graceful
    // switchover needs a healthy source), and a promotion of the global cluster is under way.
    const env = setup('orders', { targetHealthy: 1 });
    const run = await begun(env);
    env.autoScaling.groups[`${SOURCE}/orders-web-use1`] = { desired: 6, inService: 6, healthyInService: 2 };
    promotionUnderWay(env);

    // Act
    const check = preflight({ run }, env.deps);

    // Assert
    await expect(check).rejects.toMatchObject({ name: 'PreconditionFailedError' });
    await expect(check).rejects.toThrow(
      /orders: preflight in us-west-2 failed: .*(SOURCE_UNHEALTHY.*PROMOTION_IN_PROGRESS|PROMOTION_IN_PROGRESS.*SOURCE_UNHEALTHY)/,
    );
    expect(env.state.executions.get('exec-1')?.steps.Preflight?.status).toBe('RUNNING');
  });

  it('throws TransientAwsError for a retryable unknown instead of taking it as a finding', async () => {
    // Arrange: the target's group cannot be described now, with a retryable error (a transient fault).
    const env = setup('orders', { targetHealthy: 1 });
    const run = await begun(env);
    const describe = env.deps.autoScaling.describe;
    env.deps.autoScaling = {
      ...env.deps.autoScaling,
      describe: (region, name) =>
        region === TARGET
          ? Promise.reject(new TransientAwsError('connection reset (fake)'))
          : describe(region, name),
    };

    // Act
    const check = preflight({ run }, env.deps);

    // Assert
    await expect(check).rejects.toMatchObject({ name: 'TransientAwsError' });
    await expect(check).rejects.toThrow(/orders-web in us-west-2/);
  });

  it('throws ThrottledError when the global cluster read is throttled, never a blocking TARGET_UNKNOWN', async () => {
    // Arrange: the member cluster answers, its global cluster's read is throttled (an evacuation
    // of many apps against RDS's API rate).
    const env = setup('orders', { targetHealthy: 1 });
    const run = await begun(env);
    env.deps.aurora = {
      ...env.deps.aurora,
      describeGlobalCluster: () => Promise.reject(new ThrottledError('Rate exceeded (fake)')),
    };

    // Act
    const check = preflight({ run }, env.deps);

    // Assert: retryable (the ASL retries it, longer than another transient fault: many runs at
    // once may keep RDS's bucket empty), not a refusal of the failover.
    await expect(check).rejects.toMatchObject({ name: 'ThrottledError' });
    await expect(check).rejects.toThrow(/orders-global in us-west-2: ThrottledError/);
  });

  it('reads both regions for a graceful failover and the target only for an ungraceful one', async () => {
    // Arrange: the source's group cannot be described (its region is unreachable).
    const graceful = setup('orders', { targetHealthy: 1 });
    const ungraceful = setup('orders', { targetHealthy: 1 });
    for (const env of [graceful, ungraceful]) delete env.autoScaling.groups[`${SOURCE}/orders-web-use1`];
    const gracefulRun = await begun(graceful, 'graceful');
    const ungracefulRun = await begun(ungraceful, 'ungraceful');

    // Act
    const a = preflight({ run: gracefulRun }, graceful.deps).then(
      () => 'passed',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    const b = await preflight({ run: ungracefulRun }, ungraceful.deps);

    // Assert: the graceful run saw the unreadable source; the ungraceful one never asked it.
    expect(await a).toMatch(/^PreconditionFailedError: .*orders-web/);
    expect(b.resources).toHaveLength(2);
  });

  describe("parked for the region poller's read (preflightOrPark)", () => {
    /** `setup('orders')` in a deployment of 6 plans into the target: its region's poller serves the run. */
    async function served() {
      const env = setup('orders', { targetHealthy: 1 });
      const plans = [...env.deps.plans.list(), ...generatedPlans(4)];
      env.deps = { ...env.deps, plans: planRegistry(plans) };
      expect(sharedReader({ to: TARGET }, env.deps.plans)).toBe('region');
      const run = await begun(env);
      return { env, run };
    }
    const timedOut = { Error: 'States.Timeout', Cause: 'the park timed out' };

    it('parks again, reading nothing, when its park timed out unanswered or the answer went stale', async () => {
      // Arrange: the poller answered nobody (its reads were throttled), or answered 6 s ago.
      const { env, run } = await served();
      const stale = {
        woken: true,
        by: 'shared-read',
        readAt: new Date(env.clock.now() - 6_000).toISOString(),
        observation: { at: '', clusters: [], capacity: [], traffic: {} },
      };

      // Act
      const afterTimeout = await preflightOrPark({ run, dryRun: timedOut }, env.deps);
      const afterStale = await preflightOrPark({ run, dryRun: stale }, env.deps);

      // Assert: both park for the poller's next pass; Preflight read nothing and wrote no entry.
      const park = { park: { read: 'preflight-graceful', seconds: READ_PARK_SECONDS } };
      expect(afterTimeout).toEqual(park);
      expect(afterStale).toEqual(park);
      expect(env.state.executions.get('exec-1')?.steps.Preflight).toBeUndefined();
    });

    it(`reads for itself once ${PREFLIGHT_PARK_WINDOW_SECONDS} s have passed since the request, and when no poller could start`, async () => {
      // Arrange
      const late = await served();
      late.env.clock.advance(PREFLIGHT_PARK_WINDOW_SECONDS * 1000);
      const nobody = await served();
      const noPoller = { woken: true, by: 'already', detail: 'no region poller: read it yourself' };

      // Act
      const a = await preflightOrPark({ run: late.run, dryRun: timedOut }, late.env.deps);
      const b = await preflightOrPark({ run: nobody.run, dryRun: noPoller }, nobody.env.deps);

      // Assert: its own reads, and the step decided (every wait ends).
      for (const [result, env] of [
        [a, late.env],
        [b, nobody.env],
      ] as const) {
        expect(result).toMatchObject({ resources: [{ id: 'orders-global' }, { id: 'orders-web' }] });
        expect(env.state.executions.get('exec-1')?.steps.Preflight?.status).toBe('SUCCEEDED');
      }
    });
  });
});

describe('VerifyService', () => {
  it('polls while the name still resolves to the source, saying so', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6, writer: `${TARGET}` });
    const run = await begun(env);
    env.aurora.clusters['orders-global'] = clustersOf(env.plan, TARGET)['orders-global'] as GlobalClusterView;
    const shifted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );

    // Act
    const progress = await verifyService({ run, progress: shifted }, env.deps);

    // Assert
    expect(progress).toMatchObject({ done: false, attempt: 1 });
    expect(progress.detail?.notes).toEqual([
      'api.orders.example.com resolves to us-east-1, expected us-west-2',
    ]);
    expect(env.state.executions.get('exec-1')?.steps.VerifyService?.status).toBe('RUNNING');
  });

  it('is done once writer, capacity and traffic are all in the target, and records it', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6 });
    const run = await begun(env);
    servedFromTarget(env);
    const shifted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );

    // Act
    const progress = await verifyService({ run, progress: shifted }, env.deps);

    // Assert
    expect(progress.done).toBe(true);
    expect(env.state.executions.get('exec-1')?.steps.VerifyService).toMatchObject({
      status: 'SUCCEEDED',
      detail: { underCapacity: false },
    });
  });

  it('never takes an unknown for served: a DNS answer it cannot read keeps it polling', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6 });
    const run = await begun(env);
    servedFromTarget(env);
    const shifted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    delete env.dns.answers['api.orders.example.com'];

    // Act
    const progress = await verifyService({ run, progress: shifted }, env.deps);

    // Assert
    expect(progress.done).toBe(false);
    expect(env.state.executions.get('exec-1')?.steps.VerifyService?.status).toBe('RUNNING');
  });

  it('asks the name servers again sub-second while only DNS lags, and is done within a second of the flip', async () => {
    // Arrange: the writer, capacity and routing control are in the target; the name servers
    // still answer the source for 700 ms (virtual) after VerifyService starts.
    const env = setup('orders', { targetHealthy: 6 });
    const run = await begun(env);
    servedFromTarget(env);
    const shifted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    env.dns.answers['api.orders.example.com'] = SOURCE;
    const started = env.clock.now();
    const slept: number[] = [];
    Object.assign(env.clock, {
      sleep: async (ms: number) => {
        slept.push(ms);
        env.clock.advance(ms);
        if (env.clock.now() - started >= 700) env.dns.answers['api.orders.example.com'] = TARGET;
      },
    });

    // Act
    const progress = await verifyService({ run, progress: shifted }, env.deps);

    // Assert: verified in this invocation, after 7 waits of FOLLOW_DNS_RECHECK_MS, not a 1 s poll
    // later (the writer, capacity and routing were read as it started: fresh enough to stand).
    expect(progress.done).toBe(true);
    expect(slept).toEqual(Array.from({ length: 7 }, () => FOLLOW_DNS_RECHECK_MS));
    expect(env.clock.now() - started).toBeLessThan(1_000);
    expect(env.state.executions.get('exec-1')?.steps.VerifyService?.status).toBe('SUCCEEDED');
  });

  it('hands back to the poll after its budget when the answer does not follow, and never waits for another lagging check', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6 });
    const run = await begun(env);
    servedFromTarget(env);
    const shifted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    env.dns.answers['api.orders.example.com'] = SOURCE;
    const started = env.clock.now();
    Object.assign(env.clock, { sleep: async (ms: number) => env.clock.advance(ms) });

    // Act
    const progress = await verifyService({ run, progress: shifted }, env.deps);

    // Assert: the watched seconds are spent from the poll budget (one poll a second), bounded.
    expect(progress).toMatchObject({ done: false, attempt: 1 + Math.floor(DNS_RECHECK_BUDGET_MS / 1000) });
    expect(env.clock.now() - started).toBeLessThanOrEqual(DNS_RECHECK_BUDGET_MS);

    // Arrange: capacity lags too: no sub-second wait at all (the state machine polls).
    const again = setup('orders');
    const run2 = await begun(again);
    servedFromTarget(again);
    again.autoScaling.groups[`${TARGET}/orders-web-usw2`] = { desired: 6, inService: 6, healthyInService: 2 };
    again.dns.answers['api.orders.example.com'] = SOURCE;
    const before = again.clock.now();
    Object.assign(again.clock, { sleep: async (ms: number) => again.clock.advance(ms) });
    const shifted2 = await shiftTraffic(
      { run: run2, prepared: allReady(again.plan), unreachableRegions: [] },
      again.deps,
    );

    // Act
    const polled = await verifyService({ run: run2, progress: shifted2 }, again.deps);

    // Assert
    expect(polled.done).toBe(false);
    expect(again.clock.now()).toBe(before);
  });
});

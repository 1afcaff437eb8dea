import { describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../functions/core/errors.js';
import type { GlobalClusterView } from '../../functions/runbook/ports/aurora.js';
import { checkTraffic, shiftTraffic } from '../../functions/runbook/traffic.js';
import { VERIFY_READ_FRESH_MS, verifyService } from '../../functions/runbook/verify.js';
import {
  allReady,
  begun,
  clustersOf,
  type Env,
  SOURCE,
  servedFromTarget,
  setup,
  TARGET,
} from './late-steps-world.js';

// Verification where traffic arrives (functions/runbook/verify.ts, verifyOnArrival and
// followDnsFresh): CheckTraffic verifies in the invocation that sees a Route 53 change reach the
// name servers, and VerifyService keeps its other reads fresh while it watches them. Virtual time.

/** The billing writer in TARGET, as the promotion leaves it (capacity: `targetHealthy`). */
function billingPromoted(env: Env): void {
  for (const [id, view] of Object.entries(clustersOf(env.plan, TARGET)))
    env.aurora.clusters[id] = view as GlobalClusterView;
}

/** Every record of the plan answered by `region` on the name servers. */
function answering(env: Env, region: string): void {
  for (const record of env.plan.traffic.route53?.records ?? []) env.dns.answers[record.name] = region;
}

/** A clock that waits (virtual): `onSleep` runs after each wait with the ms waited so far. */
function waitingClock(env: Env, onSleep: (elapsedMs: number) => void = () => undefined): void {
  const started = env.clock.now();
  Object.assign(env.clock, {
    sleep: async (ms: number) => {
      env.clock.advance(ms);
      onSleep(env.clock.now() - started);
    },
  });
}

/** Counts the observer's reads of RDS (the writer) through the world's Aurora port. */
function countingWriterReads(env: Env): { count: number } {
  const reads = { count: 0 };
  const port = env.deps.aurora;
  env.deps.aurora = new Proxy(port, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        reads.count++;
        return value.apply(target, args);
      };
    },
  });
  return reads;
}

describe('CheckTraffic verifies as a Route 53 change reaches the name servers', () => {
  it('records VerifyService SUCCEEDED in the same invocation; VerifyService follows without reading again', async () => {
    // Arrange
    const env = setup('billing', { targetHealthy: 4 });
    const run = await begun(env, 'ungraceful');
    billingPromoted(env);
    const accepted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    answering(env, TARGET);

    // Act
    const checked = await checkTraffic({ run, progress: accepted }, env.deps);
    const reads = countingWriterReads(env);
    const followed = await verifyService({ run, progress: checked }, env.deps);

    // Assert
    const steps = env.state.executions.get('exec-1')?.steps;
    expect(checked.done).toBe(true);
    expect(checked.detail?.verified).toMatchObject({ by: 'CheckTraffic', epoch: run.epoch });
    expect(steps?.ShiftTraffic?.status).toBe('SUCCEEDED');
    expect(steps?.VerifyService).toMatchObject({
      status: 'SUCCEEDED',
      detail: { verifiedBy: 'CheckTraffic', underCapacity: false },
    });
    expect(followed).toMatchObject({ done: true, detail: { verifiedBy: 'CheckTraffic' } });
    expect(followed.detail?.verifiedAt).toBe(steps?.VerifyService?.finishedAt);
    expect(reads.count).toBe(0);
  });

  it('watching a PENDING change, verifies at the answer on reads kept fresh beside the questions', async () => {
    // Arrange: the name servers follow 5.05 s into the watch (virtual).
    const env = setup('billing', { targetHealthy: 4 });
    const run = await begun(env, 'ungraceful');
    billingPromoted(env);
    const accepted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    const watchStarted = env.clock.now();
    waitingClock(env, (elapsed) => {
      if (elapsed >= 5_050) answering(env, TARGET);
    });

    // Act
    const checked = await checkTraffic({ run, progress: accepted }, env.deps);

    // Assert: verified at the first question after the answer (100 ms cadence), not a poll later.
    const verifiedAt = Date.parse(
      String(env.state.executions.get('exec-1')?.steps.VerifyService?.finishedAt),
    );
    expect(checked.detail?.verified).toMatchObject({ by: 'CheckTraffic' });
    expect(verifiedAt - watchStarted).toBeGreaterThanOrEqual(5_050);
    expect(verifiedAt - watchStarted).toBeLessThanOrEqual(5_150);
  });

  it('the name servers answer but the writer is not in the target: no verdict, and VerifyService fails the run clearly', async () => {
    // Arrange: traffic went to the target, the writer stayed in the source.
    const env = setup('billing', { targetHealthy: 4 });
    const run = await begun(env, 'ungraceful');
    const accepted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    answering(env, TARGET);

    // Act
    const checked = await checkTraffic({ run, progress: accepted }, env.deps);
    let progress = checked;
    let failure: unknown;
    try {
      for (let i = 0; i < 1_000; i++) progress = await verifyService({ run, progress }, env.deps);
    } catch (error: unknown) {
      failure = error;
    }

    // Assert
    expect(checked.done).toBe(true);
    expect(checked.detail?.verified).toBeUndefined();
    expect(env.state.executions.get('exec-1')?.steps.VerifyService?.status).toBe('RUNNING');
    expect(failure).toMatchObject({ name: 'WaitTimedOutError' });
    expect(String((failure as Error).message)).toMatch(/no writer in us-west-2/);
  });

  it('the name servers disagree: the change is not taken as arrived, nothing is verified', async () => {
    // Arrange: every answer the adapter can give is "the servers disagree" (dns.ts), for 8 s.
    const env = setup('billing', { targetHealthy: 4 });
    const run = await begun(env, 'ungraceful');
    billingPromoted(env);
    const accepted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    env.deps.dns = {
      answeredRegion: async (_region, record) => {
        throw new TransientAwsError(
          `DNS A ${record.name}: the zone's name servers disagree (got ${TARGET}, ${SOURCE}; expected one answer)`,
        );
      },
    };
    waitingClock(env);

    // Act
    const checked = await checkTraffic({ run, progress: accepted }, env.deps);

    // Assert
    expect(checked).toMatchObject({ done: false, phase: 'propagating' });
    expect(checked.detail?.verified).toBeUndefined();
    expect(env.state.executions.get('exec-1')?.steps.ShiftTraffic?.status).toBe('RUNNING');
    expect(env.state.executions.get('exec-1')?.steps.VerifyService).toBeUndefined();
  });
});

describe('VerifyService keeps its other reads fresh while it watches the name servers', () => {
  it(`reads the rest again beside the questions (a read at most ${VERIFY_READ_FRESH_MS} ms old stands with the answer): capacity lost during the watch is seen`, async () => {
    // Arrange: ARC on, writer and capacity in the target as the step starts; capacity drops at
    // 0.5 s, the name servers follow at 1.9 s (the first read is then 1.9 s old: the background
    // read at 1.5 s is the one that stands with their answer).
    const env = setup('orders', { targetHealthy: 6 });
    const run = await begun(env);
    servedFromTarget(env);
    const shifted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    env.dns.answers['api.orders.example.com'] = SOURCE;
    waitingClock(env, (elapsed) => {
      if (elapsed >= 500)
        env.autoScaling.groups[`${TARGET}/orders-web-usw2`] = {
          desired: 6,
          inService: 6,
          healthyInService: 2,
        };
      if (elapsed >= 1_900) env.dns.answers['api.orders.example.com'] = TARGET;
    });

    // Act
    const progress = await verifyService({ run, progress: shifted }, env.deps);

    // Assert
    expect(progress.done).toBe(false);
    expect(String(progress.detail?.notes)).toMatch(/orders-web in us-west-2 at 33(\.3)?% healthy/);
    expect(env.state.executions.get('exec-1')?.steps.VerifyService?.status).toBe('RUNNING');
  });
});

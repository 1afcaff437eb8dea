import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import type { PlanState } from '../../functions/core/records.js';
import { readsTargetHealth, TARGET_HEALTH_EVERY_PASSES } from '../../functions/reconciler/read-cadence.js';
import { RECONCILE_EVERY_MINUTES, reconcile } from '../../functions/reconciler/reconcile.js';
import { Sandbox } from '../../sandbox/sandbox.js';

/**
 * The reconciler's scheduled pass reads DescribeTargetHealth of a steady app (recorded ACTIVE where
 * its writer and users are, no finding in progress) one pass in five, each app at its own turn, and
 * of any other app every pass (functions/reconciler/read-cadence.ts). Counted on the call log.
 */
describe("the reconciler reads a steady app's target health one pass in five", { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  const plans = generatedPlans(5);

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans, latency: 'fast', seed: 13 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const east = () => sandbox.region('us-east-1').deps;
  const targetHealthReads = (from: number) =>
    sandbox.aws.simulator.log
      .slice(from)
      .filter((c) => c.caller === undefined && c.operation === 'DescribeTargetHealth').length;
  /** One scheduled pass a minute after the last: its DescribeTargetHealth calls. */
  const pass = async () => {
    await sandbox.run(sandbox.clock.sleep(RECONCILE_EVERY_MINUTES * 60_000));
    const from = sandbox.aws.simulator.log.length;
    const outcomes = await sandbox.run(reconcile({}, east()));
    return { reads: targetHealthReads(from), outcomes };
  };

  it('reads each steady app once in five consecutive passes', async () => {
    // Arrange: a first pass (the lease, the delegation).
    await pass();

    // Act
    const passes = [];
    for (let i = 0; i < TARGET_HEALTH_EVERY_PASSES; i++) passes.push(await pass());

    // Assert: one group (one target group) per app, each app once: 5 reads in 5 passes, not 25.
    expect(passes.flatMap((p) => p.outcomes.map((o) => o.result)).every((r) => r === 'nothing-to-do')).toBe(
      true,
    );
    expect(passes.reduce((sum, p) => sum + p.reads, 0)).toBe(plans.length);
  });
});

describe('readsTargetHealth', () => {
  const steady: PlanState = {
    app: 'app1',
    activeRegion: 'us-east-1',
    status: 'ACTIVE',
    version: 3,
    lockEpoch: 0,
  } as PlanState;
  const clear = { value: { fingerprint: '', since: '2026-01-01T00:00:00.000Z', detail: 'consistent' } };
  const turns = (check: (turn: number) => boolean) =>
    Array.from({ length: TARGET_HEALTH_EVERY_PASSES }, (_, turn) => check(100 + turn)).filter(Boolean).length;

  it('a steady app: once in five turns (never marked, or its mark clear)', () => {
    expect(turns((t) => readsTargetHealth('app1', steady, clear, 'us-east-1', 'us-east-1', t))).toBe(1);
    expect(
      turns((t) => readsTargetHealth('app1', steady, { value: undefined }, 'us-east-1', 'us-east-1', t)),
    ).toBe(1);
  });

  it('every turn otherwise: DEGRADED, recorded elsewhere, users sent elsewhere or unknown, a finding in progress, its mark unread', () => {
    const every = (check: (turn: number) => boolean) => expect(turns(check)).toBe(TARGET_HEALTH_EVERY_PASSES);
    every((t) =>
      readsTargetHealth('app1', { ...steady, status: 'DEGRADED' }, clear, 'us-east-1', 'us-east-1', t),
    );
    every((t) =>
      readsTargetHealth('app1', { ...steady, activeRegion: 'us-west-2' }, clear, 'us-east-1', 'us-east-1', t),
    );
    every((t) => readsTargetHealth('app1', steady, clear, 'us-west-2', 'us-east-1', t));
    every((t) => readsTargetHealth('app1', steady, clear, { unknown: 'DNS did not answer' }, 'us-east-1', t));
    const settling = { value: { ...clear.value, fingerprint: 'set-record:us-east-1:DEGRADED' } };
    every((t) => readsTargetHealth('app1', steady, settling, 'us-east-1', 'us-east-1', t));
    every((t) => readsTargetHealth('app1', steady, undefined, 'us-east-1', 'us-east-1', t));
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { evaluateReadiness } from '../../functions/readiness/scheduled.js';
import { RECONCILER_LEASE_TTL_MS, reconcile } from '../../functions/reconciler/reconcile.js';
import { Sandbox } from '../../sandbox/sandbox.js';

/**
 * The scheduled duties' leases (functions/aws/duty-lease.ts): of the reconciler's passes every
 * region makes each minute, and of the readiness evaluations every 5 minutes, one region's works
 * and the others skip; when the leader stops renewing, another region takes over. Counted on the
 * simulator's call log and the outcomes, not timed.
 */
describe("the reconciler's lease", { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  const plans = generatedPlans(3);

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans, latency: 'fast', seed: 7 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const deps = (region: string) => sandbox.region(region).deps;
  const observed = (from: number) =>
    sandbox.aws.simulator.log.slice(from).filter((c) => c.operation === 'DescribeDBClusters').length;

  it('two regions pass at once: one observes every app, the other skips them all', async () => {
    // Act
    const from = sandbox.aws.simulator.log.length;
    const [east, west] = await sandbox.run(
      Promise.all([reconcile({}, deps('us-east-1')), reconcile({}, deps('us-west-2'))]),
    );

    // Assert: one region's pass observed (one DescribeDBClusters per plan region), one skipped.
    const skipped = [east, west].filter((outcomes) => outcomes.every((o) => o.result === 'skipped'));
    const worked = [east, west].filter((outcomes) => outcomes.every((o) => o.result === 'nothing-to-do'));
    expect(skipped).toHaveLength(1);
    expect(worked).toHaveLength(1);
    expect(skipped[0]?.[0]?.detail).toContain("another region's reconciler leads");
    expect(observed(from)).toBe(2);
  });

  it("two regions' scheduled readiness evaluations at once: one evaluates every app, the other skips", async () => {
    // Act
    const runs = await sandbox.run(
      Promise.all(['us-east-1', 'us-west-2'].map((region) => evaluateReadiness({}, deps(region)))),
    );

    // Assert
    expect(runs.filter((r) => r.skipped === true && r.evaluated.length === 0)).toHaveLength(1);
    expect(runs.filter((r) => !r.skipped && r.evaluated.length === plans.length)).toHaveLength(1);
  });

  it("an execution's pass (one app) runs whoever leads", async () => {
    // Act
    const [east, west] = await sandbox.run(
      Promise.all(
        ['us-east-1', 'us-west-2'].map((region) => reconcile({ detail: { app: 'app1' } }, deps(region))),
      ),
    );

    // Assert
    expect([...(east ?? []), ...(west ?? [])].map((o) => o.result)).toEqual([
      'nothing-to-do',
      'nothing-to-do',
    ]);
  });

  it('the other region takes over once the leader stops renewing, and the leader then skips', async () => {
    // Arrange: us-east-1 leads; then it is down past the lease (its scheduled passes do not run).
    await sandbox.run(reconcile({}, deps('us-east-1')));
    const west = await sandbox.run(reconcile({}, deps('us-west-2')));
    expect(west.every((o) => o.result === 'skipped')).toBe(true);
    sandbox.aws.faults.add({ kind: 'region-outage', region: 'us-east-1' });
    await sandbox.run(sandbox.clock.sleep(RECONCILER_LEASE_TTL_MS + 1));
    sandbox.aws.faults.clear('all');

    // Act
    const after = await sandbox.run(reconcile({}, deps('us-west-2')));
    const east = await sandbox.run(reconcile({}, deps('us-east-1')));

    // Assert
    expect(after.some((o) => o.result !== 'skipped')).toBe(true);
    expect(east.every((o) => o.result === 'skipped')).toBe(true);
  });
});

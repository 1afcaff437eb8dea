import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { evaluateReadiness } from '../../functions/readiness/scheduled.js';
import { reconcile } from '../../functions/reconciler/reconcile.js';
import { Sandbox } from '../../sandbox/sandbox.js';

/**
 * The scheduled passes' DNS questions (functions/runbook/ports/dns.ts, `DnsSample`): a scheduled
 * reconciler pass or readiness evaluation asks each record of one of the zone's name servers and,
 * for an alias, the expected target's addresses; every server and every target only when that
 * server's answer is not the recorded active region. Counted on the simulator's call log.
 */
describe('the scheduled passes ask one name server while it names the recorded region', {
  timeout: 120_000,
}, () => {
  let sandbox: Sandbox;
  const plans = generatedPlans(3);

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans, latency: 'fast', seed: 11 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const east = () => sandbox.region('us-east-1').deps;
  /** DNS questions for records (not the delegation) made outside any Lambda invoke since `from`. */
  const questions = (from: number) =>
    sandbox.aws.simulator.log.slice(from).filter((c) => c.caller === undefined && c.operation === 'DNS A')
      .length;

  it("a scheduled reconciler pass asks two questions per record: the turn's server and the expected target", async () => {
    // Arrange: the delegation is found once (NS, then the servers' addresses).
    await sandbox.run(reconcile({}, east()));
    const from = sandbox.aws.simulator.log.length;

    // Act
    const outcomes = await sandbox.run(reconcile({}, east()));

    // Assert: 2 per app (every server and both targets would be 6).
    expect(outcomes.map((o) => o.result)).toEqual(['nothing-to-do', 'nothing-to-do', 'nothing-to-do']);
    expect(questions(from)).toBe(2 * plans.length);
  });

  it("an execution's pass (one app) asks every name server and both targets", async () => {
    // Act
    const from = sandbox.aws.simulator.log.length;
    await sandbox.run(reconcile({ detail: { app: 'app1' } }, east()));

    // Assert
    expect(questions(from)).toBe(4 + 2);
  });

  it('an app whose record names another region is asked of every server, and the finding follows their answer', async () => {
    // Arrange: app3's record says us-west-2; writer and DNS are in us-east-1.
    const store = east().store;
    const state = await sandbox.run(store.getState('app3'));
    const { epoch } = await sandbox.run(store.acquireLock('app3', 'test', 60_000, { reason: 'test' }));
    await sandbox.run(
      store.setActive('app3', {
        activeRegion: 'us-west-2',
        status: 'ACTIVE',
        expectedVersion: state?.version ?? 0,
        executionId: 'test',
        epoch,
      }),
    );
    await sandbox.run(store.releaseLock('app3', 'test', epoch));
    const from = sandbox.aws.simulator.log.length;

    // Act
    const outcomes = await sandbox.run(reconcile({}, east()));

    // Assert: 2 + 2 for the others, 4 servers and 2 targets for app3, whose record is to be set.
    expect(questions(from)).toBe(2 + 2 + 6);
    const app3 = outcomes.find((o) => o.app === 'app3');
    expect(app3?.finding).toBe('set-record');
    expect(app3?.detail).toContain('recorded us-west-2, observed writer and traffic in us-east-1');
  });

  it('a scheduled readiness evaluation asks two questions per record too', async () => {
    // Arrange: app3's record set back to us-east-1 (the reconciler's own correction is not awaited).
    const store = east().store;
    const state = await sandbox.run(store.getState('app3'));
    const { epoch } = await sandbox.run(store.acquireLock('app3', 'test', 60_000, { reason: 'test' }));
    await sandbox.run(
      store.setActive('app3', {
        activeRegion: 'us-east-1',
        status: 'ACTIVE',
        expectedVersion: state?.version ?? 0,
        executionId: 'test',
        epoch,
      }),
    );
    await sandbox.run(store.releaseLock('app3', 'test', epoch));
    const from = sandbox.aws.simulator.log.length;

    // Act
    const run = await sandbox.run(evaluateReadiness({}, east()));

    // Assert
    expect(run.failed).toEqual([]);
    expect(questions(from)).toBe(2 * plans.length);
  });
});

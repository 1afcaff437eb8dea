import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { READINESS_EVERY_MINUTES, readinessOf } from '../../functions/readiness/readiness.js';
import { evaluateReadiness, READINESS_REWRITE_AFTER_MS } from '../../functions/readiness/scheduled.js';
import { Sandbox } from '../../sandbox/sandbox.js';

/**
 * What a scheduled readiness evaluation writes and reads in the state table, counted on the
 * simulator's call log (operations, not time): a result found unchanged is confirmed by the run's
 * one item instead of a put per record, and each app's last PASSED drill comes from its drill
 * summary (BatchGetItem) instead of a Query per app.
 */
describe('the scheduled readiness evaluation', () => {
  let sandbox: Sandbox;
  const plans = generatedPlans(3);
  const EAST = 'us-east-1';

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans, latency: 'fast', seed: 3 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const deps = () => sandbox.region(EAST).deps;
  /** The DynamoDB operations `work` made, counted by name. */
  const tableCalls = async <T>(work: () => Promise<T>) => {
    const from = sandbox.aws.simulator.log.length;
    const result = await sandbox.run(work());
    const counts: Record<string, number> = {};
    for (const call of sandbox.aws.simulator.log.slice(from))
      if (call.service === 'dynamodb') counts[call.operation] = (counts[call.operation] ?? 0) + 1;
    return { result, counts };
  };

  it('writes every first result, then confirms the unchanged ones with one item and queries no drills', async () => {
    // Act
    const first = await tableCalls(() => evaluateReadiness({}, deps()));
    const record = await sandbox.run(deps().readiness.get('app1', 'us-west-2'));
    await sandbox.run(sandbox.clock.sleep(1_000));
    const second = await tableCalls(() => evaluateReadiness({}, deps()));
    const confirmed = await sandbox.run(deps().readiness.list('app1'));

    // Assert: the first run writes the 3 records and notes 3 drill summaries after 3 Queries; the
    // second writes only its lease and its run item, and reads no drill reports.
    expect(first.result.evaluated.every((e) => e.written)).toBe(true);
    expect(first.counts).toMatchObject({ Query: 3, PutItem: 1 + 3 + 3 });
    expect(second.result.evaluated.map((e) => e.written)).toEqual([false, false, false]);
    expect(second.result.confirmFailed).toBeUndefined();
    expect(second.counts.Query ?? 0).toBe(0);
    expect(second.counts.PutItem).toBe(2);
    // What readers see: the second run's time, the same record as written by the first.
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]?.recordedAt).toBe(record?.evaluatedAt);
    expect(Date.parse(confirmed[0]?.evaluatedAt ?? '')).toBeGreaterThan(
      Date.parse(record?.evaluatedAt ?? ''),
    );
    expect(confirmed[0]?.findings).toEqual(record?.findings);
  });

  it('reads the kept records of its targets only, not of the region each app is active in', async () => {
    // Arrange: the records' batched read, counted.
    const readiness = deps().readiness;
    const asked: { app: string; region: string }[] = [];
    const counted = {
      ...deps(),
      readiness: Object.assign(Object.create(readiness) as typeof readiness, {
        getMany: (keys: readonly { app: string; region: string }[]) => {
          asked.push(...keys);
          return readiness.getMany?.(keys) ?? Promise.reject(new Error('no batched read'));
        },
      }),
    };

    // Act
    const run = await sandbox.run(evaluateReadiness({}, counted));

    // Assert: one key per app, its one target (us-west-2; the apps are active in us-east-1).
    expect(run.evaluated.map((e) => e.region)).toEqual(plans.map(() => 'us-west-2'));
    expect(asked).toEqual(plans.map((plan) => ({ app: plan.name, region: 'us-west-2' })));
  });

  it('writes a result whose findings changed, and reads a drill that passed since from its summary', async () => {
    // Arrange: app2's drill passes (its report raises the summary).
    const before = await sandbox.run(deps().readiness.get('app2', 'us-west-2'));
    expect(before?.findings.map((f) => f.code)).toContain('DRILL_STALE');
    await sandbox.run(
      deps().store.putDrillReport({
        id: 'drill-1',
        app: 'app2',
        at: new Date(sandbox.clock.now()).toISOString(),
        outcome: 'PASSED',
        executionIds: [],
      }),
    );

    // Act
    const run = await tableCalls(() => evaluateReadiness({}, deps()));
    const after = await sandbox.run(deps().readiness.get('app2', 'us-west-2'));

    // Assert: only app2's record is written; no Query.
    expect(run.result.evaluated.filter((e) => e.written).map((e) => e.app)).toEqual(['app2']);
    expect(run.counts.Query ?? 0).toBe(0);
    expect(after?.findings.map((f) => f.code)).not.toContain('DRILL_STALE');
    expect(after?.recordedAt).toBe(after?.evaluatedAt);
  });

  it('confirms only the record as it was written: one rewritten since keeps its own time', async () => {
    // Arrange: a run item confirming app3's record as written at an earlier time than it now was.
    const record = await sandbox.run(deps().readiness.get('app3', 'us-west-2'));
    const { recordedAt: _, ...written } = record ?? ({} as never);
    const rewrittenAt = new Date(sandbox.clock.now()).toISOString();
    await sandbox.run(deps().readiness.put({ ...written, evaluatedAt: rewrittenAt }, written.verdict));

    // Act
    await sandbox.run(
      deps().readiness.confirm?.({
        evaluatedAt: new Date(sandbox.clock.now() + 60_000).toISOString(),
        evaluatedBy: EAST,
        records: [{ app: 'app3', region: 'us-west-2', recordedAt: record?.recordedAt ?? '' }],
      }) ?? Promise.resolve(),
    );
    const read = await sandbox.run(deps().readiness.get('app3', 'us-west-2'));

    // Assert
    expect(read?.evaluatedAt).toBe(rewrittenAt);
  });

  it('rewrites a result unchanged for longer than the rewrite bound', async () => {
    // Act: an hour and more of the sandbox's own scheduled evaluations.
    const start = sandbox.clock.now();
    await sandbox.run(sandbox.clock.sleep(READINESS_REWRITE_AFTER_MS + READINESS_EVERY_MINUTES * 60_000));
    const read = await sandbox.run(deps().readiness.get('app1', 'us-west-2'));

    // Assert: written again after the bound, and confirmed by the latest run since.
    expect(Date.parse(read?.recordedAt ?? '')).toBeGreaterThan(
      start + READINESS_REWRITE_AFTER_MS - 5 * 60_000,
    );
    expect(Date.parse(read?.evaluatedAt ?? '')).toBeGreaterThan(
      sandbox.clock.now() - 2 * READINESS_EVERY_MINUTES * 60_000,
    );
  });

  it('on demand, finds a PASSED drill behind more than 20 newer reports (no summary read)', async () => {
    // Arrange: app3 passed a drill a day ago, then failed 25.
    const now = sandbox.clock.now();
    const report = (id: string, at: number, outcome: 'PASSED' | 'FAILED') =>
      sandbox.run(
        deps().store.putDrillReport({
          id,
          app: 'app3',
          at: new Date(at).toISOString(),
          outcome,
          executionIds: [],
        }),
      );
    await report('passed', now - 86_400_000, 'PASSED');
    for (let i = 0; i < 25; i++) await report(`failed-${i}`, now - 86_400_000 + (i + 1) * 60_000, 'FAILED');

    // Act: the on-demand evaluation (GET /apps/{app}/readiness) reads the reports, not the summary.
    const [toWest] = await sandbox.run(readinessOf('app3', deps()));

    // Assert
    expect(toWest?.findings.map((f) => f.code)).not.toContain('DRILL_STALE');
    expect(toWest?.findings.map((f) => f.code)).not.toContain('DRILL_UNKNOWN');
  });
});

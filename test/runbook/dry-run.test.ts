import { describe, expect, it } from 'vitest';
import { readInputs } from '../../functions/readiness/readiness.js';
import { beginExecution } from '../../functions/runbook/begin.js';
import { type RunContext, startProgress } from '../../functions/runbook/context.js';
import { checkDatabase } from '../../functions/runbook/database.js';
import {
  DRY_RUN_REUSE_SECONDS,
  type DryRunReading,
  dryRunReading,
  preflight,
} from '../../functions/runbook/preflight.js';
import {
  checkTraffic,
  PROPAGATION_DNS_BUDGET_MS,
  PROPAGATION_WAIT_SECONDS,
  shiftTraffic,
} from '../../functions/runbook/traffic.js';
import { DNS_RECHECK_MS } from '../../functions/runbook/verify.js';
import { WAKE_READ_FRESH_MS } from '../../functions/runbook/wake-reads.js';
import { allReady, begun, type Env, promotionUnderWay, SOURCE, setup, TARGET } from './late-steps-world.js';

// The control plane's own time (issue 10): Preflight and Begin decide on the failover request's
// dry run while it is fresh and nothing can have moved since, a woken database check decides on
// the read that woke it, and CheckTraffic asks the name servers between its GetChange polls.
// Unit tests against in-memory fakes; times are virtual (the fake clock).

/** A dry run of `run`'s target that found nothing, read `ageMs` ago with the lock at epoch `lockEpoch`. */
function cleanReading(env: Env, run: RunContext, ageMs = 0, lockEpoch = run.epoch - 1): DryRunReading {
  return {
    readAt: new Date(env.clock.now() - ageMs).toISOString(),
    target: run.to,
    mode: run.mode,
    source: run.from,
    lockEpoch,
    findings: [],
    lagMs: { 'orders-global': 1_500 },
  };
}

describe('Preflight on the request dry run', () => {
  it('decides on a fresh dry run without reading AWS again', async () => {
    // Arrange: AWS now shows a promotion under way (reading would refuse); the dry run, a moment
    // ago with the lock free at the epoch before this run's, found nothing.
    const env = setup('orders', { targetHealthy: 1 });
    const run = await begun(env);
    promotionUnderWay(env);

    // Act
    const result = await preflight({ run, dryRun: cleanReading(env, run) }, env.deps);

    // Assert: it passed on the reading, and says so on its entry
    expect(result.resources).toHaveLength(2);
    expect(result.lagMs).toEqual({ 'orders-global': 1_500 });
    const step = env.state.executions.get('exec-1')?.steps.Preflight;
    expect(step?.status).toBe('SUCCEEDED');
    expect(step?.detail).toMatchObject({ readBy: "the request's dry run" });
  });

  it.each<[string, { ageMs?: number; lockEpoch?: number }]>([
    ['older than the reuse bound', { ageMs: DRY_RUN_REUSE_SECONDS * 1000 + 1 }],
    ['taken before another execution held the lock', { lockEpoch: 5 }],
  ])('reads AWS itself when the dry run is %s', async (_why, options) => {
    // Arrange
    const env = setup('orders', { targetHealthy: 1 });
    const run = await begun(env);
    promotionUnderWay(env);
    const dryRun = cleanReading(env, run, options.ageMs ?? 0, options.lockEpoch ?? run.epoch - 1);

    // Act
    const check = preflight({ run, dryRun }, env.deps);

    // Assert: its own read found the promotion
    await expect(check).rejects.toThrow(/PROMOTION_IN_PROGRESS/);
  });

  it('reads AWS itself when the dry run found something blocking: a refusal rests on what AWS says now', async () => {
    // Arrange: the dry run found the secondary missing; AWS now shows everything ready.
    const env = setup('orders', { targetHealthy: 1 });
    const run = await begun(env);
    const dryRun: DryRunReading = {
      ...cleanReading(env, run),
      findings: [{ code: 'SECONDARY_MISSING', severity: 'blocking', resource: 'x', message: 'no secondary' }],
    };

    // Act
    const result = await preflight({ run, dryRun }, env.deps);

    // Assert: its own reads decided (no finding, and nothing says the dry run was used)
    expect(result.resources).toHaveLength(2);
    const step = env.state.executions.get('exec-1')?.steps.Preflight;
    expect(step?.status).toBe('SUCCEEDED');
    expect(step?.detail?.readBy).toBeUndefined();
  });
});

describe('Begin with the request dry run', () => {
  const request = (dryRun?: DryRunReading) => ({
    request: {
      plan: 'orders',
      targetRegion: TARGET,
      mode: 'graceful',
      trigger: 'operator',
      requestedBy: 'alice',
      reason: 'unit test',
      executionId: 'exec-1',
      ...(dryRun ? { dryRun } : {}),
    },
    executionArn: `arn:aws:states:${TARGET}:111111111111:execution:Runbook:exec-1`,
  });
  const reading = (env: Env, findings: DryRunReading['findings'] = []): DryRunReading => ({
    readAt: new Date(env.clock.now()).toISOString(),
    target: TARGET,
    mode: 'graceful',
    source: SOURCE,
    lockEpoch: 0,
    findings,
    lagMs: {},
  });

  it('records Preflight decided on a fresh dry run and hands its result on (no Preflight state)', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 1 });

    // Act
    const out = await beginExecution(request(reading(env)), env.deps);

    // Assert
    expect(out.preflight?.resources).toHaveLength(2);
    expect(out.dryRun).toBeNull();
    const steps = env.state.executions.get('exec-1')?.steps;
    expect(steps?.Preflight).toMatchObject({ status: 'SUCCEEDED', detail: { decidedBy: 'BeginExecution' } });
  });

  it('leaves a dry run with a blocking finding, or none, to the Preflight state', async () => {
    // Arrange
    const blocked = setup('orders', { targetHealthy: 1 });
    const none = setup('orders', { targetHealthy: 1 });
    const finding = { code: 'SECONDARY_MISSING', severity: 'blocking' as const, resource: 'x', message: 'm' };

    // Act
    const a = await beginExecution(request(reading(blocked, [finding])), blocked.deps);
    const b = await beginExecution(request(), none.deps);

    // Assert
    expect(a.preflight).toBeUndefined();
    expect(a.dryRun?.findings).toHaveLength(1);
    expect(b.preflight).toBeUndefined();
    expect(b.dryRun).toBeNull();
    expect(blocked.state.executions.get('exec-1')?.steps.Preflight).toBeUndefined();
  });
});

describe('dryRunReading', () => {
  it('is Preflight evaluation when the lock was free since before the reads, else none', async () => {
    // Arrange: a run that ended long ago, then one that released the lock just now
    const env = setup('orders', { targetHealthy: 1 });
    await env.state.store.acquireLock('orders', 'exec-old', 60_000);
    await env.state.store.releaseLock('orders', 'exec-old', 1);
    env.clock.advance(10_000);
    const longAgo = await readInputs(env.plan, env.plan.regions, env.deps);
    await env.state.store.acquireLock('orders', 'exec-recent', 60_000);
    await env.state.store.releaseLock('orders', 'exec-recent', 2);
    const justNow = await readInputs(env.plan, env.plan.regions, env.deps);
    const run = { to: TARGET, mode: 'graceful' as const, self: 'exec-1' };

    // Act
    const reusable = dryRunReading(longAgo, run, env.clock.now(), true);
    const tooRecent = dryRunReading(justNow, run, env.clock.now(), true);
    const unreadable = dryRunReading(longAgo, run, env.clock.now(), false);

    // Assert
    expect(reusable).toMatchObject({ target: TARGET, mode: 'graceful', source: SOURCE, lockEpoch: 1 });
    expect(tooRecent).toBeUndefined();
    expect(unreadable).toBeUndefined();
  });
});

describe('CheckDatabase woken with the read that woke it', () => {
  it('finishes on a fresh read showing the target the writer, and reads RDS itself otherwise', async () => {
    // Arrange: RDS (the fake) still names the source the writer; the wake says the target is.
    const env = setup('orders', { targetHealthy: 1 });
    const run = await begun(env, 'ungraceful');
    const resource = { kind: 'database' as const, id: 'orders-global' };
    const target = env.plan.database?.auroraGlobalClusters[0]?.members[TARGET] ?? '';
    const progress = {
      ...startProgress(env.clock, 5, 600),
      phase: 'promoting',
      detail: { method: 'failover' },
    };
    const wake = (ageMs: number) => ({
      woken: true,
      by: 'event',
      promoted: { writers: [target], readAt: new Date(env.clock.now() - ageMs).toISOString() },
    });

    // Act
    const stale = await checkDatabase(
      { run, resource, progress, wake: wake(WAKE_READ_FRESH_MS + 1) },
      env.deps,
    );
    const fresh = await checkDatabase({ run, resource, progress, wake: wake(0) }, env.deps);

    // Assert
    expect(stale.done).toBe(false);
    expect(fresh.done).toBe(true);
    expect(env.state.executions.get('exec-1')?.steps['PromoteDatabase#orders-global']).toMatchObject({
      status: 'SUCCEEDED',
      detail: { readBy: 'WakeOnEvent' },
    });
  });
});

describe('CheckTraffic while a Route 53 change is PENDING', () => {
  it('ends within a re-check of the name servers answering the target, and spends the wait from its budget', async () => {
    // Arrange: billing's change accepted; GetChange answers PENDING throughout; the name servers
    // answer the target 600 ms (virtual) into the second check.
    const env = setup('billing', { targetHealthy: 4 });
    const run = await begun(env);
    const shifted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    let flipAt = Number.POSITIVE_INFINITY;
    Object.assign(env.clock, {
      sleep: async (ms: number) => {
        env.clock.advance(ms);
        if (env.clock.now() >= flipAt)
          for (const record of env.plan.traffic.route53?.records ?? []) env.dns.answers[record.name] = TARGET;
      },
    });

    // Act: the first check's re-check budget passes with the old answer; in the second, DNS flips.
    const first = await checkTraffic({ run, progress: shifted }, env.deps);
    const before = env.clock.now();
    flipAt = before + 600;
    const second = await checkTraffic({ run, progress: first }, env.deps);

    // Assert
    expect(shifted).toMatchObject({ phase: 'propagating', detail: { changeId: 'C1' } });
    expect(first).toMatchObject({ done: false });
    // 8 s of re-checks spent four more 2 s polls of the budget than the poll itself, and the wait
    // before the next poll is short: the name servers were watched for most of the cycle.
    expect(first.attempt).toBe(shifted.attempt + 1 + Math.floor(PROPAGATION_DNS_BUDGET_MS / 2_000));
    expect(first.nextPollSeconds).toBe(PROPAGATION_WAIT_SECONDS);
    expect(second.done).toBe(true);
    expect(env.clock.now() - before).toBeLessThanOrEqual(600 + DNS_RECHECK_MS);
    expect(env.state.executions.get('exec-1')?.steps.ShiftTraffic?.status).toBe('SUCCEEDED');
  });
});

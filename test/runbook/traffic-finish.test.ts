import { describe, expect, it } from 'vitest';
import { planRegistry } from '../../functions/core/plan-registry.js';
import { requestApproval } from '../../functions/runbook/approval.js';
import { type RunContext, recordStep, stepKey } from '../../functions/runbook/context.js';
import { FINISHED_EVENT, finishExecution, recordFailure } from '../../functions/runbook/finish.js';
import { checkTraffic, PROPAGATION_WAIT_SECONDS, shiftTraffic } from '../../functions/runbook/traffic.js';
import { allReady, begun, loseLock, SOURCE, setup, TARGET, verified } from './late-steps-world.js';

// Unit tests of ShiftTraffic/CheckTraffic, FinishExecution and RecordFailure against in-memory
// fakes of their ports (late-steps-world.ts, fakes.ts). One describe per step; times are virtual.

describe('ShiftTraffic and CheckTraffic', () => {
  it('ARC: sets the target On and the others Off in one call, done at once', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6 });
    const run = await begun(env);
    const controls = env.plan.traffic.arc?.routingControls ?? {};

    // Act
    const progress = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );

    // Assert
    expect(env.arc.updates).toEqual([
      { [controls[SOURCE] as string]: 'Off', [controls[TARGET] as string]: 'On' },
    ]);
    expect(progress).toMatchObject({ done: true, detail: { mechanism: 'arc' } });
    expect(env.state.executions.get('exec-1')?.steps.ShiftTraffic?.status).toBe('SUCCEEDED');
  });

  it('ARC: a retried shift sets the same end state again, and nothing else changes', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6 });
    const run = await begun(env);
    const input = { run, prepared: allReady(env.plan), unreachableRegions: [] };
    await shiftTraffic(input, env.deps);
    const after = { ...env.arc.states };

    // Act
    const again = await shiftTraffic(input, env.deps);

    // Assert
    expect(again.done).toBe(true);
    expect(env.arc.states).toEqual(after);
    expect(new Set(env.arc.updates.map((u) => JSON.stringify(u))).size).toBe(1);
  });

  it('refuses to move traffic while a resource is not ready, naming it', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6 });
    const run = await begun(env);
    const prepared = allReady(env.plan).map((p) =>
      p.resource.kind === 'capacity'
        ? { ...p, status: 'FAILED' as const, error: { Error: 'CapacityNotReadyError', Cause: 'at 50%' } }
        : p,
    );

    // Act
    const shift = shiftTraffic({ run, prepared, unreachableRegions: [] }, env.deps);

    // Assert
    await expect(shift).rejects.toMatchObject({ name: 'CapacityNotReadyError' });
    await expect(shift).rejects.toThrow(/capacity orders-web: CapacityNotReadyError: at 50%/);
    expect(env.arc.updates).toEqual([]);
  });

  it('Route 53: a throttled change is retried on the next poll, then waited on until INSYNC', async () => {
    // Arrange
    const env = setup('billing', { targetHealthy: 4 });
    const run = await begun(env);
    env.route53.control.throttleNext = 1;

    // Act
    const refused = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    const accepted = await checkTraffic({ run, progress: refused }, env.deps);
    const pending = await checkTraffic({ run, progress: accepted }, env.deps);
    env.route53.control.changeStatus = 'INSYNC';
    const insync = await checkTraffic({ run, progress: pending }, env.deps);

    // Assert
    expect(refused).toMatchObject({ done: false, phase: 'retrying-change', attempt: 1 });
    expect(refused.detail?.lastError).toMatch(/PriorRequestNotComplete/);
    expect(accepted).toMatchObject({ done: false, phase: 'propagating', detail: { changeId: 'C1' } });
    expect(pending).toMatchObject({ done: false, attempt: accepted.attempt + 1 });
    // The name servers were watched for most of the cycle: a short wait before the next GetChange.
    expect(pending.nextPollSeconds).toBe(PROPAGATION_WAIT_SECONDS);
    expect(accepted.nextPollSeconds).toBeGreaterThan(PROPAGATION_WAIT_SECONDS);
    expect(insync.done).toBe(true);
    expect(env.route53.changes).toEqual([{ primary: TARGET, secondary: SOURCE, changeId: 'C1' }]);
  });

  it('Route 53: once the name servers answer the target for every record, the change is applied: no GetChange is waited for', async () => {
    // Arrange
    const env = setup('billing', { targetHealthy: 4 });
    const run = await begun(env);
    const accepted = await shiftTraffic(
      { run, prepared: allReady(env.plan), unreachableRegions: [] },
      env.deps,
    );
    for (const record of env.plan.traffic.route53?.records ?? []) env.dns.answers[record.name] = TARGET;
    let asked = 0;
    env.route53.port.getChangeStatus = async () => {
      asked++;
      return 'PENDING'; // Route 53's API lags its name servers
    };

    // Act
    const done = await checkTraffic({ run, progress: accepted }, env.deps);

    // Assert
    expect(asked).toBe(0);
    expect(accepted).toMatchObject({ phase: 'propagating', detail: { changeId: 'C1' } });
    expect(done.done).toBe(true);
    expect(env.state.executions.get('exec-1')?.steps.ShiftTraffic?.status).toBe('SUCCEEDED');
  });

  it('is fenced: an execution that lost the lock moves no traffic, nor on a retried change', async () => {
    // Arrange
    const orders = setup('orders', { targetHealthy: 6 });
    const billing = setup('billing', { targetHealthy: 4 });
    const ordersRun = await begun(orders);
    const billingRun = await begun(billing);
    billing.route53.control.throttleNext = 1;
    const refused = await shiftTraffic(
      { run: billingRun, prepared: allReady(billing.plan), unreachableRegions: [] },
      billing.deps,
    );
    await loseLock(orders, ordersRun);
    await loseLock(billing, billingRun);

    // Act
    const shift = shiftTraffic(
      { run: ordersRun, prepared: allReady(orders.plan), unreachableRegions: [] },
      orders.deps,
    );
    const retry = checkTraffic({ run: billingRun, progress: refused }, billing.deps);

    // Assert
    await expect(shift).rejects.toMatchObject({ name: 'LockLostError' });
    await expect(retry).rejects.toMatchObject({ name: 'LockLostError' });
    expect(orders.arc.updates).toEqual([]);
    expect(billing.route53.changes).toEqual([]);
  });
});

describe('FinishExecution', () => {
  it('records SUCCEEDED with the RTO, sets the active region, releases the lock and emits Finished', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6 });
    const run = await verified(env);

    // Act
    const summary = await finishExecution({ run }, env.deps);

    // Assert
    expect(summary).toMatchObject({ status: 'SUCCEEDED', from: SOURCE, to: TARGET, rpoSeconds: 0 });
    expect(env.state.states.get('orders')).toMatchObject({ activeRegion: TARGET, status: 'ACTIVE' });
    expect(env.state.locks.get('orders')?.released).toBe(true);
    expect(env.events.published.map((e) => e.detailType)).toEqual([FINISHED_EVENT]);
    expect(env.autoScaling.updates).toContainEqual({
      region: SOURCE,
      group: 'orders-web-use1',
      capacity: { min: 1, desired: 1, max: 24 },
    });
  });

  it('is idempotent: a second call changes no record, state or audit', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6 });
    const run = await verified(env);
    const first = await finishExecution({ run }, env.deps);
    const record = env.state.executions.get('exec-1');
    const state = env.state.states.get('orders');
    const audit = env.state.audit.length;
    env.clock.advance(30_000);

    // Act
    const second = await finishExecution({ run }, env.deps);

    // Assert
    expect(second).toEqual(first);
    expect(env.state.executions.get('exec-1')).toEqual(record);
    expect(env.state.states.get('orders')).toEqual(state);
    expect(env.state.audit).toHaveLength(audit);
  });

  it('is fenced: an execution that lost the lock records no success', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6 });
    const run = await verified(env);
    await loseLock(env, run);

    // Act
    const finish = finishExecution({ run }, env.deps);

    // Assert
    await expect(finish).rejects.toMatchObject({ name: 'LockLostError' });
    expect(env.state.executions.get('exec-1')?.status).toBe('RUNNING');
  });
});

describe('RecordFailure', () => {
  const failed = (run: RunContext, name = 'CapacityNotReadyError') => ({
    state: { run, error: { Error: name, Cause: JSON.stringify({ errorMessage: 'capacity at 50%' }) } },
  });

  it('graceful, writer never moved: gives the target its standby capacity back, records FAILED, releases the lock', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 3 });
    const run = await begun(env);

    // Act
    const outcome = await recordFailure(failed(run), env.deps);

    // Assert
    expect(outcome).toMatchObject({
      status: 'FAILED',
      error: 'CapacityNotReadyError',
      cause: 'capacity at 50%',
    });
    expect(env.autoScaling.updates).toEqual([
      { region: TARGET, group: 'orders-web-usw2', capacity: { min: 1, desired: 1, max: 24 } },
    ]);
    expect(env.state.executions.get('exec-1')).toMatchObject({
      status: 'FAILED',
      error: { name: 'CapacityNotReadyError' },
    });
    expect(env.state.locks.get('orders')?.released).toBe(true);
  });

  it('is idempotent: a retry after the outcome was recorded changes nothing', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 3 });
    const run = await begun(env);
    await recordFailure(failed(run), env.deps);
    const record = env.state.executions.get('exec-1');
    const updates = env.autoScaling.updates.length;

    // Act
    const again = await recordFailure(failed(run), env.deps);

    // Assert
    expect(again.compensation).toEqual([]);
    expect(env.state.executions.get('exec-1')).toEqual(record);
    expect(env.autoScaling.updates).toHaveLength(updates);
  });

  it('after a lost lock: touches nothing and releases nothing (the lock is another execution’s)', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 3 });
    const run = await begun(env);
    await loseLock(env, run);

    // Act
    const outcome = await recordFailure(failed(run, 'LockLostError'), env.deps);

    // Assert
    expect(outcome.status).toBe('FAILED');
    expect(env.autoScaling.updates).toEqual([]);
    expect(env.state.locks.get('orders')).toMatchObject({ holder: 'exec-other', released: false });
  });

  it('words a Task timeout (States.Timeout, which has no message): the approval wait, or the steps still running', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 3 });
    const run = await begun(env);
    await recordStep(run, env.deps, stepKey('PromoteDatabase', 'orders-global'), {
      name: 'PromoteDatabase',
      resource: 'orders-global',
      status: 'RUNNING',
      startedAt: new Date(env.clock.now()).toISOString(),
    });
    const timedOut = { state: { run, error: { Error: 'States.Timeout', Cause: 'States.Timeout' } } };

    // Act
    const outcome = await recordFailure(timedOut, env.deps);

    // Assert: no approval was waited for (none asked): a failure, not an abort.
    expect(outcome.status).toBe('FAILED');
    expect(outcome.cause).toMatch(
      /^PromoteDatabase orders-global did not answer within its Task's TimeoutSeconds/,
    );
    expect(env.state.executions.get('exec-1')?.error?.message).toBe(outcome.cause);
  });

  it("words an approval that timed out: ABORTED, no approver answered within the plan's approval timeout", async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 3 });
    const run = await begun(env);
    await requestApproval({ run, taskToken: 'token-1' }, env.deps);
    const timedOut = { state: { run, error: { Error: 'States.Timeout' } } };

    // Act
    const outcome = await recordFailure(timedOut, env.deps);

    // Assert
    expect(outcome).toMatchObject({
      status: 'ABORTED',
      cause: `no approver answered within the plan's approval timeout of ${run.approvalTimeoutSeconds} s`,
    });
  });

  it('an ungraceful run never approved gives back the capacity its wait scaled out (approvals.capacity: before-approval)', async () => {
    // Arrange: the target at standby (1); RequestApproval scales it out as the wait begins.
    const env = setup('orders', { targetHealthy: 1 });
    const run = await begun(env, 'ungraceful');
    await requestApproval({ run, taskToken: 'token-1' }, env.deps);
    const scaledOut = [...env.autoScaling.updates];
    const rejected = {
      state: { run, error: { Error: 'ApprovalRejected', Cause: 'rejected by bob: not now' } },
    };

    // Act
    const outcome = await recordFailure(rejected, env.deps);

    // Assert: out to the active profile while it waited, back to standby as it ended (an ungraceful
    // run that was approved keeps its capacity when it fails: that is unchanged).
    expect(scaledOut).toEqual([
      { region: TARGET, group: 'orders-web-usw2', capacity: { min: 6, desired: 6, max: 24 } },
    ]);
    expect(env.state.executions.get('exec-1')?.steps['PrepareCapacity#orders-web']).toMatchObject({
      status: 'SUCCEEDED',
      detail: { desired: 6 },
    });
    expect(env.autoScaling.updates.slice(1)).toEqual([
      { region: TARGET, group: 'orders-web-usw2', capacity: { min: 1, desired: 1, max: 24 } },
    ]);
    expect(outcome).toMatchObject({ status: 'ABORTED' });
    expect(outcome.compensation).toContain(
      'orders-web in us-west-2 back to its standby profile (desired 6 -> 1)',
    );
  });

  it('approvals.capacity: after-approval: the wait scales nothing', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 1 });
    const plan = { ...env.plan, approvals: { ...env.plan.approvals, capacity: 'after-approval' as const } };
    const deps = { ...env.deps, plans: planRegistry([plan]) };
    const run = await begun(env, 'ungraceful');

    // Act
    await requestApproval({ run, taskToken: 'token-1' }, deps);
    const outcome = await recordFailure(
      { state: { run, error: { Error: 'ApprovalRejected', Cause: 'no' } } },
      deps,
    );

    // Assert: nothing scaled, and nothing to give back (Auto Scaling says standby).
    expect(env.autoScaling.updates).toEqual([]);
    expect(outcome.compensation).toContain(
      'orders-web in us-west-2 already at its standby profile (desired 1)',
    );
  });

  it('after verified service: finishes the failover instead of failing it', async () => {
    // Arrange
    const env = setup('orders', { targetHealthy: 6 });
    const run = await verified(env);

    // Act
    const outcome = await recordFailure(failed(run, 'States.TaskFailed'), env.deps);

    // Assert
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', error: '' });
    expect(env.state.executions.get('exec-1')?.status).toBe('SUCCEEDED');
  });
});

import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import type { RunbookDeps } from '../../functions/runbook/context.js';
import { NOT_STARTED } from '../../functions/runbook/reservation.js';
import { applyDrift } from '../../sandbox/drift.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { useSandbox } from '../use-sandbox.js';
import { API_CONTEXT, answerOf, apiEvent } from './api-event.js';

// A failover request prepares the target's capacity itself, at its dry run's verdict and under the
// lock it took beside the dry run (functions/operator-api/request-failover.ts, `preparesCapacity`):
// the first AWS action no longer waits for the record, the start, Begin and the runbook's first
// step. The operator API's handler against the whole sandbox at realistic latencies, on the
// discrete virtual clock: every bound below is in virtual time.

const EAST = 'us-east-1';
const WEST = 'us-west-2';
const OPERATOR = { sub: 'carol', 'switchyard:roles': 'operator' };
/**
 * The handler's call to the first AWS action's effect (the launch), virtual ms: issue 10's 0.6 s
 * from the request, less the 70 ms in front of the handler (the bench's request at 0.600 s, the
 * handler's first call at 0.670 s: API Gateway and the invoke), which this test calls directly.
 */
const FIRST_ACTION_MS = 530;

let sandbox: Sandbox;
let api: ReturnType<typeof makeHandler>;
let deps: RunbookDeps;

useSandbox({ latency: 'realistic', seed: 7 }, (started) => {
  sandbox = started;
  deps = sandbox.region(WEST).deps;
  api = makeHandler(deps);
});

const failover = (app: string, to: string, mode: string, key?: string) =>
  api(
    apiEvent(
      sandbox.clock.now(),
      'POST',
      `/apps/${app}/failovers`,
      OPERATOR,
      { to, mode, reason: 'prepares capacity test' },
      key ? { 'idempotency-key': key } : {},
    ),
    API_CONTEXT,
  ).then(answerOf);

/** The request's own Auto Scaling updates (made outside any execution) since `from` (epoch ms). */
const requestUpdates = (from: number) =>
  sandbox.aws.simulator.log.filter(
    (c) => c.operation === 'UpdateAutoScalingGroup' && c.executionId === undefined && c.startedAt >= from,
  );

async function runToEnd(executionArn: string): Promise<string> {
  const execution = sandbox.stepFunctions.get(executionArn);
  if (!execution) throw new Error(`no execution ${executionArn}`);
  await sandbox.run(execution.done);
  return execution.status;
}

// Whole runbooks at realistic latencies take real CPU on a shared two-core machine: every bound
// asserted is in virtual time.
const HEAVY = { timeout: 300_000 };

describe('a failover request prepares the target capacity at its verdict', HEAVY, () => {
  it('graceful: launches within 0.6 s of the request, under the lock, for its run: recorded, then the run succeeds', async () => {
    // Prepare: billing (no approver) active in us-east-1
    const t0 = sandbox.clock.now();

    // Act
    const answer = await sandbox.run(failover('billing', WEST, 'graceful'));

    // Assess: the launch began within the bound, started by the request's one update per group
    expect(answer.status).toBe(202);
    const updates = requestUpdates(t0);
    expect(updates.map((c) => c.region)).toEqual([WEST, WEST]); // billing-api and billing-workers
    const launch = sandbox.aws.simulator.operations.find(
      (o) => o.name === 'autoscaling:launch' && o.startedAt >= t0,
    );
    expect(launch?.app).toBe('billing');
    expect((launch?.startedAt ?? Infinity) - t0).toBeLessThanOrEqual(FIRST_ACTION_MS);
    // Under the lock: the run's epoch holds it, and the record names that epoch for the step
    const lock = await sandbox.run(deps.store.getLock('billing'));
    expect(lock).toMatchObject({ holder: answer.body.executionId, released: false });
    const record = await sandbox.run(deps.store.getExecution('billing', answer.body.executionId));
    const prepared = Object.values(record?.steps ?? {}).find((s) => s.name === 'PrepareCapacity');
    expect(prepared).toMatchObject({ status: 'SUCCEEDED', resource: 'billing-api' });
    expect(String(prepared?.detail?.why)).toContain(`under the lock (epoch ${lock?.epoch})`);
    expect(await runToEnd(answer.body.executionArn)).toBe('SUCCEEDED');
  });

  it('a request its dry run refuses scales nothing, starts nothing, holds no lock, and is audited', async () => {
    // Prepare: orders' routing control in us-west-2 flipped by hand (a blocking finding)
    applyDrift(sandbox.aws, sandbox.plans, { kind: 'routing-control', region: WEST, state: 'On' });
    const t0 = sandbox.clock.now();
    const executionsBefore = sandbox.stepFunctions.list().length;

    // Act
    const refused = await sandbox.run(failover('orders', WEST, 'graceful'));

    // Assess
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('NotReadyError');
    expect(requestUpdates(t0)).toEqual([]);
    expect(sandbox.stepFunctions.list()).toHaveLength(executionsBefore);
    const lock = await sandbox.run(deps.store.getLock('orders'));
    expect(lock === undefined || lock.released).toBe(true);
    const audit = await sandbox.run(deps.store.listAudit('orders', 10));
    const entry = audit.find((a) => a.action === 'failover.refused');
    expect(entry?.detail).toMatch(
      /graceful failover to us-west-2 refused by its dry run: .*ROUTING_CONTROL_DISAGREES/,
    );
    expect(entry?.detail).toContain('nothing was started or scaled');
  });

  it('gives back what it scaled when the start fails, and nothing else: record FAILED, lock released', async () => {
    // Prepare: billing active in us-west-2 now (the first test); its StartExecution in us-east-1 throttled
    sandbox.aws.faults.add({
      kind: 'api-errors',
      service: 'sfn',
      region: EAST,
      operation: 'StartExecution',
      error: 'ThrottlingException',
      rate: 1,
    });
    // and billing-workers in us-east-1 already at its active size (someone scaled it by hand)
    const eastDeps = sandbox.region(EAST).deps;
    const [api, workers] = sandbox.plans.find((p) => p.name === 'billing')?.compute?.autoScalingGroups ?? [];
    if (!api || !workers) throw new Error('billing has two groups');
    await sandbox.run(eastDeps.autoScaling.update(EAST, workers.members[EAST] ?? '', workers.active));
    const t0 = sandbox.clock.now();
    const desiredOf = async (group: typeof api) =>
      (await sandbox.run(eastDeps.autoScaling.describe(EAST, group.members[EAST] ?? ''))).desired;

    // Act
    const refused = await sandbox.run(failover('billing', EAST, 'graceful', 'start-fails-prepared'));

    // Assess: the group AWS answered below its active size prepared, then given back before the
    // lock's release; the one already active left alone both ways (never shrunk by a give-back)
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    const updates = requestUpdates(t0);
    expect(updates.map((c) => c.region)).toEqual([EAST, EAST]); // billing-api out, then back
    expect(updates.every((c) => c.ok)).toBe(true);
    expect(await desiredOf(api)).toBe(api.standby.desired);
    expect(await desiredOf(workers)).toBe(workers.active.desired);
    await sandbox.run(eastDeps.autoScaling.update(EAST, workers.members[EAST] ?? '', workers.standby));
    const lock = await sandbox.run(deps.store.getLock('billing'));
    expect(lock?.released).toBe(true);
    const records = await sandbox.run(deps.store.listExecutions('billing', { limit: 5 }));
    expect(records.find((r) => r.error?.message.startsWith(NOT_STARTED))?.status).toBe('FAILED');
  });

  it('of two requests at once, only the one holding the lock prepares; a retry by key answers its execution and prepares nothing again', async () => {
    // Prepare: billing active in us-west-2
    const t0 = sandbox.clock.now();

    // Act: two keyed requests at the same virtual instant, then the winner's retry
    const [a, b] = await sandbox.run(
      Promise.all([
        failover('billing', EAST, 'ungraceful', 'race-a'),
        failover('billing', EAST, 'ungraceful', 'race-b'),
      ]),
    );
    const winner = a?.status === 202 ? a : b;
    const loser = a?.status === 202 ? b : a;
    const retry = await sandbox.run(
      failover('billing', EAST, 'ungraceful', winner === a ? 'race-a' : 'race-b'),
    );

    // Assess
    expect(winner?.status, JSON.stringify([a?.body, b?.body])).toBe(202);
    expect(loser?.status).toBe(409);
    expect(loser?.body.error).toBe('FailoverInProgressError');
    expect(requestUpdates(t0)).toHaveLength(2); // one request's update of each of billing's two groups
    expect(retry).toMatchObject({
      status: 202,
      body: { executionId: winner?.body.executionId, replayed: true },
    });
    expect(await runToEnd(winner?.body.executionArn)).toBe('SUCCEEDED');
  });
});

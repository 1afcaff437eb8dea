import { ReplicatedWriteConflictException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientFactory } from '../../functions/aws/client-factory.js';
import { createAwsClients } from '../../functions/aws/clients.js';
import { type NewExecution, type StateStore, stateStore } from '../../functions/aws/state-store.js';
import {
  ConflictError,
  FailoverInProgressError,
  InvalidInputError,
  LockLostError,
  TransientAwsError,
} from '../../functions/core/errors.js';
import {
  type DynamoHarness,
  type FakeClock,
  fakeClock,
  startDynamoHarness,
  uniqueApp,
} from './dynamo-harness.js';

const REGION = 'us-west-2';
const LEASE_MS = 60_000;

let harness: DynamoHarness;

beforeAll(async () => {
  harness = await startDynamoHarness();
});

afterAll(async () => {
  await harness.close();
});

function setup(region = REGION): { store: StateStore; clock: FakeClock } {
  const clock = fakeClock();
  const store = stateStore({ clients: harness.clients, tableName: harness.dynamo.tableName, region, clock });
  return { store, clock };
}

function newExecution(app: string, id: string, startedAt: string): NewExecution {
  return {
    id,
    app,
    runbook: 'warm-standby',
    mode: 'graceful',
    trigger: 'operator',
    from: 'us-east-1',
    to: 'us-west-2',
    requestedBy: 'alice',
    reason: 'drill',
    startedAt,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected the call to reject, it resolved');
}

describe('lock', () => {
  it('lets exactly one of two concurrent acquirers win and names the winner to the loser', async () => {
    // Prepare
    const { store } = setup();
    const app = uniqueApp('race2');

    // Act
    const results = await Promise.allSettled([
      store.acquireLock(app, 'exec-a', LEASE_MS, { reason: 'a' }),
      store.acquireLock(app, 'exec-b', LEASE_MS, { reason: 'b' }),
    ]);

    // Assess
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const lock = await store.getLock(app);
    expect(lock?.epoch).toBe(1);
    const loser = lock?.holder === 'exec-a' ? 'exec-b' : 'exec-a';
    const error = lost[0]?.status === 'rejected' ? lost[0].reason : undefined;
    expect(error).toBeInstanceOf(FailoverInProgressError);
    expect(String((error as Error).message)).toContain(`${app} is locked by ${lock?.holder} (epoch 1`);
    expect(String((error as Error).message)).toContain('lease until 2026-01-01T00:01:00.000Z');
    expect(String((error as Error).message)).toContain(
      `${loser} (refused: it was not started) expected the lock`,
    );
  });

  it('lets exactly one of 20 concurrent acquirers win', async () => {
    // Prepare
    const { store } = setup();
    const app = uniqueApp('race20');
    const holders = Array.from({ length: 20 }, (_, i) => `exec-${i}`);

    // Act
    const results = await Promise.allSettled(holders.map((h) => store.acquireLock(app, h, LEASE_MS)));

    // Assess
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [holders[i]] : []));
    expect(winners).toHaveLength(1);
    const lock = await store.getLock(app);
    expect(lock).toMatchObject({ holder: winners[0], epoch: 1, released: false });
    for (const r of results)
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(FailoverInProgressError);
        expect((r.reason as Error).message).toContain(`locked by ${winners[0]}`);
      }
  });

  it('refuses a second holder while the lease is live', async () => {
    const { store, clock } = setup();
    const app = uniqueApp('held');
    await store.acquireLock(app, 'exec-a', LEASE_MS);

    clock.advance(LEASE_MS); // leaseExpiresAt == now: still live

    await expect(store.acquireLock(app, 'exec-b', LEASE_MS)).rejects.toBeInstanceOf(FailoverInProgressError);
  });

  it('hands an expired lease over with a higher epoch, after which the old holder has lost it', async () => {
    // Prepare
    const { store, clock } = setup();
    const app = uniqueApp('takeover');
    const first = await store.acquireLock(app, 'exec-a', LEASE_MS);
    await store.assertLockHeld(app, 'exec-a', first.epoch);

    // Act
    clock.advance(LEASE_MS + 1);
    const second = await store.acquireLock(app, 'exec-b', LEASE_MS);

    // Assess
    expect(second.epoch).toBe(first.epoch + 1);
    expect(second.reacquired).toBe(false);
    const error = await rejection(store.assertLockHeld(app, 'exec-a', first.epoch));
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as Error).message).toContain(`holder exec-b epoch ${second.epoch}`);
    await expect(store.assertLockHeld(app, 'exec-b', second.epoch)).resolves.toMatchObject({
      holder: 'exec-b',
    });
    // The lock item itself rejects the stale holder's renewal and release.
    await expect(store.renewLock(app, 'exec-a', first.epoch, LEASE_MS)).rejects.toBeInstanceOf(LockLostError);
    await expect(store.releaseLock(app, 'exec-a', first.epoch)).resolves.toEqual({ released: false });
    expect(await store.getLock(app)).toMatchObject({
      holder: 'exec-b',
      epoch: second.epoch,
      released: false,
    });
  });

  it('reports an expired lease as lost to assertLockHeld, though nobody took it over', async () => {
    const { store, clock } = setup();
    const app = uniqueApp('expired');
    const { epoch } = await store.acquireLock(app, 'exec-a', LEASE_MS);

    clock.advance(LEASE_MS + 1);

    const error = await rejection(store.assertLockHeld(app, 'exec-a', epoch));
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as Error).message).toContain('lease expired');
  });

  it('renews a lease its holder still has, and the renewal keeps a takeover out', async () => {
    const { store, clock } = setup();
    const app = uniqueApp('renew');
    const { epoch } = await store.acquireLock(app, 'exec-a', LEASE_MS);

    clock.advance(LEASE_MS - 1);
    const renewedAt = clock.now();
    const renewed = await store.renewLock(app, 'exec-a', epoch, LEASE_MS);
    clock.advance(2); // past the first lease, within the renewed one

    expect(renewed.leaseExpiresAt).toBe(renewedAt + LEASE_MS);
    await expect(store.acquireLock(app, 'exec-b', LEASE_MS)).rejects.toBeInstanceOf(FailoverInProgressError);
    await expect(store.assertLockHeld(app, 'exec-a', epoch)).resolves.toMatchObject({ epoch });
  });

  it('renews a lease that ran out while nobody took the lock over: the epoch is still the newest', async () => {
    const { store, clock } = setup();
    const app = uniqueApp('renew-late');
    const { epoch } = await store.acquireLock(app, 'exec-a', LEASE_MS);

    clock.advance(LEASE_MS + 5);
    await store.renewLock(app, 'exec-a', epoch, LEASE_MS);

    await expect(store.assertLockHeld(app, 'exec-a', epoch)).resolves.toMatchObject({ epoch });
    await expect(store.acquireLock(app, 'exec-b', LEASE_MS)).rejects.toBeInstanceOf(FailoverInProgressError);
  });

  it("rejects a renewal or release carrying an older epoch of the holder's own", async () => {
    const { store, clock } = setup();
    const app = uniqueApp('own-stale-epoch');
    const first = await store.acquireLock(app, 'exec-a', LEASE_MS);
    clock.advance(LEASE_MS + 1);
    const second = await store.acquireLock(app, 'exec-a', LEASE_MS); // expired: taken anew

    const renewal = await rejection(store.renewLock(app, 'exec-a', first.epoch, LEASE_MS));
    const release = await store.releaseLock(app, 'exec-a', first.epoch);

    expect(second).toMatchObject({ epoch: first.epoch + 1, reacquired: false });
    expect(renewal).toBeInstanceOf(LockLostError);
    expect((renewal as Error).message).toContain(`expected holder exec-a epoch ${first.epoch}`);
    expect(release).toEqual({ released: false });
    await expect(store.assertLockHeld(app, 'exec-a', second.epoch)).resolves.toMatchObject({
      released: false,
    });
  });

  it('gives epoch + 1 to the next holder after a release', async () => {
    const { store } = setup();
    const app = uniqueApp('release');
    const first = await store.acquireLock(app, 'exec-a', LEASE_MS);

    const released = await store.releaseLock(app, 'exec-a', first.epoch);
    const second = await store.acquireLock(app, 'exec-b', LEASE_MS);

    expect(released).toEqual({ released: true });
    expect(second.epoch).toBe(first.epoch + 1);
    await expect(store.assertLockHeld(app, 'exec-a', first.epoch)).rejects.toBeInstanceOf(LockLostError);
  });

  it('keeps the epoch on release and reports a second release as a no-op', async () => {
    const { store } = setup();
    const app = uniqueApp('release-twice');
    const { epoch } = await store.acquireLock(app, 'exec-a', LEASE_MS);

    await store.releaseLock(app, 'exec-a', epoch);
    const again = await store.releaseLock(app, 'exec-a', epoch);

    expect(again).toEqual({ released: false });
    expect(await store.getLock(app)).toMatchObject({ holder: 'exec-a', epoch, released: true });
    const error = await rejection(store.assertLockHeld(app, 'exec-a', epoch));
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as Error).message).toContain('released');
  });

  it('treats a re-acquire by the same holder as idempotent: same epoch, lease extended', async () => {
    const { store, clock } = setup();
    const app = uniqueApp('reacquire');
    const first = await store.acquireLock(app, 'exec-a', LEASE_MS);

    clock.advance(10_000);
    const again = await store.acquireLock(app, 'exec-a', LEASE_MS);

    expect(again).toEqual({ epoch: first.epoch, leaseExpiresAt: clock.now() + LEASE_MS, reacquired: true });
    expect(await store.getLock(app)).toMatchObject({
      epoch: first.epoch,
      leaseExpiresAt: clock.now() + LEASE_MS,
    });
  });

  it("does not release someone else's lock", async () => {
    const { store } = setup();
    const app = uniqueApp('foreign-release');
    const { epoch } = await store.acquireLock(app, 'exec-a', LEASE_MS);

    const byOther = await store.releaseLock(app, 'exec-b', epoch);
    const wrongEpoch = await store.releaseLock(app, 'exec-a', epoch + 1);

    expect(byOther).toEqual({ released: false });
    expect(wrongEpoch).toEqual({ released: false });
    await expect(store.assertLockHeld(app, 'exec-a', epoch)).resolves.toMatchObject({ released: false });
    await expect(store.acquireLock(app, 'exec-b', LEASE_MS)).rejects.toBeInstanceOf(FailoverInProgressError);
  });

  it('rejects a lease that is not a positive integer', async () => {
    const { store } = setup();
    await expect(store.acquireLock(uniqueApp('bad-lease'), 'exec-a', 0)).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });
});

describe('state', () => {
  it('creates the state once and returns it unchanged afterwards', async () => {
    const { store } = setup();
    const app = uniqueApp('init');

    const first = await store.initState(app, 'us-east-1');
    const second = await store.initState(app, 'us-west-2');

    expect(first).toMatchObject({
      created: true,
      state: { app, activeRegion: 'us-east-1', status: 'ACTIVE', version: 1 },
    });
    expect(second).toEqual({ created: false, state: first.state });
    expect(await store.getState(app)).toEqual(first.state);
    expect(await store.getState(uniqueApp('never'))).toBeUndefined();
  });

  it('sets the active region under the lock and bumps the version', async () => {
    const { store, clock } = setup();
    const app = uniqueApp('set-active');
    await store.initState(app, 'us-east-1');
    const { epoch } = await store.acquireLock(app, 'exec-a', LEASE_MS);
    clock.advance(1_000);

    const state = await store.setActive(app, {
      activeRegion: 'us-west-2',
      status: 'ACTIVE',
      expectedVersion: 1,
      executionId: 'exec-a',
      epoch,
      lastFailoverAt: '2026-01-01T00:00:01.000Z',
    });

    expect(state).toEqual({
      app,
      activeRegion: 'us-west-2',
      status: 'ACTIVE',
      version: 2,
      lockEpoch: epoch,
      lastExecutionId: 'exec-a',
      lastFailoverAt: '2026-01-01T00:00:01.000Z',
      updatedAt: '2026-01-01T00:00:01.000Z',
    });
    expect(await store.getState(app)).toEqual(state);
  });

  it('refuses a stale version with ConflictError and leaves the state unchanged', async () => {
    const { store } = setup();
    const app = uniqueApp('stale-version');
    await store.initState(app, 'us-east-1');
    const { epoch } = await store.acquireLock(app, 'exec-a', LEASE_MS);
    await store.setActive(app, {
      activeRegion: 'us-east-1',
      status: 'FAILING_OVER',
      expectedVersion: 1,
      executionId: 'exec-a',
      epoch,
    });
    const before = await store.getState(app);

    const error = await rejection(
      store.setActive(app, {
        activeRegion: 'us-west-2',
        status: 'ACTIVE',
        expectedVersion: 1,
        executionId: 'exec-b',
        epoch,
      }),
    );

    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toContain('expected version 1, got version 2');
    expect(await store.getState(app)).toEqual(before);
  });

  it('returns the written state when a write that already landed is retried', async () => {
    const { store } = setup();
    const app = uniqueApp('set-active-retry');
    await store.initState(app, 'us-east-1');
    const { epoch } = await store.acquireLock(app, 'exec-a', LEASE_MS);
    const input = {
      activeRegion: 'us-west-2',
      status: 'ACTIVE',
      expectedVersion: 1,
      executionId: 'exec-a',
      epoch,
    } as const;
    const written = await store.setActive(app, input);

    const retried = await store.setActive(app, input);

    expect(retried).toEqual(written);
    expect(retried.version).toBe(2);
  });

  it('refuses a write with a stale epoch after a takeover and leaves the state unchanged', async () => {
    // Prepare: A holds the lock and has written once; its lease runs out and B takes over and writes.
    const { store, clock } = setup();
    const app = uniqueApp('stale-epoch');
    await store.initState(app, 'us-east-1');
    const a = await store.acquireLock(app, 'exec-a', LEASE_MS);
    await store.setActive(app, {
      activeRegion: 'us-east-1',
      status: 'FAILING_OVER',
      expectedVersion: 1,
      executionId: 'exec-a',
      epoch: a.epoch,
    });
    clock.advance(LEASE_MS + 1);
    const b = await store.acquireLock(app, 'exec-b', LEASE_MS);
    await store.setActive(app, {
      activeRegion: 'us-east-1',
      status: 'ACTIVE',
      expectedVersion: 2,
      executionId: 'exec-b',
      epoch: b.epoch,
    });
    const before = await store.getState(app);

    // Act: A wakes up and writes with the version it sees now, but its old epoch.
    const error = await rejection(
      store.setActive(app, {
        activeRegion: 'us-west-2',
        status: 'ACTIVE',
        expectedVersion: 3,
        executionId: 'exec-a',
        epoch: a.epoch,
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as Error).message).toContain(
      `lock epoch ${a.epoch}, got a state fenced by epoch ${b.epoch}`,
    );
    expect(await store.getState(app)).toEqual(before);
  });

  it('shuts the old holder out of the state as soon as a takeover returns, before the new holder writes', async () => {
    const { store, clock } = setup();
    const app = uniqueApp('fence-on-acquire');
    await store.initState(app, 'us-east-1');
    const a = await store.acquireLock(app, 'exec-a', LEASE_MS);
    clock.advance(LEASE_MS + 1);
    const b = await store.acquireLock(app, 'exec-b', LEASE_MS);
    const before = await store.getState(app);

    const error = await rejection(
      store.setActive(app, {
        activeRegion: 'us-west-2',
        status: 'ACTIVE',
        expectedVersion: 1,
        executionId: 'exec-a',
        epoch: a.epoch,
      }),
    );

    expect(error).toBeInstanceOf(LockLostError);
    expect(before?.lockEpoch).toBe(b.epoch);
    expect(await store.getState(app)).toEqual(before);
  });

  it('keeps a fence written before the state existed', async () => {
    const { store, clock } = setup();
    const app = uniqueApp('fence-before-init');
    const a = await store.acquireLock(app, 'exec-a', LEASE_MS);
    clock.advance(LEASE_MS + 1);
    const b = await store.acquireLock(app, 'exec-b', LEASE_MS);

    expect(await store.getState(app)).toBeUndefined();
    const { state } = await store.initState(app, 'us-east-1');

    expect(state.lockEpoch).toBe(b.epoch);
    await expect(
      store.setActive(app, {
        activeRegion: 'us-west-2',
        status: 'ACTIVE',
        expectedVersion: 1,
        executionId: 'exec-a',
        epoch: a.epoch,
      }),
    ).rejects.toBeInstanceOf(LockLostError);
  });

  it('refuses setActive on an app with no state', async () => {
    const { store } = setup();
    await expect(
      store.setActive(uniqueApp('no-state'), {
        activeRegion: 'us-west-2',
        status: 'ACTIVE',
        expectedVersion: 1,
        executionId: 'x',
        epoch: 1,
      }),
    ).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('executions', () => {
  it('creates, records steps, finishes and lists newest first', async () => {
    // Prepare
    const { store } = setup();
    const app = uniqueApp('exec');
    const older = await store.createExecution(newExecution(app, 'exec-1', '2026-01-01T00:00:00.000Z'));
    const newer = await store.createExecution(newExecution(app, 'exec-2', '2026-01-01T01:00:00.000Z'));

    // Act
    await store.recordStep(app, newer.record.key, 'PromoteDatabase#orders-global', {
      name: 'PromoteDatabase',
      resource: 'orders-global',
      status: 'RUNNING',
      startedAt: '2026-01-01T01:00:05.000Z',
    });
    await store.recordStep(app, newer.record.key, 'PromoteDatabase#orders-global', {
      name: 'PromoteDatabase',
      resource: 'orders-global',
      status: 'SUCCEEDED',
      startedAt: '2026-01-01T01:00:05.000Z',
      finishedAt: '2026-01-01T01:01:10.000Z',
      detail: { rpoSeconds: 0 },
    });
    await store.recordStep(app, newer.record.key, 'ScaleCapacity#orders-web', {
      name: 'ScaleCapacity',
      resource: 'orders-web',
      status: 'SUCCEEDED',
      startedAt: '2026-01-01T01:00:05.000Z',
    });
    const finished = await store.finishExecution(app, newer.record.key, {
      status: 'SUCCEEDED',
      finishedAt: '2026-01-01T01:02:00.000Z',
      rtoSeconds: 120,
      rpoSeconds: 0,
    });

    // Assess
    expect(older.created).toBe(true);
    expect(newer.record.key).toBe('EXEC#2026-01-01T01:00:00.000Z#exec-2');
    expect(finished).toMatchObject({ id: 'exec-2', status: 'SUCCEEDED', rtoSeconds: 120, rpoSeconds: 0 });
    expect(finished.steps).toEqual({
      'PromoteDatabase#orders-global': {
        name: 'PromoteDatabase',
        resource: 'orders-global',
        status: 'SUCCEEDED',
        startedAt: '2026-01-01T01:00:05.000Z',
        finishedAt: '2026-01-01T01:01:10.000Z',
        detail: { rpoSeconds: 0 },
      },
      'ScaleCapacity#orders-web': {
        name: 'ScaleCapacity',
        resource: 'orders-web',
        status: 'SUCCEEDED',
        startedAt: '2026-01-01T01:00:05.000Z',
      },
    });
    expect(await store.getExecution(app, 'exec-2')).toEqual(finished);
    const newestFirst = await store.listExecutions(app);
    expect(newestFirst.map((e) => e.id)).toEqual(['exec-2', 'exec-1']);
    const oldestFirst = await store.listExecutions(app, { newestFirst: false, limit: 1 });
    expect(oldestFirst.map((e) => e.id)).toEqual(['exec-1']);
  });

  it('is idempotent by id: a retried create lands on the first record', async () => {
    const { store } = setup();
    const app = uniqueApp('exec-retry');
    const first = await store.createExecution(newExecution(app, 'exec-1', '2026-01-01T00:00:00.000Z'));

    const retried = await store.createExecution(newExecution(app, 'exec-1', '2026-01-01T00:00:03.000Z'));

    expect(retried).toEqual({ record: first.record, created: false });
    expect(await store.listExecutions(app)).toHaveLength(1);
  });

  it('reserves an id ahead of its record: a pointer alone is no record, a retry lands on the first key', async () => {
    // Arrange: the reservation writes the pointer while the dry run reads (docs/architecture.md,
    // "Work done once"); the record comes later, or never (a refused gate).
    const { store } = setup();
    const app = uniqueApp('exec-point');
    if (!store.pointExecution) throw new Error('the DynamoDB store points executions');

    // Act
    const pointed = await store.pointExecution(app, 'exec-1', '2026-01-01T00:00:00.000Z');
    const unrecorded = await store.getExecution(app, 'exec-1');
    const again = await store.pointExecution(app, 'exec-1', '2026-01-01T00:00:03.000Z');
    const created = await store.createExecution(
      newExecution(app, 'exec-1', '2026-01-01T00:00:03.000Z'),
      again,
    );

    // Assert
    expect(unrecorded).toBeUndefined();
    expect(again).toEqual(pointed);
    expect(created.record.key).toBe(pointed.key);
    expect(created.record.startedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(await store.getExecution(app, 'exec-1')).toEqual(created.record);
  });

  it('refuses a create that reuses an id for another request', async () => {
    const { store } = setup();
    const app = uniqueApp('exec-clash');
    await store.createExecution(newExecution(app, 'exec-1', '2026-01-01T00:00:00.000Z'));

    const clash = { ...newExecution(app, 'exec-1', '2026-01-01T00:00:00.000Z'), to: 'eu-west-1' };

    await expect(store.createExecution(clash)).rejects.toBeInstanceOf(ConflictError);
  });

  it('finishes once: the same outcome again returns the record, another is a conflict', async () => {
    const { store } = setup();
    const app = uniqueApp('exec-finish');
    const { record } = await store.createExecution(newExecution(app, 'exec-1', '2026-01-01T00:00:00.000Z'));
    const failed = await store.finishExecution(app, record.key, {
      status: 'FAILED',
      error: { name: 'CapacityNotReadyError', message: 'orders-web: 3 of 6 InService' },
    });

    const again = await store.finishExecution(app, record.key, { status: 'FAILED' });
    const other = await rejection(store.finishExecution(app, record.key, { status: 'SUCCEEDED' }));

    expect(failed).toMatchObject({ status: 'FAILED', finishedAt: '2026-01-01T00:00:00.000Z' });
    expect(again).toEqual(failed);
    expect(other).toBeInstanceOf(ConflictError);
    expect((other as Error).message).toContain('got FAILED');
  });

  it('records the approval wait on a running execution', async () => {
    const { store } = setup();
    const app = uniqueApp('exec-approval');
    const { record } = await store.createExecution(newExecution(app, 'exec-1', '2026-01-01T00:00:00.000Z'));

    const waiting = await store.updateExecution(app, record.key, {
      status: 'WAITING_APPROVAL',
      approval: { requestedAt: '2026-01-01T00:00:01.000Z' },
    });
    const approved = await store.updateExecution(app, record.key, {
      status: 'RUNNING',
      approval: {
        requestedAt: '2026-01-01T00:00:01.000Z',
        decision: 'APPROVED',
        decidedBy: 'bob',
        decidedAt: '2026-01-01T00:05:00.000Z',
      },
    });

    expect(waiting.status).toBe('WAITING_APPROVAL');
    expect(approved).toMatchObject({
      status: 'RUNNING',
      approval: { decision: 'APPROVED', decidedBy: 'bob' },
    });
    await store.finishExecution(app, record.key, { status: 'ABORTED' });
    await expect(store.updateExecution(app, record.key, { status: 'RUNNING' })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('refuses a step for an execution key that names no record, and creates nothing', async () => {
    const { store } = setup();
    const app = uniqueApp('exec-missing');

    const error = await rejection(
      store.recordStep(app, 'EXEC#2026-01-01T00:00:00.000Z#ghost', 'Begin', {
        name: 'Begin',
        status: 'RUNNING',
        startedAt: 'x',
      }),
    );

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(await store.listExecutions(app)).toEqual([]);
    expect(await store.getExecution(app, 'ghost')).toBeUndefined();
  });
});

describe('audit and drills', () => {
  it('appends audit entries once each and lists them newest first', async () => {
    const { store } = setup();
    const app = uniqueApp('audit');
    const entry = {
      id: 'a1',
      at: '2026-01-01T00:00:00.000Z',
      actor: 'alice',
      action: 'failover.requested',
      app,
      detail: 'region down',
      executionId: 'exec-1',
    };

    const first = await store.appendAudit(entry);
    const again = await store.appendAudit(entry);
    await store.appendAudit({
      id: 'a2',
      at: '2026-01-01T00:01:00.000Z',
      actor: 'bob',
      action: 'failover.approved',
      app,
      detail: 'ok',
    });

    expect(first).toEqual({ created: true });
    expect(again).toEqual({ created: false });
    const listed = await store.listAudit(app);
    expect(listed.map((e) => e.id)).toEqual(['a2', 'a1']);
    expect(listed[1]).toEqual(entry);
    expect(await store.listAudit(app, 1)).toHaveLength(1);
  });

  it('stores drill reports and lists them newest first', async () => {
    const { store } = setup();
    const app = uniqueApp('drill');
    await store.putDrillReport({
      id: 'd1',
      app,
      at: '2026-01-01T00:00:00.000Z',
      outcome: 'PASSED',
      executionIds: ['e1', 'e2'],
    });
    await store.putDrillReport({
      id: 'd2',
      app,
      at: '2026-04-01T00:00:00.000Z',
      outcome: 'FAILED',
      executionIds: ['e3'],
      detail: { rtoSeconds: 400 },
    });

    const drills = await store.listDrills(app);

    expect(drills.map((d) => d.id)).toEqual(['d2', 'd1']);
    expect(drills[0]).toEqual({
      id: 'd2',
      app,
      at: '2026-04-01T00:00:00.000Z',
      outcome: 'FAILED',
      executionIds: ['e3'],
      detail: { rtoSeconds: 400 },
    });
  });

  it("keeps each app's last PASSED drill in a summary that BatchGetItem reads, only ever raised", async () => {
    // Arrange: one app with a PASSED then a FAILED report, and a PASSED one stored late (older);
    // one app noted as having none; one app with no summary at all.
    const { store } = setup();
    const [passed, none, unread] = [
      uniqueApp('drill-sum'),
      uniqueApp('drill-none'),
      uniqueApp('drill-unread'),
    ];
    const report = (id: string, at: string, outcome: 'PASSED' | 'FAILED') =>
      store.putDrillReport({ id, app: passed, at, outcome, executionIds: [] });
    await report('d1', '2026-02-01T00:00:00.000Z', 'PASSED');
    await report('d2', '2026-03-01T00:00:00.000Z', 'FAILED');
    await report('d0', '2026-01-01T00:00:00.000Z', 'PASSED');
    const noted = await store.noteLastPassedDrill?.(none, null);
    // A note made from reports read before a PASSED one was stored never overwrites its summary.
    const late = await store.noteLastPassedDrill?.(passed, null);

    // Act
    const summaries = await store.lastPassedDrills?.([passed, none, unread]);

    // Assert
    expect(noted).toEqual({ created: true });
    expect(late).toEqual({ created: false });
    expect(summaries).toEqual(
      new Map<string, string | null>([
        [passed, '2026-02-01T00:00:00.000Z'],
        [none, null],
      ]),
    );
    // The summary is no report: listing reports leaves it out.
    expect((await store.listDrills(passed)).map((d) => d.id)).toEqual(['d2', 'd1', 'd0']);
    // A PASSED report after the note raises it.
    await store.putDrillReport({
      id: 'd3',
      app: none,
      at: '2026-05-01T00:00:00.000Z',
      outcome: 'PASSED',
      executionIds: [],
    });
    expect((await store.lastPassedDrills?.([none]))?.get(none)).toBe('2026-05-01T00:00:00.000Z');
  });
});

describe("an app's last PASSED drill read from its reports", () => {
  it('is found behind any number of newer reports, read newest first page by page, bounded by time', async () => {
    // Arrange: one PASSED report, then 120 FAILED ones a minute apart (more than a page of 100).
    const { store } = setup();
    const app = uniqueApp('drill-since');
    await store.putDrillReport({
      id: 'passed',
      app,
      at: '2025-12-01T00:00:00.000Z',
      outcome: 'PASSED',
      executionIds: [],
    });
    for (let i = 0; i < 120; i++)
      await store.putDrillReport({
        id: `failed-${i}`,
        app,
        at: new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 60_000).toISOString(),
        outcome: 'FAILED',
        executionIds: [],
      });

    // Act
    const since2025 = await store.lastPassedDrillSince(app, '2025-11-01T00:00:00.000Z');
    const sinceNewYear = await store.lastPassedDrillSince(app, '2026-01-01T01:00:00.000Z');
    const none = await store.lastPassedDrillSince(uniqueApp('drill-never'), '2025-11-01T00:00:00.000Z');

    // Assert: the 20 newest reports hold no PASSED one; the read goes on to the page that does.
    expect((await store.listDrills(app)).some((d) => d.outcome === 'PASSED')).toBe(false);
    expect(since2025).toEqual({ lastPassedAt: '2025-12-01T00:00:00.000Z' });
    // Bounded: the first page reaches back past 01:00 with none PASSED, and the read stops there.
    expect(sinceNewYear).toEqual({ noneSince: '2026-01-01T01:00:00.000Z' });
    expect(none).toEqual({ lastPassedAt: null });
  });
});

describe('idempotency keys', () => {
  it('returns the first execution id for the same request and refuses another request', async () => {
    const { store } = setup();
    const app = uniqueApp('idemp');

    const first = await store.claimIdempotencyKey(app, 'req-1', 'exec-1', 'hash-a');
    const same = await store.claimIdempotencyKey(app, 'req-1', 'exec-2', 'hash-a');
    const other = await rejection(store.claimIdempotencyKey(app, 'req-1', 'exec-3', 'hash-b'));

    expect(first).toEqual({ executionId: 'exec-1', claimed: true });
    expect(same).toEqual({ executionId: 'exec-1', claimed: false });
    expect(other).toBeInstanceOf(ConflictError);
    expect((other as Error).message).toContain(
      'was used for another request at 2026-01-01T00:00:00.000Z (execution id exec-1, started only if that request was accepted): ' +
        'got a request that differs from it (another body or caller; request hash hash-b), ' +
        'expected the same request again to replay it (request hash hash-a) or a new key for a new request',
    );
  });
});

describe('errors other than a failed condition', () => {
  it('are rethrown unchanged', async () => {
    const clock = fakeClock();
    const store = stateStore({ clients: harness.clients, tableName: 'no-such-table', region: REGION, clock });

    await expect(store.getState('orders')).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(store.acquireLock('orders', 'exec-a', LEASE_MS)).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});

describe('multi-Region strong consistency', () => {
  it('classifies ReplicatedWriteConflictException as TransientAwsError, after the SDK retried it, and writes nothing', async () => {
    // Prepare: a client whose every write meets another Region's concurrent write (beneath the
    // SDK, where AWS answers; dynalite has no multi-Region layer to raise it).
    const clock = fakeClock();
    const clients = createAwsClients({
      dynamodbEndpoint: harness.dynamo.endpoint,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
    });
    let attempts = 0;
    clients.dynamodb(REGION).middlewareStack.add(
      (next, context) => async (args) => {
        if (!['PutItemCommand', 'UpdateItemCommand'].includes(context.commandName ?? '')) return next(args);
        attempts += 1;
        throw new ReplicatedWriteConflictException({
          message:
            'The request was rejected because one or more items in the request are being modified by a request in another Region.',
          $metadata: { httpStatusCode: 400 },
        });
      },
      { step: 'deserialize', name: 'replicatedWriteConflict' },
    );
    const store = stateStore({ clients, tableName: harness.dynamo.tableName, region: REGION, clock });
    const app = uniqueApp('mrsc');

    // Act
    const error = await rejection(store.acquireLock(app, 'exec-a', LEASE_MS));

    // Assess
    expect(error).toBeInstanceOf(TransientAwsError);
    expect((error as Error).message).toContain('another Region wrote the same item');
    expect(((error as Error).cause as Error).name).toBe('ReplicatedWriteConflictException');
    expect(attempts).toBeGreaterThan(1); // the SDK's own retry classification (the model's @retryable)
    expect(await setup().store.getLock(app)).toBeUndefined();
  });
});

describe('regions', () => {
  it('sends every call through the client of the store region', async () => {
    const { clock } = setup();
    const asked: string[] = [];
    const clients: ClientFactory = {
      client: (spec, region, endpoint) => {
        asked.push(region);
        return harness.clients.client(spec, region, endpoint);
      },
      dns: (region) => harness.clients.dns(region),
    };

    const store = stateStore({ clients, tableName: harness.dynamo.tableName, region: 'eu-west-1', clock });
    await store.acquireLock(uniqueApp('region'), 'exec-a', LEASE_MS);

    expect(store.region).toBe('eu-west-1');
    expect(asked).toEqual(['eu-west-1']);
    expect(await harness.clients.dynamodb('eu-west-1').config.region()).toBe('eu-west-1');
  });
});

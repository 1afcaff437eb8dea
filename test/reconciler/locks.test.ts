import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { DYNAMODB_CLIENT } from '../../functions/aws/sdk-clients/dynamodb.js';
import { planKey } from '../../functions/aws/state-store.js';
import { RECONCILE_EVERY_MINUTES, reconcile } from '../../functions/reconciler/reconcile.js';
import type { ReconcileMarks } from '../../functions/runbook/ports/reconcile-marks.js';
import type { PlanItem, StateStore } from '../../functions/runbook/ports/state-store.js';
import { Sandbox } from '../../sandbox/sandbox.js';

/**
 * The reconciler reads an app's lock only where a repair (or a mark's write) is in question
 * (functions/reconciler/reconcile.ts): a steady pass reads every app's `STATE` item once, its mark
 * within it (docs/state-store.md), and an app whose finding calls for a repair is still skipped
 * while an execution holds its lock, then repaired under the reconciler's own lock, fenced by its
 * epoch, once the lock is released. The reads are counted on the store's and the marks' batched
 * reads, not timed.
 */
describe('the reconciler reads a lock only when a repair is in question', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  const plans = generatedPlans(3);
  const app = 'app2';
  /** The items each batched read of the pass asked for, per app (`state+mark`: one STATE key). */
  let reads: (PlanItem | 'state+mark')[][] = [];
  let singleLocks = 0;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans, latency: 'fast', seed: 21 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const east = () => sandbox.region('us-east-1').deps;
  /** The raw `STATE` item of `app`, as DynamoDB holds it. */
  const stateItem = async () => {
    const db = sandbox.region('us-east-1').clients.client(DYNAMODB_CLIENT, 'us-east-1');
    const out = await sandbox.run(
      db.send(
        new GetCommand({
          TableName: sandbox.dynamo.tableName,
          Key: { pk: planKey(app), sk: 'STATE' },
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item;
  };
  /** The east region's deps, its store and marks counting what the reconciler reads of them. */
  const counted = () => {
    const store: StateStore = east().store;
    const marks: ReconcileMarks = east().marks;
    const getStatesAndLocks = store.getStatesAndLocks?.bind(store);
    const getWithStates = marks.getWithStates?.bind(marks);
    return {
      ...east(),
      marks: Object.assign(Object.create(marks) as ReconcileMarks, {
        getWithStates: (apps: readonly string[]) => {
          reads.push(...apps.map(() => ['state+mark' as const]));
          return getWithStates?.(apps) ?? Promise.reject(new Error('no batched read'));
        },
      }),
      store: Object.assign(Object.create(store) as StateStore, {
        getStatesAndLocks: (apps: readonly string[], items?: readonly PlanItem[]) => {
          reads.push(...apps.map(() => [...(items ?? ['state', 'lock'])]));
          return getStatesAndLocks?.(apps, items) ?? Promise.reject(new Error('no batched read'));
        },
        getLock: (name: string) => {
          singleLocks++;
          return store.getLock(name);
        },
      }),
    };
  };
  /** One scheduled pass a minute after the last, through the counting store. */
  const pass = async () => {
    await sandbox.run(sandbox.clock.sleep(RECONCILE_EVERY_MINUTES * 60_000));
    reads = [];
    singleLocks = 0;
    const outcomes = await sandbox.run(reconcile({}, counted()));
    return outcomes.find((o) => o.app === app);
  };

  it("a steady pass reads every app's STATE item once (its mark within), and no lock", async () => {
    // Act
    const outcome = await pass();

    // Assert: one key per app, read for the state and the mark at once; not one lock.
    expect(outcome?.result).toBe('nothing-to-do');
    expect(reads).toEqual(plans.map(() => ['state+mark']));
    expect(singleLocks).toBe(0);
  });

  it('an app whose record disagrees with the truth is still skipped while an execution holds its lock', async () => {
    // Arrange: an execution takes the lock and records the app active in us-west-2, where neither
    // its writer nor its users are.
    const store = east().store;
    const grant = await sandbox.run(store.acquireLock(app, 'exec-locks-test', 30 * 60_000));
    const state = await sandbox.run(store.getState(app));
    await sandbox.run(
      store.setActive(app, {
        activeRegion: 'us-west-2',
        status: 'ACTIVE',
        expectedVersion: state?.version ?? 0,
        executionId: 'exec-locks-test',
        epoch: grant.epoch,
      }),
    );

    // Act
    const outcome = await pass();

    // Assert: the repair in question read the lock, saw it live and left the app (no mark).
    expect(outcome).toMatchObject({ result: 'skipped', detail: 'exec-locks-test holds the lock' });
    expect(reads).toContainEqual(['lock']);
    expect(reads.filter((items) => items.includes('lock'))).toHaveLength(1);
    expect(await sandbox.run(east().marks.get(app))).toBeUndefined();

    // Once the execution releases it, the finding settles, then the reconciler repairs the record
    // under its own lock: an epoch above the execution's fences the write.
    await sandbox.run(store.releaseLock(app, 'exec-locks-test', grant.epoch));
    expect((await pass())?.result).toBe('settling');

    // The mark is kept in the STATE item, written without touching its version or fence, and is
    // no part of the state read from it.
    const marked = await stateItem();
    expect(marked?.reconcile).toMatchObject({ fingerprint: expect.stringMatching(/.+/) });
    expect(marked).toMatchObject({ version: (state?.version ?? 0) + 1, lockEpoch: grant.epoch });
    expect(await sandbox.run(store.getState(app))).not.toHaveProperty('reconcile');
    expect(await sandbox.run(east().marks.get(app))).toEqual(
      expect.objectContaining({ fingerprint: marked?.reconcile?.fingerprint }),
    );

    await pass();
    const repaired = await sandbox.run(store.getState(app));
    const lock = await sandbox.run(store.getLock(app));
    expect(repaired).toMatchObject({ activeRegion: 'us-east-1', status: 'ACTIVE' });
    expect(repaired?.lockEpoch).toBeGreaterThan(grant.epoch);
    expect(lock).toMatchObject({ holder: 'reconciler-us-east-1', released: true });
    // The fenced writes of the repair (the lock's fence, the state) left the mark in the item.
    expect((await stateItem())?.reconcile).toMatchObject({ fingerprint: expect.any(String) });
  });
});

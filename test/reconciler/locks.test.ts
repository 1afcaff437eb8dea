import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { RECONCILE_EVERY_MINUTES, reconcile } from '../../functions/reconciler/reconcile.js';
import type { PlanItem, StateStore } from '../../functions/runbook/ports/state-store.js';
import { Sandbox } from '../../sandbox/sandbox.js';

/**
 * The reconciler reads an app's lock only where a repair (or a mark's write) is in question
 * (functions/reconciler/reconcile.ts): a steady pass reads every app's state and mark, and an app
 * whose finding calls for a repair is still skipped while an execution holds its lock, then
 * repaired under the reconciler's own lock, fenced by its epoch, once the lock is released. The
 * reads are counted on the store's batched reads, not timed.
 */
describe('the reconciler reads a lock only when a repair is in question', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  const plans = generatedPlans(3);
  const app = 'app2';
  /** The items each batched read of the pass asked for, per app. */
  let reads: PlanItem[][] = [];
  let singleLocks = 0;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans, latency: 'fast', seed: 21 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const east = () => sandbox.region('us-east-1').deps;
  /** The east region's deps, its store counting what the reconciler reads of it. */
  const counted = () => {
    const store: StateStore = east().store;
    const getStatesAndLocks = store.getStatesAndLocks?.bind(store);
    return {
      ...east(),
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

  it("a steady pass reads every app's state, and no lock", async () => {
    // Act
    const outcome = await pass();

    // Assert: one state key per app; not one lock.
    expect(outcome?.result).toBe('nothing-to-do');
    expect(reads).toEqual(plans.map(() => ['state']));
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
    await pass();
    const repaired = await sandbox.run(store.getState(app));
    const lock = await sandbox.run(store.getLock(app));
    expect(repaired).toMatchObject({ activeRegion: 'us-east-1', status: 'ACTIVE' });
    expect(repaired?.lockEpoch).toBeGreaterThan(grant.epoch);
    expect(lock).toMatchObject({ holder: 'reconciler-us-east-1', released: true });
  });
});

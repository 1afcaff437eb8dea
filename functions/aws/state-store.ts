import type { Clock } from '../core/clock.js';
import type { LockRecord } from '../core/records.js';
import type { StateStore } from '../runbook/ports/state-store.js';
import type { ClientFactory } from './client-factory.js';
import { executionOperations } from './state-store/executions.js';
import { historyOperations } from './state-store/history.js';
import { lockOperations } from './state-store/lock.js';
import { planStateOperations } from './state-store/plan-state.js';
import {
  batchGet,
  fromItem,
  itemKey,
  LOCK_SK,
  planKey,
  STATE_SK,
  stateFrom,
  table,
} from './state-store/table.js';

/**
 * Switchyard's state store on DynamoDB (docs/state-store.md).
 *
 * One table, `pk` = `PLAN#<app>`, and per app the items:
 * - `STATE`: the active region, status and version of the plan;
 * - `LOCK`: the failover lock (holder, fencing epoch, lease);
 * - `EXEC#<startedAt ISO>#<id>`: execution records, with `EXECID#<id>` pointers to find them by id;
 * - `AUDIT#<at ISO>#<id>`, `DRILL#<at ISO>#<id>`: the audit trail and DR test reports;
 * - `IDEMP#<key>`: operator request idempotency keys.
 *
 * Production runs on an MRSC global table, which has no transactions and no TTL, so every write
 * here is a **single-item conditional write**, and a lease ends by a condition on
 * `leaseExpiresAt` against the injected clock, never by expiry of the item. Nothing is deleted.
 * Every call goes to the replica of the store's own `region`: a failover into region B never
 * needs region A's DynamoDB endpoint. Reads that decide something are strongly consistent.
 *
 * ## Fencing without transactions
 *
 * 1. Epochs are minted only by the `LOCK` item: taking the lock is one conditional UpdateItem that
 *    sets `epoch = epoch + 1`. Under MRSC that write is a linearizable compare-and-set in every
 *    region, so each epoch is granted to exactly one holder, and since release keeps the epoch and
 *    the item is never deleted, epochs increase strictly forever. Renew and release are
 *    conditioned on `holder` and `epoch`, so a stale holder can neither extend nor free a lock it
 *    lost.
 * 2. The `STATE` item carries `lockEpoch`, the highest epoch that has written (or fenced) it. Every
 *    lock-bearing write to it is conditioned on `attribute_not_exists(lockEpoch) OR lockEpoch <=
 *    :epoch` and sets `lockEpoch = :epoch`, so `lockEpoch` only grows, and once epoch *e* has
 *    touched STATE no holder of an epoch below *e* can write it again.
 * 3. {@link StateStore.acquireLock} fences STATE itself right after taking the lock (a second
 *    single-item write raising `lockEpoch` to the new epoch). So when a new holder's Begin step
 *    returns, every older holder is already shut out of STATE, even one that passed
 *    `assertLockHeld` just before its lease ran out and then stalled: the classic pause that a
 *    lease alone cannot cover. If the process dies between the two writes, the retried Begin
 *    re-acquires (idempotent, same epoch) and fences again.
 * 4. `setActive` is also a compare-and-set on `version`: a writer whose read is stale gets a
 *    {@link ConflictError} rather than overwriting, so no update is silently lost even in the
 *    short window of point 3.
 *
 * ## Finding an execution by id
 *
 * Execution items are keyed by start time so that a Query lists them in order. To find one by id,
 * `createExecution` first writes a pointer item `EXECID#<id>` (with `attribute_not_exists`) naming
 * the record's sort key, then the record. The pointer also makes creation idempotent: a retried
 * Begin step, with a later clock reading, finds the pointer and lands on the first attempt's key.
 * `pointExecution` writes the pointer alone, ahead of the record (the operator API's reservation
 * does, while its dry run reads), and `createExecution` given its answer writes only the record;
 * a pointer without a record is no execution (`getExecution` answers undefined).
 * Callers keep the `key` of the record (returned on every record) for the per-step writes, which
 * then cost one write each; `getExecution(app, id)` costs two reads.
 */

// The records live in the core and the port beside the use cases; re-exported for the adapter's callers.
export type * from '../core/records.js';
export type * from '../runbook/ports/state-store.js';

export interface StateStoreDeps {
  readonly clients: ClientFactory;
  readonly tableName: string;
  /** The region of the control plane using the store: its calls go to this region's replica. */
  readonly region: string;
  readonly clock: Clock;
}

export { executionKey, planKey } from './state-store/table.js';

/** Builds the state store for one region's replica: its parts, per record, over one table. */
export function stateStore(deps: StateStoreDeps): StateStore {
  const t = table(deps);
  return {
    region: deps.region,
    ...planStateOperations(t),
    ...lockOperations(t),
    ...executionOperations(t),
    ...historyOperations(t),
    async getStatesAndLocks(apps, read = ['state', 'lock']) {
      const sks = [
        ...(read.includes('state') ? [STATE_SK] : []),
        ...(read.includes('lock') ? [LOCK_SK] : []),
      ];
      const items = await batchGet(
        t.db.send,
        t.TableName,
        apps.flatMap((app) => sks.map((sk) => ({ pk: planKey(app), sk }))),
      );
      return new Map(
        apps.map((app) => {
          const state = stateFrom(items.get(itemKey(planKey(app), STATE_SK)));
          const lock = fromItem<LockRecord>(items.get(itemKey(planKey(app), LOCK_SK)));
          return [app, { ...(state ? { state } : {}), ...(lock ? { lock } : {}) }] as const;
        }),
      );
    },
  };
}

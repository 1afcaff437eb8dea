import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Clock, isoNow } from '../core/clock.js';
import { ConflictError, FailoverInProgressError, InvalidInputError, LockLostError } from '../core/errors.js';
import type {
  AuditEntry,
  DrillReport,
  ExecutionRecord,
  IdempotencyRecord,
  LockRecord,
  PlanState,
} from '../core/records.js';
import type { StateStore } from '../runbook/ports/state-store.js';
import type { ClientFactory } from './client-factory.js';
import { DYNAMODB_CLIENT } from './sdk-clients.js';
import { translateAwsError } from './translate-error.js';

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

// --- keys ------------------------------------------------------------------------------------

const STATE_SK = 'STATE';
const LOCK_SK = 'LOCK';
const EXEC_PREFIX = 'EXEC#';
const EXEC_ID_PREFIX = 'EXECID#';
const AUDIT_PREFIX = 'AUDIT#';
const DRILL_PREFIX = 'DRILL#';
const IDEMP_PREFIX = 'IDEMP#';

// Lock acquisition retries only when the lock changed between a failed write and the read that
// explains it (e.g. released in between); three rounds make that race vanishingly unlikely.
const ACQUIRE_ROUNDS = 3;

const DEFAULT_EXECUTION_LIMIT = 20;
const DEFAULT_AUDIT_LIMIT = 50;
const DEFAULT_DRILL_LIMIT = 20;

/** The partition key of an app's items. */
export function planKey(app: string): string {
  return `PLAN#${app}`;
}

/** The sort key of an execution record. */
export function executionKey(startedAt: string, id: string): string {
  return `${EXEC_PREFIX}${startedAt}#${id}`;
}

// --- implementation --------------------------------------------------------------------------

type Item = Record<string, unknown>;

const CONDITION_FAILED = Symbol('ConditionalCheckFailed');

/** Runs a conditional write; a failed condition is a value, every other error is rethrown unchanged. */
async function conditionally<T>(write: Promise<T>): Promise<T | typeof CONDITION_FAILED> {
  try {
    return await write;
  } catch (error: unknown) {
    if (error instanceof ConditionalCheckFailedException) return CONDITION_FAILED;
    throw error;
  }
}

/** Expression attribute names for `attributes`, as `#name` (every name, reserved word or not). */
function names(...attributes: string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((a) => [`#${a}`, a]));
}

// Items are written only by this module, so their shape is the record's plus the keys.
function fromItem<T>(item: Item | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}

function stateFrom(item: Item | undefined): PlanState | undefined {
  // A STATE item fenced by acquireLock before initState holds only `lockEpoch`: not a state yet.
  if (!item || typeof item.version !== 'number') return undefined;
  return fromItem<PlanState>(item);
}

function executionFrom(item: Item | undefined): ExecutionRecord | undefined {
  const record = fromItem<Omit<ExecutionRecord, 'key'>>(item);
  if (!record || !item) return undefined;
  return { ...record, key: String(item.sk) };
}

function positiveInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new InvalidInputError(`${what} must be a positive integer, got ${value}`);
}

function describeLock(lock: LockRecord): string {
  const lease = new Date(lock.leaseExpiresAt).toISOString();
  return lock.released
    ? `holder ${lock.holder} epoch ${lock.epoch}, released at ${lock.releasedAt ?? 'unknown'}`
    : `holder ${lock.holder} epoch ${lock.epoch}, lease until ${lease}`;
}

/** Builds the state store for one region's replica. */
export function stateStore(deps: StateStoreDeps): StateStore {
  const { tableName: TableName, region, clock } = deps;
  const client: DynamoDBDocumentClient = deps.clients.client(DYNAMODB_CLIENT, region);
  // Throttling, an endpoint that does not answer and 5xx faults leave here as ThrottledError,
  // RegionUnavailableError and TransientAwsError: the names the runbooks' Retry policies match, so
  // a step retries a throttled write instead of failing the failover. A failed condition (a 400)
  // passes through unchanged for `conditionally`.
  const db = {
    send: ((command: Parameters<DynamoDBDocumentClient['send']>[0]) =>
      client.send(command).catch((error: unknown) => {
        throw translateAwsError(error, {
          operation: command.constructor.name.replace(/Command$/, ''),
          region,
          resource: TableName,
        });
      })) as DynamoDBDocumentClient['send'],
  };

  const get = async (app: string, sk: string): Promise<Item | undefined> => {
    const out = await db.send(
      new GetCommand({ TableName, Key: { pk: planKey(app), sk }, ConsistentRead: true }),
    );
    return out.Item;
  };

  const query = async (app: string, prefix: string, limit: number, newestFirst: boolean): Promise<Item[]> => {
    positiveInteger(limit, 'limit');
    const out = await db.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': planKey(app), ':prefix': prefix },
        ScanIndexForward: !newestFirst,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return out.Items ?? [];
  };

  /** Creates an item that must not exist yet; false if it does. */
  const putNew = async (app: string, sk: string, attributes: Item): Promise<boolean> => {
    const result = await conditionally(
      db.send(
        new PutCommand({
          TableName,
          Item: { ...attributes, pk: planKey(app), sk },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return result !== CONDITION_FAILED;
  };

  const getState = async (app: string) => stateFrom(await get(app, STATE_SK));
  const getLock = async (app: string) => fromItem<LockRecord>(await get(app, LOCK_SK));
  const getExecutionByKey = async (app: string, key: string) => executionFrom(await get(app, key));

  /** Raises STATE's lockEpoch to `epoch` (creating a bare fence item if there is no state yet). */
  const fenceState = async (app: string, epoch: number): Promise<void> => {
    // A failed condition means an equal or higher epoch already fenced it: nothing to do.
    await conditionally(
      db.send(
        new UpdateCommand({
          TableName,
          Key: { pk: planKey(app), sk: STATE_SK },
          UpdateExpression: 'SET #lockEpoch = :epoch',
          ConditionExpression: 'attribute_not_exists(#lockEpoch) OR #lockEpoch < :epoch',
          ExpressionAttributeNames: names('lockEpoch'),
          ExpressionAttributeValues: { ':epoch': epoch },
        }),
      ),
    );
  };

  const lockLost = (app: string, holder: string, epoch: number, lock: LockRecord | undefined, why: string) =>
    new LockLostError(
      `${app}: execution ${holder} no longer holds the lock (${why}): expected holder ${holder} epoch ${epoch} ` +
        `with a live lease, got ${lock ? describeLock(lock) : 'no lock'}`,
    );

  const store: StateStore = {
    region,

    getState,

    async initState(app, activeRegion) {
      const updated = await conditionally(
        db.send(
          new UpdateCommand({
            TableName,
            Key: { pk: planKey(app), sk: STATE_SK },
            // An UpdateItem, not a Put: it keeps a lockEpoch fence written before the state existed.
            UpdateExpression:
              'SET #app = :app, #activeRegion = :region, #status = :status, #version = :one, #updatedAt = :now',
            ConditionExpression: 'attribute_not_exists(#version)',
            ExpressionAttributeNames: names('app', 'activeRegion', 'status', 'version', 'updatedAt'),
            ExpressionAttributeValues: {
              ':app': app,
              ':region': activeRegion,
              ':status': 'ACTIVE',
              ':one': 1,
              ':now': isoNow(clock),
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (updated !== CONDITION_FAILED) {
        const state = stateFrom(updated.Attributes);
        if (state) return { state, created: true };
      }
      const existing = await getState(app);
      if (!existing)
        throw new ConflictError(`${app}: state: initState lost a race and found no state after it`);
      return { state: existing, created: false };
    },

    async setActive(app, input) {
      const { activeRegion, status, expectedVersion, executionId, epoch, lastFailoverAt } = input;
      positiveInteger(epoch, 'epoch');
      const sets = [
        '#activeRegion = :region',
        '#status = :status',
        '#version = #version + :one',
        '#lockEpoch = :epoch',
        '#lastExecutionId = :executionId',
        '#updatedAt = :now',
      ];
      const attributeNames = names(
        'activeRegion',
        'status',
        'version',
        'lockEpoch',
        'lastExecutionId',
        'updatedAt',
      );
      const values: Item = {
        ':region': activeRegion,
        ':status': status,
        ':one': 1,
        ':epoch': epoch,
        ':executionId': executionId,
        ':now': isoNow(clock),
        ':expected': expectedVersion,
      };
      if (lastFailoverAt !== undefined) {
        sets.push('#lastFailoverAt = :lastFailoverAt');
        Object.assign(attributeNames, names('lastFailoverAt'));
        values[':lastFailoverAt'] = lastFailoverAt;
      }
      Object.assign(attributeNames, names('statusReason'));
      let removes = '';
      if (input.reason !== undefined) {
        sets.push('#statusReason = :statusReason');
        values[':statusReason'] = input.reason.slice(0, 2048);
      } else removes = ' REMOVE #statusReason';
      const updated = await conditionally(
        db.send(
          new UpdateCommand({
            TableName,
            Key: { pk: planKey(app), sk: STATE_SK },
            UpdateExpression: `SET ${sets.join(', ')}${removes}`,
            ConditionExpression:
              '#version = :expected AND (attribute_not_exists(#lockEpoch) OR #lockEpoch <= :epoch)',
            ExpressionAttributeNames: attributeNames,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (updated !== CONDITION_FAILED) {
        const state = stateFrom(updated.Attributes);
        if (state) return state;
      }

      const item = await get(app, STATE_SK);
      const current = stateFrom(item);
      const fence = item?.lockEpoch;
      if (typeof fence === 'number' && fence > epoch)
        throw new LockLostError(
          `${app}: state: execution ${executionId} wrote with lock epoch ${epoch}, ` +
            `got a state fenced by epoch ${fence}; expected epoch ${fence} or higher`,
        );
      if (!current)
        throw new ConflictError(
          `${app}: state: setActive expected version ${expectedVersion}, got no state (initState first)`,
        );
      const alreadyApplied =
        current.version === expectedVersion + 1 &&
        current.lastExecutionId === executionId &&
        current.lockEpoch === epoch &&
        current.activeRegion === activeRegion &&
        current.status === status;
      if (alreadyApplied) return current;
      throw new ConflictError(
        `${app}: state changed since it was read: expected version ${expectedVersion}, got version ` +
          `${current.version} (activeRegion ${current.activeRegion}, status ${current.status}, ` +
          `last execution ${current.lastExecutionId ?? 'none'})`,
      );
    },

    async acquireLock(app, holder, leaseMs, options = {}) {
      positiveInteger(leaseMs, 'leaseMs');
      let seen: LockRecord | undefined;
      for (let round = 0; round < ACQUIRE_ROUNDS; round++) {
        const now = clock.now();
        const leaseExpiresAt = now + leaseMs;
        const taken = await conditionally(
          db.send(
            new UpdateCommand({
              TableName,
              Key: { pk: planKey(app), sk: LOCK_SK },
              // The epoch increments inside the conditional write itself: one CAS mints it.
              UpdateExpression:
                'SET #app = :app, #holder = :holder, #epoch = if_not_exists(#epoch, :zero) + :one, ' +
                '#leaseExpiresAt = :lease, #acquiredAt = :nowIso, #reason = :reason, #released = :false ' +
                'REMOVE #releasedAt',
              ConditionExpression:
                'attribute_not_exists(#epoch) OR #released = :true OR #leaseExpiresAt < :now',
              ExpressionAttributeNames: names(
                'app',
                'holder',
                'epoch',
                'leaseExpiresAt',
                'acquiredAt',
                'reason',
                'released',
                'releasedAt',
              ),
              ExpressionAttributeValues: {
                ':app': app,
                ':holder': holder,
                ':zero': 0,
                ':one': 1,
                ':lease': leaseExpiresAt,
                ':nowIso': new Date(now).toISOString(),
                ':reason': options.reason ?? '',
                ':false': false,
                ':true': true,
                ':now': now,
              },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        if (taken !== CONDITION_FAILED) {
          const lock = fromItem<LockRecord>(taken.Attributes);
          if (lock) {
            await fenceState(app, lock.epoch);
            return { epoch: lock.epoch, leaseExpiresAt: lock.leaseExpiresAt, reacquired: false };
          }
        }

        // Held and live. If by this holder (a retried Begin), extend it: same epoch.
        const extended = await conditionally(
          db.send(
            new UpdateCommand({
              TableName,
              Key: { pk: planKey(app), sk: LOCK_SK },
              UpdateExpression: 'SET #leaseExpiresAt = :lease',
              ConditionExpression: '#holder = :holder AND #released = :false AND #leaseExpiresAt >= :now',
              ExpressionAttributeNames: names('holder', 'released', 'leaseExpiresAt'),
              ExpressionAttributeValues: {
                ':holder': holder,
                ':false': false,
                ':lease': leaseExpiresAt,
                ':now': now,
              },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        if (extended !== CONDITION_FAILED) {
          const lock = fromItem<LockRecord>(extended.Attributes);
          if (lock) {
            // Fence again: the first attempt may have died between taking the lock and fencing.
            await fenceState(app, lock.epoch);
            return { epoch: lock.epoch, leaseExpiresAt: lock.leaseExpiresAt, reacquired: true };
          }
        }

        seen = await getLock(app);
        const heldByAnother =
          seen !== undefined &&
          !seen.released &&
          seen.leaseExpiresAt >= clock.now() &&
          seen.holder !== holder;
        if (heldByAnother) break;
        // The lock changed between the writes and the read (released, expired, taken by this
        // holder's twin): try again.
      }
      if (seen && !seen.released)
        throw new FailoverInProgressError(
          `${app} is locked by ${seen.holder} (epoch ${seen.epoch}, lease until ` +
            `${new Date(seen.leaseExpiresAt).toISOString()}, reason: ${seen.reason || 'none given'}); ` +
            `${holder} expected the lock to be free, released or expired`,
        );
      throw new ConflictError(
        `${app}: lock: ${holder} could not take the lock in ${ACQUIRE_ROUNDS} rounds of contention, ` +
          `got ${seen ? describeLock(seen) : 'no lock'}`,
      );
    },

    async renewLock(app, holder, epoch, leaseMs) {
      positiveInteger(leaseMs, 'leaseMs');
      const leaseExpiresAt = clock.now() + leaseMs;
      const renewed = await conditionally(
        db.send(
          new UpdateCommand({
            TableName,
            Key: { pk: planKey(app), sk: LOCK_SK },
            UpdateExpression: 'SET #leaseExpiresAt = :lease',
            // No lease condition: a takeover always bumps the epoch, so "same holder, same epoch,
            // not released" proves nobody else has held the lock since.
            ConditionExpression: '#holder = :holder AND #epoch = :epoch AND #released = :false',
            ExpressionAttributeNames: names('holder', 'epoch', 'released', 'leaseExpiresAt'),
            ExpressionAttributeValues: {
              ':holder': holder,
              ':epoch': epoch,
              ':false': false,
              ':lease': leaseExpiresAt,
            },
          }),
        ),
      );
      if (renewed === CONDITION_FAILED)
        throw lockLost(app, holder, epoch, await getLock(app), 'renewal refused');
      return { leaseExpiresAt };
    },

    async releaseLock(app, holder, epoch) {
      const released = await conditionally(
        db.send(
          new UpdateCommand({
            TableName,
            Key: { pk: planKey(app), sk: LOCK_SK },
            // The epoch stays: the next holder gets epoch + 1, so epochs never repeat.
            UpdateExpression: 'SET #released = :true, #releasedAt = :nowIso',
            ConditionExpression: '#holder = :holder AND #epoch = :epoch AND #released = :false',
            ExpressionAttributeNames: names('holder', 'epoch', 'released', 'releasedAt'),
            ExpressionAttributeValues: {
              ':holder': holder,
              ':epoch': epoch,
              ':true': true,
              ':false': false,
              ':nowIso': isoNow(clock),
            },
          }),
        ),
      );
      // Not holding it any more is not an error: a failure path must never wedge on its release.
      return { released: released !== CONDITION_FAILED };
    },

    async assertLockHeld(app, holder, epoch) {
      const lock = await getLock(app);
      if (!lock) throw lockLost(app, holder, epoch, lock, 'the app has no lock');
      if (lock.holder !== holder || lock.epoch !== epoch)
        throw lockLost(app, holder, epoch, lock, 'taken over');
      if (lock.released) throw lockLost(app, holder, epoch, lock, 'released');
      if (lock.leaseExpiresAt < clock.now()) throw lockLost(app, holder, epoch, lock, 'lease expired');
      return lock;
    },

    getLock,

    async createExecution(input) {
      const { id, app } = input;
      let key = executionKey(input.startedAt, id);
      let startedAt = input.startedAt;
      // The pointer first: it reserves the id, and a retry (with a later startedAt) finds the key
      // of the first attempt through it.
      const pointed = await putNew(app, `${EXEC_ID_PREFIX}${id}`, { app, executionId: id, key, startedAt });
      if (!pointed) {
        const pointer = await get(app, `${EXEC_ID_PREFIX}${id}`);
        if (typeof pointer?.key !== 'string' || typeof pointer.startedAt !== 'string')
          throw new ConflictError(`${app}: execution ${id}: expected a pointer item with a key, got none`);
        key = pointer.key;
        startedAt = pointer.startedAt;
      }
      const record: Omit<ExecutionRecord, 'key'> = {
        ...input,
        startedAt,
        status: input.status ?? 'RUNNING',
        steps: input.steps ?? {},
      };
      if (await putNew(app, key, record)) return { record: { ...record, key }, created: true };

      const existing = await getExecutionByKey(app, key);
      if (!existing)
        throw new ConflictError(`${app}: execution ${id}: create lost a race and found no record`);
      const same = (['runbook', 'mode', 'trigger', 'to'] as const).every(
        (field) => existing[field] === input[field],
      );
      if (!same)
        throw new ConflictError(
          `${app}: execution ${id} already exists for another request: got ${existing.runbook} ` +
            `${existing.mode} ${existing.trigger} to ${existing.to}, expected ${input.runbook} ` +
            `${input.mode} ${input.trigger} to ${input.to}`,
        );
      return { record: existing, created: false };
    },

    async recordStep(app, key, stepKey, step) {
      const written = await conditionally(
        db.send(
          new UpdateCommand({
            TableName,
            Key: { pk: planKey(app), sk: key },
            UpdateExpression: 'SET #steps.#step = :step',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { ...names('steps'), '#step': stepKey },
            ExpressionAttributeValues: { ':step': step },
          }),
        ),
      );
      if (written === CONDITION_FAILED)
        throw new InvalidInputError(
          `${app}: step ${stepKey}: expected an execution record at ${key}, got none`,
        );
    },

    async updateExecution(app, key, progress) {
      const sets: string[] = [];
      const attributeNames: Record<string, string> = names('status');
      const values: Item = { ':running': 'RUNNING', ':waiting': 'WAITING_APPROVAL' };
      if (progress.status !== undefined) {
        sets.push('#status = :status');
        values[':status'] = progress.status;
      }
      if (progress.approval !== undefined) {
        sets.push('#approval = :approval');
        Object.assign(attributeNames, names('approval'));
        values[':approval'] = progress.approval;
      }
      if (sets.length === 0) {
        const record = await getExecutionByKey(app, key);
        if (!record) throw new InvalidInputError(`${app}: expected an execution record at ${key}, got none`);
        return record;
      }
      const updated = await conditionally(
        db.send(
          new UpdateCommand({
            TableName,
            Key: { pk: planKey(app), sk: key },
            UpdateExpression: `SET ${sets.join(', ')}`,
            // Every value stays in use (DynamoDB refuses unused ones): the CAS only narrows the IN.
            ConditionExpression:
              progress.expectedStatus === undefined
                ? 'attribute_exists(pk) AND #status IN (:running, :waiting)'
                : 'attribute_exists(pk) AND #status IN (:running, :waiting) AND #status = :expected',
            ExpressionAttributeNames: attributeNames,
            ExpressionAttributeValues:
              progress.expectedStatus === undefined
                ? values
                : { ...values, ':expected': progress.expectedStatus },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (updated !== CONDITION_FAILED) {
        const record = executionFrom(updated.Attributes);
        if (record) return record;
      }
      const current = await getExecutionByKey(app, key);
      if (!current) throw new InvalidInputError(`${app}: expected an execution record at ${key}, got none`);
      throw new ConflictError(
        `${app}: execution ${current.id}: expected ${progress.expectedStatus ?? 'RUNNING or WAITING_APPROVAL'} to update it, got ${current.status}`,
      );
    },

    async finishExecution(app, key, outcome) {
      const { status, rtoSeconds, rpoSeconds, error } = outcome;
      const sets = ['#status = :status', '#finishedAt = :finishedAt'];
      const attributeNames: Record<string, string> = names('status', 'finishedAt');
      const values: Item = {
        ':status': status,
        ':finishedAt': outcome.finishedAt ?? isoNow(clock),
        ':running': 'RUNNING',
        ':waiting': 'WAITING_APPROVAL',
      };
      for (const [field, value] of Object.entries({ rtoSeconds, rpoSeconds, error })) {
        if (value === undefined) continue;
        sets.push(`#${field} = :${field}`);
        Object.assign(attributeNames, names(field));
        values[`:${field}`] = value;
      }
      const updated = await conditionally(
        db.send(
          new UpdateCommand({
            TableName,
            Key: { pk: planKey(app), sk: key },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(pk) AND #status IN (:running, :waiting)',
            ExpressionAttributeNames: attributeNames,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (updated !== CONDITION_FAILED) {
        const record = executionFrom(updated.Attributes);
        if (record) return record;
      }
      const current = await getExecutionByKey(app, key);
      if (!current) throw new InvalidInputError(`${app}: expected an execution record at ${key}, got none`);
      // A retried Finish step: the outcome it wants is already recorded.
      if (current.status === status) return current;
      throw new ConflictError(
        `${app}: execution ${current.id}: expected RUNNING or WAITING_APPROVAL to finish it as ${status}, ` +
          `got ${current.status}`,
      );
    },

    async getExecution(app, id) {
      const pointer = await get(app, `${EXEC_ID_PREFIX}${id}`);
      if (typeof pointer?.key !== 'string') return undefined;
      return getExecutionByKey(app, pointer.key);
    },

    getExecutionByKey,

    async listExecutions(app, options = {}) {
      const items = await query(
        app,
        EXEC_PREFIX,
        options.limit ?? DEFAULT_EXECUTION_LIMIT,
        options.newestFirst ?? true,
      );
      return items.flatMap((item) => executionFrom(item) ?? []);
    },

    async appendAudit(entry) {
      return { created: await putNew(entry.app, `${AUDIT_PREFIX}${entry.at}#${entry.id}`, { ...entry }) };
    },

    async listAudit(app, limit = DEFAULT_AUDIT_LIMIT) {
      const items = await query(app, AUDIT_PREFIX, limit, true);
      return items.flatMap((item) => fromItem<AuditEntry>(item) ?? []);
    },

    async putDrillReport(report) {
      return { created: await putNew(report.app, `${DRILL_PREFIX}${report.at}#${report.id}`, { ...report }) };
    },

    async listDrills(app, limit = DEFAULT_DRILL_LIMIT) {
      const items = await query(app, DRILL_PREFIX, limit, true);
      return items.flatMap((item) => fromItem<DrillReport>(item) ?? []);
    },

    async claimIdempotencyKey(app, key, executionId, requestHash) {
      const record: IdempotencyRecord = { key, executionId, requestHash, createdAt: isoNow(clock) };
      if (await putNew(app, `${IDEMP_PREFIX}${key}`, { ...record })) return { executionId, claimed: true };
      const existing = fromItem<IdempotencyRecord>(await get(app, `${IDEMP_PREFIX}${key}`));
      if (!existing)
        throw new ConflictError(`${app}: idempotency key ${key}: claim lost a race and found no claim`);
      if (existing.requestHash !== requestHash)
        throw new ConflictError(
          `${app}: idempotency key ${key} was used for another request: got request hash ${requestHash}, ` +
            `expected ${existing.requestHash} (execution ${existing.executionId})`,
        );
      return { executionId: existing.executionId, claimed: false };
    },
  };
  return store;
}

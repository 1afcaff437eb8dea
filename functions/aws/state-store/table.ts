import { ConditionalCheckFailedException, ReplicatedWriteConflictException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/clock.js';
import { InvalidInputError, TransientAwsError } from '../../core/errors.js';
import type { ExecutionRecord, LockRecord, PlanState } from '../../core/records.js';
import type { ClientFactory } from '../client-factory.js';
import { DYNAMODB_CLIENT } from '../sdk-clients/dynamodb.js';
import { type ErrorRule, translateAwsError } from '../translate-error.js';

/**
 * With multi-Region strong consistency, a write to an item another Region is writing at the same
 * moment is refused with ReplicatedWriteConflictException ("The request was rejected because one
 * or more items in the request are being modified by a request in another Region": DynamoDB API
 * Reference, and the SDK model, which marks it retryable). The SDK client retries it first; what
 * is left is TransientAwsError, which the runbooks' Retry policies retry, so the step re-reads and
 * re-decides (a lock acquire may then find the other Region's holder).
 */
const STORE_RULES: readonly ErrorRule[] = [
  {
    when: ReplicatedWriteConflictException,
    as: TransientAwsError,
    problem: 'another Region wrote the same item at the same moment (multi-Region strong consistency)',
    expected: 'no concurrent write to the item from another Region; retry',
  },
];

/**
 * The state table as the state store's parts use it (functions/aws/state-store.ts composes them):
 * its keys, its item shapes, and the few DynamoDB calls every part makes, through this region's
 * replica. Every conditional write of a record goes through the one helper {@link Table.update}
 * (docs/state-store.md).
 */

// --- keys ------------------------------------------------------------------------------------

export const STATE_SK = 'STATE';
/**
 * The attribute of the `STATE` item that keeps the reconciler's mark (`functions/aws/reconcile-marks.ts`):
 * written by its own UpdateItem, never part of the {@link PlanState} read from the item.
 */
export const RECONCILE_ATTRIBUTE = 'reconcile';
export const LOCK_SK = 'LOCK';
export const EXEC_PREFIX = 'EXEC#';
export const EXEC_ID_PREFIX = 'EXECID#';
export const AUDIT_PREFIX = 'AUDIT#';
export const DRILL_PREFIX = 'DRILL#';
/**
 * The app's drill summary (`lastPassedAt`, `lastPassedId`: its newest PASSED report), read many
 * apps at a time by BatchGetItem instead of one Query each. `DRILLS` has no `#`, so a Query of
 * the `DRILL#` reports never returns it.
 */
export const DRILLS_SK = 'DRILLS';
export const IDEMP_PREFIX = 'IDEMP#';

// Lock acquisition retries only when the lock changed between a failed write and the read that
// explains it (e.g. released in between); three rounds make that race vanishingly unlikely.
export const ACQUIRE_ROUNDS = 3;

export const DEFAULT_EXECUTION_LIMIT = 20;
export const DEFAULT_AUDIT_LIMIT = 50;
export const DEFAULT_DRILL_LIMIT = 20;

/** The partition key of an app's items. */
export function planKey(app: string): string {
  return `PLAN#${app}`;
}

/** The sort key of an execution record. */
export function executionKey(startedAt: string, id: string): string {
  return `${EXEC_PREFIX}${startedAt}#${id}`;
}

// --- implementation --------------------------------------------------------------------------

export type Item = Record<string, unknown>;

export const CONDITION_FAILED = Symbol('ConditionalCheckFailed');

/** Runs a conditional write; a failed condition is a value, every other error is rethrown unchanged. */
export async function conditionally<T>(write: Promise<T>): Promise<T | typeof CONDITION_FAILED> {
  try {
    return await write;
  } catch (error: unknown) {
    if (error instanceof ConditionalCheckFailedException) return CONDITION_FAILED;
    throw error;
  }
}

/** Expression attribute names for `attributes`, as `#name` (every name, reserved word or not). */
export function names(...attributes: string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((a) => [`#${a}`, a]));
}

// Items are written only by this module, so their shape is the record's plus the keys.
export function fromItem<T>(item: Item | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}

export function stateFrom(item: Item | undefined): PlanState | undefined {
  // A STATE item fenced by acquireLock before initState holds only `lockEpoch`: not a state yet.
  if (!item || typeof item.version !== 'number') return undefined;
  const { [RECONCILE_ATTRIBUTE]: _mark, ...state } = item;
  return fromItem<PlanState>(state);
}

export function executionFrom(item: Item | undefined): ExecutionRecord | undefined {
  const record = fromItem<Omit<ExecutionRecord, 'key'>>(item);
  if (!record || !item) return undefined;
  return { ...record, key: String(item.sk) };
}

export function positiveInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new InvalidInputError(`${what} must be a positive integer, got ${value}`);
}

export function describeLock(lock: LockRecord): string {
  const lease = new Date(lock.leaseExpiresAt).toISOString();
  return lock.released
    ? `holder ${lock.holder} epoch ${lock.epoch}, released at ${lock.releasedAt ?? 'unknown'}`
    : `holder ${lock.holder} epoch ${lock.epoch}, lease until ${lease}`;
}

/**
 * The most keys one BatchGetItem takes: "A single operation can retrieve up to 16 MB of data,
 * which can contain as many as 100 items" (DynamoDB API Reference, BatchGetItem,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
 */
export const BATCH_GET_KEYS = 100;

/**
 * How many times the keys BatchGetItem left unprocessed are asked again: "If DynamoDB returns any
 * unprocessed items, you should retry the batch operation on those items" (same page); the SDK's
 * own retries already back off a throttled call, so a few rounds bound the wait.
 */
const BATCH_GET_ROUNDS = 4;

/**
 * Items of the table by key (`pk`, `sk`), strongly consistent, in BatchGetItem calls of at most
 * {@link BATCH_GET_KEYS} keys, the unprocessed keys asked again (at most {@link BATCH_GET_ROUNDS}
 * rounds, then TransientAwsError). Returns the items found, by `pk|sk` ({@link itemKey}); an
 * absent item is absent.
 */
export async function batchGet(
  send: Pick<DynamoDBDocumentClient, 'send'>['send'],
  TableName: string,
  keys: readonly { readonly pk: string; readonly sk: string }[],
): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  const unique = [...new Map(keys.map((k) => [itemKey(k.pk, k.sk), { pk: k.pk, sk: k.sk }])).values()];
  for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) {
    let pending: Record<string, unknown>[] = unique.slice(i, i + BATCH_GET_KEYS);
    for (let round = 0; pending.length > 0; round++) {
      if (round === BATCH_GET_ROUNDS)
        throw new TransientAwsError(
          `BatchGetItem on ${TableName}: ${pending.length} key(s) still unprocessed after ${BATCH_GET_ROUNDS} rounds (expected every key read; retry later)`,
        );
      const out = await send(
        new BatchGetCommand({ RequestItems: { [TableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[TableName] ?? [])
        found.set(itemKey(String(item.pk), String(item.sk)), item);
      pending = out.UnprocessedKeys?.[TableName]?.Keys ?? [];
    }
  }
  return found;
}

/** The key {@link batchGet} answers an item by. */
export function itemKey(pk: string, sk: string): string {
  return `${pk}|${sk}`;
}

/** What the state store's parts share: the table, its region's replica, the clock and its calls. */
export interface Table {
  readonly TableName: string;
  readonly region: string;
  readonly clock: Clock;
  /** The document client, with AWS errors translated (a failed condition passes unchanged). */
  readonly db: Pick<DynamoDBDocumentClient, 'send'>;
  /** One item, strongly consistent. */
  get(app: string, sk: string): Promise<Item | undefined>;
  /** Items whose sort key starts with `prefix`, strongly consistent. */
  query(app: string, prefix: string, limit: number, newestFirst: boolean): Promise<Item[]>;
  /** Creates an item that must not exist yet; false if it does. */
  putNew(app: string, sk: string, attributes: Item): Promise<boolean>;
  /**
   * The one conditional update: UpdateItem on the app's item `sk`. A failed condition is the value
   * {@link CONDITION_FAILED}; every other error is thrown. With `ReturnValues: 'ALL_NEW'` the
   * result carries the item as written.
   */
  update(
    app: string,
    sk: string,
    input: Omit<UpdateCommandInput, 'TableName' | 'Key'>,
  ): Promise<{ Attributes?: Item } | typeof CONDITION_FAILED>;
  getState(app: string): Promise<PlanState | undefined>;
  getLock(app: string): Promise<LockRecord | undefined>;
  getExecutionByKey(app: string, key: string): Promise<ExecutionRecord | undefined>;
}

export interface TableDeps {
  readonly clients: ClientFactory;
  readonly tableName: string;
  /** The region of the control plane using the store: its calls go to this region's replica. */
  readonly region: string;
  readonly clock: Clock;
}

/** The table, through one region's replica. */
export function table(deps: TableDeps): Table {
  const { tableName: TableName, region, clock } = deps;
  const client: DynamoDBDocumentClient = deps.clients.client(DYNAMODB_CLIENT, region);
  // Throttling, an endpoint that does not answer and 5xx faults leave here as ThrottledError,
  // RegionUnavailableError and TransientAwsError: the names the runbooks' Retry policies match, so
  // a step retries a throttled write instead of failing the failover. A failed condition (a 400)
  // passes through unchanged for `conditionally`.
  const db = {
    send: ((command: Parameters<DynamoDBDocumentClient['send']>[0]) =>
      client.send(command).catch((error: unknown) => {
        throw translateAwsError(
          error,
          {
            operation: command.constructor.name.replace(/Command$/, ''),
            region,
            resource: TableName,
          },
          STORE_RULES,
        );
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

  const update: Table['update'] = (app, sk, input) =>
    conditionally(db.send(new UpdateCommand({ TableName, Key: { pk: planKey(app), sk }, ...input })));

  return { TableName, region, clock, db, get, query, putNew, update, getState, getLock, getExecutionByKey };
}

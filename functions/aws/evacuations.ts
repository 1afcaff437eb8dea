import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../core/errors.js';
import type {
  EvacuationApp,
  EvacuationAppStatus,
  EvacuationRecord,
  EvacuationStore,
  RegionClaim,
} from '../runbook/ports/evacuations.js';
import type { ClientFactory } from './client-factory.js';
import { DYNAMODB_CLIENT } from './sdk-clients/dynamodb.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { EvacuationApp, EvacuationAppStatus, EvacuationRecord, EvacuationStore, RegionClaim };

export const EVACUATION_PREFIX = 'EVACUATION#';
const RECORD_SK = 'RECORD';
/** Item `EVACUATING#<region>` / `CLAIM`: the evacuation of that region that may run. */
export const REGION_CLAIM_PREFIX = 'EVACUATING#';
const CLAIM_SK = 'CLAIM';

export function evacuationStore(deps: {
  readonly clients: ClientFactory;
  readonly tableName: string;
  readonly region: string;
}): EvacuationStore {
  const db = () => deps.clients.client(DYNAMODB_CLIENT, deps.region);
  const key = (id: string) => ({ pk: `${EVACUATION_PREFIX}${id}`, sk: RECORD_SK });
  const claimKey = (from: string) => ({ pk: `${REGION_CLAIM_PREFIX}${from}`, sk: CLAIM_SK });
  /** A conditional put: true when written, false when its condition failed. */
  const put = async (
    id: string,
    item: Record<string, unknown>,
    condition: Record<string, unknown>,
    itemKey: Record<string, string> = key(id),
  ) => {
    try {
      await awsCall({ operation: 'PutItem', region: deps.region, resource: `evacuation ${id}` }, [], () =>
        db().send(new PutCommand({ TableName: deps.tableName, Item: { ...itemKey, ...item }, ...condition })),
      );
      return true;
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      if (error instanceof Error && error.cause instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };
  return {
    async get(id) {
      const output = await awsCall(
        { operation: 'GetItem', region: deps.region, resource: `evacuation ${id}` },
        [],
        () => db().send(new GetCommand({ TableName: deps.tableName, Key: key(id), ConsistentRead: true })),
      );
      const item = output.Item;
      if (!item || typeof item.id !== 'string' || !Array.isArray(item.apps)) return undefined;
      const { pk: _pk, sk: _sk, ...record } = item;
      return record as EvacuationRecord;
    },
    async create(record) {
      return put(record.id, { ...record }, { ConditionExpression: 'attribute_not_exists(pk)' });
    },
    async save(record) {
      const next = { ...record, version: record.version + 1 };
      const written = await put(record.id, next, {
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': record.version },
      });
      if (!written)
        throw new ConflictError(
          `evacuation ${record.id}: written by another since version ${record.version} was read; expected to be its only writer`,
        );
      return next;
    },
    async claimRegion(from, id, claimedAt, over) {
      return put(
        id,
        { evacuationId: id, claimedAt, region: from },
        {
          ConditionExpression: `attribute_not_exists(pk) OR evacuationId = :id${over !== undefined ? ' OR evacuationId = :over' : ''}`,
          ExpressionAttributeValues: { ':id': id, ...(over !== undefined ? { ':over': over } : {}) },
        },
        claimKey(from),
      );
    },
    async regionClaim(from) {
      const output = await awsCall(
        { operation: 'GetItem', region: deps.region, resource: `evacuation claim of ${from}` },
        [],
        () =>
          db().send(new GetCommand({ TableName: deps.tableName, Key: claimKey(from), ConsistentRead: true })),
      );
      const item = output.Item;
      if (!item || typeof item.evacuationId !== 'string' || typeof item.claimedAt !== 'string')
        return undefined;
      return { evacuationId: item.evacuationId, claimedAt: item.claimedAt };
    },
  };
}

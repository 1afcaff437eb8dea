import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  TrafficBatchEntry,
  TrafficBatches,
  TrafficBatchStatus,
} from '../runbook/ports/traffic-batches.js';
import type { ClientFactory } from './client-factory.js';
import { EVACUATION_PREFIX } from './evacuations.js';
import { DYNAMODB_CLIENT } from './sdk-clients/dynamodb.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { TrafficBatchEntry, TrafficBatches, TrafficBatchStatus };

const TRAFFIC_SK_PREFIX = 'TRAFFIC#';

/** Whether a DynamoDB call failed on its condition (the SDK's error, or ours wrapping it). */
function conditionFailed(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.cause instanceof ConditionalCheckFailedException)
  );
}

/** The traffic queue of evacuations, in `region`'s replica of the state table. */
export function trafficBatches(deps: {
  readonly clients: ClientFactory;
  readonly tableName: string;
  readonly region: string;
}): TrafficBatches {
  const db = () => deps.clients.client(DYNAMODB_CLIENT, deps.region);
  const key = (evacuationId: string, app: string) => ({
    pk: `${EVACUATION_PREFIX}${evacuationId}`,
    sk: `${TRAFFIC_SK_PREFIX}${app}`,
  });
  const context = (operation: string, evacuationId: string, app = '*') => ({
    operation,
    region: deps.region,
    resource: `evacuation ${evacuationId} traffic ${app}`,
  });
  const entryOf = (item: Record<string, unknown> | undefined): TrafficBatchEntry | undefined => {
    if (!item || typeof item.app !== 'string' || typeof item.status !== 'string') return undefined;
    const { pk: _pk, sk: _sk, ...entry } = item;
    return entry as unknown as TrafficBatchEntry;
  };
  const get: TrafficBatches['get'] = async (evacuationId, app) => {
    const output = await awsCall(context('GetItem', evacuationId, app), [], () =>
      db().send(
        new GetCommand({ TableName: deps.tableName, Key: key(evacuationId, app), ConsistentRead: true }),
      ),
    );
    return entryOf(output.Item);
  };

  return {
    get,

    async enqueue(entry) {
      try {
        await awsCall(context('PutItem', entry.evacuationId, entry.app), [], () =>
          db().send(
            new PutCommand({
              TableName: deps.tableName,
              Item: { ...key(entry.evacuationId, entry.app), ...entry },
              // A retried ShiftTraffic of the same execution finds its entry and keeps it.
              ConditionExpression: 'attribute_not_exists(pk) OR executionId <> :execution',
              ExpressionAttributeValues: { ':execution': entry.executionId },
            }),
          ),
        );
        return entry;
      } catch (error: unknown) {
        if (!conditionFailed(error)) throw error;
        return (await get(entry.evacuationId, entry.app)) ?? entry;
      }
    },

    async list(evacuationId) {
      const entries: TrafficBatchEntry[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await awsCall(context('Query', evacuationId), [], () =>
          db().send(
            new QueryCommand({
              TableName: deps.tableName,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: {
                ':pk': `${EVACUATION_PREFIX}${evacuationId}`,
                ':prefix': TRAFFIC_SK_PREFIX,
              },
              ConsistentRead: true,
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        for (const item of page.Items ?? []) {
          const entry = entryOf(item);
          if (entry) entries.push(entry);
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return entries;
    },

    async transition(entry, from, patch) {
      const sets = Object.entries(patch).filter(([, v]) => v !== undefined);
      const names = Object.fromEntries(sets.map(([k], i) => [`#f${i}`, k]));
      const values = Object.fromEntries(sets.map(([, v], i) => [`:v${i}`, v]));
      const allowed = Object.fromEntries(from.map((s, i) => [`:from${i}`, s]));
      try {
        const output = await awsCall(context('UpdateItem', entry.evacuationId, entry.app), [], () =>
          db().send(
            new UpdateCommand({
              TableName: deps.tableName,
              Key: key(entry.evacuationId, entry.app),
              UpdateExpression: `SET ${sets.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
              ConditionExpression: `executionId = :execution AND #status IN (${Object.keys(allowed).join(', ')})`,
              ExpressionAttributeNames: { ...names, '#status': 'status' },
              ExpressionAttributeValues: { ...values, ...allowed, ':execution': entry.executionId },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        return entryOf(output.Attributes);
      } catch (error: unknown) {
        if (conditionFailed(error)) return undefined;
        throw error;
      }
    },
  };
}

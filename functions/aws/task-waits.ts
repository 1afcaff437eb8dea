import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PollerLease, TaskWait, TaskWaits } from '../runbook/ports/task-waits.js';
import type { ClientFactory } from './client-factory.js';
import { DYNAMODB_CLIENT } from './sdk-clients/dynamodb.js';
import { planKey } from './state-store.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { PollerLease, TaskWait, TaskWaits };

const PREFIX = 'WAIT#';
/** The partition of a region's shared parked waits: one item per park, sorted by its expiry. */
const PARKED_PREFIX = 'PARKED#';
/** The partition of a region's poller lease. */
const POLLER_PREFIX = 'POLLER#';

/** Whether a DynamoDB call failed on its condition (the SDK's error, or ours wrapping it). */
function conditionFailed(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.cause instanceof ConditionalCheckFailedException)
  );
}

/** The parked steps' task tokens in the state table (docs/state-store.md, `WAIT#`). */
export function taskWaits(deps: {
  readonly clients: ClientFactory;
  readonly tableName: string;
  readonly region: string;
}): TaskWaits {
  const db = () => deps.clients.client(DYNAMODB_CLIENT, deps.region);
  const key = (app: string, executionId: string, what: string) => ({
    pk: planKey(app),
    sk: `${PREFIX}${executionId}#${what}`,
  });
  /**
   * One conditional update of `region`'s poller lease (`POLLER#<region>` / `LEASE`), returning
   * the item as it is after; undefined when the condition failed (claimed by another, or fenced).
   */
  const updateLease = async (
    region: string,
    update: string,
    condition: string,
    values: Record<string, number>,
  ): Promise<{ Attributes?: Record<string, unknown> } | undefined> => {
    try {
      return await awsCall(
        { operation: 'UpdateItem', region: deps.region, resource: `${region} poller lease` },
        [],
        () =>
          db().send(
            new UpdateCommand({
              TableName: deps.tableName,
              Key: { pk: `${POLLER_PREFIX}${region}`, sk: 'LEASE' },
              UpdateExpression: update,
              ConditionExpression: condition,
              ExpressionAttributeNames: { '#until': 'until' },
              ExpressionAttributeValues: values,
              ReturnValues: 'ALL_NEW',
            }),
          ),
      );
    } catch (error: unknown) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  };
  return {
    async park(wait) {
      // A plain put: the one writer of an item is its execution's step, and a retried park
      // replaces its own token.
      await awsCall(
        { operation: 'PutItem', region: deps.region, resource: `${wait.app} wait ${wait.what}` },
        [],
        () =>
          db().send(
            new PutCommand({
              TableName: deps.tableName,
              Item: { ...key(wait.app, wait.executionId, wait.what), ...wait },
            }),
          ),
      );
      if (!wait.shared) return;
      // The region's index, sorted by expiry: the poller queries the waits not expired yet (a key
      // condition), so the partition's old parks are never read again.
      await awsCall(
        {
          operation: 'PutItem',
          region: deps.region,
          resource: `${wait.region} parked ${wait.app} ${wait.what}`,
        },
        [],
        () =>
          db().send(
            new PutCommand({
              TableName: deps.tableName,
              Item: {
                pk: `${PARKED_PREFIX}${wait.region}`,
                sk: `${wait.expiresAt}#${wait.app}#${wait.executionId}#${wait.what}`,
                ...wait,
              },
            }),
          ),
      );
    },
    async listShared(region, now) {
      const waits: TaskWait[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await awsCall(
          { operation: 'Query', region: deps.region, resource: `${region} parked waits` },
          [],
          () =>
            db().send(
              new QueryCommand({
                TableName: deps.tableName,
                KeyConditionExpression: 'pk = :pk AND sk > :now',
                ExpressionAttributeValues: {
                  ':pk': `${PARKED_PREFIX}${region}`,
                  ':now': new Date(now).toISOString(),
                },
                ConsistentRead: true,
                ...(start ? { ExclusiveStartKey: start } : {}),
              }),
            ),
        );
        for (const item of page.Items ?? []) {
          if (typeof item.token !== 'string' || typeof item.app !== 'string') continue;
          waits.push({
            app: item.app,
            executionId: String(item.executionId),
            what: String(item.what),
            token: item.token,
            region: String(item.region),
            parkedAt: String(item.parkedAt ?? ''),
            expiresAt: String(item.expiresAt ?? ''),
            shared: true,
            // A promotion's park keeps its run: the poller may move its traffic (region-poller.ts).
            ...(item.run !== undefined ? { run: item.run as unknown } : {}),
          });
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return waits;
    },
    async claimPoller(region, now, until) {
      const output = await updateLease(
        region,
        'SET #until = :until, epoch = if_not_exists(epoch, :zero) + :one',
        'attribute_not_exists(pk) OR #until <= :now',
        { ':until': until, ':now': now, ':zero': 0, ':one': 1 },
      );
      return output ? leaseOf(output.Attributes) : undefined;
    },
    async renewPoller(region, epoch, until) {
      return (
        (await updateLease(region, 'SET #until = :until', 'epoch = :epoch', {
          ':until': until,
          ':epoch': epoch,
        })) !== undefined
      );
    },
    async get(app, executionId, what) {
      const output = await awsCall(
        { operation: 'GetItem', region: deps.region, resource: `${app} wait ${what}` },
        [],
        () =>
          db().send(
            new GetCommand({
              TableName: deps.tableName,
              Key: key(app, executionId, what),
              ConsistentRead: true,
            }),
          ),
      );
      const item = output.Item;
      if (!item || typeof item.token !== 'string' || typeof item.region !== 'string') return undefined;
      return {
        app,
        executionId,
        what,
        token: item.token,
        region: item.region,
        parkedAt: String(item.parkedAt ?? ''),
        expiresAt: String(item.expiresAt ?? ''),
        ...(item.run !== undefined ? { run: item.run } : {}),
        // Served by the region's poller: the waker leaves the reader's promotion to its watch.
        ...(item.shared === true ? { shared: true } : {}),
      };
    },
  };
}

function leaseOf(item: Record<string, unknown> | undefined): PollerLease | undefined {
  if (!item || typeof item.epoch !== 'number' || typeof item.until !== 'number') return undefined;
  return { epoch: item.epoch, until: item.until };
}

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LockLostError } from '../core/errors.js';
import type { TrafficSwitch, TrafficSwitchState } from '../runbook/ports/traffic-switch.js';
import type { ClientFactory } from './client-factory.js';
import { DYNAMODB_CLIENT } from './sdk-clients/dynamodb.js';
import { planKey } from './state-store.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { TrafficSwitch, TrafficSwitchState };

const TRAFFIC_SK = 'TRAFFIC';

/** The traffic switch, read and written through `region`'s replica of the state table. */
export function trafficSwitch(deps: {
  readonly clients: ClientFactory;
  readonly tableName: string;
  readonly region: string;
}): TrafficSwitch {
  const db = () => deps.clients.client(DYNAMODB_CLIENT, deps.region);
  const get: TrafficSwitch['get'] = async (app) => {
    const output = await awsCall(
      { operation: 'GetItem', region: deps.region, resource: `${app} traffic switch` },
      [],
      () =>
        db().send(
          new GetCommand({
            TableName: deps.tableName,
            Key: { pk: planKey(app), sk: TRAFFIC_SK },
            ConsistentRead: true,
          }),
        ),
    );
    const item = output.Item;
    if (!item || typeof item.region !== 'string' || typeof item.epoch !== 'number') return undefined;
    return { region: item.region, epoch: item.epoch, at: typeof item.at === 'string' ? item.at : '' };
  };
  return {
    get,
    async set(app, region, epoch, at) {
      try {
        await awsCall(
          { operation: 'UpdateItem', region: deps.region, resource: `${app} traffic switch` },
          [],
          () =>
            db().send(
              new UpdateCommand({
                TableName: deps.tableName,
                Key: { pk: planKey(app), sk: TRAFFIC_SK },
                UpdateExpression: 'SET #region = :region, #epoch = :epoch, #at = :at',
                // Under MRSC a conditional write is a compare-and-set across every replica: an
                // execution that lost the lock can never point traffic back.
                ConditionExpression: 'attribute_not_exists(#epoch) OR #epoch <= :epoch',
                ExpressionAttributeNames: { '#region': 'region', '#epoch': 'epoch', '#at': 'at' },
                ExpressionAttributeValues: { ':region': region, ':epoch': epoch, ':at': at },
              }),
            ),
        );
      } catch (error: unknown) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const now = await get(app).catch(() => undefined);
        throw new LockLostError(
          `${app}: traffic switch not set to ${region} at lock epoch ${epoch} (got epoch ${now?.epoch ?? 'unknown'} naming ${now?.region ?? 'unknown'}; expected an epoch at most ${epoch})`,
        );
      }
    },
  };
}

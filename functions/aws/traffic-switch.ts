import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LockLostError } from '../core/errors.js';
import type { AwsClients } from './clients.js';
import { planKey } from './state-store.js';
import { awsCall } from './translate-error.js';

/**
 * The traffic switch of a plan whose `traffic.route53.method` is `health-checks`: the state table
 * item `PLAN#<app>` / `TRAFFIC` names the one region users are sent to. Each region's health
 * endpoint reads it from its own replica and answers healthy for that region only; Route 53's
 * health checkers turn that into the failover records' health (docs/architecture.md, "Traffic by
 * health checks"). Moving traffic is one conditional write here: no Route 53 API call.
 */
export interface TrafficSwitchState {
  /** The region users are to be sent to. */
  readonly region: string;
  /** The lock epoch that wrote it (a write from an older epoch is refused). */
  readonly epoch: number;
  /** ISO time of the write. */
  readonly at: string;
}

export interface TrafficSwitch {
  /**
   * The switch as this region's replica holds it now (a strongly consistent read: under MRSC it
   * fails rather than answer stale when the replica cannot reach a majority), or undefined when
   * it was never written (the plan's first region then holds traffic, as deployed).
   */
  get(app: string): Promise<TrafficSwitchState | undefined>;
  /**
   * Names `region`, in one conditional UpdateItem, unless a newer lock epoch wrote the switch
   * ({@link LockLostError}). Idempotent: naming the region it names already is a success.
   */
  set(app: string, region: string, epoch: number, at: string): Promise<void>;
}

const TRAFFIC_SK = 'TRAFFIC';

/** The traffic switch, read and written through `region`'s replica of the state table. */
export function trafficSwitch(deps: {
  readonly clients: Pick<AwsClients, 'dynamodb'>;
  readonly tableName: string;
  readonly region: string;
}): TrafficSwitch {
  const db = () => deps.clients.dynamodb(deps.region);
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

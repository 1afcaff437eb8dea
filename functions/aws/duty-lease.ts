import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ClientFactory } from './client-factory.js';
import { DYNAMODB_CLIENT } from './sdk-clients/dynamodb.js';
import { awsCall } from './translate-error.js';

/**
 * A scheduled duty's lease in the state table (item `<duty>` / `LEASE`; docs/state-store.md,
 * "Duty leases"): which region's scheduled pass does the work while every region's schedule fires.
 * One conditional put takes or renews it: it succeeds when no lease exists, `holder` holds it, or
 * it ended before `now` (epoch ms), and then runs until `now + ttlMs`. Answers whether `holder`
 * leads now: false when another holder's lease still runs. Throws (translated) when the table does
 * not answer: the caller cannot tell who leads. The region poller's lease is another rule
 * (`claimPoller` in task-waits.ts: claimed only once lapsed, fenced by an epoch each claim raises).
 */
export function dutyLease(
  deps: { readonly clients: ClientFactory; readonly tableName: string; readonly region: string },
  duty: string,
): (holder: string, now: number, ttlMs: number) => Promise<boolean> {
  return async (holder, now, ttlMs) => {
    try {
      await awsCall({ operation: 'PutItem', region: deps.region, resource: `${duty} lease` }, [], () =>
        deps.clients.client(DYNAMODB_CLIENT, deps.region).send(
          new PutCommand({
            TableName: deps.tableName,
            Item: {
              pk: duty,
              sk: 'LEASE',
              holder,
              leaseExpiresAt: now + ttlMs,
              renewedAt: new Date(now).toISOString(),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR holder = :holder OR leaseExpiresAt < :now',
            ExpressionAttributeValues: { ':holder': holder, ':now': now },
          }),
        ),
      );
      return true;
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };
}

import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReconcileMark, ReconcileMarks } from '../runbook/ports/reconcile-marks.js';
import type { ClientFactory } from './client-factory.js';
import { DYNAMODB_CLIENT } from './sdk-clients.js';
import { planKey } from './state-store.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { ReconcileMark, ReconcileMarks };

const RECONCILE_SK = 'RECONCILE';

export function reconcileMarks(deps: {
  readonly clients: ClientFactory;
  readonly tableName: string;
  readonly region: string;
}): ReconcileMarks {
  const db = () => deps.clients.client(DYNAMODB_CLIENT, deps.region);
  return {
    async get(app) {
      const output = await awsCall(
        { operation: 'GetItem', region: deps.region, resource: `${app} reconcile mark` },
        [],
        () =>
          db().send(
            new GetCommand({
              TableName: deps.tableName,
              Key: { pk: planKey(app), sk: RECONCILE_SK },
              ConsistentRead: true,
            }),
          ),
      );
      const item = output.Item;
      if (!item || typeof item.fingerprint !== 'string' || typeof item.since !== 'string') return undefined;
      return {
        fingerprint: item.fingerprint,
        since: item.since,
        ...(typeof item.actedAt === 'string' ? { actedAt: item.actedAt } : {}),
        detail: typeof item.detail === 'string' ? item.detail : '',
        ...(typeof item.failures === 'number' ? { failures: item.failures } : {}),
      };
    },
    async put(app, mark) {
      await awsCall(
        { operation: 'PutItem', region: deps.region, resource: `${app} reconcile mark` },
        [],
        () =>
          db().send(
            new PutCommand({
              TableName: deps.tableName,
              Item: { pk: planKey(app), sk: RECONCILE_SK, ...mark },
            }),
          ),
      );
    },
  };
}

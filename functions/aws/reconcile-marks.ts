import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReconcileMark, ReconcileMarks } from '../runbook/ports/reconcile-marks.js';
import type { ClientFactory } from './client-factory.js';
import { dutyLease } from './duty-lease.js';
import { DYNAMODB_CLIENT } from './sdk-clients/dynamodb.js';
import { batchGet, itemKey } from './state-store/table.js';
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
      return markFrom(output.Item);
    },
    async getMany(apps) {
      const items = await batchGet(
        (command) =>
          awsCall(
            { operation: 'BatchGetItem', region: deps.region, resource: `${apps.length} reconcile mark(s)` },
            [],
            () => db().send(command),
          ),
        deps.tableName,
        apps.map((app) => ({ pk: planKey(app), sk: RECONCILE_SK })),
      );
      const marks = new Map<string, ReconcileMark>();
      for (const app of apps) {
        const mark = markFrom(items.get(itemKey(planKey(app), RECONCILE_SK)));
        if (mark) marks.set(app, mark);
      }
      return marks;
    },
    lead: dutyLease(deps, 'RECONCILER'),

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

function markFrom(item: Record<string, unknown> | undefined): ReconcileMark | undefined {
  if (!item || typeof item.fingerprint !== 'string' || typeof item.since !== 'string') return undefined;
  return {
    fingerprint: item.fingerprint,
    since: item.since,
    ...(typeof item.actedAt === 'string' ? { actedAt: item.actedAt } : {}),
    detail: typeof item.detail === 'string' ? item.detail : '',
    ...(typeof item.failures === 'number' ? { failures: item.failures } : {}),
  };
}

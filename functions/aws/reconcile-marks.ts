import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PlanState } from '../core/records.js';
import type { ReconcileMark, ReconcileMarks } from '../runbook/ports/reconcile-marks.js';
import type { ClientFactory } from './client-factory.js';
import { dutyLease } from './duty-lease.js';
import { DYNAMODB_CLIENT } from './sdk-clients/dynamodb.js';
import { batchGet, itemKey, RECONCILE_ATTRIBUTE, STATE_SK, stateFrom } from './state-store/table.js';
import { planKey } from './state-store.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { ReconcileMark, ReconcileMarks };

/**
 * The reconciler's marks, each kept as the `reconcile` attribute of its app's `STATE` item
 * (docs/state-store.md): a pass reads an app's state and mark with one key, and a mark is written
 * by an UpdateItem of that attribute alone, which leaves the state's `version` and `lockEpoch` as
 * they are.
 */
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
              Key: { pk: planKey(app), sk: STATE_SK },
              ProjectionExpression: '#reconcile',
              ExpressionAttributeNames: { '#reconcile': RECONCILE_ATTRIBUTE },
              ConsistentRead: true,
            }),
          ),
      );
      return markFrom(output.Item?.[RECONCILE_ATTRIBUTE]);
    },
    async getWithStates(apps) {
      const items = await batchGet(
        (command) =>
          awsCall(
            {
              operation: 'BatchGetItem',
              region: deps.region,
              resource: `${apps.length} state(s) and mark(s)`,
            },
            [],
            () => db().send(command),
          ),
        deps.tableName,
        apps.map((app) => ({ pk: planKey(app), sk: STATE_SK })),
      );
      const read = new Map<string, { state?: PlanState; mark?: ReconcileMark }>();
      for (const app of apps) {
        const item = items.get(itemKey(planKey(app), STATE_SK));
        const state = stateFrom(item);
        const mark = markFrom(item?.[RECONCILE_ATTRIBUTE]);
        read.set(app, { ...(state ? { state } : {}), ...(mark ? { mark } : {}) });
      }
      return read;
    },
    lead: dutyLease(deps, 'RECONCILER'),

    async put(app, mark) {
      await awsCall(
        { operation: 'UpdateItem', region: deps.region, resource: `${app} reconcile mark` },
        [],
        () =>
          db().send(
            new UpdateCommand({
              TableName: deps.tableName,
              Key: { pk: planKey(app), sk: STATE_SK },
              UpdateExpression: 'SET #reconcile = :mark',
              ExpressionAttributeNames: { '#reconcile': RECONCILE_ATTRIBUTE },
              ExpressionAttributeValues: { ':mark': { ...mark } },
            }),
          ),
      );
    },
  };
}

function markFrom(value: unknown): ReconcileMark | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const item = value as Record<string, unknown>;
  if (typeof item.fingerprint !== 'string' || typeof item.since !== 'string') return undefined;
  return {
    fingerprint: item.fingerprint,
    since: item.since,
    ...(typeof item.actedAt === 'string' ? { actedAt: item.actedAt } : {}),
    detail: typeof item.detail === 'string' ? item.detail : '',
    ...(typeof item.failures === 'number' ? { failures: item.failures } : {}),
  };
}

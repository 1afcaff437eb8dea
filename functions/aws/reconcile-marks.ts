import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from './clients.js';
import { planKey } from './state-store.js';
import { awsCall } from './translate-error.js';

/**
 * What the reconciler last found wrong with an app, and since when (item `PLAN#<app>` /
 * `RECONCILE` of the state table). It acts on a finding only once the same finding has held for
 * the plan's settle time, and acts on it once.
 */
export interface ReconcileMark {
  /** A stable digest of the finding: the same inconsistency, the same fingerprint. */
  readonly fingerprint: string;
  /** ISO time the finding was first seen. */
  readonly since: string;
  /** ISO time the reconciler acted on it (or reported it), if it has. */
  readonly actedAt?: string;
  /** What was found, for people. */
  readonly detail: string;
  /** Failed attempts to act on it so far. */
  readonly failures?: number;
}

/** The reconciler's marks: one item per app in the (global) state table, read and written through this region's replica. */
export interface ReconcileMarks {
  get(app: string): Promise<ReconcileMark | undefined>;
  /** One single-item put: the mark replaces the last one. */
  put(app: string, mark: ReconcileMark): Promise<void>;
}

const RECONCILE_SK = 'RECONCILE';

export function reconcileMarks(deps: {
  readonly clients: Pick<AwsClients, 'dynamodb'>;
  readonly tableName: string;
  readonly region: string;
}): ReconcileMarks {
  const db = () => deps.clients.dynamodb(deps.region);
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

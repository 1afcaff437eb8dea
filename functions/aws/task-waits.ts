import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TaskWait, TaskWaits } from '../runbook/ports/task-waits.js';
import type { ClientFactory } from './client-factory.js';
import { DYNAMODB_CLIENT } from './sdk-clients.js';
import { planKey } from './state-store.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { TaskWait, TaskWaits };

const PREFIX = 'WAIT#';

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
      };
    },
  };
}

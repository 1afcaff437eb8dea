import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ReadinessFinding } from '../readiness/checks.js';
import type {
  ReadinessRecord,
  ReadinessResults,
  ReadinessVerdict,
} from '../runbook/ports/readiness-results.js';
import type { ClientFactory } from './client-factory.js';
import { dutyLease } from './duty-lease.js';
import { DYNAMODB_CLIENT } from './sdk-clients.js';
import { batchGet, itemKey } from './state-store/table.js';
import { planKey } from './state-store.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { ReadinessRecord, ReadinessResults, ReadinessVerdict };

const PREFIX = 'READINESS#';

export function readinessResults(deps: {
  readonly clients: ClientFactory;
  readonly tableName: string;
  readonly region: string;
}): ReadinessResults {
  const db = () => deps.clients.client(DYNAMODB_CLIENT, deps.region);
  return {
    async get(app, region) {
      const output = await awsCall(
        { operation: 'GetItem', region: deps.region, resource: `${app} readiness in ${region}` },
        [],
        () =>
          db().send(
            new GetCommand({
              TableName: deps.tableName,
              Key: { pk: planKey(app), sk: `${PREFIX}${region}` },
              ConsistentRead: true,
            }),
          ),
      );
      return output.Item ? toRecord(output.Item) : undefined;
    },
    async getMany(keys) {
      const items = await batchGet(
        (command) =>
          awsCall(
            {
              operation: 'BatchGetItem',
              region: deps.region,
              resource: `${keys.length} readiness record(s)`,
            },
            [],
            () => db().send(command),
          ),
        deps.tableName,
        keys.map((k) => ({ pk: planKey(k.app), sk: `${PREFIX}${k.region}` })),
      );
      const records = new Map<string, ReadinessRecord>();
      for (const { app, region } of keys) {
        const item = items.get(itemKey(planKey(app), `${PREFIX}${region}`));
        const record = item ? toRecord(item) : undefined;
        if (record) records.set(`${app}|${region}`, record);
      }
      return records;
    },
    async list(app) {
      const output = await awsCall(
        { operation: 'Query', region: deps.region, resource: `${app} readiness` },
        [],
        () =>
          db().send(
            new QueryCommand({
              TableName: deps.tableName,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: { ':pk': planKey(app), ':prefix': PREFIX },
              ConsistentRead: true,
            }),
          ),
      );
      return (output.Items ?? []).flatMap((item) => {
        const record = toRecord(item);
        return record ? [record] : [];
      });
    },
    lead: dutyLease(deps, 'READINESS'),

    async put(record, previous) {
      try {
        await awsCall(
          {
            operation: 'PutItem',
            region: deps.region,
            resource: `${record.app} readiness in ${record.region}`,
          },
          [],
          () =>
            db().send(
              new PutCommand({
                TableName: deps.tableName,
                Item: { pk: planKey(record.app), sk: `${PREFIX}${record.region}`, ...record },
                ...(previous === undefined
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : {
                      ConditionExpression: 'verdict = :previous',
                      ExpressionAttributeValues: { ':previous': previous },
                    }),
              }),
            ),
        );
        return { written: true };
      } catch (error: unknown) {
        if (error instanceof ConditionalCheckFailedException) return { written: false };
        throw error;
      }
    },
  };
}

function toRecord(item: Record<string, unknown>): ReadinessRecord | undefined {
  if (typeof item.app !== 'string' || typeof item.region !== 'string') return undefined;
  if (item.verdict !== 'READY' && item.verdict !== 'NOT_READY') return undefined;
  return {
    app: item.app,
    region: item.region,
    mode: item.mode === 'ungraceful' ? 'ungraceful' : 'graceful',
    verdict: item.verdict,
    findings: Array.isArray(item.findings) ? (item.findings as ReadinessFinding[]) : [],
    evaluatedAt: String(item.evaluatedAt ?? ''),
    changedAt: String(item.changedAt ?? ''),
    evaluatedBy: String(item.evaluatedBy ?? ''),
  };
}

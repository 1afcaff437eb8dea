import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ReadinessFinding } from '../readiness/checks.js';
import type { AwsClients } from './clients.js';
import type { FailoverMode } from './state-store.js';
import { planKey } from './state-store.js';
import { awsCall } from './translate-error.js';

export type ReadinessVerdict = 'READY' | 'NOT_READY';

/** The latest readiness of an app toward one target region (item `PLAN#<app>` / `READINESS#<region>`). */
export interface ReadinessRecord {
  readonly app: string;
  /** The target region evaluated. */
  readonly region: string;
  readonly mode: FailoverMode;
  readonly verdict: ReadinessVerdict;
  readonly findings: readonly ReadinessFinding[];
  /** ISO time of this evaluation. */
  readonly evaluatedAt: string;
  /** ISO time the verdict last changed (the first evaluation counts as a change). */
  readonly changedAt: string;
  /** The control plane region that evaluated it. */
  readonly evaluatedBy: string;
}

/**
 * The latest readiness per app and target region, in the (global) state table, read and written
 * through this region's replica. Every region evaluates on its own schedule, so a write is
 * conditioned on the verdict it replaces: of two regions that see the same change, one records it
 * (and emits the event), the other finds it recorded.
 */
export interface ReadinessResults {
  get(app: string, region: string): Promise<ReadinessRecord | undefined>;
  /** Every target region's latest record of `app`. */
  list(app: string): Promise<ReadinessRecord[]>;
  /**
   * One single-item put, conditioned on the stored verdict being `previous` (absent: no record).
   * `written: false` when another evaluation changed it first.
   */
  put(record: ReadinessRecord, previous: ReadinessVerdict | undefined): Promise<{ written: boolean }>;
}

const PREFIX = 'READINESS#';

export function readinessResults(deps: {
  readonly clients: Pick<AwsClients, 'dynamodb'>;
  readonly tableName: string;
  readonly region: string;
}): ReadinessResults {
  const db = () => deps.clients.dynamodb(deps.region);
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

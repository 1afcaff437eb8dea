import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidInputError } from '../core/errors.js';
import type { ReadinessFinding } from '../readiness/checks.js';
import {
  MAX_CONFIRMED_PER_RUN,
  type ReadinessRecord,
  type ReadinessResults,
  type ReadinessVerdict,
} from '../runbook/ports/readiness-results.js';
import type { ClientFactory } from './client-factory.js';
import { dutyLease } from './duty-lease.js';
import { DYNAMODB_CLIENT } from './sdk-clients/dynamodb.js';
import { batchGet, itemKey } from './state-store/table.js';
import { planKey } from './state-store.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { ReadinessRecord, ReadinessResults, ReadinessVerdict };

const PREFIX = 'READINESS#';

/**
 * The scheduled evaluation's run item (`READINESS` / `RUN`, beside its lease): when the latest run
 * began, where, and the records it found unchanged, each by the time it was written
 * (`confirmed`: `app|region` -> `recordedAt`). One put per run replaces the previous run's.
 */
const RUN_KEY = { pk: 'READINESS', sk: 'RUN' } as const;

/** A run item as read: the records it confirmed, and when and where it ran. */
interface RunItem {
  readonly evaluatedAt: string;
  readonly evaluatedBy: string;
  readonly confirmed: Readonly<Record<string, string>>;
}

export function readinessResults(deps: {
  readonly clients: ClientFactory;
  readonly tableName: string;
  readonly region: string;
}): ReadinessResults {
  const db = () => deps.clients.client(DYNAMODB_CLIENT, deps.region);
  // Records and the run item, in BatchGetItem calls of 100 keys.
  const readItems = (keys: readonly { readonly pk: string; readonly sk: string }[], what: string) =>
    batchGet(
      (command) =>
        awsCall({ operation: 'BatchGetItem', region: deps.region, resource: what }, [], () =>
          db().send(command),
        ),
      deps.tableName,
      keys,
    );
  const getMany: NonNullable<ReadinessResults['getMany']> = async (keys) => {
    const items = await readItems(
      [...keys.map((k) => ({ pk: planKey(k.app), sk: `${PREFIX}${k.region}` })), RUN_KEY],
      `${keys.length} readiness record(s)`,
    );
    const run = toRun(items.get(itemKey(RUN_KEY.pk, RUN_KEY.sk)));
    const records = new Map<string, ReadinessRecord>();
    for (const { app, region } of keys) {
      const item = items.get(itemKey(planKey(app), `${PREFIX}${region}`));
      const record = item ? toRecord(item, run) : undefined;
      if (record) records.set(`${app}|${region}`, record);
    }
    return records;
  };
  return {
    async get(app, region) {
      return (await getMany([{ app, region }])).get(`${app}|${region}`);
    },
    getMany,
    async list(app) {
      const [output, run] = await Promise.all([
        awsCall({ operation: 'Query', region: deps.region, resource: `${app} readiness` }, [], () =>
          db().send(
            new QueryCommand({
              TableName: deps.tableName,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: { ':pk': planKey(app), ':prefix': PREFIX },
              ConsistentRead: true,
            }),
          ),
        ),
        // Without the run item the records keep their own times: older, never newer than true.
        awsCall({ operation: 'GetItem', region: deps.region, resource: 'readiness run' }, [], () =>
          db().send(new GetCommand({ TableName: deps.tableName, Key: RUN_KEY, ConsistentRead: true })),
        )
          .then((out) => toRun(out.Item))
          .catch(() => undefined),
      ]);
      return (output.Items ?? []).flatMap((item) => {
        const record = toRecord(item, run);
        return record ? [record] : [];
      });
    },
    async confirm(run) {
      if (run.records.length > MAX_CONFIRMED_PER_RUN)
        throw new InvalidInputError(
          `readiness run: got ${run.records.length} records to confirm, expected at most ${MAX_CONFIRMED_PER_RUN} (an item holds at most 400 KB); write the others`,
        );
      const confirmed = Object.fromEntries(run.records.map((r) => [`${r.app}|${r.region}`, r.recordedAt]));
      await awsCall({ operation: 'PutItem', region: deps.region, resource: 'readiness run' }, [], () =>
        db().send(
          new PutCommand({
            TableName: deps.tableName,
            Item: { ...RUN_KEY, evaluatedAt: run.evaluatedAt, evaluatedBy: run.evaluatedBy, confirmed },
          }),
        ),
      );
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

/**
 * A stored record as read: with `recordedAt`, its own time, and the run's time and region when the
 * run confirmed it as written then (and ran after it).
 */
function toRecord(item: Record<string, unknown>, run: RunItem | undefined): ReadinessRecord | undefined {
  if (typeof item.app !== 'string' || typeof item.region !== 'string') return undefined;
  if (item.verdict !== 'READY' && item.verdict !== 'NOT_READY') return undefined;
  const recordedAt = String(item.evaluatedAt ?? '');
  const confirmed =
    run !== undefined &&
    run.confirmed[`${item.app}|${item.region}`] === recordedAt &&
    run.evaluatedAt > recordedAt;
  return {
    app: item.app,
    region: item.region,
    mode: item.mode === 'ungraceful' ? 'ungraceful' : 'graceful',
    verdict: item.verdict,
    findings: Array.isArray(item.findings) ? (item.findings as ReadinessFinding[]) : [],
    evaluatedAt: confirmed ? run.evaluatedAt : recordedAt,
    recordedAt,
    changedAt: String(item.changedAt ?? ''),
    evaluatedBy: confirmed ? run.evaluatedBy : String(item.evaluatedBy ?? ''),
  };
}

function toRun(item: Record<string, unknown> | undefined): RunItem | undefined {
  if (!item || typeof item.evaluatedAt !== 'string' || typeof item.confirmed !== 'object') return undefined;
  return {
    evaluatedAt: item.evaluatedAt,
    evaluatedBy: String(item.evaluatedBy ?? ''),
    confirmed: (item.confirmed ?? {}) as Record<string, string>,
  };
}

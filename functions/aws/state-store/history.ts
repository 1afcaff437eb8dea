import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isoNow } from '../../core/clock.js';
import { ConflictError } from '../../core/errors.js';
import type { AuditEntry, DrillReport, IdempotencyRecord } from '../../core/records.js';
import type { StateStore } from '../../runbook/ports/state-store.js';
import {
  AUDIT_PREFIX,
  batchGet,
  DEFAULT_AUDIT_LIMIT,
  DEFAULT_DRILL_LIMIT,
  DRILL_PREFIX,
  DRILLS_SK,
  fromItem,
  IDEMP_PREFIX,
  itemKey,
  names,
  planKey,
  type Table,
} from './table.js';

/** How many drill reports one page of {@link lastPassedDrillSince}'s read evaluates. */
const DRILL_PAGE = 100;

/**
 * Append-only items: `AUDIT#`, `DRILL#` and `IDEMP#`; and `DRILLS`, the drill summary, which only
 * moves forward (the newest PASSED report's time).
 */
export function historyOperations(
  t: Table,
): Pick<
  StateStore,
  | 'appendAudit'
  | 'listAudit'
  | 'putDrillReport'
  | 'listDrills'
  | 'lastPassedDrillSince'
  | 'lastPassedDrills'
  | 'noteLastPassedDrill'
  | 'claimIdempotencyKey'
> {
  const { clock, get, query, putNew, update, db, TableName } = t;

  return {
    async appendAudit(entry) {
      return { created: await putNew(entry.app, `${AUDIT_PREFIX}${entry.at}#${entry.id}`, { ...entry }) };
    },

    async listAudit(app, limit = DEFAULT_AUDIT_LIMIT) {
      const items = await query(app, AUDIT_PREFIX, limit, true);
      return items.flatMap((item) => fromItem<AuditEntry>(item) ?? []);
    },

    async putDrillReport(report) {
      const created = await putNew(report.app, `${DRILL_PREFIX}${report.at}#${report.id}`, { ...report });
      // The summary follows the report (a retried step that finds the report stored raises it
      // again): only upwards, so an older report written late never lowers it.
      if (report.outcome === 'PASSED')
        await update(report.app, DRILLS_SK, {
          UpdateExpression: 'SET #lastPassedAt = :at, #lastPassedId = :id',
          ConditionExpression: 'attribute_not_exists(#lastPassedAt) OR #lastPassedAt < :at',
          ExpressionAttributeNames: names('lastPassedAt', 'lastPassedId'),
          ExpressionAttributeValues: { ':at': report.at, ':id': report.id },
        });
      return { created };
    },

    async listDrills(app, limit = DEFAULT_DRILL_LIMIT) {
      const items = await query(app, DRILL_PREFIX, limit, true);
      return items.flatMap((item) => fromItem<DrillReport>(item) ?? []);
    },

    async lastPassedDrillSince(app, notBefore) {
      const bound = `${DRILL_PREFIX}${notBefore}`;
      let from: Record<string, unknown> | undefined;
      // Each page evaluates DRILL_PAGE reports (the filter keeps the PASSED ones): the bound is
      // checked on the last report evaluated, so the read stops within one page of it.
      for (;;) {
        const page = await db.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            FilterExpression: '#outcome = :passed',
            ProjectionExpression: '#at',
            ExpressionAttributeNames: names('outcome', 'at'),
            ExpressionAttributeValues: { ':pk': planKey(app), ':prefix': DRILL_PREFIX, ':passed': 'PASSED' },
            ScanIndexForward: false,
            Limit: DRILL_PAGE,
            ConsistentRead: true,
            ...(from ? { ExclusiveStartKey: from } : {}),
          }),
        );
        const at = page.Items?.[0]?.at;
        if (typeof at === 'string') return { lastPassedAt: at };
        const last = page.LastEvaluatedKey;
        if (!last) return { lastPassedAt: null };
        if (typeof last.sk === 'string' && last.sk < bound) return { noneSince: notBefore };
        from = last;
      }
    },

    async lastPassedDrills(apps) {
      const items = await batchGet(
        db.send,
        TableName,
        apps.map((app) => ({ pk: planKey(app), sk: DRILLS_SK })),
      );
      const found = new Map<string, string | null>();
      for (const app of apps) {
        const item = items.get(itemKey(planKey(app), DRILLS_SK));
        if (item) found.set(app, typeof item.lastPassedAt === 'string' ? item.lastPassedAt : null);
      }
      return found;
    },

    async noteLastPassedDrill(app, lastPassedAt) {
      // Without the attribute when none passed: a PASSED report's update then finds it absent.
      return {
        created: await putNew(app, DRILLS_SK, lastPassedAt === null ? {} : { lastPassedAt }),
      };
    },

    async claimIdempotencyKey(app, key, executionId, requestHash) {
      const record: IdempotencyRecord = { key, executionId, requestHash, createdAt: isoNow(clock) };
      if (await putNew(app, `${IDEMP_PREFIX}${key}`, { ...record })) return { executionId, claimed: true };
      const existing = fromItem<IdempotencyRecord>(await get(app, `${IDEMP_PREFIX}${key}`));
      if (!existing)
        throw new ConflictError(`${app}: idempotency key ${key}: claim lost a race and found no claim`);
      if (existing.requestHash !== requestHash)
        throw new ConflictError(
          `${app}: idempotency key ${key} was used for another request at ${existing.createdAt} (execution id ${existing.executionId}, started only if that request was accepted): ` +
            `got a request that differs from it (another body or caller; request hash ${requestHash}), ` +
            `expected the same request again to replay it (request hash ${existing.requestHash}) ` +
            'or a new key for a new request',
        );
      return { executionId: existing.executionId, claimed: false };
    },
  };
}

import { isoNow } from '../../core/clock.js';
import { ConflictError } from '../../core/errors.js';
import type { AuditEntry, DrillReport, IdempotencyRecord } from '../../core/records.js';
import type { StateStore } from '../../runbook/ports/state-store.js';
import {
  AUDIT_PREFIX,
  DEFAULT_AUDIT_LIMIT,
  DEFAULT_DRILL_LIMIT,
  DRILL_PREFIX,
  fromItem,
  IDEMP_PREFIX,
  type Table,
} from './table.js';

/** Append-only items: `AUDIT#`, `DRILL#` and `IDEMP#`. */
export function historyOperations(
  t: Table,
): Pick<StateStore, 'appendAudit' | 'listAudit' | 'putDrillReport' | 'listDrills' | 'claimIdempotencyKey'> {
  const { clock, get, query, putNew } = t;

  return {
    async appendAudit(entry) {
      return { created: await putNew(entry.app, `${AUDIT_PREFIX}${entry.at}#${entry.id}`, { ...entry }) };
    },

    async listAudit(app, limit = DEFAULT_AUDIT_LIMIT) {
      const items = await query(app, AUDIT_PREFIX, limit, true);
      return items.flatMap((item) => fromItem<AuditEntry>(item) ?? []);
    },

    async putDrillReport(report) {
      return { created: await putNew(report.app, `${DRILL_PREFIX}${report.at}#${report.id}`, { ...report }) };
    },

    async listDrills(app, limit = DEFAULT_DRILL_LIMIT) {
      const items = await query(app, DRILL_PREFIX, limit, true);
      return items.flatMap((item) => fromItem<DrillReport>(item) ?? []);
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

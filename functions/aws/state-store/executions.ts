import { isoNow } from '../../core/clock.js';
import { ConflictError, InvalidInputError } from '../../core/errors.js';
import type { ExecutionRecord } from '../../core/records.js';
import type { StateStore } from '../../runbook/ports/state-store.js';
import {
  CONDITION_FAILED,
  DEFAULT_EXECUTION_LIMIT,
  EXEC_ID_PREFIX,
  EXEC_PREFIX,
  executionFrom,
  executionKey,
  type Item,
  names,
  type Table,
} from './table.js';

/** The `EXEC#` records and their `EXECID#` pointers. */
export function executionOperations(
  t: Table,
): Pick<
  StateStore,
  | 'createExecution'
  | 'pointExecution'
  | 'recordStep'
  | 'updateExecution'
  | 'finishExecution'
  | 'getExecution'
  | 'getExecutionByKey'
  | 'listExecutions'
> {
  const { clock, get, query, putNew, update, getExecutionByKey } = t;

  /** The id's pointer: written for `startedAt`, or the first attempt's read back. */
  const point = async (app: string, id: string, startedAt: string) => {
    const key = executionKey(startedAt, id);
    if (await putNew(app, `${EXEC_ID_PREFIX}${id}`, { app, executionId: id, key, startedAt }))
      return { key, startedAt };
    const pointer = await get(app, `${EXEC_ID_PREFIX}${id}`);
    if (typeof pointer?.key !== 'string' || typeof pointer.startedAt !== 'string')
      throw new ConflictError(`${app}: execution ${id}: expected a pointer item with a key, got none`);
    return { key: pointer.key, startedAt: pointer.startedAt };
  };

  return {
    pointExecution: point,

    async createExecution(input, pointed) {
      const { id, app } = input;
      // The pointer first (unless the caller wrote it): it reserves the id, and a retry (with a
      // later startedAt) finds the key of the first attempt through it.
      const { key, startedAt } = pointed ?? (await point(app, id, input.startedAt));
      const record: Omit<ExecutionRecord, 'key'> = {
        ...input,
        startedAt,
        status: input.status ?? 'RUNNING',
        steps: input.steps ?? {},
      };
      if (await putNew(app, key, record)) return { record: { ...record, key }, created: true };

      const existing = await getExecutionByKey(app, key);
      if (!existing)
        throw new ConflictError(`${app}: execution ${id}: create lost a race and found no record`);
      const same = (['runbook', 'mode', 'trigger', 'to'] as const).every(
        (field) => existing[field] === input[field],
      );
      if (!same)
        throw new ConflictError(
          `${app}: execution ${id} already exists for another request: got ${existing.runbook} ` +
            `${existing.mode} ${existing.trigger} to ${existing.to}, expected ${input.runbook} ` +
            `${input.mode} ${input.trigger} to ${input.to}`,
        );
      return { record: existing, created: false };
    },

    async recordStep(app, key, stepKey, step) {
      const written = await update(app, key, {
        UpdateExpression: 'SET #steps.#step = :step',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { ...names('steps'), '#step': stepKey },
        ExpressionAttributeValues: { ':step': step },
      });
      if (written === CONDITION_FAILED)
        throw new InvalidInputError(
          `${app}: step ${stepKey}: expected an execution record at ${key}, got none`,
        );
    },

    async updateExecution(app, key, progress) {
      const sets: string[] = [];
      const attributeNames: Record<string, string> = names('status');
      const values: Item = { ':running': 'RUNNING', ':waiting': 'WAITING_APPROVAL' };
      if (progress.status !== undefined) {
        sets.push('#status = :status');
        values[':status'] = progress.status;
      }
      if (progress.approval !== undefined) {
        sets.push('#approval = :approval');
        Object.assign(attributeNames, names('approval'));
        values[':approval'] = progress.approval;
      }
      Object.entries(progress.steps ?? {}).forEach(([stepKey, step], i) => {
        sets.push(`#steps.#step${i} = :step${i}`);
        Object.assign(attributeNames, names('steps'), { [`#step${i}`]: stepKey });
        values[`:step${i}`] = step;
      });
      if (sets.length === 0) {
        const record = await getExecutionByKey(app, key);
        if (!record) throw new InvalidInputError(`${app}: expected an execution record at ${key}, got none`);
        return record;
      }
      const updated = await update(app, key, {
        UpdateExpression: `SET ${sets.join(', ')}`,
        // Every value stays in use (DynamoDB refuses unused ones): the CAS only narrows the IN.
        ConditionExpression:
          progress.expectedStatus === undefined
            ? 'attribute_exists(pk) AND #status IN (:running, :waiting)'
            : 'attribute_exists(pk) AND #status IN (:running, :waiting) AND #status = :expected',
        ExpressionAttributeNames: attributeNames,
        ExpressionAttributeValues:
          progress.expectedStatus === undefined
            ? values
            : { ...values, ':expected': progress.expectedStatus },
        ReturnValues: 'ALL_NEW',
      });
      if (updated !== CONDITION_FAILED) {
        const record = executionFrom(updated.Attributes);
        if (record) return record;
      }
      const current = await getExecutionByKey(app, key);
      if (!current) throw new InvalidInputError(`${app}: expected an execution record at ${key}, got none`);
      throw new ConflictError(
        `${app}: execution ${current.id}: expected ${progress.expectedStatus ?? 'RUNNING or WAITING_APPROVAL'} to update it, got ${current.status}`,
      );
    },

    async finishExecution(app, key, outcome) {
      const { status, rtoSeconds, rpoSeconds, rpoLastSeenAt, error } = outcome;
      const sets = ['#status = :status', '#finishedAt = :finishedAt'];
      const attributeNames: Record<string, string> = names('status', 'finishedAt');
      const values: Item = {
        ':status': status,
        ':finishedAt': outcome.finishedAt ?? isoNow(clock),
        ':running': 'RUNNING',
        ':waiting': 'WAITING_APPROVAL',
      };
      for (const [field, value] of Object.entries({ rtoSeconds, rpoSeconds, rpoLastSeenAt, error })) {
        if (value === undefined) continue;
        sets.push(`#${field} = :${field}`);
        Object.assign(attributeNames, names(field));
        values[`:${field}`] = value;
      }
      const updated = await update(app, key, {
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk) AND #status IN (:running, :waiting)',
        ExpressionAttributeNames: attributeNames,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      });
      if (updated !== CONDITION_FAILED) {
        const record = executionFrom(updated.Attributes);
        if (record) return record;
      }
      const current = await getExecutionByKey(app, key);
      if (!current) throw new InvalidInputError(`${app}: expected an execution record at ${key}, got none`);
      // A retried Finish step: the outcome it wants is already recorded.
      if (current.status === status) return current;
      throw new ConflictError(
        `${app}: execution ${current.id}: expected RUNNING or WAITING_APPROVAL to finish it as ${status}, ` +
          `got ${current.status}`,
      );
    },

    async getExecution(app, id) {
      const pointer = await get(app, `${EXEC_ID_PREFIX}${id}`);
      if (typeof pointer?.key !== 'string') return undefined;
      return getExecutionByKey(app, pointer.key);
    },

    getExecutionByKey,

    async listExecutions(app, options = {}) {
      const items = await query(
        app,
        EXEC_PREFIX,
        options.limit ?? DEFAULT_EXECUTION_LIMIT,
        options.newestFirst ?? true,
      );
      return items.flatMap((item) => executionFrom(item) ?? []);
    },
  };
}

import { isoNow } from '../../core/clock.js';
import { ConflictError, LockLostError } from '../../core/errors.js';
import type { StateStore } from '../../runbook/ports/state-store.js';
import {
  CONDITION_FAILED,
  type Item,
  names,
  positiveInteger,
  STATE_SK,
  stateFrom,
  type Table,
} from './table.js';

/** The `STATE` item: where an app runs; a compare-and-set on `version`, fenced by `lockEpoch`. */
export function planStateOperations(t: Table): Pick<StateStore, 'getState' | 'initState' | 'setActive'> {
  const { clock, get, update, getState } = t;

  return {
    getState,

    async initState(app, activeRegion) {
      const updated = await update(app, STATE_SK, {
        // An UpdateItem, not a Put: it keeps a lockEpoch fence written before the state existed.
        UpdateExpression:
          'SET #app = :app, #activeRegion = :region, #status = :status, #version = :one, #updatedAt = :now',
        ConditionExpression: 'attribute_not_exists(#version)',
        ExpressionAttributeNames: names('app', 'activeRegion', 'status', 'version', 'updatedAt'),
        ExpressionAttributeValues: {
          ':app': app,
          ':region': activeRegion,
          ':status': 'ACTIVE',
          ':one': 1,
          ':now': isoNow(clock),
        },
        ReturnValues: 'ALL_NEW',
      });
      if (updated !== CONDITION_FAILED) {
        const state = stateFrom(updated.Attributes);
        if (state) return { state, created: true };
      }
      const existing = await getState(app);
      if (!existing)
        throw new ConflictError(`${app}: state: initState lost a race and found no state after it`);
      return { state: existing, created: false };
    },

    async setActive(app, input) {
      const { activeRegion, status, expectedVersion, executionId, epoch, lastFailoverAt } = input;
      positiveInteger(epoch, 'epoch');
      const sets = [
        '#activeRegion = :region',
        '#status = :status',
        '#version = #version + :one',
        '#lockEpoch = :epoch',
        '#lastExecutionId = :executionId',
        '#updatedAt = :now',
      ];
      const attributeNames = names(
        'activeRegion',
        'status',
        'version',
        'lockEpoch',
        'lastExecutionId',
        'updatedAt',
      );
      const values: Item = {
        ':region': activeRegion,
        ':status': status,
        ':one': 1,
        ':epoch': epoch,
        ':executionId': executionId,
        ':now': isoNow(clock),
        ':expected': expectedVersion,
      };
      if (lastFailoverAt !== undefined) {
        sets.push('#lastFailoverAt = :lastFailoverAt');
        Object.assign(attributeNames, names('lastFailoverAt'));
        values[':lastFailoverAt'] = lastFailoverAt;
      }
      Object.assign(attributeNames, names('statusReason'));
      let removes = '';
      if (input.reason !== undefined) {
        sets.push('#statusReason = :statusReason');
        values[':statusReason'] = input.reason.slice(0, 2048);
      } else removes = ' REMOVE #statusReason';
      const updated = await update(app, STATE_SK, {
        UpdateExpression: `SET ${sets.join(', ')}${removes}`,
        ConditionExpression:
          '#version = :expected AND (attribute_not_exists(#lockEpoch) OR #lockEpoch <= :epoch)',
        ExpressionAttributeNames: attributeNames,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      });
      if (updated !== CONDITION_FAILED) {
        const state = stateFrom(updated.Attributes);
        if (state) return state;
      }

      const item = await get(app, STATE_SK);
      const current = stateFrom(item);
      const fence = item?.lockEpoch;
      if (typeof fence === 'number' && fence > epoch)
        throw new LockLostError(
          `${app}: state: execution ${executionId} wrote with lock epoch ${epoch}, ` +
            `got a state fenced by epoch ${fence}; expected epoch ${fence} or higher`,
        );
      if (!current)
        throw new ConflictError(
          `${app}: state: setActive expected version ${expectedVersion}, got no state (initState first)`,
        );
      const alreadyApplied =
        current.version === expectedVersion + 1 &&
        current.lastExecutionId === executionId &&
        current.lockEpoch === epoch &&
        current.activeRegion === activeRegion &&
        current.status === status;
      if (alreadyApplied) return current;
      throw new ConflictError(
        `${app}: state changed since it was read: expected version ${expectedVersion}, got version ` +
          `${current.version} (activeRegion ${current.activeRegion}, status ${current.status}, ` +
          `last execution ${current.lastExecutionId ?? 'none'})`,
      );
    },
  };
}

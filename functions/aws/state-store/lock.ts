import { isoNow } from '../../core/clock.js';
import { ConflictError, FailoverInProgressError, LockLostError } from '../../core/errors.js';
import type { LockRecord } from '../../core/records.js';
import type { StateStore } from '../../runbook/ports/state-store.js';
import {
  ACQUIRE_ROUNDS,
  CONDITION_FAILED,
  describeLock,
  fromItem,
  LOCK_SK,
  names,
  positiveInteger,
  STATE_SK,
  type Table,
} from './table.js';

/** The `LOCK` item: its lease and fencing epoch (docs/state-store.md, "The lock and fencing"). */
export function lockOperations(
  t: Table,
): Pick<StateStore, 'acquireLock' | 'renewLock' | 'releaseLock' | 'assertLockHeld' | 'getLock'> {
  const { clock, update, getLock } = t;
  /** Raises STATE's lockEpoch to `epoch` (creating a bare fence item if there is no state yet). */
  const fenceState = async (app: string, epoch: number): Promise<void> => {
    // A failed condition means an equal or higher epoch already fenced it: nothing to do.
    await update(app, STATE_SK, {
      UpdateExpression: 'SET #lockEpoch = :epoch',
      ConditionExpression: 'attribute_not_exists(#lockEpoch) OR #lockEpoch < :epoch',
      ExpressionAttributeNames: names('lockEpoch'),
      ExpressionAttributeValues: { ':epoch': epoch },
    });
  };

  const lockLost = (app: string, holder: string, epoch: number, lock: LockRecord | undefined, why: string) =>
    new LockLostError(
      `${app}: execution ${holder} no longer holds the lock (${why}): expected holder ${holder} epoch ${epoch} ` +
        `with a live lease, got ${lock ? describeLock(lock) : 'no lock'}`,
    );

  return {
    async acquireLock(app, holder, leaseMs, options = {}) {
      positiveInteger(leaseMs, 'leaseMs');
      let seen: LockRecord | undefined;
      for (let round = 0; round < ACQUIRE_ROUNDS; round++) {
        const now = clock.now();
        const leaseExpiresAt = now + leaseMs;
        // Held and live by this holder (a reserved run's Begin, a retried Begin): extend it, same
        // epoch. Tried first when the holder expects it, else after the take below.
        // With the epoch known (`options.epoch`), the extension is conditional on it too and the
        // fence goes at once: raising STATE's fence to an epoch minted for this holder is harmless
        // even when the extension is refused (fences only rise; a later holder's is higher).
        const extend = async (epoch?: number) => {
          const [extended] = await Promise.all([
            update(app, LOCK_SK, {
              UpdateExpression: 'SET #leaseExpiresAt = :lease',
              ConditionExpression:
                '#holder = :holder AND #released = :false AND #leaseExpiresAt >= :now' +
                (epoch !== undefined ? ' AND #epoch = :epoch' : ''),
              ExpressionAttributeNames: names(
                'holder',
                'released',
                'leaseExpiresAt',
                ...(epoch !== undefined ? ['epoch'] : []),
              ),
              ExpressionAttributeValues: {
                ':holder': holder,
                ':false': false,
                ':lease': leaseExpiresAt,
                ':now': now,
                ...(epoch !== undefined ? { ':epoch': epoch } : {}),
              },
              ReturnValues: 'ALL_NEW',
            }),
            epoch !== undefined ? fenceState(app, epoch) : undefined,
          ]);
          const lock = extended === CONDITION_FAILED ? undefined : fromItem<LockRecord>(extended.Attributes);
          if (!lock) return undefined;
          options.taken?.(lock.epoch);
          // Fence again: the first attempt may have died between taking the lock and fencing.
          if (epoch === undefined) await fenceState(app, lock.epoch);
          return { epoch: lock.epoch, leaseExpiresAt: lock.leaseExpiresAt, reacquired: true };
        };
        if (options.held) {
          const adopted = await extend(options.epoch);
          if (adopted) return adopted;
        }
        const taken = await update(app, LOCK_SK, {
          // The epoch increments inside the conditional write itself: one CAS mints it.
          UpdateExpression:
            'SET #app = :app, #holder = :holder, #epoch = if_not_exists(#epoch, :zero) + :one, ' +
            '#leaseExpiresAt = :lease, #acquiredAt = :nowIso, #reason = :reason, #released = :false ' +
            'REMOVE #releasedAt',
          ConditionExpression: 'attribute_not_exists(#epoch) OR #released = :true OR #leaseExpiresAt < :now',
          ExpressionAttributeNames: names(
            'app',
            'holder',
            'epoch',
            'leaseExpiresAt',
            'acquiredAt',
            'reason',
            'released',
            'releasedAt',
          ),
          ExpressionAttributeValues: {
            ':app': app,
            ':holder': holder,
            ':zero': 0,
            ':one': 1,
            ':lease': leaseExpiresAt,
            ':nowIso': new Date(now).toISOString(),
            ':reason': options.reason ?? '',
            ':false': false,
            ':true': true,
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
        });
        if (taken !== CONDITION_FAILED) {
          const lock = fromItem<LockRecord>(taken.Attributes);
          if (lock) {
            options.taken?.(lock.epoch);
            await fenceState(app, lock.epoch);
            return { epoch: lock.epoch, leaseExpiresAt: lock.leaseExpiresAt, reacquired: false };
          }
        }

        if (!options.held) {
          const extended = await extend();
          if (extended) return extended;
        }

        seen = await getLock(app);
        const heldByAnother =
          seen !== undefined &&
          !seen.released &&
          seen.leaseExpiresAt >= clock.now() &&
          seen.holder !== holder;
        if (heldByAnother) break;
        // The lock changed between the writes and the read (released, expired, taken by this
        // holder's twin): try again.
      }
      if (seen && !seen.released)
        throw new FailoverInProgressError(
          `${app} is locked by ${seen.holder} (epoch ${seen.epoch}, lease until ` +
            `${new Date(seen.leaseExpiresAt).toISOString()}, reason: ${seen.reason || 'none given'}); ` +
            `${holder} (refused: it was not started) expected the lock to be free, released or expired`,
        );
      throw new ConflictError(
        `${app}: lock: ${holder} could not take the lock in ${ACQUIRE_ROUNDS} rounds of contention, ` +
          `got ${seen ? describeLock(seen) : 'no lock'}`,
      );
    },

    async renewLock(app, holder, epoch, leaseMs) {
      positiveInteger(leaseMs, 'leaseMs');
      const leaseExpiresAt = clock.now() + leaseMs;
      const renewed = await update(app, LOCK_SK, {
        UpdateExpression: 'SET #leaseExpiresAt = :lease',
        // No lease condition: a takeover always bumps the epoch, so "same holder, same epoch,
        // not released" proves nobody else has held the lock since.
        ConditionExpression: '#holder = :holder AND #epoch = :epoch AND #released = :false',
        ExpressionAttributeNames: names('holder', 'epoch', 'released', 'leaseExpiresAt'),
        ExpressionAttributeValues: {
          ':holder': holder,
          ':epoch': epoch,
          ':false': false,
          ':lease': leaseExpiresAt,
        },
      });
      if (renewed === CONDITION_FAILED)
        throw lockLost(app, holder, epoch, await getLock(app), 'renewal refused');
      return { leaseExpiresAt };
    },

    async releaseLock(app, holder, epoch) {
      const released = await update(app, LOCK_SK, {
        // The epoch stays: the next holder gets epoch + 1, so epochs never repeat.
        UpdateExpression: 'SET #released = :true, #releasedAt = :nowIso',
        ConditionExpression: '#holder = :holder AND #epoch = :epoch AND #released = :false',
        ExpressionAttributeNames: names('holder', 'epoch', 'released', 'releasedAt'),
        ExpressionAttributeValues: {
          ':holder': holder,
          ':epoch': epoch,
          ':true': true,
          ':false': false,
          ':nowIso': isoNow(clock),
        },
      });
      // Not holding it any more is not an error: a failure path must never wedge on its release.
      return { released: released !== CONDITION_FAILED };
    },

    async assertLockHeld(app, holder, epoch) {
      const lock = await getLock(app);
      if (!lock) throw lockLost(app, holder, epoch, lock, 'the app has no lock');
      if (lock.holder !== holder || lock.epoch !== epoch)
        throw lockLost(app, holder, epoch, lock, 'taken over');
      if (lock.released) throw lockLost(app, holder, epoch, lock, 'released');
      if (lock.leaseExpiresAt < clock.now()) throw lockLost(app, holder, epoch, lock, 'lease expired');
      return lock;
    },

    getLock,
  };
}

import type { AutoScalingGroupPlan, Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import type { AutoScalingGroups } from './ports/auto-scaling.js';
import type { StateStore } from './ports/state-store.js';

/**
 * What giving capacity back needs: each group's desired capacity in the region now, as Auto
 * Scaling reports it (`'unknown'` when it could not be read), the run's fence (its lock epoch
 * renewed: LockLostError when another execution holds the app) and Auto Scaling's update.
 */
export interface GiveBackDeps {
  readonly desiredNow: (group: AutoScalingGroupPlan) => number | 'unknown' | Promise<number | 'unknown'>;
  readonly fence: () => Promise<void>;
  readonly autoScaling: Pick<AutoScalingGroups, 'update'>;
}

/**
 * Scales `plan`'s Auto Scaling groups in `region` back to their standby profile, for a run whose
 * writer never moved there: a graceful failover that failed, or a run that scaled out while its
 * approval waited (`approvals.capacity: before-approval`) and was then rejected, timed out or
 * aborted. Truth over claims: it decides per group from what Auto Scaling says now, not from the
 * run's records: a group already at its standby desired capacity is left alone (nothing was
 * scaled, or it was given back already); one at any other size, or unread, is updated (the
 * update is idempotent, and with the writer elsewhere the region serves nobody). Fenced: the
 * lock's epoch is renewed before the first update. Groups one after another (a plan has a few).
 *
 * `only` limits it to the groups of these names (a request's undo: those it scaled).
 *
 * @returns what was done, one note per group
 * @throws LockLostError from the fence: another execution holds the app, nothing is touched
 * @throws the update's error (ThrottledError, RegionUnavailableError): the caller records it
 */
export async function giveBackCapacity(
  plan: Plan,
  region: string,
  deps: GiveBackDeps,
  only?: ReadonlySet<string>,
): Promise<string[]> {
  const notes: string[] = [];
  let fenced = false;
  for (const group of plan.compute?.autoScalingGroups ?? []) {
    if (only && !only.has(group.name)) continue;
    const desired = await deps.desiredNow(group);
    if (desired === group.standby.desired) {
      notes.push(`${group.name} in ${region} already at its standby profile (desired ${desired})`);
      continue;
    }
    if (!fenced) await deps.fence();
    fenced = true;
    await deps.autoScaling.update(region, memberIn(group.members, region), group.standby);
    notes.push(
      `${group.name} in ${region} back to its standby profile (desired ${desired === 'unknown' ? 'unread' : desired} -> ${group.standby.desired})`,
    );
  }
  return notes;
}

/**
 * The lease (ms) a give-back outside a run renews the lock to, as its fence: long enough for a
 * plan's few updates; the holder releases the lock right after.
 */
export const GIVE_BACK_LEASE_MS = 60_000;

/**
 * {@link giveBackCapacity} by the holder of the app's lock (`holder` at `epoch`), outside a run's
 * step: each group's desired capacity read from Auto Scaling (`'unknown'` when the read fails), the
 * fence a renewal of the lock at that epoch for `leaseMs` (ms, long enough for the updates);
 * `only`, the groups to give back (every group without it).
 */
export function giveBackAsHolder(
  plan: Plan,
  region: string,
  holder: { readonly id: string; readonly epoch: number; readonly leaseMs: number },
  deps: {
    readonly store: Pick<StateStore, 'renewLock'>;
    readonly autoScaling: Pick<AutoScalingGroups, 'describe' | 'update'>;
  },
  only?: ReadonlySet<string>,
): Promise<string[]> {
  return giveBackCapacity(
    plan,
    region,
    {
      desiredNow: (group) =>
        deps.autoScaling.describe(region, memberIn(group.members, region), group.targetGroups?.[region]).then(
          (seen) => seen.desired,
          () => 'unknown' as const,
        ),
      fence: () =>
        deps.store.renewLock(plan.name, holder.id, holder.epoch, holder.leaseMs).then(() => undefined),
      autoScaling: deps.autoScaling,
    },
    only,
  );
}

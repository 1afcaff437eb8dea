import { DatabasePromotionFailedError } from '../core/errors.js';
import type { AuroraGlobalCluster, Plan } from '../core/plan.js';
import { groupReadiness } from '../observer/observe.js';
import type { ResourceItem, RunbookDeps, RunContext } from './context.js';

// The plan's resources as the database branch and its wake-ups both read them (database.ts, and
// wake.ts, wake-traffic.ts, wake-promotion.ts), kept apart from either so that neither imports the
// other.

/**
 * Whether every group of the plan is ready in the target region (the groups read at once), but
 * `readyGroup`: the group the capacity branch just read ready when it woke this one (its read of
 * AWS, carried in the wake signal, not a record).
 */
export async function capacityReady(
  plan: Plan,
  run: Pick<RunContext, 'to'>,
  deps: Pick<RunbookDeps, 'autoScaling' | 'clock'>,
  readyGroup?: string,
): Promise<boolean> {
  const groups = (plan.compute?.autoScalingGroups ?? []).filter((g) => g.name !== readyGroup);
  const readiness = await Promise.all(groups.map((group) => groupReadiness(group, run.to, deps)));
  return readiness.every((r) => r.ready);
}

/**
 * The plan's global cluster `id` (a Map item's resource id).
 * @throws DatabasePromotionFailedError the plan has no global cluster `id`
 */
export function globalCluster(plan: Plan, id: string): AuroraGlobalCluster {
  const cluster = plan.database?.auroraGlobalClusters.find((c) => c.globalClusterId === id);
  if (!cluster) {
    throw new DatabasePromotionFailedError(`${plan.name}: no global cluster ${id} in the plan`);
  }
  return cluster;
}

/** The resources a run prepares, one Map iteration each: the plan's global clusters, then its groups. */
export function resourcesOf(plan: Plan): ResourceItem[] {
  return [
    ...(plan.database?.auroraGlobalClusters ?? []).map((c) => ({
      kind: 'database' as const,
      id: c.globalClusterId,
    })),
    ...(plan.compute?.autoScalingGroups ?? []).map((g) => ({ kind: 'capacity' as const, id: g.name })),
  ];
}

import { UnknownAppError, UnknownRegionError } from './errors.js';
import type { Plan } from './plan.js';
import { show } from './problems.js';

/** The plans a control plane was deployed with, by name. */
export interface PlanRegistry {
  /** The plan of `app`; {@link UnknownAppError} naming the known apps otherwise. */
  get(app: string): Plan;
  list(): readonly Plan[];
}

/**
 * The registry of `plans`, by name. `get` throws {@link UnknownAppError} (naming the known apps)
 * for a name it does not hold.
 */
export function planRegistry(plans: readonly Plan[]): PlanRegistry {
  const byName = new Map(plans.map((p) => [p.name, p]));
  return {
    get(app) {
      const plan = byName.get(app);
      if (!plan) {
        throw new UnknownAppError(
          `unknown app: got '${show(app, 80)}', expected one of ${[...byName.keys()].join(', ') || '(no plans loaded)'}`,
        );
      }
      return plan;
    },
    list: () => plans,
  };
}

/** Throws {@link UnknownRegionError} unless `region` is one of the plan's regions. */
export function assertPlanRegion(plan: Plan, region: string): void {
  if (!plan.regions.includes(region)) {
    throw new UnknownRegionError(
      `${plan.name}: unknown region: got '${show(region, 80)}', expected one of ${plan.regions.join(', ')}`,
    );
  }
}

/**
 * A resource's member (cluster ARN, group name, routing control...) in `region`. Plans are
 * validated to name one in every plan region; a region outside the plan is an input error.
 */
export function memberIn<T>(members: Readonly<Record<string, T>>, region: string, what = 'resource'): T {
  const member = members[region];
  if (member === undefined) {
    throw new UnknownRegionError(
      `${what} has no member in ${show(region, 80)}: got ${Object.keys(members).join(', ')}`,
    );
  }
  return member;
}

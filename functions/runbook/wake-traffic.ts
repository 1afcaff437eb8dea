import { isoNow } from '../core/clock.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import type { LockRecord } from '../core/records.js';
import {
  fence,
  knownUnreachable,
  type RunbookDeps,
  RunContext,
  stepKey,
  type TrafficShifted,
} from './context.js';
import type { TaskWait } from './ports/task-waits.js';
import { globalCluster, resourcesOf } from './resources.js';
import { moveTrafficTo } from './traffic.js';

// Moving a run's traffic as soon as its promotion is seen done (docs/architecture.md, "Wake-ups"):
// by the event waker (wake.ts, wakeOnEvent) or by AwaitEvent finding the promotion over as it
// parks, ahead of ShiftTraffic, which then follows the move instead of making it again.

/** The ARN of the run's target member of global cluster `globalClusterId`. */
export function targetOf(plan: Plan, globalClusterId: string, run: Pick<RunContext, 'to'>): string {
  return memberIn(globalCluster(plan, globalClusterId).members, run.to);
}
/**
 * The run of a parked promotion whose traffic the event waker may move (see `wakeOnEvent`, wake.ts):
 * the run kept with its wait, still the lock's holder at its epoch, its token not expired (a
 * duplicate event after the wake moves nothing again), not in an evacuation. Else undefined.
 */
export function parkedRun(
  lock: LockRecord,
  wait: TaskWait,
  deps: Pick<RunbookDeps, 'clock'>,
): RunContext | undefined {
  const parsed = RunContext.safeParse(wait.run);
  if (!parsed.success) return undefined;
  const run = parsed.data;
  const live = Date.parse(wait.expiresAt) > deps.clock.now();
  if (run.evacuation || !live || run.executionId !== lock.holder || run.epoch !== lock.epoch)
    return undefined;
  return run;
}

/**
 * Whether every resource of `run` but the promotion of `globalClusterId` is recorded ready on its
 * execution record (its step SUCCEEDED or SKIPPED: capacity at the plan's threshold, the other
 * clusters promoted: what ShiftTraffic's check of the Map's outcomes requires), read beside the
 * lease's renewal at the run's epoch (`fence`), made before anything moves. `alongside` is
 * written in the same round.
 *
 * @throws LockLostError the run no longer holds its epoch
 */
export async function othersReady(
  plan: Plan,
  globalClusterId: string,
  run: RunContext,
  deps: Pick<RunbookDeps, 'store'>,
  alongside?: Promise<unknown>,
): Promise<boolean> {
  if (run.evacuation) return false; // its traffic moves in the evacuation's batches
  const [record] = await Promise.all([
    deps.store.getExecutionByKey(run.app, run.executionKey),
    fence(run, deps),
    alongside,
  ]);
  if (!record) return false;
  return resourcesOf(plan)
    .filter((r) => !(r.kind === 'database' && r.id === globalClusterId))
    .every((r) => {
      const step = record.steps[stepKey(r.kind === 'database' ? 'PromoteDatabase' : 'ScaleCapacity', r.id)];
      return step?.status === 'SUCCEEDED' || step?.status === 'SKIPPED';
    });
}

/**
 * Moves `run`'s traffic to its target once its promotion of `globalClusterId` is seen done, when
 * the rest of the run is recorded ready ({@link othersReady}, fenced): what ShiftTraffic would do
 * a moment later, made here so that the woken check, the Map's end and ShiftTraffic's own start
 * are not waited for (docs/architecture.md, "Wake-ups"). Undefined when it moved nothing.
 *
 * @throws LockLostError the run no longer holds its epoch (nothing moved)
 */
export async function moveTrafficIfReady(
  plan: Plan,
  globalClusterId: string,
  run: RunContext,
  by: TrafficShifted['by'],
  deps: Pick<RunbookDeps, 'arc' | 'clock' | 'route53' | 'store' | 'traffic'>,
  options: { readonly alongside?: Promise<unknown> } = {},
): Promise<TrafficShifted | undefined> {
  if (!(await othersReady(plan, globalClusterId, run, deps, options.alongside))) return undefined;
  return moveTrafficFor(plan, run, by, deps);
}

/** Moves `run`'s traffic to its target now, `moveTrafficTo`'s one change (fenced by the caller). */
export async function moveTrafficFor(
  plan: Plan,
  run: RunContext,
  by: TrafficShifted['by'],
  deps: Pick<RunbookDeps, 'arc' | 'clock' | 'route53' | 'traffic'>,
): Promise<TrafficShifted> {
  const at = isoNow(deps.clock);
  const moved = await moveTrafficTo(plan, run.to, run.from, deps, run.epoch, knownUnreachable(run));
  return {
    by,
    at,
    epoch: run.epoch,
    mechanism: moved.mechanism,
    ...(moved.endpoint ? { endpoint: moved.endpoint } : {}),
    ...(moved.changeId !== undefined ? { changeId: moved.changeId } : {}),
  };
}

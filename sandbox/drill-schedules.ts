import type { Plan } from '../functions/core/plan.js';
import { nextFireAt, parseScheduleExpression, type ScheduleExpression } from '../functions/core/schedule.js';
import type { DrillScheduleEvent } from '../infra/constructs/drill-schedules.js';
import type { VirtualClock } from './clock.js';
import type { FaultSet } from './faults.js';
import type { LambdaRuntime } from './runtime/lambda.js';

/** One plan's schedule, as deployed in each of its regions. */
interface Armed {
  readonly plan: Plan;
  readonly schedule: ScheduleExpression;
  readonly event: DrillScheduleEvent;
  /** Epoch ms of the next firing, or undefined once the schedule is over. */
  next: number | undefined;
}

/** What the sandbox needs to run the schedules. */
export interface DrillSchedulesDeps {
  readonly clock: VirtualClock;
  readonly lambda: Pick<LambdaRuntime, 'invoke'>;
  readonly faults: Pick<FaultSet, 'isRegionDown'>;
}

/**
 * The plans' drill schedules (`infra/constructs/drill-schedules.ts`) on the virtual clock: the
 * EventBridge Scheduler schedule of each plan with `drills` fires, in every region of the plan
 * that is up, the `RunDrill` function with the same event CDK configures as its input. RunDrill
 * then acts only in the app's active region, as in AWS.
 *
 * The schedules are created when the sandbox starts, at the virtual clock's epoch (`clock.start`):
 * a cron fires at each matching minute (UTC) from then, inclusive; a rate fires at once and then
 * every period ("Schedule types in EventBridge Scheduler", rate-based: with no StartDate the
 * schedule "starts invoking the target immediately",
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html). Scheduler invokes
 * "with 60 second precision" (same page): between :00 and :59 of the minute; the sandbox fires at
 * :00, the earliest instant of that window. A region that is down invokes nothing (its Scheduler
 * is down with it); a failed invoke is not retried here (AWS retries it up to the target's
 * `retryAttempts`, 3, with a backoff the documentation does not give).
 */
export class DrillSchedules {
  private readonly armed: Armed[];
  /** {@link nextFiring}'s answer, or null once a schedule has moved on and it must be found again. */
  private earliest: number | undefined | null = null;

  constructor(
    plans: readonly Plan[],
    private readonly deps: DrillSchedulesDeps,
  ) {
    const createdAt = deps.clock.start;
    this.armed = plans.flatMap((plan) => {
      if (!plan.drills) return [];
      const schedule = parseScheduleExpression(plan.drills.schedule);
      const event: DrillScheduleEvent = {
        source: 'switchyard.drill-schedule',
        app: plan.name,
        kind: plan.drills.kind,
        soakSeconds: plan.drills.soakSeconds,
        schedule: plan.drills.schedule,
      };
      return [{ plan, schedule, event, next: nextFireAt(schedule, createdAt, createdAt) }];
    });
    for (const armed of this.armed) this.arm(armed);
  }

  /**
   * Epoch ms of the next time any schedule fires, at or after the clock's now; undefined when
   * none will.
   */
  nextFiring(): number | undefined {
    // Asked after every timer `simulate` fires: kept, not recomputed over every plan each time.
    if (this.earliest === null) {
      let earliest: number | undefined;
      for (const { next } of this.armed)
        if (next !== undefined && (earliest === undefined || next < earliest)) earliest = next;
      this.earliest = earliest;
    }
    return this.earliest;
  }

  private arm(armed: Armed): void {
    this.earliest = null;
    const at = armed.next;
    if (at === undefined) return;
    this.deps.clock.setTimer(at - this.deps.clock.now(), () => {
      for (const region of armed.plan.regions) {
        if (this.deps.faults.isRegionDown(region)) continue;
        void this.deps.lambda.invoke(region, 'RunDrill', { ...armed.event }).catch(() => undefined);
      }
      armed.next = nextFireAt(armed.schedule, at + 1, this.deps.clock.start);
      this.arm(armed);
    });
  }
}

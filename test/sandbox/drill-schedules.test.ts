import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import type { Plan } from '../../functions/core/plan.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { DrillSchedules } from '../../sandbox/drill-schedules.js';

/** Plans whose drills run on `rate(...)` schedules: a rate fires at once, then every period. */
function withRates(minutes: readonly number[]): Plan[] {
  return generatedPlans(minutes.length).map((plan, i) => ({
    ...plan,
    drills: { ...(plan.drills as NonNullable<Plan['drills']>), schedule: `rate(${minutes[i]} minutes)` },
  }));
}

describe('the drill schedules', () => {
  it('answer the next firing of any schedule, and the one after once it fired', async () => {
    // Arrange
    const clock = new VirtualClock();
    const invoked: string[] = [];
    const schedules = new DrillSchedules(withRates([30, 20]), {
      clock,
      lambda: {
        invoke: async (region, _name, event) => {
          invoked.push(`${(event as { app: string }).app}@${region}`);
          return null;
        },
      },
      faults: { isRegionDown: () => false },
    });

    // Act / Assert: both fire at once (their creation); then the 20-minute one is next.
    expect(schedules.nextFiring()).toBe(clock.start);
    await clock.runUntil(clock.start);
    expect(invoked).toHaveLength(4);
    expect(schedules.nextFiring()).toBe(clock.start + 20 * 60_000);
    await clock.runUntil(clock.start + 20 * 60_000);
    expect(schedules.nextFiring()).toBe(clock.start + 30 * 60_000);
    expect(invoked).toHaveLength(6);
  });
});

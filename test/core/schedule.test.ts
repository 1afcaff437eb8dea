import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validatePlan } from '../../functions/core/plan.js';
import { nextFireAt, parseScheduleExpression, scheduleProblem } from '../../functions/core/schedule.js';

// What EventBridge Scheduler accepts: "Cron expressions reference" / "Schedule types in EventBridge
// Scheduler" (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html) and the
// ScheduleExpression member of CreateSchedule (rate units).

const JAN_1 = Date.UTC(2026, 0, 1);

/** The first `n` firings of `expression` for a schedule created at `createdAt`, as ISO strings. */
function firings(expression: string, n = 2, createdAt = JAN_1): string[] {
  const schedule = parseScheduleExpression(expression);
  const out: string[] = [];
  let from = createdAt;
  for (let i = 0; i < n; i++) {
    const at = nextFireAt(schedule, from, createdAt);
    if (at === undefined) break;
    out.push(new Date(at).toISOString());
    from = at + 1;
  }
  return out;
}

describe('EventBridge schedule expressions', () => {
  it.each([
    // The example plans' quarterly drills: the second Tuesday of January, April, July, October.
    ['cron(0 14 ? 1/3 TUE#2 *)', ['2026-01-13T14:00:00.000Z', '2026-04-14T14:00:00.000Z']],
    // AWS's own examples (the "Examples" table of the cron reference).
    ['cron(0 10 * * ? *)', ['2026-01-01T10:00:00.000Z', '2026-01-02T10:00:00.000Z']],
    ['cron(15 12 * * ? *)', ['2026-01-01T12:15:00.000Z', '2026-01-02T12:15:00.000Z']],
    ['cron(0 18 ? * MON-FRI *)', ['2026-01-01T18:00:00.000Z', '2026-01-02T18:00:00.000Z']],
    ['cron(0 8 1 * ? *)', ['2026-01-01T08:00:00.000Z', '2026-02-01T08:00:00.000Z']],
    ['cron(0/15 * * * ? *)', ['2026-01-01T00:00:00.000Z', '2026-01-01T00:15:00.000Z']],
    // L, W and # (2026-01-01 is a Thursday; weekdays are 1-7 = SUN-SAT).
    ['cron(0 9 L * ? *)', ['2026-01-31T09:00:00.000Z', '2026-02-28T09:00:00.000Z']],
    ['cron(0 9 ? * 6L *)', ['2026-01-30T09:00:00.000Z', '2026-02-27T09:00:00.000Z']],
    ['cron(0 9 ? * L *)', ['2026-01-03T09:00:00.000Z', '2026-01-10T09:00:00.000Z']],
    ['cron(0 9 15W * ? *)', ['2026-01-15T09:00:00.000Z', '2026-02-16T09:00:00.000Z']],
    ['cron(0 9 ? * 3#2 2027)', ['2027-01-12T09:00:00.000Z', '2027-02-09T09:00:00.000Z']],
    ['cron(30 6 ? JAN,JUL MON *)', ['2026-01-05T06:30:00.000Z', '2026-01-12T06:30:00.000Z']],
    // A rate fires when the schedule is created (no StartDate), then every period.
    ['rate(5 minutes)', ['2026-01-01T00:00:00.000Z', '2026-01-01T00:05:00.000Z']],
    ['rate(1 hour)', ['2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z']],
    ['rate(2 days)', ['2026-01-01T00:00:00.000Z', '2026-01-03T00:00:00.000Z']],
  ])('%s fires at %j', (expression, expected) => {
    expect(scheduleProblem(expression)).toBeUndefined();
    expect(firings(expression)).toEqual(expected);
  });

  it.each([
    ['cron(0 9 * * * *)', /one of day-of-month and day-of-week must be \?/],
    ['cron(0 9 ? * ? *)', /one of day-of-month and day-of-week must be \?/],
    ['cron(0 9 * * ?)', /six fields .* got 5/],
    ['cron(0 0 9 * * ? *)', /six fields .* got 7/],
    ['cron(60 9 * * ? *)', /minute: 60/],
    ['cron(0 24 * * ? *)', /hour: 24/],
    ['cron(0 9 ? * 8 *)', /day-of-week 8 is not in 1-7/],
    ['cron(0 9 ? * 3#1,6#3 *)', /with # day-of-week holds one expression/],
    ['cron(0 9 ? * 1#6 *)', /nth weekday/],
    ['cron(0 9 * * ? 1969)', /year 1969 is not in 1970-2199/],
    ['cron(0 9 * * ? 2200)', /year 2200 is not in 1970-2199/],
    ['cron(0 ? * * ? *)', /hours "\?" uses a character AWS does not allow/],
    ['cron(0 9 W * ? *)', /W/],
    ['cron(0 9 ? * FOO *)', /FOO/],
    ['rate(0 minutes)', /positive integer \(got 0\)/],
    ['rate(5 weeks)', /unit/],
    ['every day', /neither cron\(\.\.\.\) nor rate\(\.\.\.\)/],
  ])('%s is refused, as AWS refuses it', (expression, why) => {
    expect(scheduleProblem(expression)).toMatch(why);
    expect(() => parseScheduleExpression(expression)).toThrow(`schedule ${JSON.stringify(expression)}: `);
  });

  it('a cron whose years are over fires no more', () => {
    expect(firings('cron(0 9 1 1 ? 2025)')).toEqual([]);
  });
});

const orders = await readFile('plans/orders.yaml', 'utf8');

describe("a plan's drills.schedule", () => {
  const withSchedule = (schedule: string) => {
    const doc = parse(orders);
    doc.drills.schedule = schedule;
    return validatePlan(doc, 'orders.yaml');
  };

  it('is refused, with the reason, what was got and what AWS expects, when AWS would refuse it', () => {
    const { problems } = withSchedule('cron(0 14 * 1/3 TUE#2 *)');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      path: 'drills.schedule',
      got: 'cron(0 14 * 1/3 TUE#2 *)',
    });
    expect(problems[0]?.message).toMatch(/one of day-of-month and day-of-week must be \?/);
    expect(problems[0]?.expected).toMatch(/cron\(minutes hours day-of-month month day-of-week year\)/);
  });

  it('accepts what AWS accepts', () => {
    expect(withSchedule('cron(0 9 ? * 6L *)').problems).toEqual([]);
    expect(withSchedule('rate(7 days)').problems).toEqual([]);
  });

  it('is refused once when it is no schedule at all', () => {
    const { problems } = withSchedule('tuesdays');
    expect(problems.map((p) => p.path)).toEqual(['drills.schedule']);
  });
});

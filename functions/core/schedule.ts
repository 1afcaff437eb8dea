import { Cron } from 'croner';
import { InvalidInputError } from './errors.js';

/**
 * EventBridge Scheduler schedule expressions, as a plan's `drills.schedule` names them and as
 * `infra/constructs/drill-schedules.ts` deploys them (UTC): `cron(minutes hours day-of-month month
 * day-of-week year)` or `rate(value unit)`.
 *
 * Cron expressions are parsed and evaluated by croner (7-part mode, a zero second prepended, Quartz
 * weekday numbering SUN=1..SAT=7 as AWS numbers them, numeric-prefix steps such as `1/3` allowed).
 * What AWS accepts is narrower than what croner accepts, so the rules of the AWS table are checked
 * here on top of it, field by field: "Cron expressions reference", EventBridge Scheduler User Guide,
 * "Schedule types in EventBridge Scheduler", https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
 * (the same table as "Using cron and rate expressions to schedule rules in Amazon EventBridge",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html):
 *
 * | field | values | wildcards |
 * | --- | --- | --- |
 * | minutes | 0-59 | , - * / |
 * | hours | 0-23 | , - * / |
 * | day-of-month | 1-31 | , - * ? / L W |
 * | month | 1-12 or JAN-DEC | , - * / |
 * | day-of-week | 1-7 or SUN-SAT | , - * ? L # |
 * | year | 1970-2199 | , - * / |
 *
 * and: one of day-of-month and day-of-week must be `?` (a value or `*` in one needs `?` in the
 * other); with `#` the day-of-week field holds a single expression.
 *
 * Rate expressions: "A rate expression consists of a value as a positive integer, and a unit with
 * the following options: minute | minutes | hour | hours | day | days" (the `ScheduleExpression`
 * member of CreateSchedule, EventBridge Scheduler API Reference,
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html). A rate
 * schedule with no `StartDate` (ours set none) "starts invoking the target immediately" when it is
 * created (Schedule types in EventBridge Scheduler, #rate-based, the same page as above).
 */
export type ScheduleExpression =
  | { readonly kind: 'cron'; readonly expression: string; readonly cron: Cron }
  | { readonly kind: 'rate'; readonly expression: string; readonly everyMs: number };

/** What a valid expression looks like, for messages and the plan schema's `expected`. */
export const SCHEDULE_EXPECTED =
  'an EventBridge Scheduler expression: cron(minutes hours day-of-month month day-of-week year), UTC, with ? in day-of-month or day-of-week, or rate(N minute(s)|hour(s)|day(s)) with N >= 1';

const FIELDS = ['minutes', 'hours', 'day-of-month', 'month', 'day-of-week', 'year'] as const;

/** The wildcard characters AWS allows per field (see the table above); letters are checked apart. */
const ALLOWED: Readonly<Record<(typeof FIELDS)[number], RegExp>> = {
  minutes: /^[\d,\-*/]+$/,
  hours: /^[\d,\-*/]+$/,
  'day-of-month': /^(\?|[\d,\-*/LW]+)$/,
  month: /^[\dA-Z,\-*/]+$/,
  'day-of-week': /^(\?|[\dA-Z,\-*L#]+)$/,
  year: /^[\d,\-*/]+$/,
};

const UNIT_MS: Readonly<Record<string, number>> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/**
 * What is wrong with `expression` as AWS would judge it, in words (without the expression itself);
 * `undefined` when AWS accepts it. Never throws.
 */
export function scheduleProblem(expression: string): string | undefined {
  try {
    parseScheduleExpression(expression);
    return undefined;
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    const prefix = `schedule ${JSON.stringify(expression)}: `;
    return message.startsWith(prefix) ? message.slice(prefix.length) : message;
  }
}

/**
 * Parses an EventBridge Scheduler `cron(...)` or `rate(...)` expression.
 * @throws InvalidInputError naming what was wrong, what was got and what AWS expects.
 */
export function parseScheduleExpression(expression: string): ScheduleExpression {
  const refuse = (why: string): never => {
    throw new InvalidInputError(`schedule ${JSON.stringify(expression)}: ${why}`);
  };
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) {
    const match = /^(\d+) (minutes?|hours?|days?)$/.exec(rate[1] ?? '');
    if (!match) refuse('a rate needs a positive whole number and a unit (minute(s), hour(s) or day(s))');
    const value = Number(match?.[1]);
    if (!(value >= 1)) refuse(`a rate's value must be a positive integer (got ${match?.[1]})`);
    return { kind: 'rate', expression, everyMs: value * (UNIT_MS[match?.[2] ?? ''] ?? 0) };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return refuse('neither cron(...) nor rate(...)');
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== FIELDS.length) {
    refuse(
      `a cron expression has six fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
    );
  }
  const upper = fields.map((f) => f.toUpperCase());
  upper.forEach((value, i) => {
    const name = FIELDS[i] as (typeof FIELDS)[number];
    if (!ALLOWED[name].test(value))
      refuse(`${name} "${fields[i]}" uses a character AWS does not allow there`);
  });
  const [, , dom = '', , dow = '', year = ''] = upper;
  if ((dom === '?') === (dow === '?')) {
    refuse(
      `one of day-of-month and day-of-week must be ? and the other a value or * (got "${fields[2]}" and "${fields[4]}")`,
    );
  }
  if (dow.includes('#') && dow.includes(','))
    refuse(`with # day-of-week holds one expression (got "${fields[4]}")`);
  // Day-of-week numbers are 1-7 (SUN-SAT): the value before `#` or `L`, never the `#` ordinal.
  for (const number of dow.replace(/#\d+/g, '').match(/\d+/g) ?? []) {
    if (Number(number) < 1 || Number(number) > 7) refuse(`day-of-week ${number} is not in 1-7 (SUN-SAT)`);
  }
  // Year numbers are 1970-2199: every number but a step's increment.
  for (const number of year.replace(/\/\d+/g, '').match(/\d+/g) ?? []) {
    if (Number(number) < 1970 || Number(number) > 2199) refuse(`year ${number} is not in 1970-2199`);
  }
  // `L` alone in day-of-week is its last day, Saturday (7); croner wants the number.
  const weekday = dow === 'L' ? '7' : dow;
  const pattern = ['0', ...upper.slice(0, 4), weekday === '?' ? '*' : weekday, year].join(' ');
  try {
    return {
      kind: 'cron',
      expression,
      cron: new Cron(pattern, {
        mode: '7-part',
        alternativeWeekdays: true,
        sloppyRanges: true,
        timezone: 'Etc/UTC',
        paused: true,
      }),
    };
  } catch (error: unknown) {
    return refuse(error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error));
  }
}

/**
 * When a schedule created at `createdAt` fires next at or after `from` (epoch ms, both): for a
 * cron, its next matching minute (UTC); for a rate, `createdAt + k × rate` (it fires at creation).
 * `undefined` when a cron matches no later time (its years are over).
 */
export function nextFireAt(
  schedule: ScheduleExpression,
  from: number,
  createdAt: number,
): number | undefined {
  if (schedule.kind === 'rate') {
    if (from <= createdAt) return createdAt;
    return createdAt + Math.ceil((from - createdAt) / schedule.everyMs) * schedule.everyMs;
  }
  return schedule.cron.nextRun(new Date(from - 1))?.getTime();
}

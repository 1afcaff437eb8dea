import * as z from 'zod';
import { InvalidInputError } from '../functions/core/errors.js';
import { formatPath, formatProblem, type Plan, problemsFromIssue } from '../functions/core/plan.js';
import { MAX_PLAN_ALIASES, MAX_PLAN_FILE_BYTES, MAX_PLAN_NESTING } from '../functions/core/plan-loader.js';
import { FAILOVER_MODES } from '../functions/core/records.js';
import { parseYamlFile, readYamlFile, type YamlFileKind } from '../functions/core/yaml-file.js';
import { DriftSchema } from './drift.js';
import {
  ClearSchema,
  FAULT_KINDS,
  FaultSchema,
  knownResources,
  referenceLine,
  referenceProblems,
} from './faults.js';
import { QUOTAS } from './quotas.js';

/** A scenario file (docs/contracts.md, Scenario): faults, operator requests, approvals and alarms on a timeline. */
const Seconds = z.number().nonnegative();

/** Where a scenario's virtual time starts unless it says otherwise (the virtual clock's default). */
export const SCENARIO_START = '2026-01-01T00:00:00Z';

const FailoverEvent = z.strictObject({
  app: z.string().min(1),
  to: z.string().min(1),
  mode: z.enum(FAILOVER_MODES).default('graceful'),
  by: z.string().min(1).default('operator'),
  reason: z.string().min(1).default('scenario'),
  idempotencyKey: z.string().min(1).optional(),
});

/** Each kind of event, by the key that names it (an event has `at` and exactly one of these). */
const EVENT_BODIES = {
  fault: FaultSchema,
  clear: ClearSchema,
  failover: FailoverEvent,
  approve: z.strictObject({
    app: z.string().min(1),
    by: z.string().min(1),
    execution: z.string().optional(),
  }),
  abort: z.strictObject({
    app: z.string().min(1),
    by: z.string().min(1),
    reason: z.string().default('scenario'),
    execution: z.string().optional(),
  }),
  drill: z.strictObject({
    app: z.string().min(1),
    by: z.string().min(1).default('operator'),
    kind: z.enum(['switchover-and-back', 'switchover']).optional(),
    soakSeconds: z.number().int().nonnegative().optional(),
  }),
  evacuate: z.strictObject({
    from: z.string().min(1),
    to: z.string().min(1).optional(),
    mode: z.enum(['graceful', 'ungraceful']).default('graceful'),
    by: z.string().min(1).default('operator'),
    reason: z.string().min(1).default('scenario'),
    /** Only these apps; default every app active in `from`. */
    apps: z.array(z.string().min(1)).min(1).optional(),
    idempotencyKey: z.string().min(1).optional(),
  }),
  alarm: z.strictObject({
    name: z.string().min(1),
    state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
    region: z.string().optional(),
    reason: z.string().optional(),
  }),
  drift: DriftSchema,
} as const;
type EventKey = keyof typeof EVENT_BODIES;
const EVENT_KEYS = Object.keys(EVENT_BODIES) as EventKey[];

export const ScenarioEvent = z.union([
  z.strictObject({ at: Seconds, fault: EVENT_BODIES.fault }),
  z.strictObject({ at: Seconds, clear: EVENT_BODIES.clear }),
  z.strictObject({ at: Seconds, drift: EVENT_BODIES.drift }),
  z.strictObject({ at: Seconds, failover: EVENT_BODIES.failover }),
  z.strictObject({ at: Seconds, evacuate: EVENT_BODIES.evacuate }),
  z.strictObject({ at: Seconds, approve: EVENT_BODIES.approve }),
  z.strictObject({ at: Seconds, abort: EVENT_BODIES.abort }),
  z.strictObject({ at: Seconds, drill: EVENT_BODIES.drill }),
  z.strictObject({ at: Seconds, alarm: EVENT_BODIES.alarm }),
]);
export type ScenarioEvent = z.infer<typeof ScenarioEvent>;

export const ScenarioSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  latency: z.enum(['realistic', 'fast']).default('realistic'),
  seed: z.number().int().default(1),
  /**
   * The virtual instant (ISO 8601, UTC, e.g. `2026-01-13T13:55:00Z`) the scenario starts at: its
   * `at: 0`, the clock's epoch and when the simulated AWS (and so each plan's drill schedule) was
   * created. A plan's `drills.schedule` fires on the virtual clock from here.
   */
  start: z.iso.datetime().default(SCENARIO_START),
  /**
   * Virtual seconds: the run never goes past this. At most a week (604,800): a run's periodic work
   * (readiness, reconciler, drill schedules) goes on to the timeout, so `1e308` never ended.
   */
  timeout: z.number().positive().max(604_800).default(3600),
  /**
   * API quotas other than the modelled ones (sandbox/quotas.ts), by quota id (`rds-api`,
   * `autoscaling-api`, ...): each bucket's size and refill per second, in every region. For an
   * account whose limit AWS raised, or a test that reaches a limit with a few apps.
   */
  quotas: z
    .record(
      z.string(),
      z.strictObject({ burst: z.number().int().positive(), refillPerSecond: z.number().positive() }),
    )
    .optional(),
  events: z.array(ScenarioEvent).default([]),
});
export type Scenario = z.infer<typeof ScenarioSchema>;

/**
 * Parses a scenario; {@link InvalidInputError} lists every problem with its path, what was got and
 * what was expected. Each event is checked against the one kind its key names (`fault`, `failover`,
 * ...), so a mistake inside an event is reported there, and a fault of an unknown kind is answered
 * with the list of valid kinds. Given the `plans` it will run against, what it names that the plans
 * do not have ({@link scenarioProblems}) is listed in the same refusal, for every event that is
 * well formed, so that a person fixes everything in one pass.
 */
export function parseScenario(document: unknown, where = 'scenario', plans?: readonly Plan[]): Scenario {
  const parsed = ScenarioSchema.safeParse(document, { reportInput: true });
  if (parsed.success) {
    if (plans) checkScenario(parsed.data, plans, where);
    return parsed.data;
  }
  const events = (document as { events?: unknown } | null)?.events;
  const problems = parsed.error.issues.flatMap((issue) => {
    const index = issue.path[0] === 'events' ? issue.path[1] : undefined;
    if (typeof index === 'number' && issue.path.length === 2 && issue.code === 'invalid_union')
      return eventProblems(Array.isArray(events) ? events[index] : undefined, index);
    return issueLines(issue);
  });
  if (plans) problems.push(...wellFormedProblems(document, plans));
  throw new InvalidInputError(`${where}: ${problems.length} problem(s):\n${byPosition(problems).join('\n')}`);
}

/**
 * What the well-formed parts of a scenario that does not parse name that the plans do not have:
 * each event that parses on its own, and the quotas when they do.
 */
function wellFormedProblems(document: unknown, plans: readonly Plan[]): string[] {
  const record =
    document !== null && typeof document === 'object' ? (document as Record<string, unknown>) : {};
  const events = Array.isArray(record.events) ? record.events : [];
  const quotas = ScenarioSchema.shape.quotas.safeParse(record.quotas);
  // Each event keeps its index: a sparse list, so that problems name the event where it is.
  const parsed: ScenarioEvent[] = [];
  events.forEach((event, index) => {
    const one = ScenarioEvent.safeParse(event);
    if (one.success) parsed[index] = one.data;
  });
  return scenarioProblems(
    {
      ...ScenarioSchema.parse({}),
      ...(quotas.success && quotas.data ? { quotas: quotas.data } : {}),
      events: parsed,
    },
    plans,
  );
}

/** Problem lines in the order of what they name: the scenario's own keys, then event by event. */
function byPosition(lines: readonly string[]): string[] {
  const index = (line: string) => Number(/^ {2}- events\[(\d+)\]/.exec(line)?.[1] ?? -1);
  return [...lines].sort((a, b) => index(a) - index(b));
}

/** The problems of one event that matched no kind of event, found by parsing it as the kind it names. */
function eventProblems(event: unknown, index: number): string[] {
  const at = `events[${index}]`;
  const record = event !== null && typeof event === 'object' ? (event as Record<string, unknown>) : undefined;
  const keys = record ? Object.keys(record).filter((k) => k !== 'at') : [];
  const named = keys.filter((k): k is EventKey => (EVENT_KEYS as string[]).includes(k));
  if (!record || named.length !== 1) {
    return [
      `  - ${at}: an event is \`at\` and exactly one of ${EVENT_KEYS.join(', ')} (got ${keys.length > 0 ? keys.join(', ') : JSON.stringify(event)})`,
    ];
  }
  const key = named[0] as EventKey;
  const schema = z.strictObject({ at: Seconds, [key]: EVENT_BODIES[key] });
  const result = schema.safeParse(record, { reportInput: true });
  if (result.success) return [];
  return result.error.issues.flatMap((issue) =>
    issueLines({ ...issue, path: ['events', index, ...issue.path] } as z.core.$ZodIssue),
  );
}

/** One zod issue as report lines; a fault whose kind is unknown gets the valid kinds. */
function issueLines(issue: z.core.$ZodIssue): string[] {
  const path = formatPath(issue.path);
  if (issue.code === 'invalid_union' && issue.errors.length === 0 && /fault\.kind$/.test(path)) {
    const got = (issue.input as { kind?: unknown } | undefined)?.kind;
    return [
      `  - ${path}: unknown fault kind (got ${JSON.stringify(got ?? null)}; expected one of ${FAULT_KINDS.join(', ')})`,
    ];
  }
  return problemsFromIssue(issue, '', 'docs/contracts.md and sandbox/faults.ts').map((p) => {
    const detail = [p.got === undefined ? '' : `got ${p.got}`, p.expected ? `expected ${p.expected}` : '']
      .filter(Boolean)
      .join('; ');
    return `  - ${p.path || '(root)'}: ${p.message}${detail ? ` (${detail})` : ''}`;
  });
}

/**
 * What a scenario names that the plans do not have: an unknown app, a failover to a region the app
 * does not run in, a fault or clear naming a region no plan runs in, an unknown Auto Scaling
 * group, global cluster or step, an alarm no plan watches. Such a scenario would test nothing (a
 * `region-outage` of a region without apps changes nothing), so it is refused. Empty when sound.
 */
export function scenarioProblems(scenario: Scenario, plans: readonly Plan[]): string[] {
  const known = knownResources(plans);
  const apps = new Map(plans.map((p) => [p.name, p]));
  const appNames = [...apps.keys()].sort().join(', ');
  const alarms = plans.flatMap((p) =>
    (p.detection?.alarms ?? []).map((arn) => ({
      name: arn.split(':alarm:')[1] ?? arn,
      region: arn.split(':')[3],
    })),
  );
  const problems: string[] = [];
  const quotaIds = QUOTAS.map((q) => q.id);
  for (const id of Object.keys(scenario.quotas ?? {}))
    if (!quotaIds.includes(id))
      problems.push(`  - quotas.${id}: names no modelled quota, expected one of ${quotaIds.join(', ')}`);
  scenario.events.forEach((event, index) => {
    const at = `events[${index}]`;
    const app = (name: string, path: string): Plan | undefined => {
      const plan = apps.get(name);
      if (!plan) problems.push(`  - ${at}.${path}: names app '${name}', expected one of ${appNames}`);
      return plan;
    };
    if ('fault' in event) {
      for (const p of referenceProblems(event.fault, known))
        problems.push(`  - ${at}.fault.${referenceLine(p)}`);
    } else if ('clear' in event) {
      if (event.clear !== 'all')
        for (const p of referenceProblems(event.clear, known))
          problems.push(`  - ${at}.clear.${referenceLine(p)}`);
    } else if ('failover' in event) {
      const plan = app(event.failover.app, 'failover.app');
      if (plan && !plan.regions.includes(event.failover.to))
        problems.push(
          `  - ${at}.failover.to: ${plan.name} does not run in that region (got "${event.failover.to}"; expected one of ${plan.regions.join(', ')})`,
        );
    } else if ('approve' in event) app(event.approve.app, 'approve.app');
    else if ('abort' in event) app(event.abort.app, 'abort.app');
    else if ('drill' in event) app(event.drill.app, 'drill.app');
    else if ('alarm' in event) {
      const { name, region } = event.alarm;
      if (!alarms.some((a) => a.name === name && (region === undefined || a.region === region)))
        problems.push(
          `  - ${at}.alarm: no plan watches that alarm (got ${name}${region ? ` in ${region}` : ''}; expected one of ${alarms.map((a) => `${a.name} in ${a.region}`).join(', ') || 'none: no plan has detection.alarms'})`,
        );
    }
  });
  return problems;
}

/** {@link scenarioProblems} as an {@link InvalidInputError} listing every problem, or nothing. */
export function checkScenario(scenario: Scenario, plans: readonly Plan[], where = 'scenario'): void {
  const problems = scenarioProblems(scenario, plans);
  if (problems.length > 0)
    throw new InvalidInputError(
      `${where}: ${problems.length} problem(s) with what it names:\n${problems.join('\n')}`,
    );
}

/**
 * A scenario file's bounds: a plan file's (`functions/core/plan-loader.ts`: size, nesting and
 * aliases), so that no scenario file costs more than a bounded amount of memory, time and stack.
 */
export const SCENARIO_FILE_KIND: YamlFileKind = {
  noun: 'scenario',
  maxBytes: MAX_PLAN_FILE_BYTES,
  maxAliases: MAX_PLAN_ALIASES,
  maxNesting: MAX_PLAN_NESTING,
  typical: {
    size: 'a scenario is a few KB',
    nesting: 'a scenario needs about 5',
    aliases: 'a scenario needs none',
  },
  mapping: 'a YAML mapping of scenario keys: name, latency, seed, timeout, events, ...',
};

/**
 * Reads and parses a scenario file: {@link InvalidInputError} listing every problem, from reading
 * it (not a regular file, too large, not UTF-8) and its YAML (syntax, nesting, aliases) to the
 * schema and, given the `plans`, what it names that they do not have ({@link parseScenario}).
 */
export async function loadScenario(file: string, plans?: readonly Plan[]): Promise<Scenario> {
  const where = `scenario ${file}`;
  const read = await readYamlFile(file, SCENARIO_FILE_KIND);
  const parsed = 'text' in read ? parseYamlFile(file, read.text, SCENARIO_FILE_KIND) : { problems: [read] };
  if ('problems' in parsed) {
    const lines = parsed.problems.map((p) => `  - ${formatProblem({ ...p, file: '' }).replace(/^: /, '')}`);
    throw new InvalidInputError(`${where}: ${lines.length} problem(s):\n${lines.join('\n')}`);
  }
  return parseScenario(parsed.document, where, plans);
}

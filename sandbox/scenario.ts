import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import * as z from 'zod';
import { InvalidInputError } from '../functions/core/errors.js';
import { formatPath } from '../functions/core/plan.js';
import { FAILOVER_MODES } from '../functions/core/records.js';
import { ClearSchema, FaultSchema } from './faults.js';

/** A scenario file (docs/architecture.md, The sandbox under the SDK): faults, operator requests, approvals and alarms on a timeline. */
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

export const ScenarioEvent = z.union([
  z.strictObject({ at: Seconds, fault: FaultSchema }),
  z.strictObject({ at: Seconds, clear: ClearSchema }),
  z.strictObject({ at: Seconds, failover: FailoverEvent }),
  z.strictObject({
    at: Seconds,
    approve: z.strictObject({
      app: z.string().min(1),
      by: z.string().min(1),
      execution: z.string().optional(),
    }),
  }),
  z.strictObject({
    at: Seconds,
    abort: z.strictObject({
      app: z.string().min(1),
      by: z.string().min(1),
      reason: z.string().default('scenario'),
      execution: z.string().optional(),
    }),
  }),
  z.strictObject({
    at: Seconds,
    drill: z.strictObject({
      app: z.string().min(1),
      by: z.string().min(1).default('operator'),
      kind: z.enum(['switchover-and-back', 'switchover']).optional(),
      soakSeconds: z.number().int().nonnegative().optional(),
    }),
  }),
  z.strictObject({
    at: Seconds,
    alarm: z.strictObject({
      name: z.string().min(1),
      state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
      region: z.string().optional(),
      reason: z.string().optional(),
    }),
  }),
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
  /** Virtual seconds: the run never goes past this. */
  timeout: z.number().positive().default(3600),
  events: z.array(ScenarioEvent).default([]),
});
export type Scenario = z.infer<typeof ScenarioSchema>;

/** Parses a scenario; {@link InvalidInputError} lists every problem with its path. */
export function parseScenario(document: unknown, where = 'scenario'): Scenario {
  const parsed = ScenarioSchema.safeParse(document, { reportInput: true });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const got = 'input' in issue && issue.input !== undefined ? ` (got ${JSON.stringify(issue.input)})` : '';
    return `  - ${formatPath(issue.path) || '(root)'}: ${issue.message}${got}`;
  });
  throw new InvalidInputError(`${where}: ${problems.length} problem(s):\n${problems.join('\n')}`);
}

export async function loadScenario(file: string): Promise<Scenario> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new InvalidInputError(
      `scenario ${file}: cannot read it (${error instanceof Error ? error.message : String(error)})`,
    );
  });
  let document: unknown;
  try {
    document = parse(text);
  } catch (error: unknown) {
    throw new InvalidInputError(
      `scenario ${file}: not YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
  return parseScenario(document, `scenario ${file}`);
}

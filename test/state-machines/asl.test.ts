import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_NAMES } from '../../functions/core/errors.js';
import { seededRandom } from '../../functions/core/random.js';
import {
  arnPlaceholder,
  FUNCTIONS,
  type FunctionName,
  STATE_MACHINES,
} from '../../functions/handlers/registry.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { loadInterpreter } from '../../sandbox/runtime/interpreter.js';
import { loadDefinition, taskBindings } from '../../sandbox/runtime/step-functions.js';

type State = Record<string, unknown> & { Type: string };
type Definition = { StartAt: string; States: Record<string, State> };

const FILES = readdirSync('state-machines').filter((f) => f.endsWith('.asl.json'));
const load = (file: string) => JSON.parse(readFileSync(`state-machines/${file}`, 'utf8')) as Definition;

/** Every state of a definition, nested Map and Parallel states included. */
function allStates(definition: Definition): [string, State][] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = (state.ItemProcessor ?? state.Iterator) as Definition | undefined;
    const branches = (state.Branches as Definition[] | undefined) ?? [];
    return [
      [name, state] as [string, State],
      ...(nested ? allStates(nested) : []),
      ...branches.flatMap(allStates),
    ];
  });
}

/** A Task's `Resource` placeholder for a function, as the ASL writes it. */
const placeholder = (name: FunctionName) => `\${${arnPlaceholder(name)}}`;

// Names Step Functions and Lambda define; every other name must be one Switchyard throws.
const AWS_ERROR = /^(States\.[A-Za-z]+|Lambda\.[A-Za-z]+)$/;

describe('state machine definitions', () => {
  it('every file of the registry exists, and every file is in the registry', () => {
    expect(new Set(FILES)).toEqual(new Set(STATE_MACHINES.map((m) => m.file)));
  });

  it.each(FILES)('%s is valid ASL that the interpreter accepts, JSONPath only', (file) => {
    const text = readFileSync(`state-machines/${file}`, 'utf8');
    expect(text).not.toMatch(/JSONata|"Assign"|"QueryLanguage"/);
    const definition = loadDefinition(file, 'us-west-2', (name) => FUNCTIONS.some((f) => f.name === name));
    const { StateMachine } = loadInterpreter(new VirtualClock(), seededRandom(1));
    expect(
      () => new StateMachine(definition as never, { validationOptions: { checkArn: false } }),
    ).not.toThrow();
  });

  it.each(FILES)('%s routes only on error names that exist', (file) => {
    const names = allStates(load(file)).flatMap(([, state]) =>
      [
        ...((state.Retry as { ErrorEquals: string[] }[]) ?? []),
        ...((state.Catch as { ErrorEquals: string[] }[]) ?? []),
      ].flatMap((r) => r.ErrorEquals),
    );
    expect(names.length).toBeGreaterThan(0);
    const unknown = names.filter(
      (n) => !AWS_ERROR.test(n) && !(ERROR_NAMES as readonly string[]).includes(n),
    );
    expect(unknown).toEqual([]);
  });

  it.each(FILES)('%s: every placeholder names a function, and every Task is bounded and retried', (file) => {
    const text = readFileSync(`state-machines/${file}`, 'utf8');
    for (const [, name] of text.matchAll(/\$\{([A-Za-z]+)FunctionArn\}/g)) {
      expect(FUNCTIONS.map((f) => f.name)).toContain(name);
    }
    expect(text.replace(/\$\{[A-Za-z]+FunctionArn\}/g, '')).not.toContain('${');
    for (const [name, state] of allStates(load(file))) {
      if (state.Type !== 'Task') continue;
      expect(state.TimeoutSeconds ?? state.TimeoutSecondsPath, `${file} ${name} has a timeout`).toBeDefined();
      expect(state.Retry, `${file} ${name} retries`).toBeDefined();
    }
  });

  it.each(FILES)(
    '%s: a read-and-check Task that timed out (a hung call into a down region) is retried',
    (file) => {
      // States.Timeout, a Task past its TimeoutSeconds, is an error Retry may name ("Error handling
      // in Step Functions", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html);
      // these steps only read (and act idempotently, fenced), so a second attempt is safe.
      const checks = ['CheckDatabase', 'CheckCapacity', 'CheckPrepare', 'CheckTraffic', 'VerifyService'];
      for (const [name, state] of allStates(load(file))) {
        if (state.Type !== 'Task' || !checks.includes(name)) continue;
        const retried = ((state.Retry as { ErrorEquals: string[]; MaxAttempts?: number }[]) ?? []).find((r) =>
          r.ErrorEquals.includes('States.Timeout'),
        );
        expect(retried?.MaxAttempts, `${file} ${name} retries States.Timeout`).toBeGreaterThan(0);
      }
    },
  );

  it.each(['warm-standby.asl.json', 'pilot-light.asl.json'])(
    "%s: a throttled ScaleCapacity is retried as long as Preflight's throttled reads are",
    (file) => {
      // 200 runs scaling out at once meet an Auto Scaling bucket the requests' dry runs emptied:
      // UpdateAutoScalingGroup is throttled for seconds (docs/performance.md, "Apps scale").
      const throttledRetry = (name: string) =>
        (
          (new Map(allStates(load(file))).get(name)?.Retry as
            | { ErrorEquals: string[]; MaxAttempts?: number }[]
            | undefined) ?? []
        ).find((r) => r.ErrorEquals.includes('ThrottledError'));
      expect(throttledRetry('ScaleCapacity')?.MaxAttempts).toBeGreaterThanOrEqual(
        throttledRetry('Preflight')?.MaxAttempts ?? Number.POSITIVE_INFINITY,
      );
    },
  );

  it.each(FILES)('%s: every loop passes through a Task (whose use case bounds it)', (file) => {
    const states = new Map(allStates(load(file)));
    const next = (state: State): string[] => [
      ...(typeof state.Next === 'string' ? [state.Next] : []),
      ...((state.Choices as { Next: string }[]) ?? []).map((c) => c.Next),
      ...(typeof state.Default === 'string' ? [state.Default] : []),
    ];
    // A cycle made only of Wait, Choice and Pass states would spin forever: find one by DFS.
    const passive = (name: string) => ['Wait', 'Choice', 'Pass'].includes(states.get(name)?.Type ?? '');
    for (const start of states.keys()) {
      if (!passive(start)) continue;
      const seen = new Set<string>();
      const stack = [start];
      while (stack.length > 0) {
        const name = stack.pop() as string;
        for (const to of next(states.get(name) as State)) {
          expect(to === start && passive(name), `${file}: passive loop through ${start}`).toBe(false);
          if (passive(to) && !seen.has(to)) {
            seen.add(to);
            stack.push(to);
          }
        }
      }
    }
  });

  it.each(FILES)('%s: a failed BeginExecution is caught into AbandonExecution, which always ends', (file) => {
    const definition = load(file);
    const begin = definition.States[definition.StartAt] as State;
    if (begin.Resource !== placeholder('BeginExecution')) return; // not a runbook
    const catches = begin.Catch as { ErrorEquals: string[]; Next: string }[];
    expect(catches.map((c) => c.ErrorEquals)).toEqual([['States.ALL']]);
    const abandon = definition.States[catches[0]?.Next ?? ''] as State;
    expect(abandon).toMatchObject({
      Type: 'Task',
      Resource: placeholder('AbandonExecution'),
      Parameters: { 'request.$': '$', 'executionArn.$': '$$.Execution.Id', 'error.$': '$.error' },
    });
    // Whether it succeeds or fails itself, the execution then ends failed.
    const after = [abandon.Next, ...((abandon.Catch as { Next: string }[]) ?? []).map((c) => c.Next)];
    for (const next of after) expect(definition.States[String(next)]?.Type).toBe('Fail');
  });

  it('binds every runbook Task to a registered function in the region it runs in', () => {
    for (const machine of STATE_MACHINES) {
      const definition = loadDefinition(machine.file, 'eu-west-1', () => true);
      const bindings = taskBindings(definition as never);
      expect(bindings.size).toBeGreaterThan(0);
      for (const { fn } of bindings.values()) expect(FUNCTIONS.map((f) => f.name)).toContain(fn);
    }
    expect(() =>
      loadDefinition('warm-standby.asl.json', 'us-east-1', (name) => name !== 'ShiftTraffic'),
    ).toThrow(/ShiftTraffic/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  awsError,
  type CallTarget,
  type SimContext,
  type SimulatedService,
  UnsupportedOperationError,
} from '../aws/simulator.js';
import { SFN_STATE_TRANSITIONS } from '../quotas.js';
import type { Interpreter } from './interpreter.js';
import { functionArn, type LambdaRuntime, parseFunctionArn, SANDBOX_ACCOUNT } from './lambda.js';
import { executionScope } from './scope.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Definition = { States: Record<string, State>; StartAt: string };
type State = { Type: string; Resource?: string; Parameters?: Record<string, unknown> } & Record<
  string,
  unknown
>;

/** A state machine deployed in one simulated region. */
export interface DeployedStateMachine {
  readonly arn: string;
  readonly region: string;
  readonly definition: Definition;
  /** Task state name -> the function it invokes, and whether it waits for a task token. */
  readonly tasks: ReadonlyMap<string, { readonly fn: string; readonly waitForToken: boolean }>;
}

/** An execution as the simulated service keeps it. */
export interface SimulatedExecution {
  readonly arn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly region: string;
  readonly input: string;
  readonly startedAt: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  stoppedAt?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** Settles when the execution ends, whatever its status. */
  readonly done: Promise<void>;
  abort?: () => void;
}

/**
 * Reads a runbook definition from `state-machines/` and substitutes its `${XFunctionArn}`
 * placeholders with this region's function ARNs: the same substitution CDK's
 * `definitionSubstitutions` makes in AWS. A placeholder with no function is an error.
 */
export function loadDefinition(file: string, region: string, known: (name: string) => boolean): Definition {
  const text = readFileSync(join('state-machines', file), 'utf8');
  const substituted = text.replace(/\$\{([A-Za-z]+)FunctionArn\}/g, (_all, name: string) => {
    if (!known(name)) throw new Error(`${file}: placeholder \${${name}FunctionArn} names no function`);
    return functionArn(region, name);
  });
  return JSON.parse(substituted) as Definition;
}

/** The definitions (by their JSON text) already validated in this process. */
const VALIDATED = new Set<string>();

/**
 * Validates an ASL definition with the interpreter's validator (ARNs unchecked: the sandbox's are
 * its own), throwing on an invalid one, unless the same definition (the same JSON text) has passed
 * before in this process. Validation is pure and costs ~100 ms of CPU per definition, and every
 * execution (of every sandbox in the process: the bench's, a test file's) runs one of a few.
 */
export function validateOnce(interpreter: Interpreter, definition: Definition): void {
  const key = JSON.stringify(definition);
  if (VALIDATED.has(key)) return;
  new interpreter.StateMachine(definition as never, { validationOptions: { checkArn: false } });
  VALIDATED.add(key);
}

/** Every Task state of a definition (nested Map and Parallel states included) and its function. */
export function taskBindings(definition: Definition): Map<string, { fn: string; waitForToken: boolean }> {
  const tasks = new Map<string, { fn: string; waitForToken: boolean }>();
  const visit = (states: Record<string, State>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') {
        const waitForToken = state.Resource?.endsWith('.waitForTaskToken') ?? false;
        const target = state.Resource?.startsWith('arn:aws:states:::lambda:invoke')
          ? state.Parameters?.FunctionName
          : state.Resource;
        const parsed = typeof target === 'string' ? parseFunctionArn(target) : undefined;
        if (!parsed)
          throw new Error(`Task state ${name} invokes ${String(target)}, which is not a Switchyard function`);
        tasks.set(name, { fn: parsed.name, waitForToken });
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as Definition | undefined;
      if (processor) visit(processor.States);
      for (const branch of (state.Branches as Definition[] | undefined) ?? []) visit(branch.States);
    }
  };
  visit(definition.States);
  return tasks;
}

/**
 * Step Functions in every simulated region: the runbook ASL run by `aws-local-stepfunctions`
 * (bound to the virtual clock), Task states bound to that region's in-process Lambda handlers.
 * Each state transition costs its modelled latency, charged as the next Task starts.
 */
export class SimulatedStepFunctions implements SimulatedService {
  readonly service = 'sfn' as const;
  private readonly machines = new Map<string, DeployedStateMachine>();
  private readonly executions = new Map<string, SimulatedExecution>();
  /** The executions that have ended, in the order they ended. */
  private readonly ended: SimulatedExecution[] = [];
  private readonly tokens = new Map<
    string,
    { resolve: (output: Json) => void; reject: (error: Error) => void; settled: boolean }
  >();

  constructor(
    private readonly ctx: SimContext,
    private readonly interpreter: Interpreter,
    private readonly lambda: LambdaRuntime,
  ) {}

  /** Deploys `definition` as `switchyard-<name>` in `region` (validated at its first execution). */
  deploy(region: string, name: string, definition: Definition): DeployedStateMachine {
    const arn = `arn:aws:states:${region}:${SANDBOX_ACCOUNT}:stateMachine:switchyard-${name}`;
    const machine = { arn, region, definition, tasks: taskBindings(definition) };
    this.machines.set(arn, machine);
    return machine;
  }

  /** Every execution started, in start order. */
  list(): SimulatedExecution[] {
    return [...this.executions.values()];
  }

  get(arn: string): SimulatedExecution | undefined {
    return this.executions.get(arn);
  }

  /** How many executions are RUNNING now, without reading each one. */
  runningCount(): number {
    return this.executions.size - this.ended.length;
  }

  /**
   * The executions that ended after the first `from` to end, in the order they ended: a reader that
   * keeps its place reads each ended execution once, however many run.
   */
  endedSince(from: number): readonly SimulatedExecution[] {
    return this.ended.slice(from);
  }

  handle(operation: string, input: Record<string, unknown>, target: CallTarget): unknown {
    switch (operation) {
      case 'StartExecution':
        return this.start(input, target);
      case 'DescribeExecution':
        return this.describe(this.execution(input.executionArn, target));
      case 'DescribeStateMachine':
        return this.describeMachine(input, target);
      case 'StopExecution':
        return this.stop(this.execution(input.executionArn, target), input);
      case 'SendTaskSuccess':
        return this.settleToken(input.taskToken, target, (waiter) =>
          waiter.resolve(JSON.parse(String(input.output ?? 'null')) as Json),
        );
      case 'SendTaskFailure':
        return this.settleToken(input.taskToken, target, (waiter) =>
          waiter.reject(
            Object.assign(new Error(String(input.cause ?? '')), {
              name: String(input.error ?? 'TaskFailed'),
            }),
          ),
        );
      default:
        throw new UnsupportedOperationError('sfn', operation);
    }
  }

  /**
   * DescribeStateMachine: a deployed machine is ACTIVE; any other ARN (or one of another region)
   * is StateMachineDoesNotExist (AWS Step Functions API Reference, "DescribeStateMachine",
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html).
   */
  private describeMachine(input: Record<string, unknown>, target: CallTarget) {
    const arn = String(input.stateMachineArn);
    const machine = this.machines.get(arn);
    if (!machine || machine.region !== target.region)
      throw awsError('sfn', 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return {
      stateMachineArn: arn,
      name: arn.split(':').pop(),
      status: 'ACTIVE',
      type: 'STANDARD',
      definition: JSON.stringify(machine.definition),
      roleArn: `arn:aws:iam::${SANDBOX_ACCOUNT}:role/switchyard-runbook`,
      creationDate: new Date(0),
    };
  }

  private start(input: Record<string, unknown>, target: CallTarget) {
    const machine = this.machines.get(String(input.stateMachineArn));
    if (!machine || machine.region !== target.region) {
      throw awsError(
        'sfn',
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${String(input.stateMachineArn)}'`,
      );
    }
    const name = String(input.name ?? '');
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw awsError('sfn', 'InvalidName', `Invalid Name: '${name}'`);
    const arn = `arn:aws:states:${machine.region}:${SANDBOX_ACCOUNT}:execution:${machine.arn.split(':').pop()}:${name}`;
    const existing = this.executions.get(arn);
    const text = String(input.input ?? '{}');
    if (existing) {
      // Standard workflows: the same name and input while running is the same execution.
      if (existing.input === text && existing.status === 'RUNNING')
        return { executionArn: arn, startDate: new Date(existing.startedAt) };
      throw awsError('sfn', 'ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const startedAt = this.ctx.clock.now();
    let settle!: () => void;
    const execution: SimulatedExecution = {
      arn,
      name,
      stateMachineArn: machine.arn,
      region: machine.region,
      input: text,
      startedAt,
      status: 'RUNNING',
      done: new Promise<void>((resolve) => {
        settle = resolve;
      }),
    };
    this.executions.set(arn, execution);
    executionScope.run({ executionId: name }, () =>
      this.run(machine, execution, JSON.parse(text) as Json, settle),
    );
    return { executionArn: arn, startDate: new Date(startedAt) };
  }

  private run(
    machine: DeployedStateMachine,
    execution: SimulatedExecution,
    input: Json,
    settle: () => void,
  ): void {
    const { StateMachine } = this.interpreter;
    // Validated once per process and definition: validation costs 100-300 ms of CPU, and every
    // execution of a machine (every sandbox's too) runs the same definition.
    validateOnce(this.interpreter, machine.definition);
    const sm = new StateMachine(machine.definition as never, { validationOptions: { noValidate: true } });
    const token = `${execution.arn}:task-token`;
    let transitions = 0;
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [state, { fn, waitForToken }] of machine.tasks) {
      handlers[state] = async (taskInput) => {
        const charge = transitions;
        transitions = 0;
        // Transitions beyond the region's state-transition bucket are delayed, not failed.
        const throttled = this.ctx.quotas?.delayFor(SFN_STATE_TRANSITIONS, machine.region, charge) ?? 0;
        await this.ctx.clock.sleep(charge * this.ctx.latency.stepFunctions.stateTransitionMs + throttled);
        if (!waitForToken) return (await this.lambda.invoke(machine.region, fn, taskInput)) as Json;
        const payload = (taskInput as { Payload?: Json }).Payload ?? null;
        const answer = this.waitForToken(token);
        await this.lambda.invoke(machine.region, fn, payload);
        return answer;
      };
    }
    const run = sm.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: {
          Id: execution.arn,
          Name: execution.name,
          StartTime: new Date(execution.startedAt).toISOString(),
        },
        StateMachine: { Id: machine.arn, Name: machine.arn.split(':').pop() },
        Task: { Token: token },
      },
    });
    execution.abort = run.abort;
    void (async () => {
      for await (const event of run.eventLogs) if (event.type === 'StateEntered') transitions++;
    })();
    run.result.then(
      (output) => this.end(execution, 'SUCCEEDED', { output: JSON.stringify(output ?? null) }, settle),
      (error: unknown) => {
        const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
        const name = inner instanceof Error ? inner.name : 'States.Runtime';
        if (name === 'ExecutionAbortedError') return this.end(execution, 'ABORTED', {}, settle);
        if (name === 'ExecutionTimeoutError')
          return this.end(execution, 'TIMED_OUT', { error: 'States.Timeout' }, settle);
        return this.end(
          execution,
          'FAILED',
          { error: name, cause: inner instanceof Error ? inner.message : String(inner) },
          settle,
        );
      },
    );
  }

  private end(
    execution: SimulatedExecution,
    status: SimulatedExecution['status'],
    fields: Partial<SimulatedExecution>,
    settle: () => void,
  ): void {
    if (execution.status !== 'RUNNING') {
      settle();
      return;
    }
    Object.assign(execution, fields, { status, stoppedAt: this.ctx.clock.now() });
    this.ended.push(execution);
    const waiter = this.tokens.get(`${execution.arn}:task-token`);
    if (waiter) waiter.settled = true;
    this.ctx.changed(appOf(execution.input));
    settle();
  }

  private waitForToken(token: string): Promise<Json> {
    return new Promise<Json>((resolve, reject) => {
      this.tokens.set(token, { resolve, reject, settled: false });
    });
  }

  private settleToken(
    tokenValue: unknown,
    target: CallTarget,
    settle: (waiter: { resolve: (o: Json) => void; reject: (e: Error) => void }) => void,
  ) {
    const token = String(tokenValue ?? '');
    const waiter = this.tokens.get(token);
    if (!waiter) throw awsError('sfn', 'TaskDoesNotExist', `Task does not exist: ${token.slice(0, 40)}`);
    const execution = this.executions.get(token.replace(/:task-token$/, ''));
    // A task token is answered in its execution's region only.
    if (execution && execution.region !== target.region) {
      throw awsError(
        'sfn',
        'TaskDoesNotExist',
        `Task does not exist in ${target.region}: ${token.slice(0, 40)}`,
      );
    }
    if (waiter.settled || execution?.status !== 'RUNNING')
      throw awsError('sfn', 'TaskTimedOut', 'Task Timed Out');
    waiter.settled = true;
    settle(waiter);
    return {};
  }

  /** An execution, seen from the region the call went to: another region's does not exist there. */
  private execution(arn: unknown, target: CallTarget): SimulatedExecution {
    const execution = this.executions.get(String(arn));
    if (!execution || execution.region !== target.region) {
      throw awsError('sfn', 'ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    }
    return execution;
  }

  private describe(execution: SimulatedExecution) {
    return {
      executionArn: execution.arn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: new Date(execution.startedAt),
      input: execution.input,
      ...(execution.stoppedAt !== undefined ? { stopDate: new Date(execution.stoppedAt) } : {}),
      ...(execution.output !== undefined ? { output: execution.output } : {}),
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
    };
  }

  private stop(execution: SimulatedExecution, input: Record<string, unknown>) {
    if (execution.status === 'RUNNING') {
      execution.abort?.();
      Object.assign(execution, {
        status: 'ABORTED',
        stoppedAt: this.ctx.clock.now(),
        ...(input.error ? { error: String(input.error) } : {}),
        ...(input.cause ? { cause: String(input.cause) } : {}),
      });
      this.ended.push(execution);
    }
    return { stopDate: new Date(execution.stoppedAt ?? this.ctx.clock.now()) };
  }
}

/** The app an execution runs for (its input's `plan`), as the ground truth names it; none if unknown. */
function appOf(input: string): string[] | undefined {
  try {
    const plan = (JSON.parse(input) as { plan?: unknown } | null)?.plan;
    return typeof plan === 'string' ? [plan] : undefined;
  } catch {
    return undefined;
  }
}

import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The execution on whose behalf code runs, carried through every await of its state machine, its
 * Lambda invokes and their AWS calls. The simulator reads it to attribute calls and long-running
 * operations to executions (`awsBusySeconds`).
 */
export const executionScope = new AsyncLocalStorage<{ readonly executionId: string }>();

export function currentExecutionId(): string | undefined {
  return executionScope.getStore()?.executionId;
}

/**
 * The Lambda function whose invoke runs now (its name without the `switchyard-` prefix, e.g.
 * `Preflight`), carried through every await of the invoke. The simulator records it on each call
 * (`CallRecord.caller`), so that a call log can be counted by who made the calls.
 */
export const invokeScope = new AsyncLocalStorage<{ readonly fn: string }>();

export function currentFunction(): string | undefined {
  return invokeScope.getStore()?.fn;
}

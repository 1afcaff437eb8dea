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

import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadPlans } from '../functions/core/plan-loader.js';
import { Sandbox, type SandboxOptions } from '../sandbox/sandbox.js';

/** What a test file's sandbox is started with: the options of {@link Sandbox.start}, plans optional. */
export type TestSandboxOptions = Omit<SandboxOptions, 'plans'> & {
  /** The plans deployed; default: the repository's `plans/`. */
  readonly plans?: SandboxOptions['plans'];
};

/**
 * One whole sandbox for a test file: started before its first test (`beforeAll`), closed after its
 * last (`afterAll`), with the faults a test injected cleared after each test (`afterEach`), so no
 * test sees another's outage. `ready` is called once with the started sandbox; the file keeps what
 * it needs of it (the sandbox, a region's deps, a handler made over them).
 *
 * @param options the sandbox's latency profile (`fast` or `realistic`), seed and, optionally, plans.
 * @param ready called after {@link Sandbox.start} resolves, before the first test.
 */
export function useSandbox(
  options: TestSandboxOptions,
  ready: (sandbox: Sandbox) => void | Promise<void>,
): void {
  let started: Sandbox | undefined;
  beforeAll(async () => {
    started = await Sandbox.start({ ...options, plans: options.plans ?? (await loadPlans('plans')) });
    await ready(started);
  });
  afterEach(() => {
    started?.aws.faults.clear('all');
  });
  afterAll(async () => {
    await started?.close();
  });
}

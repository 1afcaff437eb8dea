import { afterAll, beforeAll } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { Sandbox } from '../../sandbox/sandbox.js';
import { type SandboxServer, startSandboxServer } from '../../sandbox/server.js';
import { type CliRun, runCaptured } from './run-captured.js';

/** The sandbox and its HTTP server a test file runs the CLI against, started once per file. */
export interface CliSandbox {
  readonly sandbox: Sandbox;
  readonly server: SandboxServer;
  /** Runs the CLI in-process against the server; `--api` is added unless given (or for `sandbox`). */
  cli(...argv: string[]): Promise<CliRun>;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that start the example plans' sandbox with its server on a
 * free port and close both. Paced at 50x real time with the fast profile: a failover takes a second
 * or two of real time. Not much faster: on a paced clock real compute time counts as virtual time
 * too, and a Task's 60 s timeout is 1.2 s here. Read the fields inside tests, not at import.
 */
export function useSandboxServer(): CliSandbox {
  let sandbox: Sandbox | undefined;
  let server: SandboxServer | undefined;
  beforeAll(async () => {
    sandbox = await Sandbox.start({
      plans: await loadPlans('plans'),
      latency: 'fast',
      clock: new VirtualClock({ kind: 'paced', speed: 50 }),
    });
    server = await startSandboxServer({ sandbox, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useSandboxServer: read inside a test, after beforeAll');
    return value;
  };
  return {
    get sandbox() {
      return started(sandbox);
    },
    get server() {
      return started(server);
    },
    cli: (...argv) =>
      runCaptured(
        argv.includes('--api') || argv[0] === 'sandbox' ? argv : [...argv, '--api', started(server).url],
      ),
  };
}

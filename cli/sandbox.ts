import { type Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { PlanValidationError } from '../functions/core/errors.js';
import { formatProblem, type Plan } from '../functions/core/plan.js';
import { loadPlans } from '../functions/core/plan-loader.js';
import { DEMO_IDENTITIES } from '../sandbox/identities.js';
import { clockTime, DEFAULT_API, table } from './client.js';
import { type CliIo, EXIT, line } from './io.js';
import { type CommandContext, integerIn } from './program.js';

export const SANDBOX_USAGE =
  '[--port 8080] [--plans DIR] [--speed 10] [--latency realistic|fast] [--seed N] [--start ISO]';

/**
 * Virtual time runs this many times faster than real time by default: a realistic failover takes
 * minutes of AWS time (an Aurora switchover alone is ~90 s, instances launch in ~2 min), so at
 * 10x a warm standby failover plays in well under a minute and stays readable step by step.
 */
export const DEFAULT_SPEED = 10;
/**
 * On a paced clock this machine's compute time counts as virtual time too, times `speed`: at
 * 1000x, 60 ms of handler work is a Task's whole 60 s timeout and runbooks fail with
 * States.Timeout. At 100x that budget is 600 ms of real time, ample for any step.
 */
export const MAX_SPEED = 100;
/** Closing the server and DynamoDB takes milliseconds; past this, the process ends anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

export interface SandboxRunHooks {
  /** Resolves when the sandbox should stop (tests). Without it, SIGINT or SIGTERM stops it. */
  readonly until?: Promise<void>;
  /** Hears the server's URL once it listens (tests). */
  readonly onListening?: (url: string) => void;
}

/** The options of `switchyard sandbox`, parsed. */
export interface SandboxOptions {
  readonly port: number;
  readonly host: string;
  readonly plans: string;
  readonly speed: number;
  readonly latency: 'realistic' | 'fast';
  readonly seed: number;
  /** Epoch ms of the virtual clock's start (when the simulated AWS and its schedules were created). */
  readonly start?: number;
}

/**
 * `switchyard sandbox` (what `npm start` runs), as a command of the program. New options go
 * here, with their parser; the action hands them to {@link runSandbox}.
 */
export function defineSandbox(program: Command, context: CommandContext, hooks: SandboxRunHooks = {}): void {
  program
    .command('sandbox')
    .summary('serve the simulated AWS and every control plane locally (npm start)')
    .description(
      "Runs Switchyard on this machine: every region's control plane (the same handlers and state\n" +
        'machines as in AWS) against a simulated AWS, and the operator API on http://HOST:PORT. This\n' +
        'is what `npm start` runs (give it options after --: `npm start -- --port 8081`). Use the other\n' +
        'commands (status, failover, ...) from a second shell.',
    )
    .usage(SANDBOX_USAGE)
    .option(
      '--port <N>',
      'the port to listen on (0 picks a free one)',
      integerIn(0, 65_535, '0..65535'),
      8080,
    )
    .option('--host <H>', 'the address to listen on (127.0.0.1: this machine only)', '127.0.0.1')
    .option('--plans <DIR>', 'the plans directory; a bad plan stops the start, every problem listed', 'plans')
    .option(
      '--speed <N>',
      `virtual seconds per real second (default ${DEFAULT_SPEED}, at most ${MAX_SPEED}): a realistic failover takes minutes of AWS time (an Aurora switchover ~90 s, instance launches ~2 min), so at 10x it plays in well under a minute and each step can still be read as it happens`,
      speedOf,
    )
    .addOption(
      new Option('--latency <P>', 'realistic (documented AWS timings) or fast (1/20, for tests)')
        .choices(['realistic', 'fast'] as const)
        .default('realistic' as const),
    )
    .option(
      '--seed <N>',
      'seeds every random choice (jitter, endpoint order)',
      integerIn(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'an integer'),
      1,
    )
    .option(
      '--start <ISO>',
      "the virtual instant the sandbox starts at, UTC (default 2026-01-01T00:00:00Z); plans' drill schedules fire from it (e.g. 2026-01-13T13:58:00Z: orders' quarterly drill 2 virtual minutes later)",
      instantOf,
    )
    .addHelpText('after', '\nCtrl-C (SIGINT) or SIGTERM stops it cleanly.')
    .action(async (options) => {
      context.code = await runSandbox(
        { ...options, speed: options.speed ?? DEFAULT_SPEED },
        context.io,
        hooks,
      );
    });
}

function instantOf(value: string): number {
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(at))
    throw new InvalidArgumentError(`expected an ISO 8601 UTC instant such as 2026-01-13T13:58:00Z`);
  return at;
}

function speedOf(value: string): number {
  const speed = Number(value);
  if (value.trim() === '' || !Number.isFinite(speed) || speed <= 0 || speed > MAX_SPEED)
    throw new InvalidArgumentError(`expected a number in (0, ${MAX_SPEED}]`);
  return speed;
}

/**
 * `switchyard sandbox ARGS` run on its own (tests): the same parsing, help and errors as through
 * `runCli`, and the exit code.
 */
export async function sandboxCommand(
  args: string[],
  io: CliIo,
  hooks: SandboxRunHooks = {},
): Promise<number> {
  const { runCli } = await import('./run.js');
  return runCli(['sandbox', ...args], io, hooks);
}

/**
 * Loads and validates the plans, starts every region's control plane against the simulated AWS
 * on a paced virtual clock, serves the operator API (and the sandbox routes) over HTTP, and runs
 * until interrupted (or until `hooks.until`).
 */
export async function runSandbox(
  values: SandboxOptions,
  io: CliIo,
  hooks: SandboxRunHooks = {},
): Promise<number> {
  const { port, speed, latency, seed } = values;
  let plans: Plan[];
  try {
    plans = await loadPlans(values.plans);
  } catch (error: unknown) {
    if (!(error instanceof PlanValidationError)) throw error;
    line(
      io.err,
      `switchyard sandbox: refusing to start: ${error.problems.length} problem(s) in ${values.plans}:`,
    );
    for (const problem of error.problems) line(io.err, `  - ${formatProblem(problem)}`);
    return EXIT.failed;
  }

  const code = await run();
  if (!hooks.until) {
    // The paced clock's timers (health checks, alarm periods) recur for as long as the process
    // lives; nothing is left to do once the sandbox is closed, so end it rather than hang.
    setTimeout(() => process.exit(code), 200).unref();
  }
  return code;

  async function run(): Promise<number> {
    // Loaded here, not at the top: the client commands share this module list and need none of it.
    const [{ Sandbox }, { VirtualClock }, { startSandboxServer }] = await Promise.all([
      import('../sandbox/sandbox.js'),
      import('../sandbox/clock.js'),
      import('../sandbox/server.js'),
    ]);
    const sandbox = await Sandbox.start({
      plans,
      latency,
      seed,
      clock: new VirtualClock({ kind: 'paced', speed }, values.start),
    });
    const clock = sandbox.clock;
    let server: Awaited<ReturnType<typeof startSandboxServer>>;
    try {
      server = await startSandboxServer({
        sandbox,
        port,
        host: values.host,
        onRequest: (entry) => {
          // Reads are the console's and status's polling: only changes and failures are news.
          if (entry.method === 'GET' && entry.status < 500) return;
          const who = entry.caller ?? '-';
          const where = entry.region ? ` [${entry.region}]` : '';
          const why = entry.status >= 400 && entry.detail ? `  ${entry.detail}` : '';
          line(
            io.out,
            `${clockTime(new Date(entry.at).toISOString())}  ${who.padEnd(7)} ${entry.method} ${entry.path} -> ${entry.status}${where}${why}`,
          );
        },
      });
    } catch (error: unknown) {
      await sandbox.close();
      const code = error instanceof Error && 'code' in error ? String(error.code) : '';
      if (code === 'EADDRINUSE') {
        line(
          io.err,
          `switchyard sandbox: ${values.host}:${port} is in use (another sandbox?); stop it, or pick another port: npm start -- --port ${port + 1} (0 picks a free one)`,
        );
        return EXIT.failed;
      }
      throw error;
    }
    hooks.onListening?.(server.url);

    const actives = await Promise.all(
      plans.map(async (plan) => {
        const first = plan.regions[0] as string;
        const state = await sandbox.region(first).deps.store.getState(plan.name);
        return state?.activeRegion ?? first;
      }),
    );
    for (const text of banner({ url: server.url, plans, actives, speed, latency, seed, start: clock.start }))
      line(io.out, text);

    await (hooks.until ?? signalled());
    line(io.out, 'stopping the sandbox...');
    await server.close();
    await sandbox.close();
    line(io.out, 'stopped.');
    return EXIT.ok;
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM. The listeners stay: Ctrl-C reaches every process of
 * the terminal's group and tsx relays it to us once more, which must not cut the cleanup short
 * (with no listener left, tsx's own handler would exit 130). Closing is bounded instead.
 */
function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      resolve();
      setTimeout(() => process.exit(EXIT.failed), CLOSE_TIMEOUT_MS).unref();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function banner(options: {
  url: string;
  plans: readonly Plan[];
  actives: readonly string[];
  speed: number;
  latency: string;
  seed: number;
  start: number;
}): string[] {
  const { url, plans } = options;
  const api = url === DEFAULT_API ? '' : ` --api ${url}`;
  const regions = [...new Set(plans.flatMap((p) => p.regions))].sort();
  const apps = table(
    plans.map((p, i) => [
      p.name,
      p.strategy,
      `active ${options.actives[i]}`,
      `regions ${p.regions.join(', ')}`,
      p.approvals.operatorFailover === 'required' ? 'failover needs an approver' : '',
    ]),
    '    ',
  );
  const example = plans.find((p) => p.approvals.operatorFailover === 'required') ?? plans[0];
  const exampleTo = example?.regions[1] ?? '';
  const lines = [
    `Switchyard console: ${url}/  (open it in a browser; pick an identity to act as)`,
    `Switchyard sandbox: operator API on ${url}`,
    `  simulated AWS, ${options.latency} latency, seed ${options.seed}; virtual time runs ${options.speed}x real time from ${new Date(options.start).toISOString()} (--speed)`,
    `  regions: ${regions.join(', ')} (a control plane in each)`,
    '  apps:',
    ...apps,
    '  identities (bearer tokens at GET /sandbox/tokens; the CLI fetches them, pick one with --as):',
    ...table(
      DEMO_IDENTITIES.map((i) => [i.name, i.roles.join('+'), i.description]),
      '    ',
    ),
    '',
    'In a second shell:',
    `  npx switchyard status${api}`,
  ];
  if (example) {
    lines.push(`  npx switchyard failover --app ${example.name} --to ${exampleTo}${api}`);
    if (example.approvals.operatorFailover === 'required')
      lines.push(`  npx switchyard approve --app ${example.name} --execution <id> --as bob${api}`);
  }
  lines.push(
    `  npx switchyard fault --kind region-outage --region ${regions[0] ?? 'us-east-1'}${api}`,
    `  npx switchyard fault --clear all${api}`,
    '',
    'Changes made through the API are logged below. Ctrl-C stops the sandbox.',
  );
  return lines;
}

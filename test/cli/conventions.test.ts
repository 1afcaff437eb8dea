import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliRun, runCaptured } from './run-captured.js';

/** Runs the CLI in-process with buffers for stdout and stderr. */
async function cli(...argv: string[]): Promise<CliRun> {
  return runCaptured(argv);
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const COMMANDS = [
  'validate',
  'schema',
  'sandbox',
  'status',
  'failover',
  'approve',
  'abort',
  'executions',
  'audit',
  'fault',
  'alarm',
  'drill',
  'simulate',
];

describe('switchyard CLI conventions', () => {
  it('answers --help and -h on every command, and `help COMMAND`, on stdout with exit 0', async () => {
    for (const command of COMMANDS) {
      for (const argv of [
        [command, '--help'],
        [command, '-h'],
        ['help', command],
      ]) {
        const { code, out, err } = await cli(...argv);
        expect(err, argv.join(' ')).toBe('');
        expect(code, argv.join(' ')).toBe(0);
        expect(out, argv.join(' ')).toMatch(new RegExp(`^usage: switchyard ${command} `));
        expect(out, argv.join(' ')).toMatch(/\noptions:\n/);
      }
    }
    // Required flags do not stand in the way of help.
    expect((await cli('failover', '--help')).out).toMatch(/--to R +the region to activate/);
    const root = await cli('--help');
    expect(root.code).toBe(0);
    for (const command of COMMANDS) expect(root.out).toMatch(new RegExp(`^ {2}${command} `, 'm'));
  });

  it('prints the version with --version and -V', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const { code, out, err } = await cli(flag);
      expect(code).toBe(0);
      expect(err).toBe('');
      expect(out).toBe(`${version}\n`);
    }
  });

  it('says "did you mean" for a mistyped command or flag (exit 2, the usage follows)', async () => {
    const command = await cli('stauts');
    expect(command.code).toBe(2);
    expect(command.out).toBe('');
    expect(command.err).toMatch(
      /^switchyard: Unknown command 'stauts'; did you mean status\? \(expected one of: validate, schema, sandbox, status,/,
    );
    expect(command.err).toMatch(/\nusage: switchyard <command> \[options\]\n/);

    const flag = await cli('failover', '--app', 'orders', '--to', 'us-west-2', '--moed', 'ungraceful');
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/^switchyard failover: Unknown option '--moed'; did you mean --mode\?\n/);
    expect(flag.err).toMatch(/\nusage: switchyard failover --app A --to R /);
    expect((await cli('drill', '--app', 'billing', '--sock', '5')).err).toMatch(/did you mean --soak\?/);
  });

  it('names a mistyped flag even when the flag it stands for is required (not only "is required")', async () => {
    // Commander checks required flags before unknown ones: `--tto` alone read "--to is required".
    const typo = await cli('failover', '--app', 'orders', '--tto', 'us-west-2');
    expect(typo.code).toBe(2);
    expect(typo.out).toBe('');
    expect(typo.err).toMatch(
      /^switchyard failover: Unknown option '--tto'; did you mean --to\? \(and --to is required\)\n/,
    );
    const both = await cli('failover', '--ap', 'orders', '--to', 'us-west-2');
    expect(both.err).toMatch(
      /^switchyard failover: Unknown option '--ap'; did you mean one of --api, --app, --as\?/,
    );
    expect(both.err).toMatch(/\(and --app is required\)\n/);
    const json = await cli('approve', '--app', 'orders', '--exection', 'x', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out).error.message).toBe(
      "Unknown option '--exection'; did you mean --execution? (and --execution is required)",
    );
  });

  it('words every usage error as what was wrong, got and expected, naming every missing flag', async () => {
    const cases: [string[], RegExp][] = [
      [['abort', '--app', 'orders'], /^switchyard abort: --execution and --reason are required\n/],
      [
        ['drill', '--app', 'billing', '--kind', 'both'],
        /--kind: expected switchover-and-back or switchover, got both/,
      ],
      [['drill', '--app', 'billing', '--soak', '-1'], /--soak: expected whole seconds in 0\.\.86400, got -1/],
      [
        ['failover', '--app', 'o', '--to', 'r', '--timeout', '0'],
        /--timeout: expected a number of seconds > 0, got 0/,
      ],
      [['sandbox', '--port', 'http'], /--port: expected 0\.\.65535, got http/],
      [['sandbox', '--latency', 'slow'], /--latency: expected realistic or fast, got slow/],
      [['fault', '--clear', 'everything'], /--clear takes 'all', or --kind K .*\(got everything\)/],
      [['status', '--app'], /^switchyard status: --app: expected a value \(A\), got none\n/],
    ];
    for (const [argv, message] of cases) {
      const { code, out, err } = await cli(...argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(out, argv.join(' ')).toBe('');
      expect(err, argv.join(' ')).toMatch(message);
      expect(err, argv.join(' ')).not.toMatch(/\n\s+at /);
    }
  });

  it('under --json, prints errors as one JSON object on stdout, with the same exit status', async () => {
    const usage = await cli('failover', '--app', 'orders', '--json');
    expect(usage.code).toBe(2);
    expect(usage.err).toBe('');
    expect(JSON.parse(usage.out)).toEqual({
      error: {
        name: 'UsageError',
        message: '--to is required',
        usage: expect.stringMatching(/^switchyard failover --app A --to R /),
      },
    });

    const port = await freePort();
    const unreachable = await cli('status', '--json', '--api', `http://127.0.0.1:${port}`);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toBe('');
    expect(JSON.parse(unreachable.out)).toEqual({
      error: {
        name: 'ApiUnreachable',
        message: `no Switchyard API at http://127.0.0.1:${port} (ECONNREFUSED): is \`npm start\` running?`,
      },
    });

    const invalid = await cli('validate', '--plans', 'test/fixtures/bad-plans', '--json');
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.out)).toMatchObject({ valid: false });
  });

  it('ends quietly, without a stack trace, when the reader of its output goes away (EPIPE)', async () => {
    // The real entry point in a child process, its stdout a pipe whose reading end is closed at
    // once: the schema is written into a pipe nobody reads, as `switchyard schema | head -0` does.
    const child = spawn(process.execPath, ['cli/bin.js', 'schema'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(err).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(code).toBe(0);
  });

  it('prints no AWS SDK Node version warning when run as the README runs it (npx tsx cli/main.ts)', async () => {
    // The entry the README's commands and `npm start` run, in a child process whose environment
    // does not silence the SDK (the test setup does, for this process), on a command that builds
    // SDK clients: a one-second simulation.
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-quiet-'));
    try {
      const scenario = join(dir, 'quiet.yaml');
      await writeFile(scenario, 'name: quiet\nlatency: fast\nseed: 1\ntimeout: 1\nevents: []\n');
      const env = { ...process.env };
      delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'cli/main.ts', 'simulate', '--scenario', scenario, '--json'],
        { stdio: ['ignore', 'pipe', 'pipe'], env },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));

      expect(JSON.parse(out)).toMatchObject({ scenario: 'quiet', executions: [] });
      expect(err).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
      expect(code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { Sandbox } from '../../sandbox/sandbox.js';
import { type SandboxServer, startSandboxServer } from '../../sandbox/server.js';

let sandbox: Sandbox;
let server: SandboxServer;

beforeAll(async () => {
  const plans = await loadPlans('plans');
  // The fast profile paced at 5x: a failover takes a few seconds, the drill's 60 s soak 12 s, and
  // a busy machine's compute time (which counts as virtual time too) stays far from the 30 s
  // function timeout (6 s of real time here; at 50x, 0.6 s is within reach of a loaded machine).
  sandbox = await Sandbox.start({
    plans,
    latency: 'fast',
    clock: new VirtualClock({ kind: 'paced', speed: 5 }),
  });
  server = await startSandboxServer({ sandbox, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await sandbox?.close();
});

/** The `npx switchyard ...` lines of the README's quick start, in order, as argument lists. */
async function quickStartCommands(): Promise<string[][]> {
  const readme = await readFile('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('### The CLI'));
  return section
    .split('\n')
    .filter((l) => l.startsWith('npx switchyard '))
    .map((l) => l.replace(/#.*$/, '').trim().split(/\s+/).slice(2));
}

/** Runs the CLI in-process against the test server; its output can be read while it runs. */
function start(argv: readonly string[]) {
  let out = '';
  let err = '';
  const io = {
    out: { write: (text: string) => (out += text) },
    err: { write: (text: string) => (err += text) },
  };
  const args = argv[0] === 'simulate' || argv[0] === 'validate' ? [...argv] : [...argv, '--api', server.url];
  const code = runCli(args, io);
  return { code, out: () => out, err: () => err };
}

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the README's quick start", () => {
  it('works when its commands are run in order, each after the previous', async () => {
    const commands = await quickStartCommands();
    expect(commands.map((c) => c[0])).toEqual([
      'status',
      'failover',
      'approve',
      'drill',
      'fault',
      'failover',
      'fault',
      'simulate',
      'validate',
    ]);
    const approveLine = commands.find((c) => c[0] === 'approve') ?? [];
    const outputs: string[] = [];

    for (const [index, argv] of commands.entries()) {
      if (argv[0] === 'approve') continue; // run below, with the id its failover printed
      const run = start(argv);
      if (argv[0] === 'failover') {
        // The README says: orders waits for an approver; approve it in another shell, with its id.
        await until(
          () => /waiting for approval/.test(run.out()) || run.err() !== '',
          `${argv.join(' ')} to wait for approval`,
        );
        const id = /execution (\S+)/.exec(run.out())?.[1] ?? '';
        expect(id, run.out() + run.err()).not.toBe('');
        const approval = start(approveLine.map((a) => (a === 'ID' ? id : a)));
        expect(await approval.code, approval.out() + approval.err()).toBe(0);
      }
      const code = await run.code;
      // Nothing on stderr but validate's warnings (billing moves traffic with Route 53 only).
      const errors = run
        .err()
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('warning: '));
      expect(errors, `${index}: ${argv.join(' ')}`).toEqual([]);
      expect(code, `${index}: ${argv.join(' ')}\n${run.out()}`).toBe(0);
      outputs.push(run.out());
    }

    const [
      status = '',
      there = '',
      drill = '',
      outage = '',
      back = '',
      cleared = '',
      simulated = '',
      validated = '',
    ] = outputs;
    expect(status).toMatch(/^orders {2}warm-standby {2}active us-east-1/m);
    expect(there).toMatch(/approved by bob: the runbook goes on/);
    expect(there).toMatch(/^SUCCEEDED {2}orders is active in us-west-2/m);
    expect(there).toMatch(
      /^ {2}objectives: RTO [\d.]+ s within the 300 s objective; RPO 0 s within the 30 s objective; the [\d.]+ s approval wait is left out of the RTO$/m,
    );
    // The drill shows each leg as it runs, the soak, the report and a last line against the objectives.
    expect(drill).toMatch(/^leg 1: us-east-1 -> us-west-2 \(execution drill-billing-\S+\)$/m);
    expect(drill).toMatch(/^ {2}\S+ +\+[\d.]+s {2}PromoteDatabase +billing-global +SUCCEEDED/m);
    expect(drill).toMatch(
      /^soak: billing serves from us-west-2 for 60 s \(virtual\), then the drill fails back$/m,
    );
    expect(drill).toMatch(/^leg 2: us-west-2 -> us-east-1 /m);
    expect(drill.indexOf('leg 1:')).toBeLessThan(drill.indexOf('soak:'));
    expect(drill.indexOf('soak:')).toBeLessThan(drill.indexOf('leg 2:'));
    expect(drill.trimEnd().split('\n').at(-1)).toMatch(
      /^PASSED: us-east-1 -> us-west-2 RTO [\d.]+ s within 900 s, RPO 0 s within 60 s; us-west-2 -> us-east-1 RTO [\d.]+ s within 900 s, RPO 0 s within 60 s \(.*leaves out any approval wait\)$/,
    );
    expect(outage).toMatch(/^fault set: region-outage region=us-west-2/);
    expect(back).toMatch(/^SUCCEEDED {2}orders is active in us-east-1/m);
    expect(back).toMatch(/approval wait is left out of the RTO$/m);
    expect(cleared).toMatch(/^cleared 1 fault\(s\); no faults in force$/m);
    expect(JSON.parse(simulated)).toHaveProperty('executions');
    expect(validated).toMatch(/plan\(s\) in plans are valid/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { Sandbox } from '../../sandbox/sandbox.js';
import { type SandboxServer, startSandboxServer } from '../../sandbox/server.js';
import { type CliRun, runCaptured } from './run-captured.js';

let sandbox: Sandbox;
let server: SandboxServer;

beforeAll(async () => {
  // Paced at 50x with the fast profile, as the other CLI tests: a failover takes a second or two.
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

async function cli(...argv: string[]): Promise<CliRun> {
  return runCaptured([...argv, '--api', server.url]);
}

describe('switchyard evacuate', () => {
  it('exits 2 on a wrong command line, before calling anything', async () => {
    const missing = await cli('evacuate', '--to', 'us-west-2');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--from/);
    const mode = await cli('evacuate', '--from', 'us-east-1', '--mode', 'fast');
    expect(mode.code).toBe(2);
  });

  it("refuses, with the API's words, an evacuation sent to the evacuated region itself (exit 1)", async () => {
    const refused = await cli('evacuate', '--from', 'us-east-1', '--region', 'us-east-1', '--app', 'billing');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/PreconditionFailedError: .*expected another region's operator API/);
  });

  it('evacuates the listed app and follows it to SUCCEEDED (exit 0)', async () => {
    const run = await cli(
      'evacuate',
      '--from',
      'us-east-1',
      '--to',
      'us-west-2',
      '--app',
      'billing',
      '--reason',
      'test',
    );

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^accepted: graceful evacuation of us-east-1 as alice, evacuation \S+$/m);
    expect(run.out).toMatch(/^ {2}wave 100: billing$/m);
    expect(run.out).toMatch(/^ {2}billing -> us-west-2: SUCCEEDED \(RTO [\d.]+ s\)$/m);
    expect(run.out).toMatch(/^evacuation \S+ SUCCEEDED: 1 succeeded, 0 failed$/m);
    const state = await sandbox.region('us-west-2').deps.store.getState('billing');
    expect(state?.activeRegion).toBe('us-west-2');
  });

  it('--json prints the final record; an app not active in --from is skipped and said so', async () => {
    const run = await cli(
      'evacuate',
      '--from',
      'us-east-1',
      '--to',
      'us-west-2',
      '--app',
      'billing',
      '--json',
    );
    // billing is in us-west-2 now: nothing to fail over, a refusal worded as JSON.
    expect(run.code).toBe(1);
    const answer = JSON.parse(run.out) as { error: { name: string; message: string } };
    expect(answer.error.name).toBe('PreconditionFailedError');
    expect(answer.error.message).toMatch(/billing: active in us-west-2, not us-east-1/);
  });
});

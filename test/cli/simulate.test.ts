import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run.js';

function buffers() {
  let out = '';
  let err = '';
  return {
    io: { out: { write: (t: string) => (out += t) }, err: { write: (t: string) => (err += t) } },
    out: () => out,
    err: () => err,
  };
}

async function scenarioFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-scenario-'));
  const file = join(dir, 'scenario.yaml');
  await writeFile(file, text);
  return file;
}

describe('switchyard simulate', () => {
  it('prints exactly one JSON report with the contract fields, and exits 0 when all went well', async () => {
    const b = buffers();
    const code = await runCli(
      ['simulate', '--plans', 'plans', '--scenario', 'scenarios/pilot-light.yaml', '--json'],
      b.io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(b.out());
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining(['executions', 'requests', 'outages', 'invariants', 'final']),
    );
    const [execution] = report.executions;
    expect(Object.keys(execution)).toEqual(
      expect.arrayContaining([
        'id',
        'app',
        'runbook',
        'mode',
        'trigger',
        'from',
        'to',
        'status',
        'rtoSeconds',
        'rpoSeconds',
        'awsBusySeconds',
        'controlPlaneSeconds',
        'steps',
      ]),
    );
    // controlPlaneSeconds is computed from unrounded times; rtoSeconds is rounded to 0.1 s, so
    // the recorded fields agree within that rounding (0.05 s) and awsBusySeconds' (0.0005 s).
    expect(
      Math.abs(execution.controlPlaneSeconds - (execution.rtoSeconds - execution.awsBusySeconds)),
    ).toBeLessThanOrEqual(0.051);
    expect(report.final.billing).toEqual({
      activeRegion: 'us-west-2',
      status: 'ACTIVE',
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
      writers: { 'billing-global': ['us-west-2'] },
    });
  });

  it('prints a readable summary without --json, and exits 1 when an execution failed', async () => {
    const file = await scenarioFile(
      [
        'latency: fast',
        'events:',
        '  - at: 0',
        '    fault: { kind: aurora-failover-fails, globalClusterId: billing-global }',
        '  - at: 1',
        '    failover: { app: billing, to: us-west-2, mode: graceful, by: alice, reason: doomed }',
      ].join('\n'),
    );
    const b = buffers();
    expect(await runCli(['simulate', '--scenario', file], b.io)).toBe(1);
    expect(b.out()).toMatch(
      /executions\n\s+billing-\S+\s+billing pilot-light graceful us-east-1 -> us-west-2: FAILED/,
    );
    expect(b.out()).toMatch(/error: DatabasePromotionFailedError/);
    expect(b.out()).toMatch(/billing: active us-east-1, writer us-east-1, traffic us-east-1/);
  });

  it('refuses a bad scenario with every problem, an unknown app, and a missing --scenario', async () => {
    const bad = await scenarioFile('latency: slow\nevents:\n  - at: -1\n    fault: { kind: meteor }\n');
    const b1 = buffers();
    expect(await runCli(['simulate', '--scenario', bad], b1.io)).toBe(1);
    expect(b1.err()).toMatch(/latency/);
    expect(b1.err()).toMatch(/events\[0\]/);
    // Worded as the scenario's refusal, once: no error name restated in the message.
    expect(b1.err()).toMatch(/^error: scenario \S+: 3 problem\(s\):\n {2}- latency: /);
    const b1json = buffers();
    expect(await runCli(['simulate', '--scenario', bad, '--json'], b1json.io)).toBe(1);
    expect(JSON.parse(b1json.out()).error).toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(/^scenario \S+: 3 problem\(s\)/),
    });

    const unknown = await scenarioFile('events:\n  - at: 0\n    failover: { app: nope, to: us-west-2 }\n');
    const b2 = buffers();
    expect(await runCli(['simulate', '--scenario', unknown], b2.io)).toBe(1);
    expect(b2.err()).toMatch(/names app 'nope', expected one of billing, orders/);

    const b3 = buffers();
    expect(await runCli(['simulate'], b3.io)).toBe(2);
    expect(b3.err()).toMatch(/--scenario is required\nusage: switchyard simulate --scenario FILE/);
  });
});

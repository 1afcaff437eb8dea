import { describe, expect, it } from 'vitest';
import { useSandboxServer } from './sandbox-server.js';

// `switchyard drill --report ID` against the sandbox server: the evidence of a drill the CLI ran,
// in words and as JSON, and `status` after it (a drill arms no detection cooldown).

const env = useSandboxServer();
const { cli } = env;

describe('switchyard drill --report', () => {
  it("prints a drill's evidence (human and --json), and status shows no cooldown armed by it", async () => {
    const ran = await cli(
      'drill',
      '--app',
      'billing',
      '--soak',
      '0',
      '--interval',
      '0.1',
      '--timeout',
      '90',
      '--json',
    );
    expect(ran.err).toBe('');
    expect(ran.code).toBe(0);
    const drillId: string = JSON.parse(ran.out).id;
    expect(drillId).toMatch(/^drill-billing-/);

    const json = await cli('drill', '--app', 'billing', '--report', drillId, '--json');
    expect(json.code).toBe(0);
    const evidence = JSON.parse(json.out);
    expect(evidence.report).toMatchObject({ id: drillId, outcome: 'PASSED' });
    expect(evidence.startedBy).toEqual({ kind: 'operator', by: 'alice' });
    expect(evidence.planVersion.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(evidence.planVersion.sameAsCurrent).toBe(true);
    expect(evidence.time.basis).toBe('virtual');
    expect(evidence.readinessBefore).toMatchObject({
      source: 'preflight',
      region: 'us-west-2',
      verdict: 'READY',
    });
    expect(evidence.timeline).toHaveLength(2);
    expect(evidence.groundTruth.source).toBe('sandbox ground truth');

    const human = await cli('drill', '--app', 'billing', '--report', drillId);
    expect(human.err).toBe('');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(new RegExp(`^drill ${drillId} of billing: PASSED$`, 'm'));
    expect(human.out).toMatch(/^ {2}started by: alice \(a person, through the API\)$/m);
    expect(human.out).toMatch(/^ {2}plan version: sha256 [0-9a-f]{64} \(the plan loaded now\)$/m);
    expect(human.out).toMatch(/^ {2}times: virtual time: /m);
    expect(human.out).toMatch(/^ {2}readiness before: READY in us-west-2 \(preflight at \S+\)$/m);
    expect(human.out).toMatch(/^ {2}approval of \S+-there: no approver needed/m);
    expect(human.out).toMatch(
      /^ {2}leg 1: us-east-1 -> us-west-2 SUCCEEDED {2}RTO [\d.]+ s within 900 s, RPO [\d.]+ s within \d+ s/m,
    );
    expect(human.out).toMatch(/^ {2}leg 2: us-west-2 -> us-east-1 SUCCEEDED/m);
    expect(human.out).toMatch(/^ {4}STEP +RESOURCE +STATUS +START +END +SECONDS$/m);
    expect(human.out).toMatch(/^ {4}PromoteDatabase +billing-global +SUCCEEDED /m);
    expect(human.out).toMatch(/^ {2}ground truth \(sandbox\): /m);

    // The drill's legs are graceful activations: they leave detection armed.
    const status = await cli('status', '--app', 'billing');
    expect(status.out).toMatch(
      /^ {2}detection: approval \(an alarm starts a failover that waits for an approver\), no cooldown in force$/m,
    );

    const unknown = await cli('drill', '--app', 'billing', '--report', 'drill-nope');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/ResourceNotFoundError: billing: no drill drill-nope/);
  }, 120_000);
});

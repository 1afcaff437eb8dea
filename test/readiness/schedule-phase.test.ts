import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { READINESS_EVERY_MINUTES } from '../../functions/readiness/readiness.js';
import { RECONCILE_EVERY_MINUTES } from '../../functions/reconciler/reconcile.js';
import type { CallRecord } from '../../sandbox/aws/simulator.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

/**
 * The sandbox's rate rules (readiness every 5 minutes, the reconciler every minute) start when the
 * sandbox is ready, a scenario's `at: 0` (sandbox/sandbox.ts): the k-th pass is at exactly k
 * periods after it, whatever virtual time the start-up took, and `simulate` lets a pass due at its
 * last instant end. Before, every pass came early by the start-up's virtual time, and the one due
 * at an hour's last instant ran partly (its first reads, the rest cut by the run's end) or not at
 * all: 11 whole evaluations an hour where 12 are scheduled.
 */
describe("the sandbox's scheduled duties", () => {
  it('run at whole periods after at: 0: an hour holds 12 whole readiness evaluations and 60 reconciler passes', async () => {
    // Arrange: three apps standing by an hour (an event at its end, as the bench's idle hour).
    const scenario = parseScenario({
      latency: 'fast',
      seed: 1,
      timeout: 3600,
      events: [{ at: 3600, clear: 'all' }],
    });
    let log: CallRecord[] = [];

    // Act
    const report = await simulate(generatedPlans(3), scenario, {
      inspect: (sandbox) => {
        log = [...sandbox.aws.simulator.log];
      },
    });

    // Assert
    const t0 = Date.parse(report.start);
    /** Per pass (the period it began in, counted from at: 0): its calls' offsets from the pass's due time. */
    const passes = (caller: string, periodMs: number) => {
      const byPass = new Map<number, number[]>();
      for (const call of log.filter((c) => c.caller === caller)) {
        const pass = Math.floor((call.startedAt - t0) / periodMs);
        byPass.set(pass, [...(byPass.get(pass) ?? []), call.startedAt - t0 - pass * periodMs]);
      }
      return byPass;
    };
    const readiness = passes('Readiness', READINESS_EVERY_MINUTES * 60_000);
    // Evaluations at 300, 600, ..., 3600 s: the one due at the run's last instant too.
    expect([...readiness.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // Each whole: after the first (which writes the records the others confirm), as many calls as
    // the others; each begins at the same offset from its due time.
    const counts = [...readiness.entries()].filter(([pass]) => pass > 1).map(([, offsets]) => offsets.length);
    expect(new Set(counts).size).toBe(1);
    const firsts = [...readiness.values()].map((offsets) => Math.min(...offsets));
    expect(new Set(firsts).size).toBe(1);
    // The reconciler's passes likewise: 60 s, 120 s, ..., 3600 s.
    const reconciler = passes('Reconcile', RECONCILE_EVERY_MINUTES * 60_000);
    expect(Math.min(...reconciler.keys())).toBe(1);
    expect(Math.max(...reconciler.keys())).toBe(60);
    expect(reconciler.size).toBe(60);
  });
});

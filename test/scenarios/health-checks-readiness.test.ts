import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';
import { healthCheckPlans } from './health-check-plans.js';

/**
 * Readiness of the health-checks method's Route 53 side (HEALTH_CHECK_MISSING): someone deletes a
 * health check behind Switchyard's back (a `health-check-deleted` drift, DeleteHealthCheck on the
 * simulated Route 53); the next scheduled evaluation reads the records and checks from Route 53
 * and finds it.
 */
const plans: Plan[] = await healthCheckPlans();

describe('health-checks readiness against Route 53', () => {
  it("a deleted calculated check and a deleted endpoint check are HEALTH_CHECK_MISSING at the next evaluation; Route 53's API down makes it unknown, not missing", async () => {
    let calls: { operation: string; executionId?: string }[] = [];
    const report = await simulate(
      plans,
      parseScenario({
        latency: 'fast',
        timeout: 700,
        events: [
          // us-west-2's record: its calculated check deleted; and us-east-1's endpoint asked about
          // us-east-1: its HTTPS check deleted. The first scheduled evaluation is at 300 s.
          { at: 10, drift: { kind: 'health-check-deleted', app: 'billing', region: 'us-west-2' } },
          {
            at: 10,
            drift: {
              kind: 'health-check-deleted',
              app: 'billing',
              region: 'us-east-1',
              endpoint: 'us-east-1',
            },
          },
          // Route 53's API down from 310 s: the evaluation at 600 s cannot read, and says so.
          { at: 310, fault: { kind: 'route53-control-plane-down' } },
          // Back after that evaluation (an event also keeps the run going past it).
          { at: 640, clear: { kind: 'route53-control-plane-down' } },
        ],
      }),
      {
        inspect: (sandbox: Sandbox) => {
          calls = sandbox.aws.simulator.log
            .filter((c) => c.service === 'route53' && !c.operation.startsWith('DNS '))
            .map((c) => ({
              operation: c.operation,
              ...(c.executionId ? { executionId: c.executionId } : {}),
            }));
        },
      },
    );
    // The report lists each change of verdict: NOT_READY at the first evaluation, READY at 600 s.
    const changes = report.readiness.filter((r) => r.app === 'billing' && r.region === 'us-west-2');
    const [first, second] = changes;
    expect(first?.at).toBeGreaterThanOrEqual(300);
    expect(first?.at).toBeLessThan(310);
    expect(first?.verdict).toBe('NOT_READY');
    const missing = (first?.findings ?? []).filter((f) => f.code === 'HEALTH_CHECK_MISSING');
    expect(missing.map((f) => `${f.severity} ${f.resource}: ${f.message}`)).toEqual([
      expect.stringMatching(
        /^blocking health check \S+ \(child of \S+\): Route 53 has no health check \S+ \(got NoSuchHealthCheck; expected an HTTPS check of a region's endpoint at \/billing\/us-east-1\)$/,
      ),
      expect.stringMatching(
        /^blocking health check \S+ \(us-west-2's record\): Route 53 has no health check \S+ \(got NoSuchHealthCheck; expected the calculated check of us-west-2\)$/,
      ),
    ]);
    // Route 53's API down: unknown, a warning, never missing; the verdict is READY again.
    expect(second?.at).toBeGreaterThanOrEqual(600);
    expect(second?.verdict).toBe('READY');
    expect(second?.findings.filter((f) => f.code.startsWith('HEALTH_CHECK_'))).toEqual([
      expect.objectContaining({ code: 'HEALTH_CHECK_UNKNOWN', severity: 'warning' }),
    ]);
    // Only readiness reads Route 53's API, and only these two reads; no failover ran.
    expect(new Set(calls.map((c) => c.operation))).toEqual(
      new Set(['ListResourceRecordSets', 'GetHealthCheck']),
    );
    expect(calls.filter((c) => c.executionId)).toEqual([]);
  }, 600_000); // a hang guard on a loaded machine, not a speed check
});

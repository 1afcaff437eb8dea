import { describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import type { Plan } from '../../functions/core/plan.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { type SimulationReport, simulate } from '../../sandbox/simulate.js';

/**
 * Traffic batching in an evacuation (functions/evacuation/traffic-batch.ts): the apps whose own
 * resources are ready move their traffic together, many apps per ARC update or Route 53 change
 * batch, and a call that throttles never fails an app. Timings in virtual time only.
 */

/** Real-time limit of one test (a dozen apps' failovers in virtual time; slower on a loaded machine). */
const SIMULATION_TIMEOUT_MS = 300_000;

const OUTAGE = { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } };
const evacuate = (mode: 'graceful' | 'ungraceful') => ({
  at: 1,
  evacuate: { from: 'us-east-1', to: 'us-west-2', mode, by: 'alice', reason: 'batching test' },
});

/** The calls of one operation in the simulator's log: attempts, those AWS took, and their errors. */
interface Calls {
  attempts: number;
  ok: number;
  errors: string[];
}

async function play(
  plans: readonly Plan[],
  events: unknown[],
  operation: string,
): Promise<{ report: SimulationReport; calls: Calls }> {
  const calls: Calls = { attempts: 0, ok: 0, errors: [] };
  const report = await simulate(plans, parseScenario({ latency: 'fast', seed: 3, timeout: 3600, events }), {
    inspect: (sandbox: Sandbox) => {
      for (const call of sandbox.aws.simulator.log) {
        if (call.operation !== operation) continue;
        calls.attempts += 1;
        if (call.ok) calls.ok += 1;
        else calls.errors.push(call.error ?? 'unknown');
      }
    },
  });
  return { report, calls };
}

/** Every app of the evacuation succeeded and is served from us-west-2, per the ground truth. */
function expectAllServed(report: SimulationReport, apps: number): void {
  const evacuation = report.evacuations[0];
  expect(evacuation).toMatchObject({ apps, succeeded: apps, failed: 0, status: 'SUCCEEDED' });
  expect(evacuation?.allServedAt).not.toBeNull();
  for (const outcome of evacuation?.outcomes ?? []) expect(outcome.servedAt, outcome.app).not.toBeNull();
  for (const invariant of report.invariants) expect(invariant, invariant.name).toMatchObject({ held: true });
}

describe('an evacuation batches its apps traffic changes', () => {
  it(
    '12 ARC apps on one cluster share UpdateRoutingControlStates calls of at most 10 controls',
    async () => {
      const plans = generatedPlans(12);
      const { report, calls } = await play(
        plans,
        [OUTAGE, evacuate('ungraceful')],
        'UpdateRoutingControlStates',
      );

      expectAllServed(report, 12);
      // Each app sets 2 controls (us-west-2 On, us-east-1 Off): 24 controls need at least 3 calls of
      // 10, and the apps whose databases were ready at about the same time shared one. Without
      // batching it would be 12 (one per app).
      expect(calls.ok).toBeGreaterThanOrEqual(3);
      expect(calls.ok).toBeLessThanOrEqual(6);
      // None was refused for carrying too many controls (the sandbox enforces ARC's 10).
      expect(calls.errors.filter((e) => /ServiceLimitExceeded/.test(e))).toEqual([]);
      // Each app's ShiftTraffic says the batch moved it, and verification still read ARC per app.
      for (const execution of report.executions) {
        expect(execution.status).toBe('SUCCEEDED');
        expect(execution.steps.find((s) => s.name === 'VerifyService')?.status).toBe('SUCCEEDED');
      }
    },
    SIMULATION_TIMEOUT_MS,
  );

  it(
    'Route 53 records apps in one hosted zone share change batches: fewer ChangeResourceRecordSets than apps',
    async () => {
      const plans = generatedPlans(6, 'billing');
      const { report, calls } = await play(plans, [evacuate('graceful')], 'ChangeResourceRecordSets');

      expectAllServed(report, 6);
      expect(calls.ok).toBeGreaterThanOrEqual(1);
      expect(calls.ok).toBeLessThan(6);
    },
    SIMULATION_TIMEOUT_MS,
  );

  it(
    'a throttled batched call is tried again, and no app fails for it',
    async () => {
      // Every ARC update is throttled until 9 s (virtual), after the first apps' traffic was
      // queued (about 7.5 s in this run): the batched updates whose SDK retries all meet throttling
      // go back in the queue (or to the app's own call after its wait), never to a failure.
      const throttle = {
        at: 0,
        fault: {
          kind: 'api-errors',
          service: 'arc',
          operation: 'UpdateRoutingControlStates',
          error: 'ThrottlingException',
          rate: 1,
        },
      };
      const clear = { at: 9, clear: { kind: 'api-errors', service: 'arc' } };
      const plans = generatedPlans(6);
      const { report, calls } = await play(
        plans,
        [OUTAGE, throttle, clear, evacuate('ungraceful')],
        'UpdateRoutingControlStates',
      );

      expectAllServed(report, 6);
      expect(calls.errors.some((e) => /Throttling/.test(e))).toBe(true);
      expect(report.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    },
    SIMULATION_TIMEOUT_MS,
  );
});

import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { type SimulationReport, simulate } from '../../sandbox/simulate.js';
import { healthCheckPlans } from './health-check-plans.js';

/**
 * The health-checks traffic method (docs/architecture.md, "Traffic by health checks"): billing's
 * plan with `traffic.route53.method: health-checks`. A failover is one conditional write to the
 * state table; Route 53's checkers turn it into DNS answers. No Route 53 API call is made.
 */
const plans: Plan[] = await healthCheckPlans('{ intervalSeconds: 10, failureThreshold: 3 }');
const billing = plans.find((p) => p.name === 'billing') as Plan;

/** Readiness's scheduled reads of the records and health checks (HEALTH_CHECK_MISSING), outside any failover. */
const READINESS_READS = new Set(['ListResourceRecordSets', 'GetHealthCheck']);

/**
 * Route 53 API calls (its control plane), as the simulator logged them, but readiness's scheduled
 * reads made outside any execution; DNS questions are not API calls.
 */
function route53ApiCalls(sandbox: Sandbox, from = 0): string[] {
  return sandbox.aws.simulator.log
    .filter((c) => c.service === 'route53' && !c.operation.startsWith('DNS ') && c.startedAt >= from)
    .filter((c) => c.executionId !== undefined || !READINESS_READS.has(c.operation))
    .map((c) => `${c.operation} in ${c.region}`);
}

async function play(
  scenario: Record<string, unknown>,
  inspect?: (sandbox: Sandbox) => void,
): Promise<SimulationReport> {
  return simulate(plans, parseScenario(scenario), inspect ? { inspect } : {});
}

describe('Route 53 health-check traffic (no Route 53 API call, no ARC cluster)', () => {
  it('the plan parses with the method, and its records carry the calculated health checks', () => {
    expect(billing.traffic.route53).toMatchObject({
      method: 'health-checks',
      healthChecks: { intervalSeconds: 10, failureThreshold: 3 },
    });
  });

  it('us-east-1 and its Route 53 control plane down at 0, ungraceful failover at 5: served from us-west-2 within the RTO, and traffic stays there when us-east-1 returns', async () => {
    let apiCalls: string[] = [];
    let oldRegionHealthy: boolean | undefined;
    const report = await play(
      {
        latency: 'realistic',
        timeout: 2400,
        events: [
          { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
          { at: 0, fault: { kind: 'route53-control-plane-down' } },
          {
            at: 5,
            failover: {
              app: 'billing',
              to: 'us-west-2',
              mode: 'ungraceful',
              by: 'alice',
              reason: 'us-east-1 down',
            },
          },
          // us-east-1 (and Route 53's API) come back; its endpoint reads the same table.
          { at: 1200, clear: { kind: 'region-outage' } },
          { at: 1200, clear: { kind: 'route53-control-plane-down' } },
        ],
      },
      (sandbox) => {
        apiCalls = route53ApiCalls(sandbox);
        const check = sandbox.aws.route53.healthCheckIds('billing')['us-east-1']?.switch?.calculated;
        oldRegionHealthy = sandbox.aws.route53.healthCheckHealthy(check ?? 'none');
      },
    );
    const execution = report.executions.find((e) => e.app === 'billing');
    expect(execution?.status).toBe('SUCCEEDED');
    // The RTO includes the checkers' detection (10 s x 3, plus one interval) and stays in the objective.
    expect(execution?.rtoSeconds).toBeLessThanOrEqual(billing.objectives.rtoSeconds);
    const shift = execution?.steps.find((s) => s.name === 'ShiftTraffic');
    expect(shift?.status).toBe('SUCCEEDED');
    // Not one Route 53 API call, during the failover or after it.
    expect(apiCalls).toEqual([]);
    // Users: out from 0 (us-east-1 down) until DNS sends them to us-west-2, within 5 s + the RTO
    // objective + one DNS TTL (60 s, resolvers' caches).
    const outages = report.outages.filter((o) => o.app === 'billing');
    expect(outages).toHaveLength(1);
    expect(outages[0]?.from).toBe(0);
    expect(outages[0]?.to).toBeLessThanOrEqual(5 + billing.objectives.rtoSeconds + 60);
    // us-east-1 came back at 1200: its endpoint reads the same table, so its record stays
    // unhealthy and traffic stays in us-west-2 (no flap-back).
    expect(oldRegionHealthy).toBe(false);
    expect(report.final.billing).toMatchObject({
      activeRegion: 'us-west-2',
      writerRegion: 'us-west-2',
      trafficRegion: 'us-west-2',
    });
    const billingViolations = report.invariants.flatMap((i) =>
      (i.violations ?? []).filter((v) => v.detail.includes('billing')).map((v) => `${i.name}: ${v.detail}`),
    );
    expect(billingViolations).toEqual([]);
  }, 600_000); // a hang guard on a loaded machine, not a speed check

  it('a graceful switchover and a failback work the same way, with no Route 53 API call', async () => {
    let apiCalls: string[] = ['not inspected'];
    const report = await play(
      {
        // Realistic: the checkers run every 10 s (the fast profile's 0.5 s would cost far more reads).
        latency: 'realistic',
        timeout: 2400,
        events: [
          {
            at: 0,
            failover: { app: 'billing', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'there' },
          },
          {
            at: 1500,
            failover: { app: 'billing', to: 'us-east-1', mode: 'graceful', by: 'alice', reason: 'back' },
          },
        ],
      },
      (sandbox) => {
        apiCalls = route53ApiCalls(sandbox);
      },
    );
    const runs = report.executions.filter((e) => e.app === 'billing');
    expect(runs.map((e) => [e.from, e.to, e.status, e.rpoSeconds])).toEqual([
      ['us-east-1', 'us-west-2', 'SUCCEEDED', 0],
      ['us-west-2', 'us-east-1', 'SUCCEEDED', 0],
    ]);
    expect(apiCalls).toEqual([]);
    expect(report.final.billing).toMatchObject({
      activeRegion: 'us-east-1',
      writerRegion: 'us-east-1',
      trafficRegion: 'us-east-1',
    });
  }, 600_000); // a hang guard on a loaded machine, not a speed check
});

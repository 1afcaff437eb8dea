import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';
import { healthCheckPlans } from './health-check-plans.js';

/**
 * The health-checks traffic method when the state table's MRSC majority is lost (docs/architecture.md,
 * "Traffic by health checks", MRSC): the table is two replicas (us-east-1, us-west-2) and the
 * witness us-east-2; with us-east-1 and us-east-2 down, us-west-2's replica reaches 1 of 3 regions
 * and refuses writes and strongly consistent reads (sandbox/aws/dynamodb-mrsc.ts).
 */
const plans: Plan[] = await healthCheckPlans();

describe('health-checks failover with the state table majority lost', () => {
  it('is refused at once, saying why, with nothing written and no Route 53 call; once the witness returns the same request succeeds', async () => {
    let apiCalls: string[] = ['not inspected'];
    let refusedWrites = 0;
    let answeredAt1000: string | undefined;
    const report = await simulate(
      plans,
      parseScenario({
        latency: 'fast',
        timeout: 1500,
        events: [
          { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
          { at: 0, fault: { kind: 'region-outage', region: 'us-east-2' } },
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
          // The witness region returns: us-west-2 and us-east-2 are a majority again.
          { at: 300, clear: { kind: 'region-outage', region: 'us-east-2' } },
          {
            at: 310,
            failover: {
              app: 'billing',
              to: 'us-west-2',
              mode: 'ungraceful',
              by: 'alice',
              reason: 'majority back',
            },
          },
        ],
      }),
      {
        inspect: (sandbox: Sandbox) => {
          const log = sandbox.aws.simulator.log;
          // Readiness's scheduled reads of the records and checks are not the failover's.
          apiCalls = log
            .filter((c) => c.service === 'route53' && !c.operation.startsWith('DNS '))
            .filter(
              (c) =>
                c.executionId !== undefined ||
                !['ListResourceRecordSets', 'GetHealthCheck'].includes(c.operation),
            )
            .map((c) => c.operation);
          refusedWrites = log.filter(
            (c) => c.service === 'dynamodb' && c.region === 'us-west-2' && c.error === 'InternalServerError',
          ).length;
          answeredAt1000 = sandbox.aws.route53.authoritativeAnswer('api.billing.example.com', 'A').region;
        },
      },
    );

    // The first request: refused by the operator API within its own bounded retries, saying why.
    const [first, second] = report.requests.filter((r) => r.app === 'billing' && r.kind === 'failover');
    expect(first).toMatchObject({ at: 5, accepted: false });
    expect(first?.error).toMatch(/majority/);
    expect(first?.executionId).toBeUndefined();
    expect(refusedWrites).toBeGreaterThan(0);
    // Nothing half-written: one execution in all, the second request's.
    const runs = report.executions.filter((e) => e.app === 'billing');
    expect(runs).toHaveLength(1);
    expect(second).toMatchObject({ at: 310, accepted: true, executionId: runs[0]?.id });
    expect(runs[0]).toMatchObject({ to: 'us-west-2', status: 'SUCCEEDED' });
    // No Route 53 API call by either request or the runbook: the switch is the state table.
    expect(apiCalls).toEqual([]);
    expect(answeredAt1000).toBe('us-west-2');
    expect(report.final.billing).toMatchObject({ activeRegion: 'us-west-2', trafficRegion: 'us-west-2' });
  }, 600_000); // a hang guard on a loaded machine, not a speed check

  it('lost midway (the witness goes down during the run): the run fails within its bounds, RecordFailureFailed, nothing moved; the lock it holds is released by an abort once the majority is back', async () => {
    let runbook: { status: string; error?: string; seconds: number } | undefined;
    let apiCalls: string[] = ['not inspected'];
    const report = await simulate(
      plans,
      parseScenario({
        latency: 'fast',
        timeout: 1500,
        events: [
          { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
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
          // During the run (the headless secondary's reader is being made): the majority is lost.
          { at: 12, fault: { kind: 'region-outage', region: 'us-east-2' } },
          { at: 600, clear: { kind: 'region-outage', region: 'us-east-2' } },
          // The dead run's lock is held until its lease expires: refused, naming it.
          {
            at: 650,
            failover: { app: 'billing', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'again' },
          },
          { at: 690, abort: { app: 'billing', by: 'alice' } },
          {
            at: 700,
            failover: {
              app: 'billing',
              to: 'us-west-2',
              mode: 'ungraceful',
              by: 'alice',
              reason: 'after abort',
            },
          },
        ],
      }),
      {
        inspect: (sandbox: Sandbox) => {
          const first = sandbox.stepFunctions
            .list()
            .find((e) => e.name.startsWith('billing-20260101T000005Z'));
          if (first)
            runbook = {
              status: first.status,
              ...(first.error ? { error: first.error } : {}),
              seconds: ((first.stoppedAt ?? 0) - first.startedAt) / 1000,
            };
          apiCalls = sandbox.aws.simulator.log
            .filter((c) => c.service === 'route53' && !c.operation.startsWith('DNS ') && c.executionId)
            .map((c) => c.operation);
        },
      },
    );
    // The run ended on its own, bounded (its steps' retries and the failure path's), saying why.
    expect(runbook?.status).toBe('FAILED');
    expect(runbook?.error).toBe('RecordFailureFailed');
    expect(runbook?.seconds).toBeLessThan(120);
    const [dead, next] = report.executions.filter((e) => e.app === 'billing');
    // Nothing moved: it never reached ShiftTraffic (the switch is untouched) nor the promotion.
    expect(dead?.steps.map((s) => s.name)).not.toContain('ShiftTraffic');
    expect(dead?.steps.map((s) => s.name)).not.toContain('PromoteDatabase');
    const requests = report.requests.filter((r) => r.app === 'billing');
    expect(requests.map((r) => [r.at, r.kind, r.accepted])).toEqual([
      [5, 'failover', true],
      [650, 'failover', false],
      [690, 'abort', true],
      [700, 'failover', true],
    ]);
    expect(requests[1]?.error).toMatch(
      /FailoverInProgressError: billing is locked by billing-20260101T000005Z/,
    );
    // After the abort the record says ABORTED, and the next run succeeds.
    expect(dead?.status).toBe('ABORTED');
    expect(next).toMatchObject({ to: 'us-west-2', status: 'SUCCEEDED' });
    expect(apiCalls).toEqual([]);
    expect(report.final.billing).toMatchObject({ activeRegion: 'us-west-2', trafficRegion: 'us-west-2' });
  }, 600_000); // a hang guard on a loaded machine, not a speed check
});

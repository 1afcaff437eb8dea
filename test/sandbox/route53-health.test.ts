import {
  ChangeResourceRecordSetsCommand,
  GetHealthCheckStatusCommand,
  InvalidInput,
  NoSuchHealthCheck,
} from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { route53Records } from '../../functions/aws/route53.js';
import type { Plan } from '../../functions/core/plan.js';
import { CHECKER_REGIONS, healthyByCheckers } from '../../sandbox/aws/route53-health.js';
import { FAST } from '../../sandbox/latency.js';
import { activeInFirstRegion, examplePlans, trafficHarness } from './harness-traffic.js';

const { healthCheckIntervalMs, healthCheckFailureThreshold } = FAST.route53;
const flipMs = healthCheckIntervalMs * healthCheckFailureThreshold;

describe("Route 53's health checkers (per checker, the 18% rule)", () => {
  it('counts an endpoint healthy when more than 18% of checkers say so', () => {
    expect(healthyByCheckers(2, 8)).toBe(true); // 25%
    expect(healthyByCheckers(1, 8)).toBe(false); // 12.5%
    expect(healthyByCheckers(0, 0)).toBe(false);
    expect(CHECKER_REGIONS).toHaveLength(8);
  });

  it('checkers disagree in a partial impairment; the endpoint stays healthy while 2 of 8 reach it, and the adapter agrees with the model', async () => {
    const h = trafficHarness(await examplePlans());
    activeInFirstRegion(h);
    const records = route53Records(h.clients);
    const endpoint = h.route53.healthCheckIds('billing')['us-east-1']?.endpoint as string;
    const observed = async () => {
      const out = await h.clock.runFor(
        h.clients.route53().send(new GetHealthCheckStatusCommand({ HealthCheckId: endpoint })),
      );
      return (out.HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status?.slice(0, 7));
    };

    // Six of eight checker regions cut off from us-east-1: two still see it healthy (25%).
    h.faults.add({ kind: 'checkers-blocked', region: 'us-east-1', count: 6 });
    await h.runTo(2 * flipMs);
    expect(await observed()).toEqual([...Array(6).fill('Failure'), 'Success', 'Success']);
    expect(h.route53.healthCheckHealthy(endpoint)).toBe(true);
    await expect(h.clock.runFor(records.healthCheckStatus(endpoint))).resolves.toBe('Healthy');

    // Seven of eight: one checker (12.5%) is not enough.
    h.faults.add({ kind: 'checkers-blocked', region: 'us-east-1', count: 7 });
    await h.runTo(4 * flipMs);
    expect((await observed()).filter((s) => s === 'Success')).toHaveLength(1);
    expect(h.route53.healthCheckHealthy(endpoint)).toBe(false);
    await expect(h.clock.runFor(records.healthCheckStatus(endpoint))).resolves.toBe('Unhealthy');
  });

  it('every check of every app requests each interval on one shared timer: one settle per interval, not one per check', async () => {
    // Arrange: the example plans' checks (endpoint checks per region, ARC's recovery controls).
    const h = trafficHarness(await examplePlans());
    activeInFirstRegion(h);
    const checks = ['billing', 'orders'].flatMap((app) =>
      Object.values(h.route53.healthCheckIds(app)).flatMap((ids) => Object.values(ids)),
    );
    const before = h.clock.firedTimers();

    // Act: ten intervals.
    await h.runTo(10 * healthCheckIntervalMs);

    // Assert: one timer per interval for all of them (each its own: one per check and interval).
    expect(checks.length).toBeGreaterThan(2);
    expect(h.clock.firedTimers() - before).toBe(10);
  });

  it('refuses a record naming a missing health check with NoSuchHealthCheck', async () => {
    const h = trafficHarness(await examplePlans());
    const change = h.clients.route53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: 'api.billing.example.com',
                Type: 'A',
                SetIdentifier: 'us-east-1',
                Failover: 'PRIMARY',
                HealthCheckId: '00000000-0000-0000-0000-000000000000',
                AliasTarget: {
                  DNSName: 'billing-use1.elb.amazonaws.com',
                  HostedZoneId: 'Z35SXDOTRQ7X7K',
                  EvaluateTargetHealth: true,
                },
              },
            },
          ],
        },
      }),
    );
    const error = await h.clock.runFor(change).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoSuchHealthCheck);
    expect((error as Error).message).toMatch(/00000000-0000-0000-0000-000000000000/);
  });
});

describe('the health-checks method in the simulator', () => {
  async function healthChecksPlans(): Promise<Plan[]> {
    const plans = await examplePlans();
    return plans.map((p) =>
      p.name === 'billing' && p.traffic.route53
        ? {
            ...p,
            traffic: { ...p.traffic, route53: { ...p.traffic.route53, method: 'health-checks' as const } },
          }
        : p,
    );
  }

  it('gives each record a CALCULATED check over every region endpoint, and refuses GetHealthCheckStatus on it', async () => {
    const h = trafficHarness(await healthChecksPlans());
    const checks = h.route53.healthCheckIds('billing');
    const west = checks['us-west-2']?.switch;
    expect(west?.endpoints).toHaveLength(2);
    const record = h.route53
      .recordSets('Z0123456789ABCDEFGHIJ')
      .find((r) => r.Name === 'api.billing.example.com.' && r.SetIdentifier === 'us-west-2');
    expect(record).toMatchObject({
      Failover: 'SECONDARY',
      HealthCheckId: west?.calculated,
      AliasTarget: { EvaluateTargetHealth: false },
    });
    const error = await h.clock
      .runFor(
        h.clients
          .route53()
          .send(new GetHealthCheckStatusCommand({ HealthCheckId: west?.calculated as string })),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInput);
  });

  it('a switch endpoint that never answers (no control plane bound) makes every record unhealthy: Route 53 answers the PRIMARY', async () => {
    const plans = await healthChecksPlans();
    const h = trafficHarness(plans);
    activeInFirstRegion(h);
    await h.runTo(2 * flipMs);
    const checks = h.route53.healthCheckIds('billing');
    expect(h.route53.healthCheckHealthy(checks['us-east-1']?.switch?.calculated as string)).toBe(false);
    expect(h.route53.healthCheckHealthy(checks['us-west-2']?.switch?.calculated as string)).toBe(false);
    expect(h.route53.authoritativeAnswer('api.billing.example.com', 'A').region).toBe('us-east-1');
  });
});

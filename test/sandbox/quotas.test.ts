import { DescribeGlobalClustersCommand } from '@aws-sdk/client-rds';
import { UpdateRoutingControlStatesCommand } from '@aws-sdk/client-route53-recovery-cluster';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import { QUOTAS, QuotaBuckets, SFN_STATE_TRANSITIONS, withLimits } from '../../sandbox/quotas.js';
import { activeInFirstRegion, examplePlans, trafficHarness } from './harness-traffic.js';

const rule = (id: string) => {
  const found = QUOTAS.find((q) => q.id === id);
  if (!found) throw new Error(`no quota ${id}`);
  return found;
};

describe('QuotaBuckets', () => {
  it('lets the RDS API burst 300 calls per region, then 12 per second', () => {
    // Prepare
    let now = 0;
    const quotas = new QuotaBuckets(() => now);
    const call = { service: 'rds' as const, region: 'us-east-1', operation: 'DescribeGlobalClusters' };

    // Act / Assess: the burst, then nothing until the bucket refills.
    for (let i = 0; i < 300; i++) expect(quotas.admit(call)).toBeUndefined();
    expect(quotas.admit(call)?.id).toBe('rds-api');
    // Another region has its own bucket.
    expect(quotas.admit({ ...call, region: 'us-west-2' })).toBeUndefined();
    now += 1_000;
    let admitted = 0;
    while (quotas.admit(call) === undefined) admitted++;
    expect(admitted).toBe(12);
    expect(quotas.usage().find((u) => u.quota === 'rds-api' && u.scope === 'us-east-1')).toMatchObject({
      admitted: 312,
      throttled: 2,
      peakPerSecond: 300,
      limitPerSecond: 12,
    });
  });

  it("takes a scenario's limits instead of the modelled ones, and refuses an unknown quota id", () => {
    // Prepare: RDS lowered to a burst of 5 and 2 per second.
    let now = 0;
    const quotas = new QuotaBuckets(
      () => now,
      1,
      withLimits({ 'rds-api': { burst: 5, refillPerSecond: 2 } }),
    );
    const call = { service: 'rds' as const, region: 'us-west-2', operation: 'DescribeGlobalClusters' };

    // Act / Assess
    for (let i = 0; i < 5; i++) expect(quotas.admit(call)).toBeUndefined();
    expect(quotas.admit(call)?.id).toBe('rds-api');
    now += 1_000;
    expect(quotas.admit(call)).toBeUndefined();
    expect(quotas.admit(call)).toBeUndefined();
    expect(quotas.admit(call)?.id).toBe('rds-api');
    expect(() => withLimits({ 'rds-apii': { burst: 1, refillPerSecond: 1 } })).toThrow(
      /quotas: got rds-apii, expected quota ids of .*rds-api/,
    );
  });

  it('meters Route 53 per account and per operation, and ARC mutations per cluster endpoint', () => {
    let now = 0;
    const quotas = new QuotaBuckets(() => now);
    const change = {
      service: 'route53' as const,
      region: 'us-east-1',
      operation: 'ChangeResourceRecordSets',
    };
    for (let i = 0; i < 30; i++) expect(quotas.admit(change)).toBeUndefined();
    for (let i = 0; i < 20; i++) expect(quotas.admit({ ...change, operation: 'GetChange' })).toBeUndefined();
    // 50 calls of any operations empty the account's bucket.
    expect(quotas.admit({ ...change, operation: 'ListResourceRecordSets' })?.id).toBe('route53-account');

    const update = { service: 'arc' as const, region: 'us-east-1', operation: 'UpdateRoutingControlStates' };
    const a = { ...update, endpoint: 'https://a.example.com' };
    for (let i = 0; i < 3; i++) expect(quotas.admit(a)).toBeUndefined();
    expect(quotas.admit(a)?.id).toBe('arc-endpoint-mutations');
    expect(quotas.admit({ ...update, endpoint: 'https://b.example.com' })).toBeUndefined();
    // Reads are not mutating calls.
    expect(quotas.admit({ ...a, operation: 'GetRoutingControlState' })).toBeUndefined();
    now += 1_000;
    expect(quotas.admit(a)).toBeUndefined();
  });

  it('uses the higher Step Functions tier in us-east-1, us-west-2 and eu-west-1 only', () => {
    expect(rule('sfn-start-execution').limit('us-west-2')).toEqual({ burst: 1_300, refillPerSecond: 300 });
    expect(rule('sfn-start-execution').limit('ap-south-1')).toEqual({ burst: 800, refillPerSecond: 150 });
    // Standard workflows' StateTransition bucket, as the developer guide's quota table gives it.
    expect(SFN_STATE_TRANSITIONS.limit('eu-west-1')).toEqual({ burst: 5_000, refillPerSecond: 1_500 });
    expect(SFN_STATE_TRANSITIONS.limit('us-east-2')).toEqual({ burst: 800, refillPerSecond: 500 });
  });

  it('delays state transitions beyond the bucket instead of refusing them', () => {
    let now = 0;
    const quotas = new QuotaBuckets(() => now);
    expect(quotas.delayFor(SFN_STATE_TRANSITIONS, 'us-east-2', 800)).toBe(0);
    // 250 more at 500 per second: half a second.
    expect(quotas.delayFor(SFN_STATE_TRANSITIONS, 'us-east-2', 250)).toBe(500);
    now += 2_000;
    expect(quotas.delayFor(SFN_STATE_TRANSITIONS, 'us-east-2', 1)).toBe(0);
  });

  it("runs the fast profile's buckets 20 times faster, Auto Scaling's one bucket shared by every operation", () => {
    let now = 0;
    const quotas = new QuotaBuckets(() => now, 1 / 20);
    const call = {
      service: 'autoscaling' as const,
      region: 'us-east-1',
      operation: 'DescribeAutoScalingGroups',
    };
    let burst = 0;
    while (quotas.admit(call) === undefined) burst++;
    expect(burst).toBe(100);
    // 20 per second, in a twentieth of a virtual second.
    now += 1_000 / 20;
    for (let i = 0; i < 20; i++) expect(quotas.admit(call)).toBeUndefined();
    expect(quotas.admit(call)?.id).toBe('autoscaling-api');
    // One shared bucket per account and region ("a single, shared API limit"): another operation
    // finds it empty too; another region has its own.
    expect(quotas.admit({ ...call, operation: 'SetDesiredCapacity' })?.id).toBe('autoscaling-api');
    expect(quotas.admit({ ...call, region: 'us-west-2', operation: 'SetDesiredCapacity' })).toBeUndefined();
  });
});

describe('quotas and retries through the real SDK clients', () => {
  async function setup() {
    const plans = await examplePlans();
    const h = trafficHarness(plans);
    activeInFirstRegion(h);
    const orders = plans.find((p) => p.name === 'orders') as Plan;
    const arc = orders.traffic.arc;
    if (!arc) throw new Error('orders has ARC');
    return { h, arc };
  }

  it('throttles a fourth ARC update within a second on one endpoint with ThrottlingException', async () => {
    // Prepare
    const { h, arc } = await setup();
    const endpoint = arc.clusterEndpoints[0] as { region: string; endpoint: string };
    const client = h.clients.arcCluster(endpoint);
    const on = (region: string) =>
      new UpdateRoutingControlStatesCommand({
        UpdateRoutingControlStateEntries: [
          { RoutingControlArn: arc.routingControls[region] as string, RoutingControlState: 'On' },
        ],
      });

    // Act: four updates at once; the ARC client makes one attempt (we rotate endpoints ourselves).
    const results = await h.clock.runFor(
      Promise.allSettled(
        [on('us-east-1'), on('us-east-1'), on('us-east-1'), on('us-east-1')].map((c) => client.send(c)),
      ),
    );

    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ name: 'ThrottlingException', $metadata: { attempts: 1 } });
    expect(String(refused.reason.message)).toMatch(/Rate exceeded .*arc-endpoint-mutations/);
    expect(h.simulator.log.filter((c) => c.throttled === 'arc-endpoint-mutations')).toHaveLength(1);
  });

  it('retries throttling as the SDK does: 1 s base with full jitter, on the virtual clock', async () => {
    // Prepare
    const { h } = await setup();
    h.faults.add({ kind: 'api-errors', service: 'rds', error: 'Throttling', rate: 1 });
    const started = h.clock.now();

    // Act
    const error = (await h.clock
      .runFor(h.clients.rds('us-east-1').send(new DescribeGlobalClustersCommand({})))
      .catch((e: unknown) => e)) as {
      name: string;
      $metadata: { attempts: number; totalRetryDelay: number };
    };

    // Assess: three attempts (the default policy), the waits between them drawn from [0, 1 s) and
    // [0, 2 s) and spent in virtual time.
    expect(error.name).toBe('Throttling');
    expect(error.$metadata.attempts).toBe(3);
    const round = h.ctx.latency.apiMs.rds;
    expect(h.clock.now() - started).toBe(3 * round + error.$metadata.totalRetryDelay);
    expect(error.$metadata.totalRetryDelay).toBeGreaterThan(100);
    expect(error.$metadata.totalRetryDelay).toBeLessThan(3_000);
  });

  it('retries a 5xx (transient) with the 50 ms base and a client error not at all', async () => {
    const { h } = await setup();
    const rds = h.clients.rds('us-east-1');
    h.faults.add({ kind: 'api-errors', service: 'rds', error: 'InternalFailure', rate: 1 });
    const server = (await h.clock
      .runFor(rds.send(new DescribeGlobalClustersCommand({})))
      .catch((e) => e)) as {
      $metadata: { attempts: number; totalRetryDelay: number };
    };
    expect(server.$metadata.attempts).toBe(3);
    expect(server.$metadata.totalRetryDelay).toBeLessThan(150);

    h.faults.clear('all');
    h.faults.add({ kind: 'api-errors', service: 'rds', error: 'InvalidParameterValue', rate: 1 });
    const client = (await h.clock
      .runFor(rds.send(new DescribeGlobalClustersCommand({})))
      .catch((e) => e)) as {
      $metadata: { attempts: number };
    };
    expect(client.$metadata.attempts).toBe(1);
  });

  it("stops retrying once the client's retry quota (500 tokens, 5 per throttling retry) is spent", async () => {
    const { h } = await setup();
    const rds = h.clients.rds('us-east-1');
    h.faults.add({ kind: 'api-errors', service: 'rds', error: 'Throttling', rate: 1 });
    const attempts: number[] = [];
    for (let i = 0; i < 52; i++) {
      const error = (await h.clock
        .runFor(rds.send(new DescribeGlobalClustersCommand({})))
        .catch((e) => e)) as {
        $metadata: { attempts: number };
      };
      attempts.push(error.$metadata.attempts);
    }
    // 50 calls x 2 retries x 5 tokens = 500: the 51st call gets no retry.
    expect(attempts.slice(0, 50).every((a) => a === 3)).toBe(true);
    expect(attempts.slice(50)).toEqual([1, 1]);
    // Another client has its own quota.
    const other = (await h.clock
      .runFor(h.clients.rds('us-west-2').send(new DescribeGlobalClustersCommand({})))
      .catch((e) => e)) as { $metadata: { attempts: number } };
    expect(other.$metadata.attempts).toBe(3);
  });
});

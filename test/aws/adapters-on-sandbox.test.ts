import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORT_POLICIES } from '../../functions/aws/clients.js';
import {
  ArcEndpointsUnavailableError,
  RegionUnavailableError,
  ResourceBusyError,
  ThrottledError,
} from '../../functions/core/errors.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { Sandbox } from '../../sandbox/sandbox.js';

/**
 * The simulator driven through Switchyard's own adapters alone (the ports the runbook uses), as
 * the foundation issue asks: the adapters, the client factory and the simulator agree.
 */
describe('adapters against the simulated AWS', () => {
  let sandbox: Sandbox;
  const plans = loadPlans('plans');

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans: await plans, latency: 'fast', seed: 3 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const west = () => sandbox.region('us-west-2').deps;
  const WEST_ARN = 'arn:aws:rds:us-west-2:111111111111:cluster:orders-usw2';
  const BILLING_WEST_ARN = 'arn:aws:rds:us-west-2:111111111111:cluster:billing-usw2';

  it('a switchover changes the writer only after its modelled latency, and refuses a second one meanwhile', async () => {
    const { aurora } = west();
    const started = sandbox.clock.now();
    // Called in the primary's region, as AWS documents the switchover.
    await sandbox.run(aurora.switchover('us-east-1', 'orders-global', WEST_ARN));
    const during = await sandbox.run(aurora.describeGlobalCluster('us-west-2', 'orders-global'));
    expect(during.writerRegion).not.toBe('us-west-2');
    expect(during.failover?.toClusterArn).toBe(WEST_ARN);
    await expect(sandbox.run(aurora.failover('us-west-2', 'orders-global', WEST_ARN))).rejects.toBeInstanceOf(
      ResourceBusyError,
    );

    // Poll as the runbook does, on the virtual clock, until the writer moves.
    let view = during;
    while (view.writerRegion !== 'us-west-2' || view.failover) {
      await sandbox.run(sandbox.clock.sleep(500));
      view = await sandbox.run(aurora.describeGlobalCluster('us-west-2', 'orders-global'));
    }
    const took = sandbox.clock.now() - started;
    // The role change plus the wait for the secondary to catch up on its lag.
    const modelled = sandbox.latency.aurora.switchoverMs + sandbox.latency.aurora.replicationLagMs;
    expect(took).toBeGreaterThanOrEqual(modelled);
    expect(took).toBeLessThan(modelled + 2_000);
  });

  it("refuses a switchover to billing's headless secondary until it has a DB instance", async () => {
    const { aurora } = west();
    const error = await sandbox
      .run(aurora.switchover('us-east-1', 'billing-global', BILLING_WEST_ARN))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceBusyError);
    expect((error as Error).message).toContain('headless');
  });

  it("a region outage fails that region's calls like a network failure while the other region answers", async () => {
    const { autoScaling } = west();
    sandbox.aws.faults.add({ kind: 'region-outage', region: 'us-east-1' });
    try {
      const error = await sandbox
        .run(autoScaling.describe('us-east-1', 'orders-web-use1'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegionUnavailableError);
      expect((error as Error).message).toMatch(/us-east-1/);
      expect(((error as Error).cause as Error).name).toBe('TimeoutError');
      const capacity = await sandbox.run(autoScaling.describe('us-west-2', 'orders-web-usw2'));
      expect(capacity.healthyInService).toBe(1);
    } finally {
      sandbox.aws.faults.clear({ kind: 'region-outage' });
    }
  });

  it('a throttling fault yields ThrottlingException from AWS, as our ThrottledError, after the client retries', async () => {
    const { autoScaling } = west();
    sandbox.aws.faults.add({
      kind: 'api-errors',
      service: 'autoscaling',
      region: 'us-west-2',
      error: 'ThrottlingException',
      rate: 1,
    });
    try {
      const error = await sandbox
        .run(autoScaling.describe('us-west-2', 'orders-web-usw2'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ThrottledError);
      expect(((error as Error).cause as Error).name).toBe('ThrottlingException');
      const attempts = sandbox.aws.simulator.log.filter(
        (c) => c.operation === 'DescribeAutoScalingGroups' && c.region === 'us-west-2' && !c.ok,
      );
      expect(attempts.length).toBe(TRANSPORT_POLICIES.default.maxAttempts); // the client's standard retries
    } finally {
      sandbox.aws.faults.clear({ kind: 'api-errors' });
    }
  });

  it('ARC succeeds with two cluster endpoints down and fails clearly, naming each, with all five down', async () => {
    const { arc } = west();
    const orders = (await plans).find((p) => p.name === 'orders');
    const traffic = orders?.traffic.arc;
    if (!traffic) throw new Error('orders has ARC');
    const arns = Object.values(traffic.routingControls);
    sandbox.aws.faults.add({ kind: 'arc-endpoints-down', count: 2 });
    try {
      const states = await sandbox.run(arc.getStates(traffic.clusterEndpoints, arns));
      expect(Object.values(states).sort()).toEqual(['Off', 'On']);
    } finally {
      sandbox.aws.faults.clear({ kind: 'arc-endpoints-down' });
    }
    sandbox.aws.faults.add({ kind: 'arc-cluster-unavailable', endpointsDown: 5 });
    try {
      const error = await sandbox.run(arc.getStates(traffic.clusterEndpoints, arns)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArcEndpointsUnavailableError);
      for (const endpoint of traffic.clusterEndpoints)
        expect((error as Error).message).toContain(endpoint.endpoint);
    } finally {
      sandbox.aws.faults.clear({ kind: 'arc-cluster-unavailable' });
    }
  });

  it('gives the same virtual timings on every run', async () => {
    const timing = async () => {
      const fresh = await Sandbox.start({ plans: await plans, latency: 'fast', seed: 9 });
      try {
        const t0 = fresh.clock.now();
        const { aurora } = fresh.region('us-west-2').deps;
        await fresh.run(
          aurora.failover(
            'us-west-2',
            'orders-global',
            'arn:aws:rds:us-west-2:111111111111:cluster:orders-usw2',
          ),
        );
        const stamps: number[] = [fresh.clock.now() - t0];
        for (let i = 0; i < 5; i++) {
          await fresh.run(aurora.describeGlobalCluster('us-west-2', 'orders-global'));
          stamps.push(fresh.clock.now() - t0);
        }
        return stamps;
      } finally {
        await fresh.close();
      }
    };
    expect(await timing()).toEqual(await timing());
  });
});

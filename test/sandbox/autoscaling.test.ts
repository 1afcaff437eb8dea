import {
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  PutWarmPoolCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { FAST } from '../../sandbox/latency.js';
import {
  type ComputeSandbox,
  computeSandbox,
  EAST,
  EAST_GROUP,
  ordersPlan,
  WEST,
  WEST_GROUP,
} from './harness-compute.js';

const API_MS = FAST.apiMs.autoscaling;
const { launchMs, warmStartMs, terminateMs, warmReturnMs } = FAST.autoscaling;
const { healthCheckIntervalMs: CHECK_MS, healthyThreshold, unhealthyThreshold } = FAST.elb;

function states(sb: ComputeSandbox, region: string, group: string) {
  const snapshot = sb.autoscaling.group(region, group);
  const count = (state: string) => snapshot?.instances.filter((i) => i.lifecycleState === state).length ?? 0;
  return { Pending: count('Pending'), InService: count('InService'), Terminating: count('Terminating') };
}

function inService(sb: ComputeSandbox, region: string, group: string): number {
  return (
    sb.autoscaling.group(region, group)?.instances.filter((i) => i.lifecycleState === 'InService').length ?? 0
  );
}

async function targetStates(sb: ComputeSandbox): Promise<Record<string, number>> {
  const arn = sb.autoscaling.group(WEST, WEST_GROUP)?.targetGroupArn;
  const out = await sb.run(
    sb.clients.elb(WEST).send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
  );
  const counts: Record<string, number> = {};
  for (const d of out.TargetHealthDescriptions ?? []) {
    const k = `${d.TargetHealth?.State}${d.TargetHealth?.Reason ? ` ${d.TargetHealth.Reason}` : ''}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

async function scaleWest(sb: ComputeSandbox, desired: number): Promise<number> {
  const acceptedAt = sb.clock.now() + API_MS;
  await sb.run(
    sb.clients.autoScaling(WEST).send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: WEST_GROUP,
        MinSize: desired,
        DesiredCapacity: desired,
      }),
    ),
  );
  return acceptedAt;
}

describe('SimulatedAutoScaling: provisioning', () => {
  it('runs the active profile in the first region and the standby profile elsewhere, InService and Healthy', async () => {
    // Prepare
    const sb = computeSandbox();

    // Act
    const east = await sb.run(sb.clients.autoScaling(EAST).send(new DescribeAutoScalingGroupsCommand({})));
    const west = await sb.run(
      sb.clients
        .autoScaling(WEST)
        .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [WEST_GROUP] })),
    );

    // Assess
    expect(east.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual([EAST_GROUP]);
    const group = east.AutoScalingGroups?.[0];
    expect(group).toMatchObject({ MinSize: 6, DesiredCapacity: 6, MaxSize: 24 });
    expect(group?.Instances).toHaveLength(6);
    for (const instance of group?.Instances ?? []) {
      expect(instance).toMatchObject({ LifecycleState: 'InService', HealthStatus: 'Healthy' });
      expect(instance.AvailabilityZone).toMatch(/^us-east-1[abc]$/);
      expect(instance.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    }
    expect(new Set(group?.Instances?.map((i) => i.AvailabilityZone)).size).toBe(3);
    expect(west.AutoScalingGroups?.[0]).toMatchObject({ MinSize: 1, DesiredCapacity: 1 });
    expect(sb.autoscaling.healthyInService(EAST, EAST_GROUP)).toBe(6);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(1);
  });
});

describe('SimulatedAutoScaling: scaling', () => {
  it('launches new instances Pending, InService after launchMs give or take 10%, serving within one health check interval, not all at once', async () => {
    // Prepare
    const sb = computeSandbox();

    // Act
    const acceptedAt = await scaleWest(sb, 6);

    // Assess
    expect(states(sb, WEST, WEST_GROUP)).toEqual({ Pending: 5, InService: 1, Terminating: 0 });
    await sb.until(acceptedAt + launchMs * 0.9 - 1);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(1);
    const landings = new Set<number>();
    let previous = 1;
    for (let t = acceptedAt + launchMs * 0.9; t <= acceptedAt + launchMs * 1.1 + CHECK_MS; t += 50) {
      await sb.until(t);
      const now = sb.autoscaling.healthyInService(WEST, WEST_GROUP);
      if (now !== previous) landings.add(t);
      previous = now;
    }
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(6);
    expect(landings.size).toBeGreaterThan(1);
    const described = await sb.run(
      sb.clients
        .autoScaling(WEST)
        .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [WEST_GROUP] })),
    );
    expect(described.AutoScalingGroups?.[0]?.Instances?.every((i) => i.HealthStatus === 'Healthy')).toBe(
      true,
    );
    expect(described.AutoScalingGroups?.[0]?.TargetGroupARNs).toEqual([
      sb.autoscaling.group(WEST, WEST_GROUP)?.targetGroupArn,
    ]);
  });

  it('does not count an instance InService but not yet healthy in its target group (issue 8: InService is not serving)', async () => {
    // Prepare
    const sb = computeSandbox();
    const acceptedAt = await scaleWest(sb, 6);

    // Act: the instant every instance is InService, before any more health checks.
    let t = acceptedAt;
    while (inService(sb, WEST, WEST_GROUP) < 6 && t < acceptedAt + launchMs * 2) {
      t += 10;
      await sb.until(t);
    }
    const atInService = sb.autoscaling.healthyInService(WEST, WEST_GROUP);
    const registered = await targetStates(sb);
    await sb.until(t + CHECK_MS + 1);

    // Assess
    expect(inService(sb, WEST, WEST_GROUP)).toBe(6);
    expect(atInService).toBeLessThan(6);
    expect(registered['initial Elb.InitialHealthChecking']).toBeGreaterThan(0);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(6);
    expect(await targetStates(sb)).toEqual({ healthy: 6 });
  });

  it('terminates on scale-in: Terminating, then gone after terminateMs', async () => {
    // Prepare
    const sb = computeSandbox();
    const acceptedAt = sb.clock.now() + API_MS;

    // Act
    await sb.run(
      sb.clients.autoScaling(EAST).send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: EAST_GROUP,
          MinSize: 1,
          DesiredCapacity: 2,
        }),
      ),
    );

    // Assess
    expect(states(sb, EAST, EAST_GROUP)).toEqual({ Pending: 0, InService: 2, Terminating: 4 });
    await sb.until(acceptedAt + terminateMs - 1);
    expect(sb.autoscaling.group(EAST, EAST_GROUP)?.instances).toHaveLength(6);
    await sb.until(acceptedAt + terminateMs);
    expect(sb.autoscaling.group(EAST, EAST_GROUP)?.instances).toHaveLength(2);
    expect(sb.autoscaling.group(EAST, EAST_GROUP)).toMatchObject({ min: 1, desired: 2, max: 24 });
  });

  it('moves the desired capacity with SetDesiredCapacity, and follows a new MinSize above it', async () => {
    // Prepare
    const sb = computeSandbox();
    const west = sb.clients.autoScaling(WEST);

    // Act
    await sb.run(
      west.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: WEST_GROUP, DesiredCapacity: 3 })),
    );
    const afterSet = sb.autoscaling.group(WEST, WEST_GROUP)?.desired;
    await sb.run(
      west.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: WEST_GROUP, MinSize: 5 })),
    );

    // Assess
    expect(afterSet).toBe(3);
    expect(sb.autoscaling.group(WEST, WEST_GROUP)).toMatchObject({ min: 5, desired: 5 });
    expect(states(sb, WEST, WEST_GROUP)).toEqual({ Pending: 4, InService: 1, Terminating: 0 });
  });

  it.each([
    ['min above desired', { MinSize: 7, DesiredCapacity: 6 }, /Desired capacity:6 must be between/],
    ['desired above max', { DesiredCapacity: 30 }, /Desired capacity:30 must be between/],
    ['min above max', { MinSize: 30 }, /Max bound, 24, must be greater than or equal to min bound, 30/],
  ])('rejects an update with %s as a ValidationError', async (_, update, message) => {
    // Prepare
    const sb = computeSandbox();

    // Act
    const error = await sb.failure(
      sb.clients
        .autoScaling(EAST)
        .send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: EAST_GROUP, ...update })),
    );

    // Assess
    expect((error as Error).name).toBe('ValidationError');
    expect((error as Error).message).toMatch(message);
    expect(sb.autoscaling.group(EAST, EAST_GROUP)).toMatchObject({ min: 6, desired: 6, max: 24 });
  });

  it('rejects unknown groups (including another region’s) and a desired capacity beyond max', async () => {
    // Prepare
    const sb = computeSandbox();
    const east = sb.clients.autoScaling(EAST);

    // Act
    const otherRegion = await sb.failure(
      east.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: WEST_GROUP, DesiredCapacity: 2 })),
    );
    const tooMany = await sb.failure(
      east.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: EAST_GROUP, DesiredCapacity: 25 })),
    );

    // Assess
    expect((otherRegion as Error).name).toBe('ValidationError');
    expect((otherRegion as Error).message).toContain('AutoScalingGroup name not found');
    expect((tooMany as Error).name).toBe('ValidationError');
    expect(sb.autoscaling.group(WEST, WEST_GROUP)?.desired).toBe(1);
  });
});

describe('SimulatedAutoScaling: capacity shortage', () => {
  it('launches up to the limit, shows the rest as Failed activities with AWS message (no instance Pending forever), and launches them once capacity returns', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({ kind: 'capacity-shortage', group: WEST_GROUP, maxInService: 3 });

    // Act
    const acceptedAt = await scaleWest(sb, 6);

    // Assess
    await sb.until(acceptedAt + launchMs * 10);
    expect(states(sb, WEST, WEST_GROUP)).toEqual({ Pending: 0, InService: 3, Terminating: 0 });
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(3);
    const activities = await sb.run(
      sb.clients
        .autoScaling(WEST)
        .send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: WEST_GROUP })),
    );
    const failed = activities.Activities?.filter((a) => a.StatusCode === 'Failed') ?? [];
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed[0]?.StatusMessage).toMatch(
      /^We currently do not have sufficient t3\.medium capacity in the Availability Zone you requested \(us-west-2[abc]\)\..*Launching EC2 instance failed\.$/,
    );
    expect(activities.Activities?.filter((a) => a.StatusCode === 'Successful')).toHaveLength(2);

    sb.faults.clear({ kind: 'capacity-shortage' });
    const clearedAt = sb.clock.now();
    await sb.until(clearedAt + launchMs * 0.9 - 1);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(3);
    await sb.until(clearedAt + launchMs * 1.1 + CHECK_MS);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(6);
  });
});

describe('SimulatedAutoScaling: instances-unhealthy', () => {
  it('health-check: new instances go InService but their targets turn unhealthy (Target.FailedHealthChecks); once cleared they pass after HealthyThresholdCount checks', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({ kind: 'instances-unhealthy', group: WEST_GROUP, cause: 'health-check' });

    // Act
    const acceptedAt = await scaleWest(sb, 4);
    await sb.until(acceptedAt + launchMs * 1.1 + CHECK_MS * unhealthyThreshold);

    // Assess
    expect(inService(sb, WEST, WEST_GROUP)).toBe(4);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(1);
    expect(await targetStates(sb)).toEqual({ healthy: 1, 'unhealthy Target.FailedHealthChecks': 3 });
    sb.faults.clear({ kind: 'instances-unhealthy' });
    const clearedAt = sb.clock.now();
    await sb.until(clearedAt + CHECK_MS * healthyThreshold - 1);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(1);
    await sb.until(clearedAt + CHECK_MS * healthyThreshold);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(4);
  });

  it('lifecycle-hook: new instances stop at Pending:Wait and pool launches at Warmed:Pending:Wait until the hook completes', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({ kind: 'instances-unhealthy', group: WEST_GROUP, cause: 'lifecycle-hook' });
    await sb.run(
      sb.clients.autoScaling(WEST).send(
        new PutWarmPoolCommand({
          AutoScalingGroupName: WEST_GROUP,
          MinSize: 2,
          MaxGroupPreparedCapacity: 1,
        }),
      ),
    );

    // Act
    const acceptedAt = await scaleWest(sb, 3);
    await sb.until(acceptedAt + launchMs * 3);

    // Assess
    const group = sb.autoscaling.group(WEST, WEST_GROUP);
    expect(group?.instances.filter((i) => i.lifecycleState === 'Pending:Wait')).toHaveLength(2);
    expect(group?.warmPool?.instances.map((i) => i.lifecycleState)).toEqual([
      'Warmed:Pending:Wait',
      'Warmed:Pending:Wait',
    ]);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(1);
    sb.faults.clear({ kind: 'instances-unhealthy' });
    await sb.until(sb.clock.now() + CHECK_MS + 1);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(3);
    expect(sb.autoscaling.group(WEST, WEST_GROUP)?.warmPool?.instances.map((i) => i.lifecycleState)).toEqual([
      'Warmed:Stopped',
      'Warmed:Stopped',
    ]);
  });
});

describe('SimulatedAutoScaling: warm pool', () => {
  it('prepares stopped instances that start and serve well before a launch from nothing, then refills the pool', async () => {
    // Prepare
    const sb = computeSandbox();
    const west = sb.clients.autoScaling(WEST);
    await sb.run(
      west.send(
        new PutWarmPoolCommand({ AutoScalingGroupName: WEST_GROUP, MinSize: 5, MaxGroupPreparedCapacity: 6 }),
      ),
    );
    await sb.until(sb.clock.now() + launchMs * 1.1);
    const pool = await sb.run(west.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: WEST_GROUP })));

    // Act
    const acceptedAt = await scaleWest(sb, 6);

    // Assess
    expect(pool.WarmPoolConfiguration).toEqual({
      MinSize: 5,
      MaxGroupPreparedCapacity: 6,
      PoolState: 'Stopped',
    });
    expect(pool.Instances?.map((i) => i.LifecycleState)).toEqual(Array(5).fill('Warmed:Stopped'));
    // Well before a launch from scratch could land (launchMs - 10%).
    expect(warmStartMs.Stopped * 1.1 + CHECK_MS).toBeLessThan(launchMs * 0.9);
    await sb.until(acceptedAt + warmStartMs.Stopped * 1.1 + CHECK_MS);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(6);
    expect(sb.autoscaling.group(WEST, WEST_GROUP)?.instances.filter((i) => i.warmStart)).toHaveLength(5);
    const inService = sb.autoscaling.group(WEST, WEST_GROUP)?.instances.map((i) => i.id);
    expect(inService).toEqual(expect.arrayContaining(pool.Instances?.map((i) => i.InstanceId) ?? ['none']));
    expect(sb.autoscaling.group(WEST, WEST_GROUP)?.warmPoolSize).toBe(5);
  });
});

describe('SimulatedAutoScaling: PutWarmPool accepts what AWS accepts', () => {
  it('accepts MaxGroupPreparedCapacity below the desired capacity (the pool is then MinSize) and -1 (back to MaxSize)', async () => {
    // Prepare
    const sb = computeSandbox();
    const east = sb.clients.autoScaling(EAST);

    // Act
    await sb.run(
      east.send(
        new PutWarmPoolCommand({ AutoScalingGroupName: EAST_GROUP, MinSize: 2, MaxGroupPreparedCapacity: 3 }),
      ),
    );
    const below = sb.autoscaling.group(EAST, EAST_GROUP)?.warmPoolSize;
    await sb.run(
      east.send(new PutWarmPoolCommand({ AutoScalingGroupName: EAST_GROUP, MaxGroupPreparedCapacity: -1 })),
    );
    const described = await sb.run(
      east.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: EAST_GROUP })),
    );

    // Assess
    expect(below).toBe(2);
    expect(described.WarmPoolConfiguration).toEqual({ MinSize: 0, PoolState: 'Stopped' });
    expect(described.Instances).toHaveLength(24 - 6);
  });

  it.each([
    ['MinSize below 0', { MinSize: -1 }, /MinSize must be an integer of at least 0, got -1/],
    ['MaxGroupPreparedCapacity below -1', { MaxGroupPreparedCapacity: -2 }, /at least -1, got -2/],
    [
      'an unknown PoolState',
      { PoolState: 'Frozen' as 'Stopped' },
      /PoolState must be one of Stopped, Running, Hibernated, got Frozen/,
    ],
  ])('refuses %s with a ValidationError', async (_, input, message) => {
    // Prepare
    const sb = computeSandbox();

    // Act
    const error = await sb.failure(
      sb.clients
        .autoScaling(WEST)
        .send(new PutWarmPoolCommand({ AutoScalingGroupName: WEST_GROUP, ...input })),
    );

    // Assess
    expect((error as Error).name).toBe('ValidationError');
    expect((error as Error).message).toMatch(message);
    expect(sb.autoscaling.group(WEST, WEST_GROUP)?.warmPool).toBeUndefined();
  });
});

describe('SimulatedAutoScaling: warm pools from the plan', () => {
  it('provisions the plan pool warmed, and with reuseOnScaleIn returns scaled-in instances to it instead of terminating them', async () => {
    // Prepare
    const sb = computeSandbox(
      1,
      ordersPlan({
        maxGroupPreparedCapacity: 6,
        poolState: 'Hibernated',
        reuseOnScaleIn: true,
      }),
    );
    const eastPool = sb.autoscaling.group(EAST, EAST_GROUP)?.warmPool;
    const westPool = sb.autoscaling.group(WEST, WEST_GROUP)?.warmPool;
    const serving = sb.autoscaling.group(EAST, EAST_GROUP)?.instances.map((i) => i.id) ?? [];

    // Act: the old active region back to its standby profile after a failover.
    await sb.run(
      sb.clients.autoScaling(EAST).send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: EAST_GROUP,
          MinSize: 1,
          DesiredCapacity: 1,
        }),
      ),
    );
    const returning = sb.autoscaling
      .group(EAST, EAST_GROUP)
      ?.warmPool?.instances.map((i) => i.lifecycleState);
    await sb.until(sb.clock.now() + warmReturnMs);

    // Assess
    expect(eastPool?.instances).toHaveLength(0);
    expect(westPool?.instances.map((i) => i.lifecycleState)).toEqual(Array(5).fill('Warmed:Hibernated'));
    expect(returning).toEqual(Array(5).fill('Warmed:Pending'));
    const pool = sb.autoscaling.group(EAST, EAST_GROUP)?.warmPool;
    expect(pool?.instances.map((i) => i.lifecycleState)).toEqual(Array(5).fill('Warmed:Hibernated'));
    expect(serving).toEqual(expect.arrayContaining(pool?.instances.map((i) => i.id) ?? ['none']));
    expect(states(sb, EAST, EAST_GROUP)).toEqual({ Pending: 0, InService: 1, Terminating: 0 });
  });

  it('a capacity shortage applies to warm starts too: the pool instances stay in the pool and the start fails', async () => {
    // Prepare
    const sb = computeSandbox(1, ordersPlan({ minSize: 5, maxGroupPreparedCapacity: 6 }));
    sb.faults.add({ kind: 'capacity-shortage', group: WEST_GROUP, maxInService: 2 });

    // Act
    const acceptedAt = await scaleWest(sb, 6);
    await sb.until(acceptedAt + warmStartMs.Stopped * 1.1 + CHECK_MS);

    // Assess
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(2);
    expect(sb.autoscaling.group(WEST, WEST_GROUP)?.warmPool?.instances).toHaveLength(4);
    const activities = await sb.run(
      sb.clients
        .autoScaling(WEST)
        .send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: WEST_GROUP })),
    );
    expect(activities.Activities).toContainEqual(
      expect.objectContaining({
        StatusCode: 'Failed',
        Description: expect.stringMatching(/^Launching a new EC2 instance from warm pool\./),
      }),
    );
  });
});

describe('SimulatedAutoScaling: region outage', () => {
  it('reports the instances of a region that is down as unhealthy, and its API as unreachable', async () => {
    // Prepare
    const sb = computeSandbox();

    // Act
    sb.faults.add({ kind: 'region-outage', region: EAST });

    // Assess
    expect(sb.autoscaling.healthyInService(EAST, EAST_GROUP)).toBe(0);
    expect(
      sb.autoscaling.group(EAST, EAST_GROUP)?.instances.every((i) => i.healthStatus === 'Unhealthy'),
    ).toBe(true);
    const error = await sb.failure(
      sb.clients.autoScaling(EAST).send(new DescribeAutoScalingGroupsCommand({})),
    );
    expect((error as Error).name).toBe('TimeoutError');
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(1);
    sb.faults.clear({ kind: 'region-outage', region: EAST });
    expect(sb.autoscaling.healthyInService(EAST, EAST_GROUP)).toBe(6);
  });
});

describe('SimulatedAutoScaling: determinism', () => {
  async function scenario(): Promise<unknown> {
    const sb = computeSandbox();
    sb.faults.add({ kind: 'capacity-shortage', group: WEST_GROUP, maxInService: 4 });
    const acceptedAt = await scaleWest(sb, 8);
    const timeline: number[] = [];
    for (let t = acceptedAt; t <= acceptedAt + launchMs * 1.2; t += 100) {
      await sb.until(t);
      timeline.push(sb.autoscaling.healthyInService(WEST, WEST_GROUP));
    }
    return { timeline, group: sb.autoscaling.group(WEST, WEST_GROUP) };
  }

  it('gives the same virtual timings on every run', async () => {
    // Act
    const first = await scenario();
    const second = await scenario();

    // Assess
    expect(second).toEqual(first);
  });
});

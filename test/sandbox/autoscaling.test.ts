import {
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
  PutWarmPoolCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { FAST } from '../../sandbox/latency.js';
import {
  type ComputeSandbox,
  computeSandbox,
  EAST,
  EAST_GROUP,
  WEST,
  WEST_GROUP,
} from './harness-compute.js';

const API_MS = FAST.apiMs.autoscaling;
const { launchMs, warmPoolLaunchMs, terminateMs } = FAST.autoscaling;

function states(sb: ComputeSandbox, region: string, group: string) {
  const snapshot = sb.autoscaling.group(region, group);
  const count = (state: string) => snapshot?.instances.filter((i) => i.lifecycleState === state).length ?? 0;
  return { Pending: count('Pending'), InService: count('InService'), Terminating: count('Terminating') };
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
  it('launches new instances Pending, InService and Healthy after launchMs give or take 10%, not all at once', async () => {
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
    for (let t = acceptedAt + launchMs * 0.9; t <= acceptedAt + launchMs * 1.1; t += 50) {
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
  it('caps InService at the limit, the rest Pending, and launches them once capacity returns', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({ kind: 'capacity-shortage', group: WEST_GROUP, maxInService: 3 });

    // Act
    const acceptedAt = await scaleWest(sb, 6);

    // Assess
    await sb.until(acceptedAt + launchMs * 10);
    expect(states(sb, WEST, WEST_GROUP)).toEqual({ Pending: 3, InService: 3, Terminating: 0 });
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(3);

    sb.faults.clear({ kind: 'capacity-shortage' });
    const clearedAt = sb.clock.now();
    await sb.until(clearedAt + launchMs * 0.9 - 1);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(3);
    await sb.until(clearedAt + launchMs * 1.1);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(6);
  });
});

describe('SimulatedAutoScaling: warm pool', () => {
  it('prepares stopped instances that go InService in warmPoolLaunchMs, then refills the pool', async () => {
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
    await sb.until(acceptedAt + warmPoolLaunchMs * 1.1);
    expect(sb.autoscaling.healthyInService(WEST, WEST_GROUP)).toBe(6);
    const inService = sb.autoscaling.group(WEST, WEST_GROUP)?.instances.map((i) => i.id);
    expect(inService).toEqual(expect.arrayContaining(pool.Instances?.map((i) => i.InstanceId) ?? ['none']));
    expect(sb.autoscaling.group(WEST, WEST_GROUP)?.warmPoolSize).toBe(5);
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

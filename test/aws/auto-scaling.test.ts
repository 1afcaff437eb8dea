import {
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  ResourceContentionFault,
  ScalingActivityInProgressFault,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { autoScalingGroups } from '../../functions/aws/auto-scaling.js';
import { createAwsClients } from '../../functions/aws/clients.js';

const autoScaling = mockClient(AutoScalingClient);
const elb = mockClient(ElasticLoadBalancingV2Client);

afterEach(() => {
  autoScaling.reset();
  elb.reset();
});

const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' };

function setup() {
  const clients = createAwsClients({ credentials: CREDENTIALS });
  return { clients, groups: autoScalingGroups(clients) };
}

async function regionOf(call: unknown): Promise<string> {
  return ((call as { thisValue: AutoScalingClient }).thisValue as AutoScalingClient).config.region();
}

const instance = (id: string, LifecycleState: string, HealthStatus: string) => ({
  InstanceId: id,
  AvailabilityZone: 'us-west-2a',
  LifecycleState: LifecycleState as 'InService',
  HealthStatus,
  ProtectedFromScaleIn: false,
});

describe('describe', () => {
  it('counts instances by lifecycle state and health, in the named region', async () => {
    // Prepare
    const { groups, clients } = setup();
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'orders-web-usw2',
          MinSize: 6,
          DesiredCapacity: 6,
          MaxSize: 24,
          DefaultCooldown: 300,
          AvailabilityZones: ['us-west-2a'],
          HealthCheckType: 'ELB',
          CreatedTime: new Date(0),
          Instances: [
            instance('i-1', 'InService', 'Healthy'),
            instance('i-2', 'InService', 'Healthy'),
            instance('i-3', 'InService', 'Unhealthy'),
            instance('i-4', 'Pending', 'Healthy'),
            instance('i-5', 'Pending:Wait', 'Healthy'),
            instance('i-6', 'Terminating', 'Unhealthy'),
          ],
        },
      ],
    });

    // Act
    const capacity = await groups.describe('us-west-2', 'orders-web-usw2');

    // Assess
    expect(capacity).toEqual({
      name: 'orders-web-usw2',
      min: 6,
      desired: 6,
      max: 24,
      inService: 3,
      healthyInService: 2,
      pending: 2,
      waiting: 1,
      notServing: [{ instanceId: 'i-3', state: 'unhealthy', reason: 'Auto Scaling health status Unhealthy' }],
      instances: 6,
    });
    const [call] = autoScaling.commandCalls(DescribeAutoScalingGroupsCommand);
    expect(call?.args[0].input).toEqual({ AutoScalingGroupNames: ['orders-web-usw2'] });
    expect(call?.thisValue).toBe(clients.autoScaling('us-west-2'));
    expect(await regionOf(call)).toBe('us-west-2');
  });

  it('counts as serving only the InService instances healthy in every target group, read in the named region', async () => {
    // Prepare
    const { groups, clients } = setup();
    const tg =
      'arn:aws:elasticloadbalancing:us-west-2:111111111111:targetgroup/orders-web-usw2/0123456789abcdef';
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'orders-web-usw2',
          MinSize: 3,
          DesiredCapacity: 3,
          MaxSize: 24,
          DefaultCooldown: 300,
          AvailabilityZones: ['us-west-2a'],
          HealthCheckType: 'ELB',
          CreatedTime: new Date(0),
          TargetGroupARNs: [tg],
          Instances: [
            instance('i-1', 'InService', 'Healthy'),
            instance('i-2', 'InService', 'Healthy'),
            instance('i-3', 'InService', 'Healthy'),
          ],
          WarmPoolConfiguration: { MinSize: 0, PoolState: 'Stopped' },
          WarmPoolSize: 5,
        },
      ],
    });
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: 'i-1', Port: 80 }, TargetHealth: { State: 'healthy' } },
        {
          Target: { Id: 'i-2', Port: 80 },
          TargetHealth: { State: 'initial', Reason: 'Elb.InitialHealthChecking' },
        },
      ],
    });

    // Act
    const capacity = await groups.describe('us-west-2', 'orders-web-usw2');

    // Assess
    expect(capacity).toMatchObject({
      inService: 3,
      healthyInService: 1,
      notServing: [
        { instanceId: 'i-2', state: 'initial', reason: 'Elb.InitialHealthChecking' },
        { instanceId: 'i-3', state: 'unused', reason: 'Target.NotRegistered' },
      ],
      warmPool: { poolState: 'Stopped', size: 5, minSize: 0 },
    });
    const [call] = elb.commandCalls(DescribeTargetHealthCommand);
    expect(call?.args[0].input).toEqual({ TargetGroupArn: tg });
    expect(call?.thisValue).toBe(clients.elb('us-west-2'));
  });

  it("reads the plan's target groups beside the group, and counts only those the group's answer names", async () => {
    // Prepare: the plan's hint is stale (names a target group the group left, which is gone); the
    // group now registers with another one.
    const { groups } = setup();
    const stale =
      'arn:aws:elasticloadbalancing:us-west-2:111111111111:targetgroup/orders-web-old/0123456789abcdef';
    const named =
      'arn:aws:elasticloadbalancing:us-west-2:111111111111:targetgroup/orders-web-usw2/fedcba9876543210';
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'orders-web-usw2',
          MinSize: 2,
          DesiredCapacity: 2,
          MaxSize: 24,
          DefaultCooldown: 300,
          AvailabilityZones: ['us-west-2a'],
          HealthCheckType: 'ELB',
          CreatedTime: new Date(0),
          TargetGroupARNs: [named],
          Instances: [instance('i-1', 'InService', 'Healthy'), instance('i-2', 'InService', 'Healthy')],
        },
      ],
    });
    elb
      .on(DescribeTargetHealthCommand, { TargetGroupArn: stale })
      .rejects(new Error('TargetGroupNotFound'))
      .on(DescribeTargetHealthCommand, { TargetGroupArn: named })
      .resolves({
        TargetHealthDescriptions: [{ Target: { Id: 'i-1', Port: 80 }, TargetHealth: { State: 'healthy' } }],
      });

    // Act
    const capacity = await groups.describe('us-west-2', 'orders-web-usw2', [stale]);

    // Assess: the stale hint's failure is not this read's; the named group was read after the answer
    expect(capacity).toMatchObject({ inService: 2, healthyInService: 1 });
    const asked = elb.commandCalls(DescribeTargetHealthCommand).map((c) => c.args[0].input.TargetGroupArn);
    expect(asked).toEqual([stale, named]);
  });
  it("describeMany reads the plans' target groups beside the groups, counts only those the answers name, and reads the others after", async () => {
    // Prepare: two groups; the hint names one's target group and a stale one; the other group's
    // target group is not hinted. DescribeAutoScalingGroups answers a moment later.
    const { groups } = setup();
    const tg = (name: string) =>
      `arn:aws:elasticloadbalancing:us-west-2:111111111111:targetgroup/${name}/0123456789abcdef`;
    const group = (name: string, target: string) => ({
      AutoScalingGroupName: name,
      MinSize: 1,
      DesiredCapacity: 1,
      MaxSize: 4,
      DefaultCooldown: 300,
      AvailabilityZones: ['us-west-2a'],
      HealthCheckType: 'ELB',
      CreatedTime: new Date(0),
      TargetGroupARNs: [target],
      Instances: [instance(`i-${name}`, 'InService', 'Healthy')],
    });
    let healthReadsBeforeAnswer = -1;
    autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      healthReadsBeforeAnswer = elb.commandCalls(DescribeTargetHealthCommand).length;
      return { AutoScalingGroups: [group('api', tg('api')), group('workers', tg('workers'))] };
    });
    elb
      .on(DescribeTargetHealthCommand, { TargetGroupArn: tg('stale') })
      .rejects(new Error('TargetGroupNotFound'))
      .on(DescribeTargetHealthCommand)
      .callsFake(async (input: { TargetGroupArn?: string }) => ({
        TargetHealthDescriptions: [
          {
            Target: { Id: `i-${input.TargetGroupArn?.split('/')[1]}`, Port: 80 },
            TargetHealth: { State: 'healthy' },
          },
        ],
      }));

    // Act
    const read = await groups.describeMany?.('us-west-2', ['api', 'workers'], {
      targetGroups: [tg('api'), tg('stale')],
    });

    // Assess: the hinted target groups were asked while the groups' read was under way; the
    // unhinted one after it; the stale hint's failure is no group's
    expect(healthReadsBeforeAnswer).toBe(2);
    const asked = elb.commandCalls(DescribeTargetHealthCommand).map((c) => c.args[0].input.TargetGroupArn);
    expect(asked).toEqual([tg('api'), tg('stale'), tg('workers')]);
    expect(read?.get('api')).toMatchObject({ healthyInService: 1 });
    expect(read?.get('workers')).toMatchObject({ healthyInService: 1 });
  });

  it('throws ResourceNotFoundError when the group does not exist', async () => {
    const { groups } = setup();
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });

    await expect(groups.describe('us-west-2', 'orders-web-usw2')).rejects.toMatchObject({
      name: 'ResourceNotFoundError',
      message: expect.stringContaining('orders-web-usw2 in us-west-2'),
    });
  });

  it('translates ResourceContentionFault to ResourceBusyError', async () => {
    const { groups } = setup();
    const fault = new ResourceContentionFault({ message: 'pending update', $metadata: {} });
    autoScaling.on(DescribeAutoScalingGroupsCommand).rejects(fault);

    await expect(groups.describe('us-west-2', 'orders-web-usw2')).rejects.toMatchObject({
      name: 'ResourceBusyError',
      cause: fault,
    });
  });
});

describe('update', () => {
  it('sets min, desired and max in the named region', async () => {
    const { groups } = setup();
    autoScaling.on(UpdateAutoScalingGroupCommand).resolves({});

    await groups.update('us-west-2', 'orders-web-usw2', { min: 6, desired: 6, max: 24 });

    const calls = autoScaling.commandCalls(UpdateAutoScalingGroupCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'orders-web-usw2',
      MinSize: 6,
      DesiredCapacity: 6,
      MaxSize: 24,
    });
    expect(await regionOf(calls[0])).toBe('us-west-2');
  });

  it.each([
    [
      'ScalingActivityInProgressFault',
      new ScalingActivityInProgressFault({ message: 'in progress', $metadata: {} }),
      'ResourceBusyError',
    ],
    [
      'ResourceContentionFault',
      new ResourceContentionFault({ message: 'pending', $metadata: {} }),
      'ResourceBusyError',
    ],
    [
      'ValidationError (group not found)',
      new AutoScalingServiceException({
        name: 'ValidationError',
        $fault: 'client',
        message: 'AutoScalingGroup name not found - null',
        $metadata: { httpStatusCode: 400 },
      }),
      'ResourceNotFoundError',
    ],
    [
      'Throttling',
      new AutoScalingServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
      'ThrottledError',
    ],
  ])('translates %s to %s', async (_code, error, name) => {
    const { groups } = setup();
    autoScaling.on(UpdateAutoScalingGroupCommand).rejects(error);

    const failure = groups.update('us-west-2', 'orders-web-usw2', { min: 1, desired: 1, max: 24 });

    await expect(failure).rejects.toMatchObject({ name, cause: error });
    await expect(failure).rejects.toThrow(/UpdateAutoScalingGroup orders-web-usw2 to 1\/1\/24 in us-west-2/);
  });

  it('rethrows another ValidationError unchanged', async () => {
    const { groups } = setup();
    const invalid = new AutoScalingServiceException({
      name: 'ValidationError',
      $fault: 'client',
      message: 'Desired capacity:30 must be between the specified min size:1 and max size:24',
      $metadata: { httpStatusCode: 400 },
    });
    autoScaling.on(UpdateAutoScalingGroupCommand).rejects(invalid);

    await expect(
      groups.update('us-west-2', 'orders-web-usw2', { min: 1, desired: 30, max: 24 }),
    ).rejects.toBe(invalid);
  });
});

import {
  type AutoScalingGroup,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  ResourceContentionFault,
  ScalingActivityInProgressFault,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeTargetHealthCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ResourceBusyError, ResourceNotFoundError } from '../core/errors.js';
import type {
  AutoScalingGroups,
  FailedLaunches,
  GroupCapacity,
  WarmPoolView,
} from '../runbook/ports/auto-scaling.js';
import type { ClientFactory } from './client-factory.js';
import { AUTO_SCALING_CLIENT, ELB_CLIENT } from './sdk-clients.js';
import { awsCall, type ErrorRule } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { AutoScalingGroups, FailedLaunches, GroupCapacity, WarmPoolView };

const RULES: readonly ErrorRule[] = [
  {
    when: ScalingActivityInProgressFault,
    as: ResourceBusyError,
    problem: 'a scaling activity is in progress',
    expected: 'no scaling activity in progress',
  },
  {
    when: ResourceContentionFault,
    as: ResourceBusyError,
    problem: 'another update to the group is pending',
    expected: 'no pending update',
  },
  {
    // Auto Scaling has no modelled "not found": UpdateAutoScalingGroup answers ValidationError.
    when: AutoScalingServiceException,
    matches: (error) => error.name === 'ValidationError' && /not found/i.test(error.message),
    as: ResourceNotFoundError,
    problem: 'group not found',
    expected: 'an existing Auto Scaling group',
  },
];

const ELB_RULES: readonly ErrorRule[] = [
  {
    when: TargetGroupNotFoundException,
    as: ResourceNotFoundError,
    problem: 'target group not found',
    expected: 'the target group the Auto Scaling group names',
  },
];

/** The most groups one DescribeAutoScalingGroups names and answers (its MaxRecords' maximum). */
export const MAX_GROUPS_PER_DESCRIBE = 100;

/** The Auto Scaling adapter (and the target health of its groups' load balancers). */
export function autoScalingGroups(clients: ClientFactory): AutoScalingGroups {
  const autoScaling = (region: string) => clients.client(AUTO_SCALING_CLIENT, region);
  const elb = (region: string) => clients.client(ELB_CLIENT, region);

  /**
   * A group's capacity from DescribeAutoScalingGroups' answer, its targets' health read from the
   * load balancer (DescribeTargetHealth per target group) when `readHealth`; without it no
   * instance counts as serving, and the InService ones are listed as not serving with the reason
   * `Switchyard.TargetHealthNotRead` (a shared read skips the load balancer for groups that
   * cannot be ready yet).
   */
  async function capacityOf(
    region: string,
    group: AutoScalingGroup,
    readHealth: boolean,
  ): Promise<GroupCapacity> {
    const instances = group.Instances ?? [];
    const inService = instances.filter((i) => i.LifecycleState === 'InService');
    // Per target group: each target's state, read from the load balancer (what it routes to).
    const targetGroups = readHealth ? (group.TargetGroupARNs ?? []) : [];
    const health = await Promise.all(
      targetGroups.map(async (arn) => {
        const output = await awsCall(
          { operation: 'DescribeTargetHealth', region, resource: arn },
          ELB_RULES,
          () => elb(region).send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
        );
        return new Map(
          (output.TargetHealthDescriptions ?? []).map((d) => [
            d.Target?.Id ?? '',
            { state: d.TargetHealth?.State ?? 'unavailable', reason: d.TargetHealth?.Reason },
          ]),
        );
      }),
    );
    const notServing: { instanceId: string; state: string; reason?: string }[] = [];
    let serving = 0;
    for (const instance of inService) {
      const id = instance.InstanceId ?? '';
      if (!readHealth) {
        notServing.push({ instanceId: id, state: 'unknown', reason: 'Switchyard.TargetHealthNotRead' });
        continue;
      }
      const bad = health
        .map((byId) => byId.get(id) ?? { state: 'unused', reason: 'Target.NotRegistered' })
        .find((h) => h.state !== 'healthy');
      if (bad)
        notServing.push({
          instanceId: id,
          state: bad.state,
          ...(bad.reason ? { reason: bad.reason } : {}),
        });
      else if (instance.HealthStatus !== 'Healthy')
        notServing.push({
          instanceId: id,
          state: 'unhealthy',
          reason: 'Auto Scaling health status Unhealthy',
        });
      else serving++;
    }
    const pool = group.WarmPoolConfiguration;
    return {
      name: group.AutoScalingGroupName ?? '',
      min: group.MinSize ?? 0,
      desired: group.DesiredCapacity ?? 0,
      max: group.MaxSize ?? 0,
      inService: inService.length,
      healthyInService: serving,
      pending: instances.filter((i) => i.LifecycleState?.startsWith('Pending')).length,
      waiting: instances.filter((i) => i.LifecycleState === 'Pending:Wait').length,
      notServing,
      instances: instances.length,
      ...(pool
        ? {
            warmPool: {
              poolState: pool.PoolState ?? 'Stopped',
              size: group.WarmPoolSize ?? 0,
              minSize: pool.MinSize ?? 0,
            },
          }
        : {}),
    };
  }
  return {
    async describe(region, groupName) {
      const output = await awsCall(
        { operation: 'DescribeAutoScalingGroups', region, resource: groupName },
        RULES,
        () =>
          autoScaling(region).send(
            new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }),
          ),
      );
      const group = output.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === groupName);
      if (!group) {
        throw new ResourceNotFoundError(
          `DescribeAutoScalingGroups ${groupName} in ${region}: group not found (got no group; expected an existing Auto Scaling group)`,
        );
      }
      return capacityOf(region, group, true);
    },

    async describeMany(region, groupNames, healthFrom) {
      // Pages of at most 100 names, 100 groups each (DescribeAutoScalingGroups: "By default, you
      // can only specify up to 50 names. You can optionally increase this limit using the
      // MaxRecords property", MaxRecords "The default value is 50 and the maximum value is 100";
      // Amazon EC2 Auto Scaling API Reference, DescribeAutoScalingGroups,
      // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html).
      const names = [...new Set(groupNames)];
      const found = new Map<string, GroupCapacity>();
      for (let i = 0; i < names.length; i += MAX_GROUPS_PER_DESCRIBE) {
        const page = names.slice(i, i + MAX_GROUPS_PER_DESCRIBE);
        let nextToken: string | undefined;
        do {
          const output = await awsCall(
            { operation: 'DescribeAutoScalingGroups', region, resource: `${page.length} groups` },
            RULES,
            () =>
              autoScaling(region).send(
                new DescribeAutoScalingGroupsCommand({
                  AutoScalingGroupNames: page,
                  MaxRecords: MAX_GROUPS_PER_DESCRIBE,
                  ...(nextToken ? { NextToken: nextToken } : {}),
                }),
              ),
          );
          const groups = (output.AutoScalingGroups ?? []).filter((g) => g.AutoScalingGroupName);
          const views = await Promise.all(
            groups.map((g) => {
              const name = g.AutoScalingGroupName as string;
              const serving = (g.Instances ?? []).filter(
                (x) => x.LifecycleState === 'InService' && x.HealthStatus === 'Healthy',
              ).length;
              return capacityOf(region, g, serving >= (healthFrom?.get(name) ?? 0));
            }),
          );
          for (const view of views) found.set(view.name, view);
          nextToken = output.NextToken;
        } while (nextToken);
      }
      return found;
    },

    async warmPool(region, groupName) {
      const output = await awsCall(
        { operation: 'DescribeWarmPool', region, resource: groupName },
        RULES,
        () => autoScaling(region).send(new DescribeWarmPoolCommand({ AutoScalingGroupName: groupName })),
      );
      const config = output.WarmPoolConfiguration;
      if (!config) return undefined;
      const instances = output.Instances ?? [];
      return {
        minSize: config.MinSize ?? 0,
        ...(config.MaxGroupPreparedCapacity !== undefined && config.MaxGroupPreparedCapacity !== -1
          ? { maxGroupPreparedCapacity: config.MaxGroupPreparedCapacity }
          : {}),
        poolState: (config.PoolState ?? 'Stopped') as WarmPoolView['poolState'],
        reuseOnScaleIn: config.InstanceReusePolicy?.ReuseOnScaleIn ?? false,
        size: instances.length,
        warmed: instances.filter((i) => i.LifecycleState === `Warmed:${config.PoolState ?? 'Stopped'}`)
          .length,
      };
    },

    async failedLaunches(region, groupName, sinceMs) {
      const output = await awsCall(
        { operation: 'DescribeScalingActivities', region, resource: groupName },
        RULES,
        () =>
          autoScaling(region).send(
            new DescribeScalingActivitiesCommand({ AutoScalingGroupName: groupName, MaxRecords: 100 }),
          ),
      );
      const failed = (output.Activities ?? []).filter(
        (a) => a.StatusCode === 'Failed' && (a.StartTime?.getTime() ?? 0) >= sinceMs,
      );
      const latest = failed[0]?.StatusMessage;
      return { count: failed.length, ...(latest ? { latestMessage: latest } : {}) };
    },

    async update(region, groupName, { min, desired, max }) {
      await awsCall(
        { operation: 'UpdateAutoScalingGroup', region, resource: `${groupName} to ${min}/${desired}/${max}` },
        RULES,
        () =>
          autoScaling(region).send(
            new UpdateAutoScalingGroupCommand({
              AutoScalingGroupName: groupName,
              MinSize: min,
              DesiredCapacity: desired,
              MaxSize: max,
            }),
          ),
      );
    },
  };
}

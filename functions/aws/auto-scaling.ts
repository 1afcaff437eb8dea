import {
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

/** The Auto Scaling adapter (and the target health of its groups' load balancers). */
export function autoScalingGroups(clients: ClientFactory): AutoScalingGroups {
  const autoScaling = (region: string) => clients.client(AUTO_SCALING_CLIENT, region);
  const elb = (region: string) => clients.client(ELB_CLIENT, region);
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
      const instances = group.Instances ?? [];
      const inService = instances.filter((i) => i.LifecycleState === 'InService');
      // Per target group: each target's state, read from the load balancer (what it routes to).
      const targetGroups = group.TargetGroupARNs ?? [];
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
        name: groupName,
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

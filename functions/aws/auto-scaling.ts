import {
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  ResourceContentionFault,
  ScalingActivityInProgressFault,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { ResourceBusyError, ResourceNotFoundError } from '../core/errors.js';
import type { AutoScalingGroups, GroupCapacity } from '../runbook/ports/auto-scaling.js';
import type { ClientFactory } from './client-factory.js';
import { AUTO_SCALING_CLIENT } from './sdk-clients.js';
import { awsCall, type ErrorRule } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { AutoScalingGroups, GroupCapacity };

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

/** The Auto Scaling adapter. */
export function autoScalingGroups(clients: ClientFactory): AutoScalingGroups {
  const autoScaling = (region: string) => clients.client(AUTO_SCALING_CLIENT, region);
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
      return {
        name: groupName,
        min: group.MinSize ?? 0,
        desired: group.DesiredCapacity ?? 0,
        max: group.MaxSize ?? 0,
        inService: inService.length,
        healthyInService: inService.filter((i) => i.HealthStatus === 'Healthy').length,
        pending: instances.filter((i) => i.LifecycleState?.startsWith('Pending')).length,
        instances: instances.length,
      };
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

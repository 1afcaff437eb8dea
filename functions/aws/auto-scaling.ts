import {
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  ResourceContentionFault,
  ScalingActivityInProgressFault,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { ResourceBusyError, ResourceNotFoundError } from '../core/errors.js';
import type { CapacityProfile } from '../core/plan.js';
import type { AwsClients } from './clients.js';
import { awsCall, type ErrorRule } from './translate-error.js';

/** An Auto Scaling group's capacity as a runbook sees it. */
export interface GroupCapacity {
  readonly name: string;
  readonly min: number;
  readonly desired: number;
  readonly max: number;
  /** Instances whose lifecycle state is InService. */
  readonly inService: number;
  /** InService and Healthy: the instances that count toward a plan's `healthyPercent`. */
  readonly healthyInService: number;
  /** Instances still launching (Pending, Pending:Wait, Pending:Proceed). */
  readonly pending: number;
  /** All instances of the group, in any lifecycle state (warm pool excluded). */
  readonly instances: number;
}

/** EC2 Auto Scaling groups. Every method names the region it calls. */
export interface AutoScalingGroups {
  /** DescribeAutoScalingGroups for one group. ResourceNotFoundError when it does not exist. */
  describe(region: string, groupName: string): Promise<GroupCapacity>;
  /** UpdateAutoScalingGroup to a capacity profile. Idempotent: the same profile twice is one change. */
  update(region: string, groupName: string, capacity: CapacityProfile): Promise<void>;
}

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
export function autoScalingGroups(clients: AwsClients): AutoScalingGroups {
  return {
    async describe(region, groupName) {
      const output = await awsCall(
        { operation: 'DescribeAutoScalingGroups', region, resource: groupName },
        RULES,
        () =>
          clients
            .autoScaling(region)
            .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] })),
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
          clients.autoScaling(region).send(
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

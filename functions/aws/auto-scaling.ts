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
  /**
   * InService, Healthy to Auto Scaling and `healthy` in every target group of the group: the
   * instances that serve, and count toward a plan's `healthyPercent`. InService alone is not
   * serving: the load balancer's health checks begin at registration ("Health checks for
   * Application Load Balancer target groups", ALB User Guide). A group with no target group
   * counts InService and Healthy.
   */
  readonly healthyInService: number;
  /** Instances still launching (Pending, Pending:Wait, Pending:Proceed). */
  readonly pending: number;
  /** Of `pending`: held in `Pending:Wait` by a lifecycle hook that has not completed. */
  readonly waiting: number;
  /** InService but not (yet) healthy in a target group, with ELB's reason (`Elb.InitialHealthChecking`, ...). */
  readonly notServing: readonly {
    readonly instanceId: string;
    readonly state: string;
    readonly reason?: string;
  }[];
  /** All instances of the group, in any lifecycle state (warm pool excluded). */
  readonly instances: number;
  /** The group's warm pool configuration and size, when it has one (DescribeAutoScalingGroups). */
  readonly warmPool?: { readonly poolState: string; readonly size: number; readonly minSize: number };
}

/** A group's warm pool as DescribeWarmPool reports it. */
export interface WarmPoolView {
  readonly minSize: number;
  /** Absent: the group's MaxSize. */
  readonly maxGroupPreparedCapacity?: number;
  readonly poolState: 'Stopped' | 'Running' | 'Hibernated';
  readonly reuseOnScaleIn: boolean;
  /** Instances in the pool. */
  readonly size: number;
  /** Of them, warmed (in the pool's state, ready for a warm start), not still `Warmed:Pending`. */
  readonly warmed: number;
}

/** Launches that failed recently, from the group's scaling activities. */
export interface FailedLaunches {
  /** Failed activities among the most recent ones (at most 100). */
  readonly count: number;
  /** AWS's StatusMessage of the most recent one (e.g. InsufficientInstanceCapacity's text). */
  readonly latestMessage?: string;
}

/** EC2 Auto Scaling groups. Every method names the region it calls. */
export interface AutoScalingGroups {
  /** DescribeAutoScalingGroups for one group. ResourceNotFoundError when it does not exist. */
  describe(region: string, groupName: string): Promise<GroupCapacity>;
  /** UpdateAutoScalingGroup to a capacity profile. Idempotent: the same profile twice is one change. */
  update(region: string, groupName: string, capacity: CapacityProfile): Promise<void>;
  /** DescribeWarmPool: the group's pool, or undefined when it has none. ResourceNotFoundError for no group. */
  warmPool(region: string, groupName: string): Promise<WarmPoolView | undefined>;
  /**
   * DescribeScalingActivities: the Failed ones among the group's most recent activities started at
   * or after `sinceMs` (epoch ms), newest message first.
   */
  failedLaunches(region: string, groupName: string, sinceMs: number): Promise<FailedLaunches>;
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

const ELB_RULES: readonly ErrorRule[] = [
  {
    when: TargetGroupNotFoundException,
    as: ResourceNotFoundError,
    problem: 'target group not found',
    expected: 'the target group the Auto Scaling group names',
  },
];

/** The Auto Scaling adapter (and the target health of its groups' load balancers). */
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
      // Per target group: each target's state, read from the load balancer (what it routes to).
      const targetGroups = group.TargetGroupARNs ?? [];
      const health = await Promise.all(
        targetGroups.map(async (arn) => {
          const output = await awsCall(
            { operation: 'DescribeTargetHealth', region, resource: arn },
            ELB_RULES,
            () => clients.elb(region).send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
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
        () =>
          clients.autoScaling(region).send(new DescribeWarmPoolCommand({ AutoScalingGroupName: groupName })),
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
          clients
            .autoScaling(region)
            .send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: groupName, MaxRecords: 100 })),
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

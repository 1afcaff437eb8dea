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
import { AUTO_SCALING_CLIENT } from './sdk-clients/auto-scaling.js';
import { ELB_CLIENT } from './sdk-clients/elb.js';
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

/**
 * The most names one DescribeAutoScalingGroups takes with MaxRecords at its maximum: "By default,
 * you can only specify up to 50 names. You can optionally increase this limit using the MaxRecords
 * property"; MaxRecords: "The default value is 50 and the maximum value is 100" (EC2 Auto Scaling
 * API Reference, DescribeAutoScalingGroups,
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html).
 */
const MAX_GROUPS_PER_CALL = 100;

/** Per target group ARN: each target's state and reason, as the load balancer reports it. */
type TargetHealthByGroup = ReadonlyMap<
  string,
  ReadonlyMap<string, { readonly state: string; readonly reason?: string | undefined }>
>;

/**
 * A group's capacity from DescribeAutoScalingGroups' answer and its target groups' health: an
 * instance serves when InService, Healthy to Auto Scaling and `healthy` in every target group.
 */
function capacityOf(
  group: AutoScalingGroup,
  groupName: string,
  health: TargetHealthByGroup | 'not read',
): GroupCapacity {
  const instances = group.Instances ?? [];
  const inService = instances.filter((i) => i.LifecycleState === 'InService');
  const groupsHealth =
    health === 'not read' ? [] : (group.TargetGroupARNs ?? []).map((arn) => health.get(arn) ?? new Map());
  const notServing: { instanceId: string; state: string; reason?: string }[] = [];
  let serving = 0;
  for (const instance of inService) {
    const id = instance.InstanceId ?? '';
    const bad = groupsHealth
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
    ...(health === 'not read' ? { targetHealthRead: false as const } : {}),
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

/** The Auto Scaling adapter (and the target health of its groups' load balancers). */
export function autoScalingGroups(clients: ClientFactory): AutoScalingGroups {
  const autoScaling = (region: string) => clients.client(AUTO_SCALING_CLIENT, region);
  const elb = (region: string) => clients.client(ELB_CLIENT, region);

  /** DescribeTargetHealth of each target group (one call each: the API takes one), all at once. */
  const targetHealth = async (region: string, arns: readonly string[]): Promise<TargetHealthByGroup> =>
    new Map(
      await Promise.all(
        arns.map(async (arn) => {
          const output = await awsCall(
            { operation: 'DescribeTargetHealth', region, resource: arn },
            ELB_RULES,
            () => elb(region).send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
          );
          const byTarget = new Map(
            (output.TargetHealthDescriptions ?? []).map((d) => [
              d.Target?.Id ?? '',
              { state: d.TargetHealth?.State ?? 'unavailable', reason: d.TargetHealth?.Reason },
            ]),
          );
          return [arn, byTarget] as const;
        }),
      ),
    );

  /** The answer each GroupCapacity of `describe` was made from, for `reassess`. */
  const described = new WeakMap<GroupCapacity, { group: AutoScalingGroup; groupName: string }>();
  const capacity = (group: AutoScalingGroup, groupName: string, health: TargetHealthByGroup) => {
    const answer = capacityOf(group, groupName, health);
    described.set(answer, { group, groupName });
    return answer;
  };

  const port: AutoScalingGroups = {
    async describe(region, groupName, targetGroups = [], options = {}) {
      const withHealth = options.targetHealth !== false;
      // The plan's target groups, read beside the group (a hint: the answer says which count).
      const early = new Map(
        (withHealth ? targetGroups : []).map((arn) => [arn, targetHealth(region, [arn])] as const),
      );
      for (const read of early.values()) read.catch(() => undefined); // used only if the answer names it
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
      if (!withHealth) return capacityOf(group, groupName, 'not read');
      const named = group.TargetGroupARNs ?? [];
      const [hinted, rest] = await Promise.all([
        Promise.all(named.filter((arn) => early.has(arn)).map((arn) => early.get(arn))),
        targetHealth(
          region,
          named.filter((arn) => !early.has(arn)),
        ),
      ]);
      const health = new Map([...hinted.flatMap((byGroup) => (byGroup ? [...byGroup] : [])), ...rest]);
      return capacity(group, groupName, health);
    },

    async reassess(region, kept) {
      const source = described.get(kept);
      if (!source) return port.describe(region, kept.name);
      return capacity(
        source.group,
        source.groupName,
        await targetHealth(region, source.group.TargetGroupARNs ?? []),
      );
    },

    async describeMany(region, groupNames, options = {}) {
      // The plans' target groups, read beside the groups (a hint: the answer says which count).
      const early = new Map(
        (options.targetHealth === false ? [] : (options.targetGroups ?? [])).map(
          (arn) => [arn, targetHealth(region, [arn])] as const,
        ),
      );
      for (const read of early.values()) read.catch(() => undefined); // used only if the answer names it
      const groups: AutoScalingGroup[] = [];
      for (let i = 0; i < groupNames.length; i += MAX_GROUPS_PER_CALL) {
        const names = groupNames.slice(i, i + MAX_GROUPS_PER_CALL);
        let token: string | undefined;
        do {
          const output = await awsCall(
            { operation: 'DescribeAutoScalingGroups', region, resource: `${names.length} group(s)` },
            RULES,
            () =>
              autoScaling(region).send(
                new DescribeAutoScalingGroupsCommand({
                  AutoScalingGroupNames: names,
                  MaxRecords: MAX_GROUPS_PER_CALL,
                  ...(token ? { NextToken: token } : {}),
                }),
              ),
          );
          groups.push(...(output.AutoScalingGroups ?? []));
          token = output.NextToken;
        } while (token);
      }
      if (options.targetHealth === false)
        return new Map(
          groups.map((g) => [
            g.AutoScalingGroupName ?? '',
            capacityOf(g, g.AutoScalingGroupName ?? '', 'not read'),
          ]),
        );
      // Each target group once, however many groups register with it; a target group that
      // fails to answer fails only the groups registered with it.
      const arns = [...new Set(groups.flatMap((g) => g.TargetGroupARNs ?? []))];
      const read = await Promise.allSettled(arns.map((arn) => early.get(arn) ?? targetHealth(region, [arn])));
      const health = new Map<string, ReadonlyMap<string, { state: string; reason?: string | undefined }>>();
      const failed = new Map<string, Error>();
      read.forEach((outcome, i) => {
        const arn = arns[i] ?? '';
        if (outcome.status === 'fulfilled') for (const [k, v] of outcome.value) health.set(k, v);
        else
          failed.set(
            arn,
            outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)),
          );
      });
      return new Map(
        groups.map((g) => {
          const name = g.AutoScalingGroupName ?? '';
          const error = (g.TargetGroupARNs ?? []).map((arn) => failed.get(arn)).find((e) => e !== undefined);
          return [name, error ?? capacityOf(g, name, health)] as const;
        }),
      );
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

    update: groupUpdates(clients).update,
  };
  return port;
}

/**
 * The Auto Scaling adapter's writes alone: UpdateAutoScalingGroup, for ScaleCapacity, whose path
 * reads no group (CheckCapacity does), so that its bundle carries no Elastic Load Balancing client
 * (docs/architecture.md, "Bundles").
 */
export function groupUpdates(clients: ClientFactory): Pick<AutoScalingGroups, 'update'> {
  return {
    async update(region, groupName, { min, desired, max }) {
      await awsCall(
        { operation: 'UpdateAutoScalingGroup', region, resource: `${groupName} to ${min}/${desired}/${max}` },
        RULES,
        () =>
          clients.client(AUTO_SCALING_CLIENT, region).send(
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

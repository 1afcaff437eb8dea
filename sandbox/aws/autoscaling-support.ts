import type { Activity, Instance, LifecycleState } from '@aws-sdk/client-auto-scaling';
import type {
  TargetHealthReasonEnum,
  TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Plan } from '../../functions/core/plan.js';

/** The instance type of the sandbox's groups (the cost section of the README assumes it too). */
export const INSTANCE_TYPE = 't3.medium';
const DEFAULT_ACCOUNT = '111111111111';
/** Scaling activities kept per group: DescribeScalingActivities returns at most 100 per page. */
export const MAX_ACTIVITIES = 100;

/** An instance's lifecycle state in its group (warm pool states live in the pool). */
export type GroupLifecycle = 'Pending' | 'Pending:Wait' | 'InService' | 'Terminating';
/** An instance's lifecycle state in the warm pool. */
export type WarmLifecycle =
  | 'Warmed:Pending'
  | 'Warmed:Pending:Wait'
  | 'Warmed:Stopped'
  | 'Warmed:Running'
  | 'Warmed:Hibernated';

/** One target of a target group, as DescribeTargetHealth reports it. */
export interface TargetHealth {
  readonly state: TargetHealthStateEnum;
  readonly reason?: TargetHealthReasonEnum;
  readonly description?: string;
}

/** Where a target group's targets come from (the Auto Scaling model). */
export interface TargetSource {
  /** The targets of a target group by its ARN; undefined when no group in `region` has it. */
  targetsOf(region: string, targetGroupArn: string): { id: string; health: TargetHealth }[] | undefined;
}

/** One scaling activity of a group, as DescribeScalingActivities reports it. */
export interface ActivityRecord {
  readonly id: string;
  readonly description: string;
  readonly cause: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly status: 'Successful' | 'Failed';
  readonly message?: string;
}

/** The shape of an activity in the API. */
export function activityView(group: string, a: ActivityRecord): Activity {
  return {
    ActivityId: a.id,
    AutoScalingGroupName: group,
    Description: a.description,
    Cause: a.cause,
    StartTime: new Date(a.startMs),
    EndTime: new Date(a.endMs),
    StatusCode: a.status,
    ...(a.message ? { StatusMessage: a.message } : {}),
    Progress: 100,
  };
}

/** The shape of an instance in the API. */
export function instanceView(id: string, az: string, lifecycle: LifecycleState, health: string): Instance {
  return {
    InstanceId: id,
    InstanceType: INSTANCE_TYPE,
    AvailabilityZone: az,
    LifecycleState: lifecycle,
    HealthStatus: health,
    ProtectedFromScaleIn: false,
  };
}

/**
 * The message AWS puts on a launch that failed for want of capacity (EC2's
 * InsufficientInstanceCapacity, as the activity's StatusMessage shows it: "Troubleshoot Amazon EC2
 * Auto Scaling: EC2 instance launch failures",
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ts-as-instancelaunchfailure.html).
 */
export function insufficientCapacityMessage(az: string, otherZones: readonly string[]): string {
  return (
    `We currently do not have sufficient ${INSTANCE_TYPE} capacity in the Availability Zone you requested (${az}). ` +
    `Our system will be working on provisioning additional capacity. You can currently get ${INSTANCE_TYPE} capacity ` +
    `by not specifying an Availability Zone in your request or choosing ${otherZones.join(', ')}. Launching EC2 instance failed.`
  );
}

/** The account of the plan's ARNs (a plan spans one account), or a placeholder. */
export function planAccount(plan: Plan): string {
  const arns = [
    ...(plan.database?.auroraGlobalClusters.flatMap((c) => Object.values(c.members)) ?? []),
    ...(plan.detection?.alarms ?? []),
  ];
  for (const arn of arns) {
    const account = arn.split(':')[4];
    if (account && /^\d{12}$/.test(account)) return account;
  }
  return DEFAULT_ACCOUNT;
}

/** A stable UUID-shaped ID derived from a name (ASG ARNs carry one). */
export function uuidFrom(text: string): string {
  let hex = '';
  let seed = 0x811c9dc5;
  while (hex.length < 32) {
    let h = seed;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    hex += h.toString(16).padStart(8, '0');
    seed = (seed + 0x9e3779b9) >>> 0;
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The ARN of a group's target group: `targetgroup/NAME/ID`, the name at most 32 characters
 * (Elastic Load Balancing API Reference, CreateTargetGroup).
 */
export function targetGroupArn(region: string, account: string, groupName: string): string {
  const name = groupName
    .replace(/[^a-zA-Z0-9-]/g, '-')
    .slice(0, 32)
    .replace(/-+$/, '');
  return `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${name}/${uuidFrom(`tg/${region}/${groupName}`).replace(/-/g, '').slice(0, 16)}`;
}

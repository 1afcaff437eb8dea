import type { CapacityProfile } from '../../core/plan.js';

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

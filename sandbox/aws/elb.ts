import type {
  DescribeTargetHealthInput,
  DescribeTargetHealthOutput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TargetSource } from './autoscaling-support.js';
import {
  awsError,
  type CallTarget,
  type SimContext,
  type SimulatedService,
  UnsupportedOperationError,
} from './simulator.js';

/** The port the groups' instances serve on (the target groups' traffic and health check port). */
const TARGET_PORT = 80;

/**
 * Elastic Load Balancing (v2): each Auto Scaling group's target group, whose targets are the
 * group's InService instances (Auto Scaling registers them). `DescribeTargetHealth` answers each
 * target's state (`initial`, `healthy`, `unhealthy`, `draining`) with AWS's reason codes; the
 * health model itself lives with the instances, in {@link TargetSource} (the Auto Scaling model).
 */
export class SimulatedElb implements SimulatedService {
  readonly service = 'elb' as const;

  constructor(
    _ctx: SimContext,
    private readonly targets: TargetSource,
  ) {}

  handle(operation: string, input: Record<string, unknown>, target: CallTarget): unknown {
    if (operation === 'DescribeTargetHealth')
      return this.describeTargetHealth(input as Partial<DescribeTargetHealthInput>, target);
    throw new UnsupportedOperationError('elb', operation);
  }

  private describeTargetHealth(
    input: Partial<DescribeTargetHealthInput>,
    target: CallTarget,
  ): DescribeTargetHealthOutput {
    const arn = input.TargetGroupArn;
    const targets = arn === undefined ? undefined : this.targets.targetsOf(target.region, arn);
    if (!targets)
      throw awsError('elb', 'TargetGroupNotFoundException', `Target groups '${arn ?? '(none)'}' not found`);
    const wanted = input.Targets?.map((t) => t.Id);
    return {
      TargetHealthDescriptions: targets
        .filter((t) => !wanted || wanted.includes(t.id))
        .map((t) => ({
          Target: { Id: t.id, Port: TARGET_PORT },
          HealthCheckPort: String(TARGET_PORT),
          TargetHealth: {
            State: t.health.state,
            ...(t.health.reason ? { Reason: t.health.reason } : {}),
            ...(t.health.description ? { Description: t.health.description } : {}),
          },
        })),
    };
  }
}

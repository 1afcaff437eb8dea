import { type AwsClients, createAwsClients } from '../../functions/aws/clients.js';
import { type Plan, type PlanInput, validatePlan } from '../../functions/core/plan.js';
import { seededRandom } from '../../functions/core/random.js';
import { SimulatedAutoScaling } from '../../sandbox/aws/autoscaling.js';
import { SimulatedCloudWatch } from '../../sandbox/aws/cloudwatch.js';
import { SimulatedElb } from '../../sandbox/aws/elb.js';
import { SimulatedRds } from '../../sandbox/aws/rds.js';
import { AwsSimulator, type SimContext } from '../../sandbox/aws/simulator.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { FaultSet } from '../../sandbox/faults.js';
import { FAST } from '../../sandbox/latency.js';

export const EAST = 'us-east-1';
export const WEST = 'us-west-2';
export const GLOBAL_ID = 'orders-global';
export const EAST_ARN = 'arn:aws:rds:us-east-1:111111111111:cluster:orders-use1';
export const WEST_ARN = 'arn:aws:rds:us-west-2:111111111111:cluster:orders-usw2';
export const EAST_GROUP = 'orders-web-use1';
export const WEST_GROUP = 'orders-web-usw2';
export const ALARM_NAME = 'orders-primary-canary';
export const ALARM_ARN = `arn:aws:cloudwatch:us-west-2:111111111111:alarm:${ALARM_NAME}`;

const PLAN_INPUT: PlanInput = {
  name: 'orders',
  strategy: 'warm-standby',
  regions: [EAST, WEST],
  objectives: { rtoSeconds: 300, rpoSeconds: 30 },
  database: {
    auroraGlobalClusters: [{ globalClusterId: GLOBAL_ID, members: { [EAST]: EAST_ARN, [WEST]: WEST_ARN } }],
  },
  compute: {
    autoScalingGroups: [
      {
        name: 'orders-web',
        members: { [EAST]: EAST_GROUP, [WEST]: WEST_GROUP },
        active: { min: 6, desired: 6, max: 24 },
        standby: { min: 1, desired: 1, max: 24 },
      },
    ],
  },
  traffic: {
    route53: {
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      records: [
        {
          name: 'api.orders.example.com',
          type: 'A',
          targets: {
            [EAST]: { dnsName: 'orders-use1.elb.amazonaws.com', hostedZoneId: 'Z35SXDOTRQ7X7K' },
            [WEST]: { dnsName: 'orders-usw2.elb.amazonaws.com', hostedZoneId: 'Z1H1FL5HABSF5' },
          },
        },
      ],
    },
  },
  detection: { alarms: [ALARM_ARN], mode: 'automatic' },
};

/** The orders plan of the examples, validated like any plan; `warmPool` gives its group one. */
export function ordersPlan(warmPool?: unknown): Plan {
  const input = warmPool === undefined ? PLAN_INPUT : withWarmPool(PLAN_INPUT, warmPool);
  const result = validatePlan(input, 'harness-compute');
  if (!result.plan) throw new Error(`test plan invalid: ${JSON.stringify(result.problems)}`);
  return result.plan;
}

export interface ComputeSandbox {
  readonly clock: VirtualClock;
  readonly faults: FaultSet;
  readonly ctx: SimContext;
  readonly simulator: AwsSimulator;
  readonly clients: AwsClients;
  readonly rds: SimulatedRds;
  readonly autoscaling: SimulatedAutoScaling;
  readonly cloudwatch: SimulatedCloudWatch;
  readonly plan: Plan;
  /** Runs virtual time until `promise` settles; returns its value. */
  run<T>(promise: Promise<T>): Promise<T>;
  /** Runs virtual time until `promise` settles; returns the error it was rejected with. */
  failure(promise: Promise<unknown>): Promise<unknown>;
  /** Advances virtual time to `at` (epoch ms), firing every timer due by then. */
  until(at: number): Promise<void>;
}

function withWarmPool(input: PlanInput, warmPool: unknown): PlanInput {
  const copy = structuredClone(input);
  const [group] = copy.compute?.autoScalingGroups ?? [];
  if (group) Object.assign(group, { warmPool });
  return copy;
}

/**
 * The simulated RDS, Auto Scaling (with its groups' target groups) and CloudWatch, provisioned
 * from the orders plan (or `plan`, e.g. `ordersPlan(warmPool)`), behind real SDK clients.
 */
export function computeSandbox(seed = 1, plan: Plan = ordersPlan()): ComputeSandbox {
  const clock = new VirtualClock();
  const faults = new FaultSet();
  const ctx: SimContext = { clock, random: seededRandom(seed), latency: FAST, faults, changed: () => {} };
  const rds = new SimulatedRds(ctx);
  const autoscaling = new SimulatedAutoScaling(ctx);
  const cloudwatch = new SimulatedCloudWatch(ctx, rds);
  const simulator = new AwsSimulator(ctx);
  simulator.register(rds);
  simulator.register(autoscaling);
  simulator.register(new SimulatedElb(ctx, autoscaling));
  simulator.register(cloudwatch);
  rds.provision(plan);
  autoscaling.provision(plan);
  cloudwatch.provision(plan);
  const clients = createAwsClients({
    interceptor: simulator,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
  });
  return {
    clock,
    faults,
    ctx,
    simulator,
    clients,
    rds,
    autoscaling,
    cloudwatch,
    plan,
    run: (promise) => clock.runFor(promise),
    failure: (promise) =>
      clock.runFor(promise).then(
        () => {
          throw new Error('expected the call to fail, it succeeded');
        },
        (error: unknown) => error,
      ),
    until: (at) => clock.runUntil(at),
  };
}

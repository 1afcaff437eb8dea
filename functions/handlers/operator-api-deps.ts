import { type AsyncMethodName, lazyPort } from '../aws/lazy-port.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { ArcRoutingControls } from '../runbook/ports/arc.js';
import type { AuroraGlobalClusters, AuroraReplicationLag } from '../runbook/ports/aurora.js';
import type { AutoScalingGroups } from '../runbook/ports/auto-scaling.js';
import type { CloudWatchAlarms } from '../runbook/ports/cloudwatch.js';
import type { EventPublisher } from '../runbook/ports/events.js';
import type { Route53Records } from '../runbook/ports/route53.js';
import type { StepFunctions } from '../runbook/ports/step-functions.js';
import { type ControlPlaneConfig, coreDeps } from './control-plane.js';
import { storePorts } from './store-ports.js';

/**
 * The operator API's ports in Lambda: every port, as `deps.ts` builds them, but those over an SDK
 * client other than DynamoDB's are lazy ({@link lazyPort}): their adapter, and so their client, is a
 * chunk of the function's package loaded by the first request that calls the port (a dry run, a
 * failover's start, an abort, an evacuation's or a drill's start), never by the function's init or
 * by a request that only reads the state store (the console's reads). The sandbox composes the same
 * adapters eagerly (`deps.ts`): what a lazy port forwards to is the same adapter.
 */
export function operatorApiDeps(c: ControlPlaneConfig): RunbookDeps {
  return {
    ...coreDeps(c),
    ...storePorts(c),
    aurora: lazyPort(
      () => import('../aws/aurora.js').then((m) => m.auroraGlobalClusters(c.clients)),
      LAZY_PORT_METHODS.aurora,
    ),
    auroraLag: lazyPort(
      () => import('../aws/aurora-lag.js').then((m) => m.auroraReplicationLag(c.clients)),
      LAZY_PORT_METHODS.auroraLag,
    ),
    autoScaling: lazyPort(
      () => import('../aws/auto-scaling.js').then((m) => m.autoScalingGroups(c.clients)),
      LAZY_PORT_METHODS.autoScaling,
    ),
    route53: lazyPort(
      () => import('../aws/route53.js').then((m) => m.route53Records(c.clients)),
      LAZY_PORT_METHODS.route53,
    ),
    arc: lazyPort(
      () => import('../aws/arc.js').then((m) => m.arcRoutingControls(c.clients, c.random)),
      LAZY_PORT_METHODS.arc,
    ),
    alarms: lazyPort(
      () => import('../aws/cloudwatch.js').then((m) => m.cloudWatchAlarms(c.clients)),
      LAZY_PORT_METHODS.alarms,
    ),
    stepFunctions: lazyPort(
      () => import('../aws/step-functions.js').then((m) => m.stepFunctions(c.clients)),
      LAZY_PORT_METHODS.stepFunctions,
    ),
    events: lazyPort(
      () => import('../aws/events.js').then((m) => m.eventPublisher(c.clients, c.eventBusName)),
      LAZY_PORT_METHODS.events,
    ),
  };
}

/**
 * The methods of each lazy port: exactly its adapter's (optional ones included, since callers test
 * their presence); test/aws/lazy-port.test.ts compares each list with the adapter's own.
 */
export const LAZY_PORT_METHODS: {
  readonly aurora: readonly AsyncMethodName<AuroraGlobalClusters>[];
  readonly auroraLag: readonly AsyncMethodName<AuroraReplicationLag>[];
  readonly autoScaling: readonly AsyncMethodName<AutoScalingGroups>[];
  readonly route53: readonly AsyncMethodName<Route53Records>[];
  readonly arc: readonly AsyncMethodName<ArcRoutingControls>[];
  readonly alarms: readonly AsyncMethodName<CloudWatchAlarms>[];
  readonly stepFunctions: readonly AsyncMethodName<StepFunctions>[];
  readonly events: readonly AsyncMethodName<EventPublisher>[];
} = {
  aurora: [
    'describeGlobalCluster',
    'switchover',
    'failover',
    'detach',
    'instances',
    'addReader',
    'removeInstances',
    'describeCluster',
    'describeGlobalClusters',
    'describeClusters',
  ],
  auroraLag: ['replicationLagMs', 'lastReplicationLag', 'replicationLagsMs'],
  autoScaling: ['describe', 'describeMany', 'reassess', 'warmPool', 'failedLaunches', 'update'],
  route53: [
    'listFailoverRecords',
    'setPrimary',
    'setPrimaryMany',
    'getChangeStatus',
    'healthCheckStatus',
    'getHealthCheck',
  ],
  arc: ['getStates', 'listStates', 'setActive'],
  alarms: ['alarmStates', 'latestDatapoint', 'latestDatapoints'],
  stepFunctions: ['start', 'describe', 'stop', 'sendTaskSuccess', 'stateMachineStatus', 'sendTaskFailure'],
  events: ['publish'],
};

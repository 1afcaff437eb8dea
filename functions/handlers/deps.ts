import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { type AwsClients, createAwsClients } from '../aws/clients.js';
import { cloudWatchAlarms } from '../aws/cloudwatch.js';
import { dnsAnswers } from '../aws/dns.js';
import { evacuationStore } from '../aws/evacuations.js';
import { eventPublisher } from '../aws/events.js';
import { readinessResults } from '../aws/readiness-results.js';
import { reconcileMarks } from '../aws/reconcile-marks.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Plan } from '../core/plan.js';
import { planRegistry } from '../core/plan-registry.js';
import { type Random, systemRandom } from '../core/random.js';
import type { RunbookDeps } from '../runbook/context.js';
import { readLambdaEnvironment } from './environment.js';

/** What a control plane is built from: its region, plans, clients, time and randomness. */
export interface ControlPlaneConfig {
  readonly region: string;
  readonly plans: readonly Plan[];
  readonly clients: AwsClients;
  readonly tableName: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly stateMachineArns: RunbookDeps['stateMachineArns'];
  readonly eventBusName?: string;
}

/**
 * The composition root: every adapter bound to one region's clients. Lambda builds it once per cold
 * start from its environment; the sandbox builds one per simulated region with its own clients.
 */
export function buildRunbookDeps(config: ControlPlaneConfig): RunbookDeps {
  const { clients, region, clock, random } = config;
  return {
    region,
    plans: planRegistry(config.plans),
    clock,
    random,
    store: stateStore({ clients, tableName: config.tableName, region, clock }),
    marks: reconcileMarks({ clients, tableName: config.tableName, region }),
    readiness: readinessResults({ clients, tableName: config.tableName, region }),
    evacuations: evacuationStore({ clients, tableName: config.tableName, region }),
    aurora: auroraGlobalClusters(clients),
    autoScaling: autoScalingGroups(clients),
    route53: route53Records(clients),
    dns: dnsAnswers((r) => clients.dns(r)),
    arc: arcRoutingControls(clients, random),
    traffic: trafficSwitch({ clients, tableName: config.tableName, region }),
    alarms: cloudWatchAlarms(clients),
    stepFunctions: stepFunctions(clients),
    events: eventPublisher(clients, config.eventBusName),
    stateMachineArns: config.stateMachineArns,
  };
}

let lambdaDeps: RunbookDeps | undefined;

/** The deps of a function running in AWS Lambda, from its environment (parsed once). */
export function lambdaRunbookDeps(): RunbookDeps {
  if (!lambdaDeps) {
    const env = readLambdaEnvironment();
    lambdaDeps = buildRunbookDeps({
      region: env.region,
      plans: env.plans,
      clients: createAwsClients(),
      tableName: env.tableName,
      clock: systemClock,
      random: systemRandom,
      stateMachineArns: env.stateMachineArns,
      eventBusName: env.eventBusName,
    });
  }
  return lambdaDeps;
}

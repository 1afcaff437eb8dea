import { type ClientFactory, createClientFactory } from '../aws/client-factory.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Plan } from '../core/plan.js';
import { planRegistry } from '../core/plan-registry.js';
import { type Random, systemRandom } from '../core/random.js';
import type { RunbookDeps } from '../runbook/context.js';
import { readLambdaEnvironment } from './environment.js';

/**
 * The composition root's context: what a control plane is built from. Each Lambda entry composes
 * the ports its use case takes (its `...Deps` type) from this, calling the adapters' own factories,
 * so that its bundle carries only the adapters, and so the SDK clients, it uses
 * (docs/architecture.md, "Bundles"). This module imports no adapter; `deps.ts` builds every port
 * (the sandbox and the operator API).
 */

/** What a control plane is built from: its region, plans, clients, time and randomness. */
export interface ControlPlaneConfig {
  readonly region: string;
  readonly plans: readonly Plan[];
  /** The one client factory (the sandbox passes its `AwsClients`, which is one). */
  readonly clients: ClientFactory;
  readonly tableName: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly stateMachineArns: RunbookDeps['stateMachineArns'];
  readonly eventBusName?: string;
}

/** The part of {@link RunbookDeps} that is context, not a port: no adapter, no SDK client. */
export type CoreDeps = Pick<RunbookDeps, 'region' | 'plans' | 'clock' | 'random' | 'stateMachineArns'>;

export function coreDeps(config: ControlPlaneConfig): CoreDeps {
  return {
    region: config.region,
    plans: planRegistry(config.plans),
    clock: config.clock,
    random: config.random,
    stateMachineArns: config.stateMachineArns,
  };
}

let lambdaConfig: ControlPlaneConfig | undefined;

/** The control plane of a function running in AWS Lambda, from its environment (parsed once). */
export function lambdaControlPlane(): ControlPlaneConfig {
  if (!lambdaConfig) {
    const env = readLambdaEnvironment();
    lambdaConfig = {
      region: env.region,
      plans: env.plans,
      clients: createClientFactory(),
      tableName: env.tableName,
      clock: systemClock,
      random: systemRandom,
      stateMachineArns: env.stateMachineArns,
      eventBusName: env.eventBusName,
    };
  }
  return lambdaConfig;
}

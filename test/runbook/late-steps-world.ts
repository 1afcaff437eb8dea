import { join } from 'node:path';
import { expect } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { planRegistry } from '../../functions/core/plan-registry.js';
import { beginExecution } from '../../functions/runbook/begin.js';
import type { RunContext } from '../../functions/runbook/context.js';
import type { GlobalClusterView } from '../../functions/runbook/ports/aurora.js';
import type { GroupCapacity } from '../../functions/runbook/ports/auto-scaling.js';
import type { TrafficBatches } from '../../functions/runbook/ports/traffic-batches.js';
import type { TrafficSwitch } from '../../functions/runbook/ports/traffic-switch.js';
import { type PreparedResource, shiftTraffic } from '../../functions/runbook/traffic.js';
import { verifyService } from '../../functions/runbook/verify.js';
import {
  fakeAlarms,
  fakeArc,
  fakeAurora,
  fakeAutoScaling,
  fakeClock,
  fakeDns,
  fakeEvents,
  fakeRoute53,
  fakeStepFunctions,
  fakeStore,
} from './fakes.js';

/**
 * A world for unit tests of the later runbook steps: a control plane in TARGET with in-memory
 * fakes of every port (fakes.ts), the app served from SOURCE, and helpers that run a run up to a
 * step. Used by preflight-verify.test.ts and traffic-finish.test.ts.
 */

export const SOURCE = 'us-east-1';
export const TARGET = 'us-west-2';

/** The repository's plans (orders: ARC; billing: Route 53 failover records). */
const plans: Plan[] = await loadPlans(join(import.meta.dirname, '../../plans'));

/** Each global cluster of `plan` with its writer in `writerRegion`. */
export function clustersOf(plan: Plan, writerRegion: string): Record<string, GlobalClusterView> {
  const views: Record<string, GlobalClusterView> = {};
  for (const cluster of plan.database?.auroraGlobalClusters ?? []) {
    views[cluster.globalClusterId] = {
      id: cluster.globalClusterId,
      status: 'available',
      members: Object.entries(cluster.members).map(([region, clusterArn]) => ({
        clusterArn,
        region,
        isWriter: region === writerRegion,
      })),
      writerRegion,
    };
  }
  return views;
}

/** The ARN of `plan`'s runbook in `region`, as the stack names it. */
/** No run of this world is part of an evacuation: its traffic queue is never used. */
const unexpectedTrafficBatches: TrafficBatches = {
  enqueue: async () => {
    throw new Error('fake traffic batches: not expected (no evacuation here)');
  },
  get: async () => undefined,
  list: async () => [],
  transition: async () => undefined,
};

function runbook(plan: Plan, region: string): string {
  const name = plan.strategy === 'warm-standby' ? 'WarmStandbyRunbook' : 'PilotLightRunbook';
  return `arn:aws:states:${region}:111111111111:stateMachine:${name}`;
}

/**
 * A control plane in the target region with fakes of every port these steps call. The app starts
 * served from SOURCE: writer, traffic (routing controls, Route 53 PRIMARY, DNS answer) and the
 * active capacity there; the target's groups have `targetHealthy` healthy instances.
 */
export function setup(app: 'orders' | 'billing', options: { targetHealthy?: number; writer?: string } = {}) {
  const plan = plans.find((p) => p.name === app) as Plan;
  const clock = fakeClock();
  const state = fakeStore(clock, TARGET);
  const groups: Record<string, Partial<GroupCapacity>> = {};
  for (const group of plan.compute?.autoScalingGroups ?? []) {
    const healthy: Record<string, number> = {
      [SOURCE]: group.active.desired,
      [TARGET]: options.targetHealthy ?? 0,
    };
    for (const [region, name] of Object.entries(group.members)) {
      const n = healthy[region] ?? 0;
      // The plan's warm pool, as deployed: the active profile's desired less the group's.
      const pool = group.warmPool
        ? { warmPool: { poolState: group.warmPool.poolState, size: group.active.desired - n, minSize: 0 } }
        : {};
      groups[`${region}/${name}`] = { desired: n, inService: n, healthyInService: n, ...pool };
    }
  }
  const autoScaling = fakeAutoScaling(groups);
  const aurora = fakeAurora(clustersOf(plan, options.writer ?? SOURCE), 1_500);
  const controls = plan.traffic.arc?.routingControls ?? {};
  const arc = fakeArc(
    Object.fromEntries(
      Object.entries(controls).map(([region, arn]) => [arn, region === SOURCE ? 'On' : 'Off']),
    ),
  );
  const route53 = fakeRoute53(SOURCE);
  const dns = fakeDns(Object.fromEntries((plan.traffic.route53?.records ?? []).map((r) => [r.name, SOURCE])));
  const events = fakeEvents();
  const traffic: TrafficSwitch = {
    get: async () => undefined,
    set: async () => {
      throw new Error('fake traffic switch: not expected (no plan here uses health checks)');
    },
  };
  const deps = {
    region: TARGET,
    plans: planRegistry(plans),
    clock,
    random: { next: () => 0.5 },
    stateMachineArns: { [plan.strategy]: runbook(plan, TARGET) },
    stepFunctions: fakeStepFunctions(plan.regions.map((region) => runbook(plan, region))),
    store: state.store,
    autoScaling: autoScaling.port,
    aurora: aurora.port,
    auroraLag: aurora.lag,
    arc: arc.port,
    route53: route53.port,
    dns: dns.port,
    alarms: fakeAlarms(),
    events: events.port,
    traffic,
    trafficBatches: unexpectedTrafficBatches,
  };
  return { plan, clock, state, autoScaling, aurora, arc, route53, dns, events, deps };
}

export type Env = ReturnType<typeof setup>;

export async function begun(env: Env, mode: 'graceful' | 'ungraceful' = 'graceful'): Promise<RunContext> {
  const executionId = 'exec-1';
  const input = {
    request: {
      plan: env.plan.name,
      targetRegion: TARGET,
      mode,
      trigger: 'operator',
      requestedBy: 'alice',
      reason: 'unit test',
      executionId,
    },
    executionArn: `arn:aws:states:${TARGET}:111111111111:execution:Runbook:${executionId}`,
  };
  return (await beginExecution(input, env.deps)).run;
}

/** Takes the app's lock over for another holder: the run under test has lost it. */
export async function loseLock(env: Env, run: RunContext): Promise<void> {
  await env.state.store.releaseLock(run.app, run.executionId, run.epoch);
  await env.state.store.acquireLock(run.app, 'exec-other', 60_000);
}

/** Every resource of the plan, prepared READY (what the Map hands ShiftTraffic). */
export function allReady(plan: Plan): PreparedResource[] {
  return [
    ...(plan.database?.auroraGlobalClusters ?? []).map((c) => ({
      resource: { kind: 'database' as const, id: c.globalClusterId },
      status: 'READY' as const,
    })),
    ...(plan.compute?.autoScalingGroups ?? []).map((g) => ({
      resource: { kind: 'capacity' as const, id: g.name },
      status: 'READY' as const,
    })),
  ];
}

/** Moves the world to TARGET (writer, capacity, DNS), as the earlier steps and Route 53 would. */
export function servedFromTarget(env: Env): void {
  env.aurora.clusters['orders-global'] = clustersOf(env.plan, TARGET)['orders-global'] as GlobalClusterView;
  env.autoScaling.groups[`${TARGET}/orders-web-usw2`] = { desired: 6, inService: 6, healthyInService: 6 };
  env.dns.answers['api.orders.example.com'] = TARGET;
}

/** A promotion of the global cluster under way (RDS reports a pending failover on it). */
export function promotionUnderWay(env: Env): void {
  const view = env.aurora.clusters['orders-global'] as GlobalClusterView;
  env.aurora.clusters['orders-global'] = {
    ...view,
    failover: {
      status: 'pending',
      fromClusterArn: view.members[0]?.clusterArn ?? '',
      toClusterArn: view.members[1]?.clusterArn ?? '',
      isDataLossAllowed: false,
    },
  };
}

/** Runs a run through to verified service (Verify recorded SUCCEEDED), traffic on the target. */
export async function verified(env: Env): Promise<RunContext> {
  const run = await begun(env);
  servedFromTarget(env);
  const shifted = await shiftTraffic({ run, prepared: allReady(env.plan), unreachableRegions: [] }, env.deps);
  const progress = await verifyService({ run, progress: shifted }, env.deps);
  expect(progress.done).toBe(true);
  return run;
}

import * as z from 'zod';
import { isoNow } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import { capacityReadiness } from './capacity.js';
import {
  nextPoll,
  Progress,
  parseInput,
  type RunbookDeps,
  RunContext,
  recordOutcome,
  stepKey,
} from './context.js';

const VerifyInput = z.object({ run: RunContext, progress: Progress });

/** What a verification saw: each check and whether it holds. */
export interface Observation {
  readonly writer: boolean | undefined;
  readonly capacity: boolean | undefined;
  readonly routing: boolean | undefined;
  readonly notes: string[];
}

/**
 * VerifyService: the target region serves: every global cluster's writer is there, capacity is at
 * its threshold, and routing points there (the routing control is On, or Route 53's PRIMARY is
 * the target). Polls until all hold, bounded.
 */
export async function verifyService(input: unknown, deps: RunbookDeps): Promise<Progress> {
  const { run, progress } = parseInput(VerifyInput, input, 'VerifyService');
  const plan = deps.plans.get(run.app);
  const seen = await observe(plan, run.to, run.mode, deps);
  if (seen.writer === true && seen.capacity === true && seen.routing === true) {
    const now = isoNow(deps.clock);
    await recordOutcome(run, deps, stepKey('VerifyService'), {
      name: 'VerifyService',
      status: 'SUCCEEDED',
      startedAt: progress.startedAt,
      finishedAt: now,
      detail: { verifiedAt: now },
    });
    return { ...progress, done: true, detail: { verifiedAt: now } };
  }
  return nextPoll(progress, `verification of ${run.to} (${seen.notes.join('; ')})`, {
    detail: { notes: seen.notes },
  });
}

/**
 * Where the writer, the capacity and the routing of a plan stand, seen from `region`. Each is
 * `true`, `false`, or `undefined` when it could not be known (a read failed, or a promotion is
 * under way): a caller must not act on what it does not know.
 */
export async function observe(
  plan: Plan,
  region: string,
  mode: RunContext['mode'],
  deps: Pick<RunbookDeps, 'aurora' | 'autoScaling' | 'arc' | 'route53'>,
): Promise<Observation> {
  const notes: string[] = [];
  const unknown = (what: string, error: unknown) => {
    notes.push(`${what} unknown (${describeError(error).name})`);
    return undefined;
  };
  let writer: boolean | undefined = true;
  for (const cluster of plan.database?.auroraGlobalClusters ?? []) {
    const arn = memberIn(cluster.members, region);
    const seen = await writerIn(cluster.globalClusterId, arn, region, deps).catch((e: unknown) =>
      unknown(`${cluster.globalClusterId} writer`, e),
    );
    if (seen === undefined) writer = undefined;
    else if (seen !== true) {
      if (writer !== undefined) writer = seen === 'moving' ? undefined : false;
      notes.push(
        `${cluster.globalClusterId}: ${seen === 'moving' ? 'a promotion is under way' : `no writer in ${region}`}`,
      );
    }
  }
  let capacity: boolean | undefined = true;
  for (const group of plan.compute?.autoScalingGroups ?? []) {
    const readiness = await capacityReadiness(group, { to: region }, deps).catch((e: unknown) =>
      unknown(`${group.name} capacity`, e),
    );
    if (!readiness) capacity = undefined;
    else if (!(readiness.ready || (mode === 'ungraceful' && readiness.minimumMet))) {
      if (capacity !== undefined) capacity = false;
      notes.push(`${group.name} at ${readiness.healthyPercent}% healthy`);
    }
  }
  const routing = await routingTo(plan, region, deps, notes).catch((e: unknown) => unknown('routing', e));
  return { writer, capacity, routing, notes };
}

/** `true` when the cluster in `region` is the writer (of the global cluster, or detached and alone). */
async function writerIn(
  globalClusterId: string,
  arn: string,
  region: string,
  deps: Pick<RunbookDeps, 'aurora'>,
): Promise<true | false | 'moving'> {
  const view = await deps.aurora.describeGlobalCluster(region, globalClusterId);
  if (view.failover) return 'moving';
  const member = view.members.find((m) => m.clusterArn === arn);
  if (member) return member.isWriter;
  // Not a member: a detached, standalone cluster is a writer of its own.
  const standalone = await deps.aurora.describeCluster(region, arn);
  return !standalone.globalClusterId && standalone.status === 'available';
}

async function routingTo(
  plan: Plan,
  region: string,
  deps: Pick<RunbookDeps, 'arc' | 'route53'>,
  notes: string[],
): Promise<boolean> {
  const arc = plan.traffic.arc;
  if (arc) {
    const states = await deps.arc.getStates(arc.clusterEndpoints, Object.values(arc.routingControls));
    const on = states[memberIn(arc.routingControls, region)] === 'On';
    if (!on) notes.push(`routing control of ${region} is not On`);
    return on;
  }
  let routed = true;
  if (plan.traffic.route53) {
    const { hostedZoneId, records } = plan.traffic.route53;
    for (const record of records) {
      const current = await deps.route53.listFailoverRecords(hostedZoneId, record.name, record.type);
      const primary = current.find((r) => r.failover === 'PRIMARY');
      if (primary?.setIdentifier !== region) {
        routed = false;
        notes.push(`${record.name} PRIMARY is ${primary?.setIdentifier ?? 'missing'}`);
      }
    }
  }
  return routed;
}

import * as z from 'zod';
import { isoNow } from '../core/clock.js';
import type { Plan } from '../core/plan.js';
import { capacityReadiness } from './capacity.js';
import {
  nextPoll,
  Progress,
  parseInput,
  type RunbookDeps,
  RunContext,
  recordStep,
  stepKey,
} from './context.js';

const VerifyInput = z.object({ run: RunContext, progress: Progress });

/** What a verification saw: each check and whether it holds. */
export interface Observation {
  readonly writer: boolean;
  readonly capacity: boolean;
  readonly routing: boolean;
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
  if (seen.writer && seen.capacity && seen.routing) {
    const now = isoNow(deps.clock);
    await recordStep(run, deps, stepKey('VerifyService'), {
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

/** Where the writer, the capacity and the routing of a plan stand, seen from `region`. */
export async function observe(
  plan: Plan,
  region: string,
  mode: RunContext['mode'],
  deps: Pick<RunbookDeps, 'aurora' | 'autoScaling' | 'arc' | 'route53'>,
): Promise<Observation> {
  const notes: string[] = [];
  let writer = true;
  for (const cluster of plan.database?.auroraGlobalClusters ?? []) {
    const arn = cluster.members[region] as string;
    const view = await deps.aurora
      .describeGlobalCluster(region, cluster.globalClusterId)
      .catch(() => undefined);
    const member = view?.members.find((m) => m.clusterArn === arn);
    if (member) {
      if (!member.isWriter || view?.failover) {
        writer = false;
        notes.push(`${cluster.globalClusterId} writer is in ${view?.writerRegion ?? 'no region'}`);
      }
      continue;
    }
    // Not a member: a detached, standalone cluster is a writer of its own.
    const standalone = await deps.aurora.describeCluster(region, arn).catch(() => undefined);
    if (!standalone || standalone.globalClusterId || standalone.status !== 'available') {
      writer = false;
      notes.push(`${cluster.globalClusterId} has no writer in ${region}`);
    }
  }
  let capacity = true;
  for (const group of plan.compute?.autoScalingGroups ?? []) {
    const readiness = await capacityReadiness(group, { to: region }, deps);
    if (!(readiness.ready || (mode === 'ungraceful' && readiness.minimumMet))) {
      capacity = false;
      notes.push(`${group.name} at ${readiness.healthyPercent}% healthy`);
    }
  }
  let routing = true;
  const arc = plan.traffic.arc;
  if (arc) {
    const states = await deps.arc.getStates(arc.clusterEndpoints, Object.values(arc.routingControls));
    routing = states[arc.routingControls[region] as string] === 'On';
    if (!routing) notes.push(`routing control of ${region} is not On`);
  } else if (plan.traffic.route53) {
    const { hostedZoneId, records } = plan.traffic.route53;
    for (const record of records) {
      const current = await deps.route53.listFailoverRecords(hostedZoneId, record.name, record.type);
      const primary = current.find((r) => r.failover === 'PRIMARY');
      if (primary?.setIdentifier !== region) {
        routing = false;
        notes.push(`${record.name} PRIMARY is ${primary?.setIdentifier ?? 'missing'}`);
      }
    }
  }
  return { writer, capacity, routing, notes };
}

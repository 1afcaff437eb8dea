import * as z from 'zod';
import { isoNow } from '../core/clock.js';
import { PreconditionFailedError, ReplicationLagTooHighError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import {
  fence,
  parseInput,
  type ResourceItem,
  type RunbookDeps,
  RunContext,
  recordStep,
  stepKey,
} from './context.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type PreflightDeps = Pick<
  RunbookDeps,
  'arc' | 'aurora' | 'autoScaling' | 'clock' | 'plans' | 'route53' | 'store'
>;

const PreflightInput = z.object({ run: RunContext });

export interface PreflightResult {
  /** One Map iteration per resource: every global cluster and every Auto Scaling group. */
  readonly resources: ResourceItem[];
  /** Replication lag per secondary cluster seen in the target region, in ms. */
  readonly lagMs: Record<string, number | null>;
}

/**
 * Preflight, in the target region only: every resource of the plan exists there and can fail
 * over. A graceful switchover also needs the source healthy and replication lag under the RPO.
 * Every problem found is reported at once.
 */
export async function preflight(input: unknown, deps: PreflightDeps): Promise<PreflightResult> {
  const { run } = parseInput(PreflightInput, input, 'Preflight');
  const startedAt = isoNow(deps.clock);
  // On record before any check, so that a Preflight that fails is in `steps` with its error.
  await recordStep(run, deps, stepKey('Preflight'), { name: 'Preflight', status: 'RUNNING', startedAt });
  await fence(run, deps);
  const plan = deps.plans.get(run.app);
  const problems: string[] = [];
  const lagMs: Record<string, number | null> = {};

  for (const cluster of plan.database?.auroraGlobalClusters ?? []) {
    const targetArn = memberIn(cluster.members, run.to);
    const view = await deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId);
    const member = view.members.find((m) => m.clusterArn === targetArn);
    if (!member) {
      // Already detached and promoted by an earlier attempt: a standalone writer is a done promotion.
      const standalone = await deps.aurora.describeCluster(run.to, targetArn).catch(() => undefined);
      if (!standalone || standalone.globalClusterId) {
        problems.push(
          `${cluster.globalClusterId}: ${targetArn} is not a member (got ${view.members.map((m) => m.clusterArn).join(', ') || 'no members'})`,
        );
      }
      continue;
    }
    if (member.isWriter) continue; // already promoted: the database step will find it done
    const lag = await deps.aurora.replicationLagMs(run.to, targetArn, deps.clock.now(), cluster.engine);
    lagMs[cluster.globalClusterId] = lag ?? null;
    if (run.mode === 'graceful') {
      if (view.status !== 'available')
        problems.push(
          `${cluster.globalClusterId}: status ${view.status}, expected available for a switchover`,
        );
      if (lag !== undefined && lag > plan.objectives.rpoSeconds * 1000) {
        throw new ReplicationLagTooHighError(
          `${plan.name}: ${cluster.globalClusterId} replication lag into ${run.to} is ${lag} ms, expected under the RPO objective of ${plan.objectives.rpoSeconds} s`,
        );
      }
    }
  }

  for (const group of plan.compute?.autoScalingGroups ?? []) {
    await deps.autoScaling.describe(run.to, memberIn(group.members, run.to));
    if (run.mode === 'graceful') {
      const source = await deps.autoScaling.describe(run.from, memberIn(group.members, run.from));
      const healthy = source.desired === 0 ? 0 : (100 * source.healthyInService) / source.desired;
      if (healthy < group.healthyPercent) {
        problems.push(
          `${group.name}: source ${run.from} is not healthy (${source.healthyInService}/${source.desired} InService), expected ${group.healthyPercent}% for a graceful switchover; use ungraceful`,
        );
      }
    }
  }

  await checkTrafficReadable(plan, deps);

  if (problems.length > 0) {
    throw new PreconditionFailedError(`${plan.name}: preflight in ${run.to} failed: ${problems.join('; ')}`);
  }
  const resources: ResourceItem[] = [
    ...(plan.database?.auroraGlobalClusters ?? []).map((c) => ({
      kind: 'database' as const,
      id: c.globalClusterId,
    })),
    ...(plan.compute?.autoScalingGroups ?? []).map((g) => ({ kind: 'capacity' as const, id: g.name })),
  ];
  await recordStep(run, deps, stepKey('Preflight'), {
    name: 'Preflight',
    status: 'SUCCEEDED',
    startedAt,
    finishedAt: isoNow(deps.clock),
    detail: { resources: resources.length, lagMs },
  });
  return { resources, lagMs };
}

/** The traffic mechanism answers: ARC through its cluster endpoints, else Route 53's records. */
async function checkTrafficReadable(plan: Plan, deps: PreflightDeps): Promise<void> {
  const arc = plan.traffic.arc;
  if (arc) {
    await deps.arc.getStates(arc.clusterEndpoints, Object.values(arc.routingControls));
    return;
  }
  const route53 = plan.traffic.route53;
  if (!route53) return;
  for (const record of route53.records) {
    const records = await deps.route53.listFailoverRecords(route53.hostedZoneId, record.name, record.type);
    if (records.length === 0) {
      throw new PreconditionFailedError(
        `${plan.name}: no failover records for ${record.name} ${record.type} in ${route53.hostedZoneId}`,
      );
    }
  }
}

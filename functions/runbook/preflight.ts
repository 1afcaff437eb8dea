import * as z from 'zod';
import type { UnreachableRegions } from '../aws/arc.js';
import { isoNow } from '../core/clock.js';
import { PreconditionFailedError, ReplicationLagTooHighError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { memberIn } from '../core/plan-registry.js';
import {
  fence,
  knownUnreachable,
  parseInput,
  type ResourceItem,
  type RunbookDeps,
  RunContext,
  recordStep,
  stepKey,
} from './context.js';

const PreflightInput = z.object({ run: RunContext });

export interface PreflightResult {
  /** One Map iteration per resource: every global cluster and every Auto Scaling group. */
  readonly resources: ResourceItem[];
  /** Replication lag per secondary cluster seen in the target region, in ms. */
  readonly lagMs: Record<string, number | null>;
  /** Regions whose ARC cluster endpoint did not answer (or are suspected): later steps try them last. */
  readonly unreachableRegions: string[];
}

/**
 * Preflight, in the target region only: every resource of the plan exists there and can fail
 * over. A graceful switchover also needs the source healthy and replication lag under the RPO.
 * Every problem found is reported at once.
 */
export async function preflight(input: unknown, deps: RunbookDeps): Promise<PreflightResult> {
  const { run } = parseInput(PreflightInput, input, 'Preflight');
  const startedAt = isoNow(deps.clock);
  // On record before any check, so that a Preflight that fails is in `steps` with its error.
  // Both writes at once (they are independent items' conditions), and before any check ends.
  await Promise.all([
    recordStep(run, deps, stepKey('Preflight'), { name: 'Preflight', status: 'RUNNING', startedAt }),
    fence(run, deps),
  ]);
  const plan = deps.plans.get(run.app);
  const problems: string[] = [];
  const lagMs: Record<string, number | null> = {};
  const unreachable = knownUnreachable(run);

  // Every read is independent of the others: all at once, so Preflight costs the slowest read, not
  // the sum of them (each is a round trip of its own API).
  const clusterChecks = (plan.database?.auroraGlobalClusters ?? []).map(async (cluster) => {
    const targetArn = memberIn(cluster.members, run.to);
    // The lag is read alongside; its failure counts only where the lag is needed (a secondary).
    const lagRead = deps.aurora.replicationLagMs(run.to, targetArn, deps.clock.now(), cluster.engine).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const [view, lagOutcome] = await Promise.all([
      deps.aurora.describeGlobalCluster(run.to, cluster.globalClusterId),
      lagRead,
    ]);
    const member = view.members.find((m) => m.clusterArn === targetArn);
    if (!member) {
      // Already detached and promoted by an earlier attempt: a standalone writer is a done promotion.
      const standalone = await deps.aurora.describeCluster(run.to, targetArn).catch(() => undefined);
      if (!standalone || standalone.globalClusterId) {
        problems.push(
          `${cluster.globalClusterId}: ${targetArn} is not a member (got ${view.members.map((m) => m.clusterArn).join(', ') || 'no members'})`,
        );
      }
      return;
    }
    if (member.isWriter) return; // already promoted: the database step will find it done
    if ('error' in lagOutcome) throw lagOutcome.error;
    const lag = lagOutcome.value;
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
  });

  const groupChecks = (plan.compute?.autoScalingGroups ?? []).map(async (group) => {
    const [, source] = await Promise.all([
      deps.autoScaling.describe(run.to, memberIn(group.members, run.to)),
      run.mode === 'graceful'
        ? deps.autoScaling.describe(run.from, memberIn(group.members, run.from))
        : undefined,
    ]);
    if (!source) return;
    const healthy = source.desired === 0 ? 0 : (100 * source.healthyInService) / source.desired;
    if (healthy < group.healthyPercent) {
      problems.push(
        `${group.name}: source ${run.from} is not healthy (${source.healthyInService}/${source.desired} InService), expected ${group.healthyPercent}% for a graceful switchover; use ungraceful`,
      );
    }
  });

  // allSettled, then the first error in plan order: the same error whatever finishes first.
  const settled = await Promise.allSettled([
    ...clusterChecks,
    ...groupChecks,
    checkTrafficReadable(plan, deps, unreachable),
  ]);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;

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
  return { resources, lagMs, unreachableRegions: [...unreachable] };
}

/**
 * The traffic mechanism answers: ARC through its cluster endpoints; with the health-checks method,
 * the traffic switch in this region's replica and the zone's name servers (data planes only:
 * nothing in us-east-1); else Route 53's records through its control plane.
 */
async function checkTrafficReadable(
  plan: Plan,
  deps: RunbookDeps,
  unreachable: UnreachableRegions,
): Promise<void> {
  const arc = plan.traffic.arc;
  if (arc) {
    await deps.arc.getStates(arc.clusterEndpoints, Object.values(arc.routingControls), unreachable);
    return;
  }
  const route53 = plan.traffic.route53;
  if (!route53) return;
  if (route53.method === 'health-checks') {
    await deps.traffic.get(plan.name);
    await Promise.all(
      route53.records.map(async (record) => {
        if ((await deps.dns.answeredRegion(deps.region, record)) === null)
          throw new PreconditionFailedError(
            `${plan.name}: the name servers answer nothing for ${record.name} ${record.type} (got no answer; expected the failover records created at deploy)`,
          );
      }),
    );
    return;
  }
  await Promise.all(
    route53.records.map(async (record) => {
      const records = await deps.route53.listFailoverRecords(route53.hostedZoneId, record.name, record.type);
      if (records.length === 0) {
        throw new PreconditionFailedError(
          `${plan.name}: no failover records for ${record.name} ${record.type} in ${route53.hostedZoneId}`,
        );
      }
    }),
  );
}

import { isoNow } from '../core/clock.js';
import { PreconditionFailedError, ReplicationLagTooHighError, TransientAwsError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import * as z from '../core/zod.js';
import { type AppObservation, isKnown, type Seen, type Unknown } from '../observer/observe.js';
import type { ReadinessContext } from '../readiness/checks.js';
import { evaluate, readInputs } from '../readiness/readiness.js';
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
import type { UnreachableRegions } from './ports/arc.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type PreflightDeps = Pick<
  RunbookDeps,
  | 'alarms'
  | 'arc'
  | 'aurora'
  | 'autoScaling'
  | 'clock'
  | 'dns'
  | 'plans'
  | 'region'
  | 'route53'
  | 'stateMachineArns'
  | 'stepFunctions'
  | 'store'
  | 'traffic'
>;

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
 * Preflight: the readiness evaluation (functions/readiness/) of this run's target in its mode,
 * so a failover refuses exactly what readiness reports as blocking (a target being rebuilt after
 * an ungraceful failover, lag over the RPO, a missing secondary, ...). Every blocking finding is
 * reported at once; warnings go on the step's detail. A read that failed with a retryable error
 * is thrown as such (the ASL retries), never taken as a finding.
 */
export async function preflight(input: unknown, deps: PreflightDeps): Promise<PreflightResult> {
  const { run } = parseInput(PreflightInput, input, 'Preflight');
  const startedAt = isoNow(deps.clock);
  // On record before any check, so that a Preflight that fails is in `steps` with its error.
  // Both writes at once (they are independent items' conditions), and before any check ends.
  await Promise.all([
    recordStep(run, deps, stepKey('Preflight'), { name: 'Preflight', status: 'RUNNING', startedAt }),
    fence(run, deps),
  ]);
  const plan = deps.plans.get(run.app);
  const unreachable = knownUnreachable(run);
  // The traffic mechanism is read alongside the evaluation's reads (independent round trips).
  const trafficRead = checkTrafficReadable(plan, deps, unreachable).then(
    () => undefined,
    (error: unknown) => error,
  );
  // One rule set: the readiness evaluation, in this run's mode, from this run's source, with this
  // execution's own lock and progress not counted against it. Ungraceful reads the target only
  // (the source may be down, and waiting out its timeouts would count against the RTO).
  const inputs = await readInputs(
    plan,
    run.mode === 'graceful' ? plan.regions : [run.to],
    deps,
    run.executionId,
  );
  const seen = inputs.observation;
  const retryable =
    retryableUnknown(seen, run.mode === 'graceful' ? [run.to, run.from] : [run.to]) ??
    retryableRunbook(inputs.context.runbooks[run.to]);
  if (retryable) throw new TransientAwsError(`${plan.name}: preflight in ${run.to}: ${retryable}`);
  const { findings } = evaluate({
    ...inputs.context,
    source: run.from,
    observation: seen,
    target: run.to,
    mode: run.mode,
  });
  const blocking = findings.filter((f) => f.severity === 'blocking');
  const lagMs: Record<string, number | null> = {};
  for (const cluster of seen.clusters) {
    const there = cluster.regions[run.to];
    if (there && isKnown(there) && there.lagMs !== undefined)
      lagMs[cluster.globalClusterId] = isKnown(there.lagMs) ? (there.lagMs ?? null) : null;
  }
  const lag = blocking.find((f) => f.code === 'REPLICATION_LAG_OVER_RPO');
  if (lag) throw new ReplicationLagTooHighError(`${plan.name}: ${lag.message}`);
  const problems = blocking.map((f) => `${f.code} ${f.message}`);

  const trafficError = await trafficRead;
  if (trafficError) throw trafficError;

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
    detail: {
      resources: resources.length,
      lagMs,
      ...(findings.length > 0
        ? { findings: findings.map((f) => `${f.severity} ${f.code}: ${f.message}`) }
        : {}),
    },
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
  deps: PreflightDeps,
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

/** The first retryable unknown about `regions` (or traffic), if any. */
export function retryableUnknown(seen: AppObservation, regions: readonly string[]): string | undefined {
  const all: Seen<unknown>[] = [seen.traffic.region];
  for (const region of regions) {
    for (const cluster of seen.clusters) all.push(cluster.regions[region]);
    for (const group of seen.capacity) all.push(group.regions[region]);
  }
  return all.find((value): value is Unknown => isUnknown(value) && value.retryable === true)?.unknown;
}

/** The target runbook's status read failed retryably (throttled, transient): its note, else undefined. */
function retryableRunbook(runbook: ReadinessContext['runbooks'][string] | undefined): string | undefined {
  const status = runbook?.status;
  return status !== undefined && isUnknown(status) && status.retryable === true ? status.unknown : undefined;
}

function isUnknown(value: unknown): value is Unknown {
  return typeof value === 'object' && value !== null && 'unknown' in value;
}

import { isoNow } from '../core/clock.js';
import {
  PreconditionFailedError,
  ReplicationLagTooHighError,
  ThrottledError,
  TransientAwsError,
} from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import type { StepRecord } from '../core/records.js';
import * as z from '../core/zod.js';
import { type AppObservation, isKnown, isUnknown, type Seen, type Unknown } from '../observer/observe.js';
import type { ReadinessContext, ReadinessFinding } from '../readiness/checks.js';
import { evaluate, type ReadinessInputs, readInputs } from '../readiness/readiness.js';
import {
  fence,
  knownUnreachable,
  parseInput,
  type ReadPark,
  type ResourceItem,
  type RunbookDeps,
  RunContext,
  recordStep,
  sharedReader,
  stepKey,
} from './context.js';
import type { UnreachableRegions } from './ports/arc.js';
import { READ_PARK_SECONDS } from './read-park.js';
import { resourcesOf } from './resources.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type PreflightDeps = Pick<
  RunbookDeps,
  | 'alarms'
  | 'arc'
  | 'aurora'
  | 'auroraLag'
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

/**
 * How old a request's dry run may be, in seconds (virtual in the sandbox, real in AWS), for
 * Preflight to decide on it instead of reading again: the request is answered, reserved and
 * started within about a second, so a reading older than this means something was slow or retried,
 * and Preflight reads for itself.
 */
export const DRY_RUN_REUSE_SECONDS = 5;
/**
 * How long before its reads a released lock must have been released for a dry run to be reusable,
 * in milliseconds: a margin for the clocks of two Lambdas (the releasing one and the API's).
 */
const RELEASE_MARGIN_MS = 1_000;

const Finding = z.object({
  code: z.string().check(z.minLength(1)),
  severity: z.enum(['blocking', 'warning']),
  resource: z.string(),
  message: z.string(),
});

/**
 * Preflight's evaluation of a run made from the reads of the failover request's dry run
 * (functions/operator-api/request-failover.ts), handed to the runbook in its input
 * (`FailoverRequest.dryRun`) so that Preflight does not make the same reads again a second later.
 * It is what AWS and the state table answered to those reads, never something we wrote; Preflight
 * decides on it only when {@link reusableDryRun} says nothing can have moved since.
 */
export const DryRunReading = z.object({
  /** ISO time the reads were issued. */
  readAt: z.string().check(z.minLength(1)),
  target: z.string().check(z.minLength(1)),
  mode: z.enum(['graceful', 'ungraceful']),
  /** The active region the reads found recorded: the run's `from` must be the same. */
  source: z.string().check(z.minLength(1)),
  /**
   * The lock epoch the reads found (0: no lock item), the lock free since before the reads: the
   * run must hold the next epoch, so no other execution held the lock between the reads and the
   * reservation.
   */
  lockEpoch: z.int().check(z.nonnegative()),
  /** Preflight's findings: every check, evaluated as the run's own (its lock no finding). */
  findings: z.array(Finding).check(z.maxLength(200)),
  /** Replication lag per secondary cluster seen in the target region, in ms. */
  lagMs: z.record(z.string(), z.nullable(z.number())),
});
export type DryRunReading = z.infer<typeof DryRunReading>;

/**
 * The region poller's answer to Preflight's park for a shared read (functions/runbook/read-park.ts,
 * `SharedObservation`): the app's observation as AWS answered it at `readAt`, or no observation
 * (no poller could be started: Preflight reads for itself).
 */
const SharedRead = z.looseObject({
  woken: z.literal(true),
  by: z.string(),
  observation: z.optional(
    z.looseObject({
      at: z.string(),
      clusters: z.array(z.unknown()),
      capacity: z.array(z.unknown()),
      traffic: z.looseObject({}),
    }),
  ),
  readAt: z.optional(z.string()),
});

type SharedRead = z.infer<typeof SharedRead>;

/**
 * The park's Task failed or timed out (its Catch's error): nobody read, so Preflight parks again
 * (within {@link PREFLIGHT_PARK_WINDOW_SECONDS}) or reads.
 */
const ParkFailed = z.looseObject({ Error: z.string() });

const PreflightInput = z.object({
  run: RunContext,
  /**
   * A reading made for Preflight: Begin's pass-through of the request's dry run (null when the
   * starter made none), or, after Preflight parked for one (`AwaitPreflightRead`), the region
   * poller's shared read or the park's error.
   */
  dryRun: z.optional(z.nullable(z.union([DryRunReading, SharedRead, ParkFailed]))),
});

/**
 * What Preflight answers instead of its result when it parks for the region poller's next read
 * of its app (`$.preflight.park`: the runbook's AwaitPreflightRead state parks on it, then runs
 * Preflight again with the read in `dryRun`).
 */
export interface PreflightPark {
  readonly park: ReadPark;
}

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
 *
 * When the failover request's dry run made these reads a moment ago and nothing can have moved
 * since ({@link reusableDryRun}), Preflight decides on that reading instead of reading again, and
 * writes its step entry and renews the lock in one round (the reads were the step's cost: 0.4 s).
 */
export async function preflight(input: unknown, deps: PreflightDeps): Promise<PreflightResult> {
  const { run, dryRun } = parseInput(PreflightInput, input, 'Preflight');
  const startedAt = isoNow(deps.clock);
  const plan = deps.plans.get(run.app);
  const unreachable = knownUnreachable(run);
  const now = deps.clock.now();
  const { request, shared } = readingsOf(dryRun);
  // A dry run that found something blocking is not decided on: a refusal (and a retry after it,
  // e.g. of lag over the RPO) rests on Preflight's own reads of now.
  const reused =
    request && reusableDryRun(request, run, now) && !request.findings.some((f) => f.severity === 'blocking')
      ? request
      : undefined;
  let evaluation: PreflightEvaluation;
  if (reused) {
    evaluation = { findings: reused.findings, lagMs: reused.lagMs };
  } else {
    // The region poller's read, when Preflight parked for one and it is fresh; else its own.
    const observed = shared?.observation && freshSharedRead(shared.readAt, now) ? shared : undefined;
    // On record before any check, so that a Preflight that fails is in `steps` with its error.
    // Both writes at once (they are independent items' conditions), and before any check ends.
    await Promise.all([
      recordStep(run, deps, stepKey('Preflight'), { name: 'Preflight', status: 'RUNNING', startedAt }),
      fence(run, deps),
    ]);
    evaluation = await readAndEvaluate(
      plan,
      run,
      deps,
      unreachable,
      observed?.observation as AppObservation | undefined,
    );
    if (observed) evaluation = { ...evaluation, sharedReadAt: observed.readAt as string };
  }
  const { findings } = evaluation;
  const blocking = findings.filter((f) => f.severity === 'blocking');
  const lag = blocking.find((f) => f.code === 'REPLICATION_LAG_OVER_RPO');
  if (lag) throw new ReplicationLagTooHighError(`${plan.name}: ${lag.message}`);
  if (evaluation.trafficError) throw evaluation.trafficError;
  if (blocking.length > 0) {
    const problems = blocking.map((f) => `${f.code} ${f.message}`);
    throw new PreconditionFailedError(`${plan.name}: preflight in ${run.to} failed: ${problems.join('; ')}`);
  }
  const { result, step } = passed(plan, evaluation, startedAt, deps, unreachable, reused);
  const succeeded = recordStep(run, deps, stepKey('Preflight'), step);
  // A reused reading wrote nothing yet: the entry and the fence go together, as one round.
  await (reused ? Promise.all([succeeded, fence(run, deps)]) : succeeded);
  return result;
}

/**
 * The Preflight state: {@link preflight}, or, when many runs fail over into this region at once
 * ({@link sharedReader} is the region's poller) and the request's dry run cannot be decided on, a
 * park for the poller's next read of the app ({@link PreflightPark}: the runbook's
 * AwaitPreflightRead state parks, and runs Preflight again with the read in `dryRun`). A hundred
 * Preflights reading for themselves at once keep RDS and Auto Scaling throttled for minutes; the
 * poller reads them all in one batch per pass. After a park its answer, or the park's error, is in
 * `dryRun`: a fresh read is decided on; a park that timed out unanswered (the poller's reads were
 * throttled) or a read gone stale parks again, until {@link PREFLIGHT_PARK_WINDOW_SECONDS} after
 * the request, and then Preflight reads for itself. Step Functions' retry of a Preflight whose own
 * reads AWS throttled runs this again with the same `dryRun`, so it too parks while the window lasts.
 */
export async function preflightOrPark(
  input: unknown,
  deps: PreflightDeps,
): Promise<PreflightResult | PreflightPark> {
  const { run, dryRun } = parseInput(PreflightInput, input, 'Preflight');
  const now = deps.clock.now();
  if (sharedReader(run, deps.plans) === 'region' && parksAgain(run, readingsOf(dryRun), now))
    return {
      park: {
        read: run.mode === 'graceful' ? 'preflight-graceful' : 'preflight-ungraceful',
        seconds: READ_PARK_SECONDS,
      },
    };
  return preflight(input, deps);
}

/**
 * How long after the request (the run's `requestedAt`) Preflight, served by its region's poller,
 * parks for the poller's read rather than read AWS itself, in seconds (virtual in the sandbox, real
 * in AWS): a park whose timeout passed unanswered (the poller's reads were throttled: it answers
 * nobody from those), or whose answer went stale before Preflight ran, parks again instead. Two
 * hundred requests' dry runs keep RDS's bucket empty for about 20 s; a Preflight reading for itself
 * then, and on every one of its 10 throttled retries (about 8 calls each, both regions), kept it
 * empty for two minutes (docs/performance.md, "Apps scale and the idle hour"). Past this window
 * Preflight reads for itself, with its retries, as without a poller: every wait still ends.
 */
export const PREFLIGHT_PARK_WINDOW_SECONDS = 120;

/**
 * Whether Preflight parks (again) for the region poller's read instead of deciding now: it has no
 * reading it may decide on (the request's dry run fresh, for this run, nothing blocking; or the
 * poller's read, fresh), the poller could be started (a park answered without an observation says
 * none could: it reads for itself), and the run was requested less than
 * {@link PREFLIGHT_PARK_WINDOW_SECONDS} ago. `now` in epoch ms.
 */
function parksAgain(run: RunContext, readings: ReturnType<typeof readingsOf>, now: number): boolean {
  const { request, shared } = readings;
  const decidable =
    request !== undefined &&
    reusableDryRun(request, run, now) &&
    !request.findings.some((f) => f.severity === 'blocking');
  if (decidable) return false;
  if (shared && !shared.observation) return false; // no poller could be started
  if (shared && freshSharedRead(shared.readAt, now)) return false;
  return now - Date.parse(run.requestedAt) < PREFLIGHT_PARK_WINDOW_SECONDS * 1000;
}

/** Preflight's `dryRun` input by kind: the request's reading, the poller's answer, or the park's error. */
function readingsOf(dryRun: z.infer<typeof PreflightInput>['dryRun']): {
  readonly request?: DryRunReading;
  readonly shared?: SharedRead;
} {
  if (!dryRun) return {};
  if ('woken' in dryRun && dryRun.woken === true) return { shared: dryRun as SharedRead };
  if ('Error' in dryRun && typeof dryRun.Error === 'string') return {}; // the park failed: nobody read
  return { request: dryRun as DryRunReading };
}

/**
 * Preflight decided on the request's dry run by Begin, when it may be ({@link reusableDryRun})
 * and nothing blocks: Preflight's result and its SUCCEEDED step entry, for Begin to write with
 * its own (Begin's lock adoption is the fence). Undefined otherwise: the Preflight state runs.
 */
export function preflightByBegin(
  run: RunContext,
  dryRun: DryRunReading | undefined,
  startedAt: string,
  deps: Pick<RunbookDeps, 'clock' | 'plans'>,
): { readonly result: PreflightResult; readonly step: StepRecord } | undefined {
  if (!dryRun || !reusableDryRun(dryRun, run, deps.clock.now())) return undefined;
  if (dryRun.findings.some((f) => f.severity === 'blocking')) return undefined; // Preflight reads
  const evaluation = { findings: dryRun.findings, lagMs: dryRun.lagMs };
  const plan = deps.plans.get(run.app);
  return passed(plan, evaluation, startedAt, deps, knownUnreachable(run), dryRun, 'BeginExecution');
}

/** A Preflight that passed: its result (the resources to prepare) and its step entry. */
function passed(
  plan: Plan,
  evaluation: PreflightEvaluation,
  startedAt: string,
  deps: Pick<RunbookDeps, 'clock'>,
  unreachable: UnreachableRegions,
  reused: DryRunReading | undefined,
  by?: string,
): { readonly result: PreflightResult; readonly step: StepRecord } {
  const { findings, lagMs } = evaluation;
  const resources = resourcesOf(plan);
  const step: StepRecord = {
    name: 'Preflight',
    status: 'SUCCEEDED',
    startedAt,
    finishedAt: isoNow(deps.clock),
    detail: {
      resources: resources.length,
      lagMs,
      ...(reused ? { readBy: "the request's dry run", readAt: reused.readAt } : {}),
      ...(evaluation.sharedReadAt
        ? { readBy: 'the region poller (RunEvacuation)', readAt: evaluation.sharedReadAt }
        : {}),
      ...(by ? { decidedBy: by } : {}),
      ...(findings.length > 0
        ? { findings: findings.map((f) => `${f.severity} ${f.code}: ${f.message}`) }
        : {}),
    },
  };
  return { result: { resources, lagMs, unreachableRegions: [...unreachable] }, step };
}

/** What Preflight decides on: its findings, the lag it saw, and a traffic mechanism that did not answer. */
interface PreflightEvaluation {
  readonly findings: readonly ReadinessFinding[];
  readonly lagMs: Record<string, number | null>;
  readonly trafficError?: unknown;
  /** ISO time of the region poller's read it was evaluated from, when it was. */
  readonly sharedReadAt?: string;
}

/**
 * Preflight's own reads: the readiness inputs, in this run's mode, from this run's source, with
 * the traffic mechanism read alongside (independent round trips).
 * @throws TransientAwsError when a read the decision needs failed retryably
 */
async function readAndEvaluate(
  plan: Plan,
  run: RunContext,
  deps: PreflightDeps,
  unreachable: UnreachableRegions,
  observation?: AppObservation,
): Promise<PreflightEvaluation> {
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
    // Its routing control read too tries down endpoints last, and learns; a shared read, when
    // Preflight has a fresh one, is taken instead of observing again.
    { unreachable, ...(observation ? { observation } : {}) },
  );
  const evaluation = preflightEvaluation(inputs, { ...run, source: run.from, self: run.executionId });
  // Throttled: Step Functions asks again with backoff for longer than after another transient
  // fault (its own retrier in the runbooks), since many runs at once may keep a bucket empty.
  if (evaluation.retryable)
    throw new (evaluation.throttled ? ThrottledError : TransientAwsError)(
      `${plan.name}: preflight in ${run.to}: ${evaluation.retryable}`,
    );
  return { ...evaluation, trafficError: await trafficRead };
}

/**
 * Preflight's evaluation of one set of readiness inputs: every check, as the run `self` in `mode`
 * toward `to` from `source`; the lag per secondary cluster seen in the target; and the first read
 * that failed retryably (Preflight retries rather than decide on it). Pure.
 */
export function preflightEvaluation(
  inputs: ReadinessInputs,
  run: {
    readonly to: string;
    readonly mode: RunContext['mode'];
    readonly source: string;
    readonly self: string;
  },
): PreflightEvaluation & { readonly retryable?: string; readonly throttled?: boolean } {
  const seen = inputs.observation;
  const unknown = firstRetryableUnknown(seen, run.mode === 'graceful' ? [run.to, run.source] : [run.to]);
  const retryable = unknown?.unknown ?? retryableRunbook(inputs.context.runbooks[run.to]);
  const { findings } = evaluate({
    ...inputs.context,
    self: run.self,
    source: run.source,
    observation: seen,
    target: run.to,
    mode: run.mode,
  });
  const lagMs: Record<string, number | null> = {};
  for (const cluster of seen.clusters) {
    const there = cluster.regions[run.to];
    if (there && isKnown(there) && there.lagMs !== undefined)
      lagMs[cluster.globalClusterId] = isKnown(there.lagMs) ? (there.lagMs ?? null) : null;
  }
  return {
    findings,
    lagMs,
    ...(retryable ? { retryable } : {}),
    ...(unknown?.throttled ? { throttled: true } : {}),
  };
}

/**
 * Whether the region poller's read (ISO `readAt`) is fresh enough for Preflight to decide on at
 * `now` (epoch ms): no older than {@link DRY_RUN_REUSE_SECONDS}, the age of a request's dry run
 * that Preflight decides on.
 */
export function freshSharedRead(readAt: unknown, now: number): boolean {
  if (typeof readAt !== 'string') return false;
  const age = now - Date.parse(readAt);
  return age >= 0 && age <= DRY_RUN_REUSE_SECONDS * 1000;
}

/**
 * Whether Preflight may decide on the request's dry run instead of reading again: it evaluated
 * this run's target and mode from the source the run records, no more than
 * {@link DRY_RUN_REUSE_SECONDS} ago, and the run holds the lock epoch right after the one the
 * reads found free, so no other execution held the lock, and nothing a runbook moves can have
 * moved, between the reads and this run. AWS changing on its own (a fault) is no different from
 * it changing just after Preflight's own reads.
 */
export function reusableDryRun(reading: DryRunReading, run: RunContext, now: number): boolean {
  const age = now - Date.parse(reading.readAt);
  return (
    reading.target === run.to &&
    reading.mode === run.mode &&
    reading.source === run.from &&
    run.epoch === reading.lockEpoch + 1 &&
    age >= 0 &&
    age <= DRY_RUN_REUSE_SECONDS * 1000
  );
}

/**
 * The dry run's reading for Preflight, or undefined when Preflight must read for itself: a read
 * failed retryably, the traffic mechanism did not answer, or the lock the reads found was not free
 * since before they were issued (a run that just ended may have moved something the reads missed).
 * `readAt` is when the reads were issued (epoch ms).
 */
export function dryRunReading(
  inputs: ReadinessInputs,
  run: { readonly to: string; readonly mode: RunContext['mode']; readonly self: string },
  readAt: number,
  trafficReadable: boolean,
): DryRunReading | undefined {
  const { lock, source } = inputs.context;
  const freeSince = !lock
    ? 0
    : lock.released
      ? Date.parse(lock.releasedAt ?? '')
      : lock.leaseExpiresAt < readAt
        ? lock.leaseExpiresAt
        : Number.NaN;
  if (!trafficReadable || !(freeSince + RELEASE_MARGIN_MS < readAt)) return undefined;
  const evaluation = preflightEvaluation(inputs, { ...run, source });
  if (evaluation.retryable) return undefined;
  return {
    readAt: new Date(readAt).toISOString(),
    target: run.to,
    mode: run.mode,
    source,
    lockEpoch: lock?.epoch ?? 0,
    findings: evaluation.findings.map((f) => ({ ...f })),
    lagMs: evaluation.lagMs,
  };
}

/**
 * Whether the observation shows the traffic mechanism answering as Preflight requires: every
 * routing control read through ARC's endpoints; with the health-checks method, the switch read and
 * every record answered by the name servers. Route 53 records plans are read by
 * {@link failoverRecordsExist} (Route 53's API, which the observation does not call).
 */
export function trafficAnswered(plan: Plan, seen: AppObservation): boolean {
  const { routingControls, dns, switchRegion } = seen.traffic;
  if (plan.traffic.arc) return routingControls !== undefined && Object.values(routingControls).every(isKnown);
  const route53 = plan.traffic.route53;
  if (route53?.method === 'health-checks')
    return (
      switchRegion !== undefined &&
      isKnown(switchRegion) &&
      dns !== undefined &&
      Object.values(dns).every((a) => isKnown(a) && a !== null)
    );
  return true;
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
  await failoverRecordsExist(plan, deps);
}

/**
 * Route 53 records plans: every record of the plan has failover records in its zone, read through
 * Route 53's API (its control plane, in us-east-1). Nothing to read for other methods.
 * @throws PreconditionFailedError a record has none; the adapter's errors, unchanged
 */
export async function failoverRecordsExist(plan: Plan, deps: Pick<RunbookDeps, 'route53'>): Promise<void> {
  const route53 = plan.traffic.route53;
  if (!route53 || route53.method === 'health-checks' || plan.traffic.arc) return;
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

/** The first retryable unknown about `regions` (or traffic), if any: its note. */
export function retryableUnknown(seen: AppObservation, regions: readonly string[]): string | undefined {
  return firstRetryableUnknown(seen, regions)?.unknown;
}

/**
 * The first retryable unknown about `regions` (or traffic), if any, whole: whether it was
 * throttled (`throttled`) says whether reading again later may answer.
 */
export function firstRetryableUnknown(seen: AppObservation, regions: readonly string[]): Unknown | undefined {
  const all: Seen<unknown>[] = [seen.traffic.region];
  for (const region of regions) {
    for (const cluster of seen.clusters) all.push(cluster.regions[region]);
    for (const group of seen.capacity) all.push(group.regions[region]);
  }
  return all.find((value): value is Unknown => isUnknown(value) && value.retryable === true);
}

/** The target runbook's status read failed retryably (throttled, transient): its note, else undefined. */
function retryableRunbook(runbook: ReadinessContext['runbooks'][string] | undefined): string | undefined {
  const status = runbook?.status;
  return status !== undefined && isUnknown(status) && status.retryable === true ? status.unknown : undefined;
}

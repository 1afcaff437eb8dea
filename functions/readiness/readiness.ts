import { describeError, SwitchyardError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { initialPrimary } from '../core/plan-queries.js';
import { assertPlanRegion } from '../core/plan-registry.js';
import type { FailoverMode } from '../core/records.js';
import { type AppObservation, isKnown, observeApp, type Seen } from '../observer/observe.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { UnreachableRegions } from '../runbook/ports/arc.js';
import type { DnsSample } from '../runbook/ports/dns.js';
import type { ReadinessVerdict } from '../runbook/ports/readiness-results.js';
import { runbookArnIn } from '../runbook/runbook-arns.js';
import { type CapacityTime, capacityTime } from './capacity-time.js';
import {
  READINESS_CHECKS,
  type ReadinessCheck,
  type ReadinessContext,
  type ReadinessFinding,
} from './checks.js';
import { readHealthChecks } from './health-checks.js';

/** How often readiness is evaluated in every region, in minutes (AWS Region switch: every 30). */
export const READINESS_EVERY_MINUTES = 5;

/** The readiness of an app toward one target region, now. */
export interface Readiness {
  readonly app: string;
  readonly region: string;
  readonly mode: FailoverMode;
  readonly verdict: ReadinessVerdict;
  /** Blocking findings first, each group in check order. */
  readonly findings: readonly ReadinessFinding[];
  /** ISO time of the observation it was evaluated from. */
  readonly at: string;
  /**
   * Per Auto Scaling group read in the target: the expected time to its active profile with and
   * without its warm pool ({@link capacityTime}, figures in `capacity-time.ts`), in seconds.
   */
  readonly capacityTime: readonly CapacityTime[];
}

/** What readiness reads through: the observer's adapters, the state store, CloudWatch. */
export type ReadinessDeps = Pick<
  RunbookDeps,
  | 'region'
  | 'clock'
  | 'aurora'
  | 'auroraLag'
  | 'autoScaling'
  | 'arc'
  | 'dns'
  | 'traffic'
  | 'route53'
  | 'store'
  | 'alarms'
  | 'stepFunctions'
  | 'stateMachineArns'
>;

/**
 * Evaluates the checks over one context. Pure: NOT_READY when any finding is blocking.
 */
export function evaluate(
  context: ReadinessContext,
  checks: readonly ReadinessCheck[] = READINESS_CHECKS,
): Pick<Readiness, 'verdict' | 'findings'> {
  const findings = checks.flatMap((check) => check(context));
  const sorted = [
    ...findings.filter((f) => f.severity === 'blocking'),
    ...findings.filter((f) => f.severity === 'warning'),
  ];
  return { verdict: sorted.some((f) => f.severity === 'blocking') ? 'NOT_READY' : 'READY', findings: sorted };
}

/** The records and readings every target of one app shares, read once. */
export interface ReadinessInputs {
  readonly observation: AppObservation;
  readonly context: Omit<ReadinessContext, 'target' | 'mode' | 'observation'>;
}

/** What {@link readInputs} reads beyond what every evaluation needs. */
export interface ReadOptions {
  /**
   * Read the health-checks method's records and Route 53 health checks (control-plane calls to
   * us-east-1): the scheduled and on-demand evaluations do; a failover's dry run and Preflight do
   * not (a failover makes no Route 53 API call, and would wait out us-east-1's timeouts).
   */
  readonly healthChecks?: boolean;
  /**
   * The drill summaries of the apps being evaluated, read at once (`store.lastPassedDrills`): an
   * app found there is not queried for its drill reports.
   */
  readonly drillSummaries?: ReadonlyMap<string, string | null>;
  /**
   * Regions whose ARC cluster endpoints are known (or suspected) not to answer: the routing
   * control read tries them last, and the set is kept current as the ARC adapter keeps it
   * (functions/aws/arc.ts, `endpointOrder`), so a caller can carry what it learnt onwards.
   */
  readonly unreachable?: UnreachableRegions;
  /**
   * Read the replication lag and the warm pools beside the reads they follow (`observeApp`'s
   * `eager`): one round of reads. A single request's dry run does; mass reads do not.
   */
  readonly eager?: boolean;
  /**
   * Read how many of each warm pool's instances are warmed (DescribeWarmPool, one group a call;
   * default true). The pool's existence and size are in the group's own answer; what this adds is
   * only the WARM_POOL_NOT_WARMED warning. A failover request's dry run leaves it out when many
   * plans fail over into the target region, as the region poller's shared read does.
   */
  readonly warmPools?: boolean;
  /**
   * An observation of the app already read for this evaluation (the region poller's shared read
   * that Preflight parked for: functions/runbook/read-park.ts), made of what AWS answered and no
   * older than its caller allows: taken instead of observing the app again.
   */
  readonly observation?: AppObservation;
  /**
   * A scheduled evaluation's turn (its start over {@link READINESS_EVERY_MINUTES}): each record
   * is asked of one of the zone's name servers in turn, expecting the recorded active region, and
   * of every server when that one answers otherwise (`DnsSample`, functions/runbook/ports/dns.ts).
   * Absent: every server is asked.
   */
  readonly dnsTurn?: number;
}

/**
 * Reads what readiness needs about `plan`, in parallel: the observer (with replication lag) over
 * `regions`, the STATE and LOCK items, the last PASSED drill and the detection alarms, and with
 * `options.healthChecks` the Route 53 health checks. A failed read of a record is unknown
 * (findings say so), never a guess.
 */
export async function readInputs(
  plan: Plan,
  regions: readonly string[],
  deps: ReadinessDeps,
  self?: string,
  options: ReadOptions = {},
): Promise<ReadinessInputs> {
  const stateRead = deps.store.getState(plan.name);
  let dnsSample: DnsSample | undefined;
  if (options.dnsTurn !== undefined && !options.observation) {
    const expect = stateRead.then((s) => s?.activeRegion ?? initialPrimary(plan));
    expect.catch(() => undefined); // a failed read expects nothing: every server is asked
    dnsSample = { expect, turn: options.dnsTurn };
  }
  const [observation, state, lock, lastDrill, missingAlarms, runbooks, healthChecks] = await Promise.all([
    options.observation ??
      observeApp(plan, regions, deps, {
        lag: true,
        warmPools: options.warmPools ?? true,
        ...(options.unreachable ? { unreachable: options.unreachable } : {}),
        ...(options.eager ? { eager: true } : {}),
        ...(dnsSample ? { dnsSample } : {}),
      }),
    stateRead,
    deps.store.getLock(plan.name),
    lastPassedDrill(plan, deps, options.drillSummaries),
    missingAlarmsOf(plan, deps),
    runbooksOf(plan, regions, deps),
    options.healthChecks ? readHealthChecks(plan, deps) : undefined,
  ]);
  return {
    observation,
    context: {
      plan,
      source: state?.activeRegion ?? initialPrimary(plan),
      state,
      lock,
      ...(self ? { self } : {}),
      lastDrillAt: lastDrill.at,
      ...(lastDrill.readSince ? { drillsReadSince: lastDrill.readSince } : {}),
      missingAlarms,
      runbooks,
      ...(healthChecks !== undefined ? { healthChecks } : {}),
      now: deps.clock.now(),
    },
  };
}

/**
 * The readiness of `plan` toward `target` in `mode`, from inputs read once ({@link readInputs}).
 */
export function readinessFrom(
  inputs: ReadinessInputs,
  target: string,
  mode: FailoverMode,
  checks: readonly ReadinessCheck[] = READINESS_CHECKS,
): Readiness {
  const { verdict, findings } = evaluate(
    { ...inputs.context, observation: inputs.observation, target, mode },
    checks,
  );
  return {
    app: inputs.context.plan.name,
    region: target,
    mode,
    verdict,
    findings,
    at: inputs.observation.at,
    capacityTime: capacityTimes(inputs.context.plan, inputs.observation, target),
  };
}

/** The expected capacity time of every group in `target` whose reading is known. */
function capacityTimes(plan: Plan, observation: AppObservation, target: string): CapacityTime[] {
  return observation.capacity.flatMap((group) => {
    const spec = plan.compute?.autoScalingGroups.find((g) => g.name === group.group);
    const there = group.regions[target];
    return spec && there && isKnown(there) ? [capacityTime(spec, there)] : [];
  });
}

/**
 * On demand (`GET /apps/{app}/readiness`, the dry run of a failover request): the readiness of
 * `app` toward `to` (default: every plan region but the recorded active one), in `mode` (default
 * graceful). Read-only: nothing is recorded.
 *
 * @throws UnknownAppError / UnknownRegionError for an app or region not in the plans
 */
export async function readinessOf(
  app: string,
  deps: ReadinessDeps & Pick<RunbookDeps, 'plans'>,
  options: { readonly to?: string; readonly mode?: FailoverMode } = {},
): Promise<Readiness[]> {
  const plan = deps.plans.get(app);
  if (options.to !== undefined) assertPlanRegion(plan, options.to);
  const inputs = await readInputs(plan, plan.regions, deps, undefined, { healthChecks: true });
  return targetsOf(plan, inputs, options.to).map((target) =>
    readinessFrom(inputs, target, options.mode ?? 'graceful'),
  );
}

/** `to`, or every plan region but the recorded active one. */
export function targetsOf(plan: Plan, inputs: ReadinessInputs, to: string | undefined): string[] {
  return to !== undefined ? [to] : plan.regions.filter((r) => r !== inputs.context.source);
}

/**
 * The app's last PASSED drill: `at`, its ISO time, null when none, unknown when the read failed.
 * From the app's drill summary when `summaries` (read for many apps at once) has it; else from its
 * reports (`store.lastPassedDrillSince`: newest first until a PASSED one, bounded by time to the
 * plan's `drills.maxAgeDays`, since one older than that is stale anyway), noting an exact answer
 * as its summary so that later evaluations read that instead. `readSince` (ISO) is set when none
 * PASSED since then and older reports were left unread: `at` is null for "none that recent", not
 * "none on record", and nothing is noted.
 */
async function lastPassedDrill(
  plan: Plan,
  deps: ReadinessDeps,
  summaries?: ReadonlyMap<string, string | null>,
): Promise<{ at: Seen<string | null>; readSince?: string }> {
  if (!plan.drills) return { at: null };
  const summary = summaries?.get(plan.name);
  if (summary !== undefined) return { at: summary };
  const notBefore = new Date(deps.clock.now() - plan.drills.maxAgeDays * 86_400_000).toISOString();
  try {
    const found = await deps.store.lastPassedDrillSince(plan.name, notBefore);
    if ('noneSince' in found) return { at: null, readSince: found.noneSince };
    // Only a scheduled evaluation (which read the summaries) notes it; a lost note is read again.
    if (summaries)
      await deps.store.noteLastPassedDrill?.(plan.name, found.lastPassedAt).catch(() => undefined);
    return { at: found.lastPassedAt };
  } catch (error: unknown) {
    const { name, message } = describeError(error);
    return { at: { unknown: `drill reports: ${name}: ${message}` } };
  }
}

/**
 * Per region, the plan's runbook there (the ARN this control plane starts it by, moved to that
 * region) and its DescribeStateMachine status, or unknown when the read failed or no runbook is
 * configured for the plan's strategy.
 */
async function runbooksOf(
  plan: Plan,
  regions: readonly string[],
  deps: ReadinessDeps,
): Promise<ReadinessContext['runbooks']> {
  const entries = await Promise.all(
    regions.map(async (region): Promise<[string, ReadinessContext['runbooks'][string]]> => {
      try {
        const arn = runbookArnIn(plan, region, deps);
        try {
          return [region, { arn, status: await deps.stepFunctions.stateMachineStatus(region, arn) }];
        } catch (error: unknown) {
          const { name, message } = describeError(error);
          const unknown = `DescribeStateMachine: ${name}: ${message}`;
          const retryable = error instanceof SwitchyardError && error.retryable;
          return [region, { arn, status: { unknown, ...(retryable ? { retryable: true } : {}) } }];
        }
      } catch (error: unknown) {
        const { message } = describeError(error);
        return [region, { arn: `${plan.strategy} runbook`, status: { unknown: message } }];
      }
    }),
  );
  return Object.fromEntries(entries);
}

/** The plan's detection alarms that DescribeAlarms (in each alarm's region) does not return. */
async function missingAlarmsOf(plan: Plan, deps: ReadinessDeps): Promise<Seen<readonly string[]>> {
  const alarms = plan.detection?.alarms ?? [];
  if (alarms.length === 0) return [];
  const byRegion = new Map<string, string[]>();
  for (const arn of alarms) {
    const region = arn.split(':')[3] ?? '';
    byRegion.set(region, [...(byRegion.get(region) ?? []), arn]);
  }
  try {
    const missing: string[] = [];
    for (const [region, arns] of byRegion) {
      const names = arns.map((arn) => arn.split(':alarm:')[1] ?? arn);
      const found = new Set((await deps.alarms.alarmStates(region, names)).map((a) => a.name));
      missing.push(...arns.filter((_, i) => !found.has(names[i] ?? '')));
    }
    return missing;
  } catch (error: unknown) {
    const { name, message } = describeError(error);
    return { unknown: `DescribeAlarms: ${name}: ${message}` };
  }
}

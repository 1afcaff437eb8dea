import { isoNow } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import * as z from '../core/zod.js';
import { batchedReads } from '../observer/batched-reads.js';
import type { RunbookDeps } from '../runbook/context.js';
import {
  MAX_CONFIRMED_PER_RUN,
  type ReadinessRecord,
  type ReadinessVerdict,
} from '../runbook/ports/readiness-results.js';
import type { ReadinessFinding } from './checks.js';
import {
  READINESS_EVERY_MINUTES,
  type Readiness,
  type ReadinessDeps,
  readInputs,
  readinessFrom,
  targetsOf,
} from './readiness.js';

// The scheduled evaluation of readiness (the Readiness function), apart from the evaluation itself
// (readiness.ts), which Preflight, BeginExecution and the operator API's dry run also use: only
// this one observes every app at once through the batched reads (DataLoader), so that what those
// steps ship does not carry them.

/** The EventBridge detail-type emitted when a target region's verdict changes. */
export const READINESS_CHANGED_EVENT = 'Switchyard Readiness Changed';

/**
 * How long a scheduled evaluation's lease runs, in ms (virtual in the sandbox): one and a half
 * periods, so that the region leading renews it every evaluation, the others skip while it runs,
 * and one of them takes over at its second evaluation after the leader's last renewal.
 */
export const READINESS_LEASE_TTL_MS = 1.5 * READINESS_EVERY_MINUTES * 60_000;

/**
 * How long a scheduled evaluation may leave a record it found unchanged unwritten, in ms (virtual
 * in the sandbox): after this the record is written again even when the same, so that it never
 * says less than an hour's truth about itself without the run item that confirms it.
 */
export const READINESS_REWRITE_AFTER_MS = 60 * 60_000;

/** What one scheduled evaluation did per app and target. */
export interface ReadinessRun {
  readonly evaluated: {
    app: string;
    region: string;
    verdict: ReadinessVerdict;
    changed: boolean;
    /** Whether the record was written (else found unchanged and confirmed by the run item). */
    written: boolean;
  }[];
  readonly failed: { app: string; error: string }[];
  /** True when another region's evaluation leads (its lease runs) and this one evaluated nothing. */
  readonly skipped?: boolean;
  /**
   * Why the run item confirming the unchanged records could not be put: they then keep their own
   * (older) evaluation times, and read as stale once old enough.
   */
  confirmFailed?: string;
}

const ScheduledEvent = z.looseObject({});

/**
 * The scheduled evaluation (every {@link READINESS_EVERY_MINUTES} minutes in every region; the
 * region holding the evaluation's lease, {@link READINESS_LEASE_TTL_MS}, works and the others
 * skip): every app toward every region it could fail over to, graceful, every app observed at
 * once through {@link batchedReads}, then the kept records of those targets read at once (one key
 * per app and target, not per plan region). Keeps the latest result per app and
 * target region (`READINESS#<region>`), and emits {@link READINESS_CHANGED_EVENT} when a verdict
 * changes (the first evaluation counts). An app whose reads fail is reported in `failed`; the
 * others are still evaluated.
 */
export async function evaluateReadiness(
  input: unknown,
  deps: ReadinessDeps & Pick<RunbookDeps, 'plans' | 'readiness' | 'events'>,
): Promise<ReadinessRun> {
  ScheduledEvent.parse(input ?? {});
  const run: ReadinessRun = { evaluated: [], failed: [] };
  // One region evaluates (a lease in the state table); the others skip while its lease runs. A
  // region that cannot tell (the table did not answer) evaluates: its puts are conditioned anyway.
  if (deps.readiness.lead) {
    const leads = await deps.readiness
      .lead(`readiness-${deps.region}`, deps.clock.now(), READINESS_LEASE_TTL_MS)
      .catch(() => true);
    if (!leads) return { ...run, skipped: true };
  }
  const plans = deps.plans.list();
  // Before any read: what the run confirms, it confirms as of no later than this.
  const startedAt = isoNow(deps.clock);
  const confirmations: { app: string; region: string; recordedAt: string }[] = [];
  // The last PASSED drill of every app with drills, from their summaries (one BatchGetItem per 100
  // apps) instead of one Query each; an app without one is queried (and noted).
  const drillSummaries = await deps.store
    .lastPassedDrills?.(plans.filter((p) => p.drills).map((p) => p.name))
    .catch(() => undefined);
  // Every app's observation starts at once: their RDS, Auto Scaling, ARC and state-table reads
  // are batched.
  const reads = batchedReads(deps);
  const dnsTurn = Math.floor(deps.clock.now() / (READINESS_EVERY_MINUTES * 60_000));
  const observed = await Promise.all(
    plans.map((plan) =>
      readInputs(plan, plan.regions, reads, undefined, {
        healthChecks: true,
        dnsTurn,
        ...(drillSummaries ? { drillSummaries } : {}),
      }).then(
        (inputs) => ({ plan, inputs, targets: targetsOf(plan, inputs, undefined) }),
        (error: unknown) => {
          const { name, message } = describeError(error);
          run.failed.push({ app: plan.name, error: `${name}: ${message}` });
          return undefined;
        },
      ),
    ),
  );
  // The latest records of the targets evaluated (not of each app's active region, which is no
  // target), every app's at once; each put is still conditioned on the verdict read, so a change
  // recorded meanwhile by another region is not overwritten.
  const previous = await deps.readiness
    .getMany?.(observed.flatMap((o) => o?.targets.map((region) => ({ app: o.plan.name, region })) ?? []))
    .catch(() => undefined);
  await Promise.all(
    observed.map(async (o) => {
      if (!o) return;
      const { plan, inputs, targets } = o;
      try {
        for (const target of targets) {
          const readiness = readinessFrom(inputs, target, 'graceful');
          const record = previous?.get(`${plan.name}|${target}`);
          if (
            previous &&
            deps.readiness.confirm &&
            confirmations.length < MAX_CONFIRMED_PER_RUN &&
            record?.recordedAt !== undefined &&
            unchanged(readiness, record, deps.clock.now())
          ) {
            // The same as recorded: the run item confirms it instead of a put per record.
            confirmations.push({ app: plan.name, region: target, recordedAt: record.recordedAt });
            const { verdict } = readiness;
            run.evaluated.push({ app: plan.name, region: target, verdict, changed: false, written: false });
            continue;
          }
          const changed = await keep(readiness, deps, previous ? { record } : undefined);
          run.evaluated.push({
            app: plan.name,
            region: target,
            verdict: readiness.verdict,
            changed,
            written: true,
          });
        }
      } catch (error: unknown) {
        const { name, message } = describeError(error);
        run.failed.push({ app: plan.name, error: `${name}: ${message}` });
      }
    }),
  );
  if (confirmations.length > 0 && deps.readiness.confirm) {
    await deps.readiness
      .confirm({ evaluatedAt: startedAt, evaluatedBy: deps.region, records: confirmations })
      .catch((error: unknown) => {
        const { name, message } = describeError(error);
        run.confirmFailed = `${name}: ${message}`;
      });
  }
  return run;
}

/**
 * Whether `readiness` says what `record` says (mode, verdict, and every finding, in order) and the
 * record was written less than {@link READINESS_REWRITE_AFTER_MS} before `now` (epoch ms).
 */
function unchanged(readiness: Readiness, record: ReadinessRecord, now: number): boolean {
  const same = (a: ReadinessFinding, b: ReadinessFinding) =>
    a.code === b.code && a.severity === b.severity && a.resource === b.resource && a.message === b.message;
  return (
    now - Date.parse(record.recordedAt ?? '') < READINESS_REWRITE_AFTER_MS &&
    record.mode === readiness.mode &&
    record.verdict === readiness.verdict &&
    record.findings.length === readiness.findings.length &&
    record.findings.every((f, i) => {
      const other = readiness.findings[i];
      return other !== undefined && same(f, other);
    })
  );
}

/**
 * Records one result; on a change of verdict, emits the event. Returns whether it changed.
 * `read`: the stored record, when already read (else it is read here).
 */
async function keep(
  readiness: Readiness,
  deps: Pick<RunbookDeps, 'readiness' | 'events' | 'region' | 'clock'>,
  read?: { readonly record: ReadinessRecord | undefined },
): Promise<boolean> {
  const previous = read ? read.record : await deps.readiness.get(readiness.app, readiness.region);
  const changed = previous?.verdict !== readiness.verdict;
  const now = isoNow(deps.clock);
  const record: ReadinessRecord = {
    app: readiness.app,
    region: readiness.region,
    mode: readiness.mode,
    verdict: readiness.verdict,
    findings: readiness.findings,
    evaluatedAt: readiness.at,
    changedAt: changed ? now : (previous?.changedAt ?? now),
    evaluatedBy: deps.region,
  };
  const { written } = await deps.readiness.put(record, previous?.verdict);
  if (!written || !changed) return false;
  await deps.events.publish(deps.region, READINESS_CHANGED_EVENT, {
    app: readiness.app,
    region: readiness.region,
    verdict: readiness.verdict,
    ...(previous ? { previous: previous.verdict } : {}),
    findings: readiness.findings,
    at: readiness.at,
  });
  return true;
}

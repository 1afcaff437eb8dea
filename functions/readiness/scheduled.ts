import { isoNow } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import * as z from '../core/zod.js';
import { batchedReads } from '../observer/batched-reads.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { ReadinessRecord, ReadinessVerdict } from '../runbook/ports/readiness-results.js';
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

/** What one scheduled evaluation did per app and target. */
export interface ReadinessRun {
  readonly evaluated: { app: string; region: string; verdict: ReadinessVerdict; changed: boolean }[];
  readonly failed: { app: string; error: string }[];
  /** True when another region's evaluation leads (its lease runs) and this one evaluated nothing. */
  readonly skipped?: boolean;
}

const ScheduledEvent = z.looseObject({});

/**
 * The scheduled evaluation (every {@link READINESS_EVERY_MINUTES} minutes in every region; the
 * region holding the evaluation's lease, {@link READINESS_LEASE_TTL_MS}, works and the others
 * skip): every app toward every region it could fail over to, graceful, every app observed at
 * once through {@link batchedReads}. Keeps the latest result per app and
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
  // The latest records first, every app's at once (each put is still conditioned on the verdict
  // read, so a change recorded meanwhile by another region is not overwritten).
  const previous = await deps.readiness
    .getMany?.(plans.flatMap((plan) => plan.regions.map((region) => ({ app: plan.name, region }))))
    .catch(() => undefined);
  // Every app's observation starts at once: their RDS, Auto Scaling, ARC and state-table reads
  // are batched.
  const reads = batchedReads(deps);
  await Promise.all(
    plans.map(async (plan) => {
      try {
        const inputs = await readInputs(plan, plan.regions, reads, undefined, { healthChecks: true });
        for (const target of targetsOf(plan, inputs, undefined)) {
          const readiness = readinessFrom(inputs, target, 'graceful');
          const changed = await keep(
            readiness,
            deps,
            previous ? { record: previous.get(`${plan.name}|${target}`) } : undefined,
          );
          run.evaluated.push({ app: plan.name, region: target, verdict: readiness.verdict, changed });
        }
      } catch (error: unknown) {
        const { name, message } = describeError(error);
        run.failed.push({ app: plan.name, error: `${name}: ${message}` });
      }
    }),
  );
  return run;
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

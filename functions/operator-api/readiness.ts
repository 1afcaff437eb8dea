import type { FailoverMode } from '../core/records.js';
import { type Readiness, type ReadinessDeps, readinessOf } from '../readiness/readiness.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { ReadinessRecord } from '../runbook/ports/readiness-results.js';

/** What readiness on demand reads: the observer's adapters, the state store, the kept results. */
export type GetReadinessDeps = ReadinessDeps & Pick<RunbookDeps, 'plans' | 'readiness'>;

/** The answer of `GET /apps/{app}/readiness`. */
export interface ReadinessAnswer {
  readonly app: string;
  /** Evaluated now, per target region (blocking findings first). */
  readonly readiness: readonly Readiness[];
  /** The scheduled evaluation's latest result per target region, as kept in the state table. */
  readonly kept: readonly ReadinessRecord[];
}

/**
 * Readiness on demand: evaluated now toward `to` (default every plan region but the recorded
 * active one) in `mode` (default graceful), with the kept results of the schedule. Read-only.
 *
 * @throws UnknownAppError (404) for an app not in the plans; UnknownRegionError (400, as every
 *   unknown region a request names: http-errors.ts) for a region not in the plan
 */
export async function getReadiness(
  app: string,
  options: { readonly to?: string; readonly mode?: FailoverMode },
  deps: GetReadinessDeps,
): Promise<ReadinessAnswer> {
  const [readiness, kept] = await Promise.all([readinessOf(app, deps, options), deps.readiness.list(app)]);
  return { app, readiness, kept };
}

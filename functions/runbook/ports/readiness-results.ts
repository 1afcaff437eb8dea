import type { FailoverMode } from '../../core/records.js';
import type { ReadinessFinding } from '../../readiness/checks.js';

export type ReadinessVerdict = 'READY' | 'NOT_READY';

/** The latest readiness of an app toward one target region (item `PLAN#<app>` / `READINESS#<region>`). */
export interface ReadinessRecord {
  readonly app: string;
  /** The target region evaluated. */
  readonly region: string;
  readonly mode: FailoverMode;
  readonly verdict: ReadinessVerdict;
  readonly findings: readonly ReadinessFinding[];
  /** ISO time of this evaluation. */
  readonly evaluatedAt: string;
  /** ISO time the verdict last changed (the first evaluation counts as a change). */
  readonly changedAt: string;
  /** The control plane region that evaluated it. */
  readonly evaluatedBy: string;
}

/**
 * The latest readiness per app and target region, in the (global) state table, read and written
 * through this region's replica. Every region evaluates on its own schedule, so a write is
 * conditioned on the verdict it replaces: of two regions that see the same change, one records it
 * (and emits the event), the other finds it recorded.
 */
export interface ReadinessResults {
  get(app: string, region: string): Promise<ReadinessRecord | undefined>;
  /**
   * The records of many (app, target region) pairs at once (strongly consistent; BatchGetItem, 100
   * keys a call), by `app|region`; a pair without a record is absent. Optional: results without
   * it are read one by one.
   */
  getMany?(
    keys: readonly { readonly app: string; readonly region: string }[],
  ): Promise<ReadonlyMap<string, ReadinessRecord>>;
  /** Every target region's latest record of `app`. */
  list(app: string): Promise<ReadinessRecord[]>;
  /**
   * One single-item put, conditioned on the stored verdict being `previous` (absent: no record).
   * `written: false` when another evaluation changed it first.
   */
  put(record: ReadinessRecord, previous: ReadinessVerdict | undefined): Promise<{ written: boolean }>;
  /**
   * Takes or renews the scheduled evaluation's lease (item `READINESS` / `LEASE`), as the
   * reconciler's (`ReconcileMarks.lead`): whether `holder` leads now. Throws when the table does
   * not answer. Optional: a port without it has every region evaluate.
   */
  lead?(holder: string, now: number, ttlMs: number): Promise<boolean>;
}

import type { FailoverMode } from '../../core/records.js';
import type { ReadinessFinding } from '../../readiness/checks.js';

export type ReadinessVerdict = 'READY' | 'NOT_READY';

/**
 * The most records one run item confirms. An item holds at most 400 KB ("Service, account, and
 * table quotas in Amazon DynamoDB", Item size,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html); an entry
 * is about 80 bytes (an app name of up to 40 characters, a region, an ISO time), so 4,000 take
 * about 320 KB. The caller writes the records beyond it instead.
 */
export const MAX_CONFIRMED_PER_RUN = 4_000;

/** The latest readiness of an app toward one target region (item `PLAN#<app>` / `READINESS#<region>`). */
export interface ReadinessRecord {
  readonly app: string;
  /** The target region evaluated. */
  readonly region: string;
  readonly mode: FailoverMode;
  readonly verdict: ReadinessVerdict;
  readonly findings: readonly ReadinessFinding[];
  /**
   * ISO time of the latest evaluation that found this: the record's own, or a later scheduled
   * evaluation's that found the same and confirmed it without rewriting it ({@link
   * ReadinessResults.confirm}).
   */
  readonly evaluatedAt: string;
  /**
   * ISO time the record itself was written (its evaluation's `evaluatedAt`), when read back: what a
   * confirmation names it by. Absent on a record about to be written.
   */
  readonly recordedAt?: string;
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
   * Records that one scheduled evaluation, begun at `evaluatedAt` (ISO) in `evaluatedBy`, found
   * each of `records` unchanged (same mode, verdict and findings), without rewriting them: one
   * put of the evaluation's run item (`READINESS` / `RUN`), which replaces the previous run's. A
   * record read afterwards takes the run's `evaluatedAt` and `evaluatedBy` when the run confirmed
   * it as written at its `recordedAt` (a record rewritten since is not the one confirmed). Throws
   * when the table does not answer (the records then keep their own, older, times). Optional: a
   * port without it has every result written.
   */
  confirm?(run: {
    readonly evaluatedAt: string;
    readonly evaluatedBy: string;
    readonly records: readonly {
      readonly app: string;
      readonly region: string;
      readonly recordedAt: string;
    }[];
  }): Promise<void>;
  /**
   * Takes or renews the scheduled evaluation's lease (item `READINESS` / `LEASE`), as the
   * reconciler's (`ReconcileMarks.lead`): whether `holder` leads now. Throws when the table does
   * not answer. Optional: a port without it has every region evaluate.
   */
  lead?(holder: string, now: number, ttlMs: number): Promise<boolean>;
}

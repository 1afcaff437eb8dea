import type { PlanState } from '../../core/records.js';

/**
 * What the reconciler last found wrong with an app, and since when (attribute `reconcile` of the
 * app's `STATE` item in the state table, docs/state-store.md). It acts on a finding only once the
 * same finding has held for the plan's settle time, and acts on it once.
 */
export interface ReconcileMark {
  /** A stable digest of the finding: the same inconsistency, the same fingerprint. */
  readonly fingerprint: string;
  /** ISO time the finding was first seen. */
  readonly since: string;
  /** ISO time the reconciler acted on it (or reported it), if it has. */
  readonly actedAt?: string;
  /** What was found, for people. */
  readonly detail: string;
  /** Failed attempts to act on it so far. */
  readonly failures?: number;
}

/**
 * The reconciler's marks: one per app, kept in the app's `STATE` item of the (global) state table,
 * read and written through this region's replica.
 */
export interface ReconcileMarks {
  /** The app's mark (strongly consistent), or undefined when it has none. */
  get(app: string): Promise<ReconcileMark | undefined>;
  /**
   * Many apps' `STATE` items at once (strongly consistent; BatchGetItem, 100 keys a call), by app:
   * its state (undefined as `StateStore.getState` says) and the mark kept in it (undefined when it
   * has none), from one read of one key per app. Throws when a call fails. Optional: marks without
   * it are read app by app, beside the state.
   */
  getWithStates?(
    apps: readonly string[],
  ): Promise<ReadonlyMap<string, { readonly state?: PlanState; readonly mark?: ReconcileMark }>>;
  /**
   * Writes the app's mark, replacing the last one: one UpdateItem of the `STATE` item's `reconcile`
   * attribute alone, unconditioned (it leaves `version` and `lockEpoch` as they are, so it neither
   * fences nor is fenced: a mark is the reconciler's note, not the record).
   */
  put(app: string, mark: ReconcileMark): Promise<void>;
  /**
   * Takes or renews the scheduled reconciler's lease (item `RECONCILER` / `LEASE`): one
   * conditional put that succeeds when no lease exists, `holder` holds it, or it ended before
   * `now` (epoch ms); it then runs until `now + ttlMs`. Answers whether `holder` leads now: false
   * when another holder's lease is still running. Throws when the table does not answer (the
   * caller cannot tell who leads). Optional: a port without it has every region lead.
   */
  lead?(holder: string, now: number, ttlMs: number): Promise<boolean>;
}

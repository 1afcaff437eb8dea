/**
 * What the reconciler last found wrong with an app, and since when (item `PLAN#<app>` /
 * `RECONCILE` of the state table). It acts on a finding only once the same finding has held for
 * the plan's settle time, and acts on it once.
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

/** The reconciler's marks: one item per app in the (global) state table, read and written through this region's replica. */
export interface ReconcileMarks {
  get(app: string): Promise<ReconcileMark | undefined>;
  /**
   * The marks of many apps at once (strongly consistent; BatchGetItem, 100 keys a call), by app;
   * an app without a mark is absent. Optional: marks without it are read app by app.
   */
  getMany?(apps: readonly string[]): Promise<ReadonlyMap<string, ReconcileMark>>;
  /** One single-item put: the mark replaces the last one. */
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

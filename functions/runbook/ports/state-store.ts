import type {
  ApprovalRecord,
  AuditEntry,
  DrillReport,
  ErrorRecord,
  ExecutionRecord,
  ExecutionStatus,
  FinalExecutionStatus,
  LockRecord,
  PlanState,
  PlanStatus,
  StepRecord,
} from '../../core/records.js';

/**
 * The state store port: what the use cases ask of the state table (docs/state-store.md). The
 * DynamoDB adapter is `functions/aws/state-store.ts`; unit tests use an in-memory fake.
 */

/** What `acquireLock` grants. */
export interface LockGrant {
  readonly epoch: number;
  readonly leaseExpiresAt: number;
  /** True when the same holder already held the lock (a retried Begin): same epoch, lease extended. */
  readonly reacquired: boolean;
}

/** Where execution `id`'s record is (or will be): its sort key and start time (ISO). */
export interface ExecutionPointer {
  readonly key: string;
  readonly startedAt: string;
}

/** What `createExecution` takes: a new record, RUNNING or WAITING_APPROVAL, usually with no steps. */
export type NewExecution = Omit<
  ExecutionRecord,
  'key' | 'status' | 'steps' | 'finishedAt' | 'rtoSeconds' | 'rpoSeconds' | 'error'
> & {
  readonly status?: Extract<ExecutionStatus, 'RUNNING' | 'WAITING_APPROVAL'>;
  readonly steps?: Readonly<Record<string, StepRecord>>;
};

export interface ExecutionOutcome {
  readonly status: FinalExecutionStatus;
  /** ISO; defaults to the clock's now. */
  readonly finishedAt?: string;
  readonly rtoSeconds?: number;
  readonly rpoSeconds?: number;
  /** See {@link ExecutionRecord.rpoLastSeenAt}. */
  readonly rpoLastSeenAt?: string;
  readonly error?: ErrorRecord;
}

/** A change to a running execution (the approval wait). */
export interface ExecutionProgress {
  readonly status?: Extract<ExecutionStatus, 'RUNNING' | 'WAITING_APPROVAL'>;
  readonly approval?: ApprovalRecord;
  /**
   * Step entries to set (by step key), in the same conditional write: written only into a record
   * that is still open, never into a finished one, and never creating a record that is not there.
   */
  readonly steps?: Readonly<Record<string, StepRecord>>;
  /**
   * Only if the record is in this status (a compare-and-set: e.g. of two approvers answering at
   * once, only the first moves WAITING_APPROVAL to RUNNING); {@link ConflictError} otherwise.
   */
  readonly expectedStatus?: Extract<ExecutionStatus, 'RUNNING' | 'WAITING_APPROVAL'>;
}

/** The state store of one region's control plane, bound to that region's replica. */
/** The two items of an app that {@link StateStore.getStatesAndLocks} reads: `STATE` and `LOCK`. */
export type PlanItem = 'state' | 'lock';

export interface StateStore {
  /** The region whose replica every call of this store goes to. */
  readonly region: string;

  /** The app's state (strongly consistent), or undefined if never initialised. */
  getState(app: string): Promise<PlanState | undefined>;
  /** Creates the state if absent (ACTIVE, version 1); otherwise returns it unchanged. */
  initState(app: string, activeRegion: string): Promise<{ state: PlanState; created: boolean }>;
  /**
   * Sets the active region and status, if the state is still at `expectedVersion` (else
   * {@link ConflictError}) and no newer lock epoch has written it (else {@link LockLostError}).
   * A retry of a write that already landed returns the written state.
   */
  setActive(app: string, input: SetActiveInput): Promise<PlanState>;

  /**
   * Takes the app's lock for `holder` if it is free, released or its lease expired (a new,
   * higher epoch), or extends it if `holder` already holds it (same epoch). Throws
   * {@link FailoverInProgressError} naming the holder otherwise. `options.held`: the holder
   * expects to hold it already (a runbook adopting the lock its starter reserved), so the
   * extension is tried first: one conditional write instead of two when it does; with
   * `options.epoch` (the epoch it was reserved at) the extension requires that epoch and the state's
   * fence is raised alongside. `options.taken` is told the epoch as soon as the conditional write
   * that takes or extends the lock succeeded, before the state's fence is raised (a holder may act
   * on AWS under it then: the fence guards the state's writes); an adapter that cannot tell it
   * early does not call it.
   */
  acquireLock(
    app: string,
    holder: string,
    leaseMs: number,
    options?: { reason?: string; held?: boolean; epoch?: number; taken?: (epoch: number) => void },
  ): Promise<LockGrant>;
  /**
   * Extends the lease of the lock `holder` took at `epoch`. Succeeds as long as nobody took the
   * lock over (same holder and epoch, not released), even after the lease ran out: the epoch, not
   * the lease, is what keeps a stale holder out. {@link LockLostError} otherwise.
   */
  renewLock(app: string, holder: string, epoch: number, leaseMs: number): Promise<{ leaseExpiresAt: number }>;
  /** Releases the lock if `holder` still holds it at `epoch`; a no-op (`released: false`) otherwise. */
  releaseLock(app: string, holder: string, epoch: number): Promise<{ released: boolean }>;
  /** Throws {@link LockLostError} unless `holder` holds the lock at `epoch` with a live lease. */
  assertLockHeld(app: string, holder: string, epoch: number): Promise<LockRecord>;
  /** The lock item (strongly consistent), or undefined if the app was never locked. */
  getLock(app: string): Promise<LockRecord | undefined>;
  /**
   * The STATE and LOCK items of many apps at once (strongly consistent; BatchGetItem, 100 keys a
   * call): per app asked, its state and lock, each undefined as {@link getState} and
   * {@link getLock} say. `items` names which of the two to read (default both: one key per item and
   * app); an item not read is absent. Throws when a call fails (every app's records are then
   * unread). Optional: a store without it is read app by app.
   */
  getStatesAndLocks?(
    apps: readonly string[],
    items?: readonly PlanItem[],
  ): Promise<ReadonlyMap<string, { readonly state?: PlanState; readonly lock?: LockRecord }>>;

  /**
   * Creates an execution record. Idempotent by id: if it exists, returns it (`created: false`),
   * or throws {@link ConflictError} when it describes a different request (runbook, mode,
   * trigger or target).
   */
  createExecution(
    input: NewExecution,
    pointed?: ExecutionPointer,
  ): Promise<{ record: ExecutionRecord; created: boolean }>;
  /**
   * Reserves execution `id` ahead of its record: the pointer that names its record's key, written
   * for a record started at `startedAt` (ISO) unless one exists, whose key and start it then
   * answers (a retry lands on the first attempt's). Handing the answer to {@link createExecution}
   * (`pointed`) makes the record one write, whenever it is written: the reservation writes the
   * pointer while the dry run still reads. A pointer alone is no record (`getExecution` answers
   * undefined). Optional: a store without it writes the pointer inside `createExecution`.
   */
  pointExecution?(app: string, id: string, startedAt: string): Promise<ExecutionPointer>;
  /** Writes one step's entry (a retried step overwrites its own entry). */
  recordStep(app: string, executionKey: string, stepKey: string, step: StepRecord): Promise<void>;
  /** Changes a running execution's status (the approval wait) or approval record. */
  updateExecution(app: string, executionKey: string, progress: ExecutionProgress): Promise<ExecutionRecord>;
  /**
   * Finishes a running execution. Finishing again with the same status returns the record;
   * with another status it is a {@link ConflictError}.
   */
  finishExecution(app: string, executionKey: string, outcome: ExecutionOutcome): Promise<ExecutionRecord>;
  getExecution(app: string, id: string): Promise<ExecutionRecord | undefined>;
  getExecutionByKey(app: string, executionKey: string): Promise<ExecutionRecord | undefined>;
  /** Execution records by start time; newest first unless `newestFirst: false`. Default limit 20. */
  listExecutions(
    app: string,
    options?: { limit?: number; newestFirst?: boolean },
  ): Promise<ExecutionRecord[]>;

  /** Appends an audit entry; appending the same id and time again is a no-op (`created: false`). */
  appendAudit(entry: AuditEntry): Promise<{ created: boolean }>;
  /** Audit entries, newest first. Default limit 50. */
  listAudit(app: string, limit?: number): Promise<AuditEntry[]>;

  /**
   * Stores a DR test report; storing the same id and time again is a no-op. A PASSED report also
   * raises the app's drill summary to its time (again on a retry, even when `created` is false),
   * so that {@link lastPassedDrills} finds it.
   */
  putDrillReport(report: DrillReport): Promise<{ created: boolean }>;
  /** DR test reports, newest first. Default limit 20. */
  listDrills(app: string, limit?: number): Promise<DrillReport[]>;
  /**
   * The newest PASSED drill report's time (ISO), read from the app's reports newest first, page
   * by page, until one is found or the reports read reach back past `notBefore` (ISO): bounded by
   * time, not by a count of reports (a PASSED drill behind 20 FAILED ones is found).
   * `{ lastPassedAt: null }` when every report was read and none PASSED; `{ noneSince: notBefore }`
   * when none from `notBefore` on PASSED and older reports were left unread. Throws when a call
   * fails.
   */
  lastPassedDrillSince(
    app: string,
    notBefore: string,
  ): Promise<{ lastPassedAt: string | null } | { noneSince: string }>;
  /**
   * The drill summaries of many apps at once (strongly consistent; BatchGetItem, 100 keys a call):
   * per app that has one, the ISO time of its newest PASSED report, or null for a summary that
   * says none is on record. An app without a summary (its reports predate it, or it never had one
   * noted) has no entry: read its reports ({@link listDrills}) and note the answer with
   * {@link noteLastPassedDrill}. Throws when a call fails. Optional.
   */
  lastPassedDrills?(apps: readonly string[]): Promise<ReadonlyMap<string, string | null>>;
  /**
   * Creates the app's drill summary from its reports as just read (`lastPassedAt`: the newest
   * PASSED report's time, or null for none), only where no summary exists yet: a PASSED report
   * stored meanwhile has written its own, which stays. Returns whether it was created. Optional,
   * with {@link lastPassedDrills}.
   */
  noteLastPassedDrill?(app: string, lastPassedAt: string | null): Promise<{ created: boolean }>;

  /**
   * Claims an operator request's idempotency key for `executionId`. If the key was claimed before
   * for the same `requestHash`, returns the execution id it was claimed for (`claimed: false`);
   * for another request, throws {@link ConflictError}.
   */
  claimIdempotencyKey(
    app: string,
    key: string,
    executionId: string,
    requestHash: string,
  ): Promise<{ executionId: string; claimed: boolean }>;
}

export interface SetActiveInput {
  readonly activeRegion: string;
  readonly status: PlanStatus;
  readonly expectedVersion: number;
  readonly executionId: string;
  /** The lock epoch the execution holds. */
  readonly epoch: number;
  /** ISO; set when this write completes a failover (the detection cooldown reads it). */
  readonly lastFailoverAt?: string;
  /** Why, for a DEGRADED status; a write without it clears the last reason. */
  readonly reason?: string;
}

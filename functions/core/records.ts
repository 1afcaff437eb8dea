/**
 * The domain's records: what the state store keeps per app (docs/state-store.md), and the
 * vocabulary of a failover (mode, trigger, statuses). Defined once, here; the state store's
 * DynamoDB adapter (`functions/aws/state-store.ts`) stores them, the use cases read and write them
 * through the `StateStore` port (`functions/runbook/ports/state-store.ts`). No SDK, no I/O.
 */

export type PlanStatus = 'ACTIVE' | 'FAILING_OVER' | 'DEGRADED';

/** The `STATE` item: where an app runs now. */
export interface PlanState {
  readonly app: string;
  readonly activeRegion: string;
  readonly status: PlanStatus;
  /** Incremented by every `setActive`; the compare-and-set token. */
  readonly version: number;
  /** The highest lock epoch that has written or fenced this item (see the fencing notes above). */
  readonly lockEpoch?: number;
  /**
   * ISO time of the last completed failover asked for by a person or an alarm, for the detection
   * cooldown; a drill's legs leave it as it was (docs/contracts.md, Drills and the cooldown).
   */
  readonly lastFailoverAt?: string;
  readonly lastExecutionId?: string;
  /** Why the app is DEGRADED (what was observed, what a person must do); absent otherwise. */
  readonly statusReason?: string;
  readonly updatedAt: string;
}

/** The `LOCK` item. Never deleted: a released lock keeps its holder and epoch as history. */
export interface LockRecord {
  readonly app: string;
  /** The execution id that holds (or last held) the lock. */
  readonly holder: string;
  /** The fencing epoch, strictly increasing over the life of the app. */
  readonly epoch: number;
  /** Epoch ms; the lease is live while `leaseExpiresAt >= now`. */
  readonly leaseExpiresAt: number;
  readonly acquiredAt: string;
  readonly reason: string;
  readonly released: boolean;
  readonly releasedAt?: string;
}

/** A plan's disaster-recovery strategy: which runbook (state machine) fails it over. */
export const STRATEGIES = ['warm-standby', 'pilot-light'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** How a failover runs: `graceful` (switchover, RPO 0, source healthy) or `ungraceful` (failover with data loss allowed). */
export const FAILOVER_MODES = ['graceful', 'ungraceful'] as const;
export type FailoverMode = (typeof FAILOVER_MODES)[number];
/** Who started an execution: an operator, an alarm (detection) or a schedule (a DR drill). */
export const EXECUTION_TRIGGERS = ['operator', 'alarm', 'schedule'] as const;
export type ExecutionTrigger = (typeof EXECUTION_TRIGGERS)[number];
export type ExecutionStatus = 'RUNNING' | 'WAITING_APPROVAL' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
export type FinalExecutionStatus = Extract<ExecutionStatus, 'SUCCEEDED' | 'FAILED' | 'ABORTED'>;
export type StepStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'SKIPPED';

/** An error as recorded: its name (the API Step Functions routes on) and message. */
export interface ErrorRecord {
  readonly name: string;
  readonly message: string;
}

export interface StepRecord {
  readonly name: string;
  /** The resource the step acted on (a global cluster id, an ASG name, ...). */
  readonly resource?: string;
  readonly status: StepStatus;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly error?: ErrorRecord;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface ApprovalRecord {
  readonly requestedAt: string;
  /** The Step Functions task token the waiting execution resumes on (sendTaskSuccess). */
  readonly taskToken?: string;
  readonly decision?: 'APPROVED' | 'REJECTED' | 'TIMED_OUT';
  readonly decidedBy?: string;
  readonly decidedAt?: string;
}

/** An `EXEC#...` item. */
export interface ExecutionRecord {
  /** The item's sort key, `EXEC#<startedAt>#<id>`: pass it to the per-step writes. */
  readonly key: string;
  readonly id: string;
  readonly app: string;
  readonly runbook: Strategy;
  readonly mode: FailoverMode;
  readonly trigger: ExecutionTrigger;
  readonly from: string;
  readonly to: string;
  readonly status: ExecutionStatus;
  readonly requestedBy: string;
  readonly reason: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly rtoSeconds?: number;
  readonly rpoSeconds?: number;
  /**
   * ISO time of the replication lag datapoint the RPO is, when the lag metric had stopped before
   * the promotion (the writer's region out longer than 5 minutes): the RPO is the lag last seen
   * then, not the lag at the promotion. Absent when the lag read was current.
   */
  readonly rpoLastSeenAt?: string;
  /** By step key (e.g. `PromoteDatabase#orders-global`). */
  readonly steps: Readonly<Record<string, StepRecord>>;
  readonly approval?: ApprovalRecord;
  readonly error?: ErrorRecord;
}

/** An `AUDIT#...` item: who did what, why. */
export interface AuditEntry {
  /** Unique per entry; the caller gives it so that a retried append is idempotent. */
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly app: string;
  readonly detail: string;
  readonly executionId?: string;
}

/** A `DRILL#...` item: a DR test report. */
export interface DrillReport {
  readonly id: string;
  readonly app: string;
  readonly at: string;
  readonly outcome: 'PASSED' | 'FAILED' | 'ABORTED';
  readonly executionIds: readonly string[];
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** An `IDEMP#<key>` item. */
export interface IdempotencyRecord {
  readonly key: string;
  readonly executionId: string;
  readonly requestHash: string;
  readonly createdAt: string;
}

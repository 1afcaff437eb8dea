/**
 * Where one app's traffic change stands in its evacuation's batch:
 * - `QUEUED`: its runbook's ShiftTraffic found every resource ready and asks the evacuation to
 *   move its traffic with the other apps' (one ARC update or one Route 53 change batch for many);
 * - `CLAIMED`: the evacuation's flusher took it into a call it is making;
 * - `MOVED`: ARC took the update (`endpoint`);
 * - `SUBMITTED`: Route 53 accepted the change batch (`changeId`), not yet on every name server;
 * - `INSYNC`: GetChange said the change reached every name server;
 * - `RELEASED`: not batched after all: the app's own runbook makes its own call (the batch was
 *   refused, its lock is not the one queued, or it waited too long for the flusher).
 */
export type TrafficBatchStatus = 'QUEUED' | 'CLAIMED' | 'MOVED' | 'SUBMITTED' | 'INSYNC' | 'RELEASED';

/** One app's traffic change, queued for its evacuation's flusher. */
export interface TrafficBatchEntry {
  readonly evacuationId: string;
  readonly app: string;
  /** The execution that queued it, and the lock epoch it held: the flusher checks both. */
  readonly executionId: string;
  readonly epoch: number;
  readonly from: string;
  readonly to: string;
  readonly mechanism: 'arc' | 'route53';
  status: TrafficBatchStatus;
  /** Epoch ms (the clock's) it was queued at, and last changed at. */
  readonly queuedAt: number;
  updatedAt: number;
  /** The ARC endpoint's region that took the update. */
  endpoint?: string;
  /** The Route 53 change that carries it. */
  changeId?: string;
  /** How many apps the call that moved it carried. */
  batchSize?: number;
  /** Why it was released, or what the last attempt to move it met. */
  note?: string;
  /**
   * Epoch ms before which the flusher does not send it: a batched call to its hosted zone was
   * refused for the zone being busy or for rate (`PriorRequestNotComplete`, `Throttling`), and the
   * zone's next call is backed off. While it is in the future the flusher still holds the entry.
   */
  retryAt?: number;
  /** How many batched calls carrying it were refused for rate in a row (the backoff's exponent). */
  refusals?: number;
}

/**
 * The evacuation's traffic queue: items `EVACUATION#<id>` / `TRAFFIC#<app>` of the state table,
 * written only with conditional writes (each status change is a compare-and-set on the status).
 */
export interface TrafficBatches {
  /**
   * Queues an app's change (one conditional put). Idempotent for a retried ShiftTraffic of the
   * same execution: an entry of that execution is left as it is. An entry of an older execution
   * of the app (a failover that ended) is replaced.
   */
  enqueue(entry: TrafficBatchEntry): Promise<TrafficBatchEntry>;
  get(evacuationId: string, app: string): Promise<TrafficBatchEntry | undefined>;
  /** Every entry of the evacuation (a Query of its partition, paged). */
  list(evacuationId: string): Promise<TrafficBatchEntry[]>;
  /**
   * Moves an entry from one of `from` to `patch.status` (a conditional update on the status and
   * the execution). Returns the entry written, or undefined when its status was not one of `from`
   * (another writer moved it first).
   */
  transition(
    entry: Pick<TrafficBatchEntry, 'evacuationId' | 'app' | 'executionId'>,
    from: readonly TrafficBatchStatus[],
    patch: Partial<
      Pick<TrafficBatchEntry, 'endpoint' | 'changeId' | 'batchSize' | 'note' | 'retryAt' | 'refusals'>
    > & {
      readonly status: TrafficBatchStatus;
      readonly updatedAt: number;
    },
  ): Promise<TrafficBatchEntry | undefined>;
}

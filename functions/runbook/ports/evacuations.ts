/** Where one app of an evacuation stands. */
export type EvacuationAppStatus =
  | 'PENDING'
  | 'STARTED'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'ABORTED'
  /** Not failed over: not active in the evacuated region, or no region of its plan to go to. */
  | 'SKIPPED';

/** One app of an evacuation: its wave, its target, and the failover that moves it. */
export interface EvacuationApp {
  readonly app: string;
  /** The region it fails over to (the evacuation's `to`, else its plan's first other region). */
  readonly to: string;
  /** Its plan's `priority`: waves run lowest first. */
  readonly priority: number;
  status: EvacuationAppStatus;
  executionId?: string;
  /** RTO of its failover in seconds, once it SUCCEEDED. */
  rtoSeconds?: number;
  /** Attempts to request its failover that were throttled or failed transiently. */
  attempts: number;
  /** Epoch ms before which a throttled request is not tried again (paced, with jitter). */
  notBefore?: number;
  /**
   * The waits of its run that the evacuation's shared read woke (functions/evacuation/shared-reads.ts):
   * per `what` (`promotion#<id>`, `group#<name>`, `capacity`), the `parkedAt` of the wait it
   * answered, so that it is not answered twice.
   */
  woken?: Record<string, string>;
  error?: string;
}

/** An evacuation: every app active in `from` failed over, in waves by priority. */
export interface EvacuationRecord {
  readonly id: string;
  readonly from: string;
  /** The region every app goes to; absent: each app's plan's first region other than `from`. */
  readonly to?: string;
  readonly mode: 'graceful' | 'ungraceful';
  readonly requestedBy: string;
  readonly reason: string;
  /** ISO time of the request. */
  readonly requestedAt: string;
  /** The region whose control plane runs it (its state machine). */
  readonly region: string;
  /** A digest of the request, so that a retry with the same idempotency key can be told apart. */
  readonly requestHash: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  apps: EvacuationApp[];
  /** ISO time the evacuation ended (every app SUCCEEDED, FAILED, ABORTED or SKIPPED). */
  finishedAt?: string;
  /** Compare-and-set token: every write raises it by one. */
  version: number;
}

/** The evacuation records: item `EVACUATION#<id>` / `RECORD` of the state table, this region's replica. */
export interface EvacuationStore {
  get(id: string): Promise<EvacuationRecord | undefined>;
  /**
   * Writes the first version of a record (one conditional put). Returns false when a record with
   * that id exists already (a retried request).
   */
  create(record: EvacuationRecord): Promise<boolean>;
  /**
   * Writes `record` over the version it was read at (one conditional put that raises `version`).
   * @throws ConflictError another writer wrote it since it was read
   */
  save(record: EvacuationRecord): Promise<EvacuationRecord>;
  /**
   * Claims region `from` for evacuation `id`: item `EVACUATING#<from>` / `CLAIM` names the one
   * evacuation of `from` that may run (one conditional put). Succeeds when no evacuation claimed
   * `from` yet, when `id` holds it already (a retried request), or when `over` holds it (the caller
   * read that `over` ended): so two requests that both saw `over` end cannot both take it over.
   * Returns false when another holds it.
   */
  claimRegion(from: string, id: string, claimedAt: string, over?: string): Promise<boolean>;
  /** Which evacuation holds region `from`'s claim (strongly consistent), or undefined if none ever did. */
  regionClaim(from: string): Promise<RegionClaim | undefined>;
}

/** The claim of a region by the evacuation that runs there ({@link EvacuationStore.claimRegion}). */
export interface RegionClaim {
  readonly evacuationId: string;
  /** ISO time of the claim. */
  readonly claimedAt: string;
}

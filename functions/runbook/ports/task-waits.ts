/**
 * What a parked step waits for: `capacity` (the database branch of a graceful run, for the
 * target's capacity), `promotion#<globalClusterId>` (a switchover or failover under way),
 * `reader#<globalClusterId>` (pilot light's new reader becoming available), `group#<name>` (in a
 * region evacuation, the capacity branch for its Auto Scaling group to be ready) or
 * `observe#<read>` (Preflight, for the region poller's next read of the app: {@link ObserveRead}).
 */
export type WaitKind = 'capacity' | 'promotion' | 'reader' | 'group' | 'observe';

/**
 * What an `observe` wait asks the region poller to read of its app (functions/evacuation/
 * region-poller.ts): Preflight's readiness observation in a graceful run (every plan region, with
 * replication lag) or an ungraceful one (the poller's region only, the target), or
 * VerifyService's (the target, without lag).
 */
export const OBSERVE_READS = ['preflight-graceful', 'preflight-ungraceful', 'verify'] as const;
export type ObserveRead = (typeof OBSERVE_READS)[number];

/** A parked step's task token (item `PLAN#<app>` / `WAIT#<executionId>#<what>`). */
export interface TaskWait {
  readonly app: string;
  readonly executionId: string;
  /** `capacity`, or `promotion#<globalClusterId>`, `reader#<globalClusterId>`, `group#<name>` (see {@link waitKey}). */
  readonly what: string;
  /** The Step Functions task token to answer with SendTaskSuccess. */
  readonly token: string;
  /** The region whose Step Functions runs the execution: a token is answered there only. */
  readonly region: string;
  /** ISO time the step parked. */
  readonly parkedAt: string;
  /** ISO time the Task's own timeout ends the wait (the poll fallback then reads AWS). */
  readonly expiresAt: string;
  /**
   * The parked step's run context (a `RunContext`, functions/runbook/context.ts), stored by a
   * promotion's park so that the event waker can move traffic itself once the promotion is done
   * (docs/architecture.md, "Wake-ups"). Unparsed here: its reader validates it, and a missing or
   * malformed one only means the waker wakes the step and leaves traffic to ShiftTraffic.
   */
  readonly run?: unknown;
  /**
   * True when the region's poller serves the wait (functions/evacuation/region-poller.ts): it is
   * listed beside the region's other parked waits ({@link TaskWaits.listShared}).
   */
  readonly shared?: boolean;
}

/** The lease of a region's poller of parked waits (item `POLLER#<region>` / `LEASE`). */
export interface PollerLease {
  /** Raised by one at each claim: the poller holding it is the only one that may renew it. */
  readonly epoch: number;
  /** Epoch ms (virtual in the sandbox) until which the poller holds the lease. */
  readonly until: number;
}

/**
 * The task tokens of parked runbook steps, in the (global) state table, through this region's
 * replica. One item per execution and wait: parking again (the next wait of a poll loop)
 * replaces the token. Nothing is deleted (the table has no TTL): a spent token is harmless, as
 * SendTaskSuccess answers it TaskTimedOut.
 */
export interface TaskWaits {
  /** Stores `wait`, replacing the token an earlier park of the same execution and wait left. */
  park(wait: TaskWait): Promise<void>;
  /** The token stored for an execution's wait, or undefined when it never parked there. */
  get(app: string, executionId: string, what: string): Promise<TaskWait | undefined>;
  /**
   * The shared waits parked in `region` whose Task has not timed out at `now` (epoch ms): one
   * Query of the region's index, whatever the number of apps.
   */
  listShared(region: string, now: number): Promise<TaskWait[]>;
  /**
   * Claims `region`'s poller lease when nobody holds it at `now` (absent, or `until` passed), until
   * `until` (epoch ms): one conditional write. The new lease, or undefined when another holds it.
   * Not a duty lease (`functions/aws/duty-lease.ts`), which a region takes again by name at every
   * pass: this one is claimed only once it lapsed, and each claim raises the epoch that fences
   * {@link renewPoller}, so that a poller whose lease another took ends.
   */
  claimPoller(region: string, now: number, until: number): Promise<PollerLease | undefined>;
  /** Extends the lease held at `epoch` to `until`; false when another claimed it since. */
  renewPoller(region: string, epoch: number, until: number): Promise<boolean>;
}

/** The `what` of a wait: the kind, and the global cluster (database waits) or the group's name. */
export function waitKey(kind: WaitKind, resourceId?: string): string {
  return kind === 'capacity' || resourceId === undefined ? kind : `${kind}#${resourceId}`;
}

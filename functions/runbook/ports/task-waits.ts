/**
 * What a parked step waits for: `capacity` (the database branch of a graceful run, for the
 * target's capacity), `promotion#<globalClusterId>` (a switchover or failover under way),
 * `reader#<globalClusterId>` (pilot light's new reader becoming available) or `group#<name>` (in a
 * region evacuation, the capacity branch for its Auto Scaling group to be ready).
 */
export type WaitKind = 'capacity' | 'promotion' | 'reader' | 'group';

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
}

/** The `what` of a wait: the kind, and the global cluster (database waits) or the group's name. */
export function waitKey(kind: WaitKind, resourceId?: string): string {
  return kind === 'capacity' || resourceId === undefined ? kind : `${kind}#${resourceId}`;
}

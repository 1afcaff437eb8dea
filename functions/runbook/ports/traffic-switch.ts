/**
 * The traffic switch of a plan whose `traffic.route53.method` is `health-checks`: the state table
 * item `PLAN#<app>` / `TRAFFIC` names the one region users are sent to. Each region's health
 * endpoint reads it from its own replica and answers healthy for that region only; Route 53's
 * health checkers turn that into the failover records' health (docs/architecture.md, "Traffic by
 * health checks"). Moving traffic is one conditional write here: no Route 53 API call.
 */
export interface TrafficSwitchState {
  /** The region users are to be sent to. */
  readonly region: string;
  /** The lock epoch that wrote it (a write from an older epoch is refused). */
  readonly epoch: number;
  /** ISO time of the write. */
  readonly at: string;
}

export interface TrafficSwitch {
  /**
   * The switch as this region's replica holds it now (a strongly consistent read: under MRSC it
   * fails rather than answer stale when the replica cannot reach a majority), or undefined when
   * it was never written (the plan's first region then holds traffic, as deployed).
   */
  get(app: string): Promise<TrafficSwitchState | undefined>;
  /**
   * Names `region`, in one conditional UpdateItem, unless a newer lock epoch wrote the switch
   * ({@link LockLostError}). Idempotent: naming the region it names already is a success.
   */
  set(app: string, region: string, epoch: number, at: string): Promise<void>;
}

/**
 * What an observation of an app is made of (`observe.ts` reads it): facts read now, or unknown as
 * a value of its own.
 */

/** A read that failed: what could not be known, and why. */
export interface Unknown {
  readonly unknown: string;
  /** The read failed with a retryable error (throttled, transient, busy, region unavailable). */
  readonly retryable?: boolean;
  /** The read was throttled by AWS (a ThrottledError, after the SDK's own retries). */
  readonly throttled?: boolean;
}

/** A fact read now, or {@link Unknown}. */
export type Seen<T> = T | Unknown;

/** Whether a value was read (is not {@link Unknown}). */
export function isKnown<T>(value: Seen<T>): value is T {
  return !isUnknown(value);
}

/** Whether any value is {@link Unknown} (a read that failed), whatever its known type. */
export function isUnknown(value: unknown): value is Unknown {
  return typeof value === 'object' && value !== null && 'unknown' in value;
}

/** One region's cluster of a global database, as RDS in that region describes it now. */
export interface RegionCluster {
  /** Accepts writes: the writer member of the global database, or a detached standalone cluster. */
  readonly writable: boolean;
  /** Still a member of the global database (false once detached). */
  readonly member: boolean;
  /** The cluster's status (`available`, `stopped`, ...). */
  readonly status: string;
  /** The member's `SynchronizationStatus` (`connected`, `pending-resync`), when RDS reports it. */
  readonly synchronizationStatus?: string;
  /** The cluster's engine version (`EngineVersion`), when RDS reports it. */
  readonly engineVersion?: string;
  /**
   * For a member, the global database's engine version (its primary's: `DescribeGlobalClusters`'
   * `EngineVersion`) as this region's RDS reports it: a target read alone tells whether the
   * writer runs another version.
   */
  readonly globalEngineVersion?: string;
  /** How many DB instances the cluster has (0: headless, it takes no connections). */
  readonly instances?: number;
  /**
   * Replication lag into this cluster in ms (`AuroraGlobalDBReplicationLag`, latest 1-minute
   * Maximum), read only when asked for (`observeApp`'s `lag` option) and only for a member that
   * takes no writes; undefined when not read or when the metric has no datapoint.
   */
  readonly lagMs?: Seen<number | undefined>;
}

export interface ClusterObservation {
  readonly globalClusterId: string;
  /** Per observed region: its cluster now, or unknown. */
  readonly regions: Readonly<Record<string, Seen<RegionCluster>>>;
  /** Observed regions whose cluster accepts writes now (more than one is a split brain). */
  readonly writers: readonly string[];
  /** A switchover or failover is under way, as some region's RDS reports it. */
  readonly moving: boolean;
}

/** How ready one Auto Scaling group is in one region, against the plan's profiles. */
export interface GroupReadiness {
  /** Instances that serve: InService and healthy in the group's target groups (not InService alone). */
  readonly healthyInService: number;
  /** Instances still launching (any Pending state). */
  readonly pending: number;
  /** Of them, held at `Pending:Wait` by a lifecycle hook not yet completed. */
  readonly waiting: number;
  /** InService but not (yet) healthy in a target group: registration or health checks under way, or failing. */
  readonly notServing: number;
  /** The load balancer's reasons for `notServing`, distinct (`Elb.InitialHealthChecking`, `Target.FailedHealthChecks`). */
  readonly notServingReasons: readonly string[];
  /**
   * The group's warm pool, when it has one: its state and how many instances it holds; `warmed`
   * (of them, in the pool's state, no longer `Warmed:Pending`) only when read (`observeApp`'s
   * `warmPools` option, DescribeWarmPool).
   */
  readonly warmPool?: { readonly poolState: string; readonly size: number; readonly warmed?: number };
  /** The group's desired capacity now (its current profile). */
  readonly desired: number;
  /** The group's maximum size now (always read by the observer). */
  readonly max?: number;
  /** The active profile's desired capacity: what full service needs. */
  readonly activeDesired: number;
  /** `healthyInService` as a share of `activeDesired`, in percent (one decimal). */
  readonly healthyPercent: number;
  /** At the plan's `healthyPercent`. */
  readonly ready: boolean;
  /** At the plan's `ungracefulMinimumPercent`: enough for an ungraceful failover to move traffic. */
  readonly minimumMet: boolean;
  /**
   * False when the target groups' health was not read ({@link withCapacity}'s `targetHealth`):
   * `healthyInService` then counts InService instances Healthy to Auto Scaling, at most what serves.
   */
  readonly targetHealthRead?: false;
}

export interface CapacityObservation {
  readonly group: string;
  readonly regions: Readonly<Record<string, Seen<GroupReadiness>>>;
}

export interface TrafficObservation {
  /** The plan's lever: ARC routing controls, Route 53 failover records, or none. */
  readonly mechanism: 'arc' | 'route53' | 'none';
  /**
   * Where users are sent now: by the authoritative DNS answer when the plan has records (what
   * users get), else by the one routing control that is On. Null: nowhere, or several regions.
   */
  readonly region: Seen<string | null>;
  /** ARC: each plan region's routing control state. */
  readonly routingControls?: Readonly<Record<string, Seen<'On' | 'Off'>>>;
  /** Route 53: per record name, the region its authoritative answer points at. */
  readonly dns?: Readonly<Record<string, Seen<string | null>>>;
  /**
   * The health-checks method: the region the traffic switch names in this control plane's
   * replica of the state table (what every region's health endpoint answers healthy for). Where
   * users go is still `region`, from DNS: the switch is the intent, DNS the truth.
   */
  readonly switchRegion?: Seen<string>;
}

/** What AWS says about an app now. */
export interface AppObservation {
  readonly app: string;
  /** ISO time of the observation (the deps' clock). */
  readonly at: string;
  /** The regions observed (reads about other regions were not made). */
  readonly regions: readonly string[];
  readonly clusters: readonly ClusterObservation[];
  readonly capacity: readonly CapacityObservation[];
  readonly traffic: TrafficObservation;
  /**
   * Per observed region: true when some read about it answered, false when every read failed
   * because its endpoints did not answer at all, unknown otherwise.
   */
  readonly reachable: Readonly<Record<string, boolean | 'unknown'>>;
}

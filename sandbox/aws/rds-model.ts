import type { FailoverStatus } from '@aws-sdk/client-rds';
import type { ServiceEvent } from './simulator.js';

// The simulated Aurora global database's state and shared helpers (sandbox/aws/rds.ts runs it;
// sandbox/aws/rds-instances.ts holds the DB instances).

/** The engine of the simulated clusters and instances. */
export const ENGINE = 'aurora-postgresql';
/** The engine version every member runs (unless the `engine-version-mismatch` fault says otherwise). */
export const ENGINE_VERSION = '16.4';
/** The engine version of a member under the `engine-version-mismatch` fault (another minor version). */
export const MISMATCHED_ENGINE_VERSION = '16.2';
/**
 * A switchover first waits for the secondaries to catch up: "Before Aurora starts the switchover
 * process, it waits for the target secondary Region clusters to be fully synchronized with the
 * primary Region cluster", and the replication lag "is directly proportional to the time it takes
 * for Aurora to complete the switchover. Therefore, the larger the lag value, the longer the
 * switchover will take." (Aurora User Guide, "Using switchover or failover in Amazon Aurora Global
 * Database", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
 * AWS gives no factor; we take 1 ms of waiting per ms of lag (the writes in flight must arrive).
 */
export const SWITCHOVER_SYNC_MS_PER_LAG_MS = 1;
/** The port of the clusters' endpoints (PostgreSQL's default). */
export const PORT = 5432;
/** The class of the instances a cluster is provisioned with. */
export const INSTANCE_CLASS = 'db.r6g.large';

/**
 * FailoverState.Status. The API reference documents `switching-over` (the range of a switchover's
 * internal operations) although the SDK's `FailoverStatus` union lacks it.
 */
export type FailoverPhase = FailoverStatus | 'switching-over';

/**
 * A member cluster of a global database as the simulator keeps it. `createdAt` and each
 * `lagHistory` entry's `at` are virtual epoch milliseconds; lags are milliseconds (undefined: the
 * metric is missing).
 */
export interface ClusterState {
  readonly arn: string;
  readonly id: string;
  readonly region: string;
  readonly account: string;
  readonly resourceId: string;
  readonly createdAt: number;
  /** The global cluster it is a member of now; undefined once detached. */
  globalClusterId: string | undefined;
  /** The global cluster it came from (kept after a detach, for the ground truth). */
  readonly originGlobalClusterId: string;
  /** DBCluster Status: `available`, or `promoting` while being detached. */
  status: 'available' | 'promoting';
  /** Accepts writes (physically: it may be in a region that is down). */
  writable: boolean;
  synchronization: 'connected' | 'pending-resync';
  /**
   * The data at risk on this secondary, frozen when its writer's region went down (nothing new
   * replicates): what a failover to it loses. The lag metric itself goes missing meanwhile.
   */
  frozenLagMs: number | undefined;
  /** Failed over away from while its region was down: demote it when the region comes back. */
  rejoinOnRecovery: boolean;
  readonly lagHistory: { at: number; lagMs: number | undefined }[];
}

/** A DB instance of a cluster; `createdAt` is virtual epoch milliseconds, undefined while creating. */
export interface InstanceState {
  readonly id: string;
  readonly arn: string;
  readonly clusterArn: string;
  readonly region: string;
  readonly instanceClass: string;
  readonly engine: string;
  readonly availabilityZone: string;
  status: 'creating' | 'available' | 'deleting';
  createdAt: number | undefined;
}

/**
 * The switchover, failover or detach a global cluster is going through: from which member to which,
 * its phase (FailoverState.Status), the data it loses (milliseconds of writes), and the virtual
 * clock `timer` of its next phase.
 */
export interface Operation {
  readonly kind: 'switchover' | 'failover' | 'detach';
  readonly fromArn: string;
  readonly toArn: string;
  phase: FailoverPhase | 'detaching';
  /** Writes stopped reaching the target: the data a failover loses. */
  dataLossMs: number;
  /** The old writer was demoted (stopped taking writes) and must be restored if the operation is cancelled. */
  demoted: boolean;
  timer: number | undefined;
  /** Marks the end of the operation for the simulator's accounting. */
  readonly end: () => void;
}

/**
 * A global database as the simulator keeps it: its members, its writer, the operation under way,
 * and the data the last failover lost (milliseconds of writes, undefined before any).
 */
export interface GlobalState {
  readonly id: string;
  readonly arn: string;
  readonly resourceId: string;
  readonly account: string;
  /** Member cluster ARNs, in the plan's region order. */
  members: string[];
  /** The member the global cluster names as primary (IsWriter). */
  writerArn: string;
  operation: Operation | undefined;
  lastDataLossMs: number | undefined;
  /**
   * The plan (app) whose global cluster this is: its switchover, failover or detach is that app's
   * long-running operation whoever called it (a runbook step, or the event waker acting for the
   * run: `awsBusySeconds`), as Route 53's changes name theirs.
   */
  readonly app?: string;
}

/**
 * The global cluster's Status while `op` runs: `switching-over`, `failing-over`, or `modifying` for
 * a detach.
 */
export function globalStatus(op: Operation): string {
  if (op.kind === 'detach') return 'modifying';
  return op.kind === 'switchover' ? 'switching-over' : 'failing-over';
}

/** The `index`th colon-separated field of an ARN (3: region, 4: account); '' when absent. */
export function arnPart(arn: string, index: number): string {
  return arn.split(':')[index] ?? '';
}

/** The cluster identifier an RDS cluster ARN ends with (the ARN itself when it has no colon). */
export function clusterIdFromArn(arn: string): string {
  return arn.split(':').at(-1) ?? arn;
}

/** A short, stable lower-case hex digest (FNV-1a), for resource IDs and endpoint names. */
export function hash(text: string, length: number): string {
  let out = '';
  let seed = 0x811c9dc5;
  while (out.length < length) {
    let h = seed;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
    seed = (seed + 0x9e3779b9) >>> 0;
  }
  return out.slice(0, length);
}

/**
 * An RDS event as RDS emits it to EventBridge: an `RDS DB Cluster Event` or `RDS DB Instance
 * Event` whose detail carries `EventCategories`, `SourceType`, `SourceArn`, `Date`, `Message`,
 * `SourceIdentifier` and `EventID` (Aurora User Guide, "Creating a rule that triggers on an
 * Amazon Aurora event",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-cloud-watch-events.html). The
 * event IDs, categories and messages are those of "Amazon RDS event categories and event messages
 * for Aurora", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Events.Messages.html:
 * RDS-EVENT-0185 "Global switchover to DB cluster name in Region name finished." and RDS-EVENT-0238
 * "Global failover to DB cluster name in Region name completed." (DB cluster, global failover),
 * RDS-EVENT-0005 "DB instance created." (DB instance, creation). RDS emits them "on a best effort
 * basis" ("Monitoring Amazon Aurora events"): the `service-events-lost` fault drops them.
 */
export function rdsEvent(
  what: 'switchover-finished' | 'failover-completed' | 'instance-created',
  source: { readonly arn: string; readonly region: string; readonly id: string },
  at: number,
): ServiceEvent {
  const cluster = what !== 'instance-created';
  const [eventId, message, category] = {
    'switchover-finished': [
      'RDS-EVENT-0185',
      `Global switchover to DB cluster ${source.id} in Region ${source.region} finished.`,
      'global failover',
    ],
    'failover-completed': [
      'RDS-EVENT-0238',
      `Global failover to DB cluster ${source.id} in Region ${source.region} completed.`,
      'global failover',
    ],
    'instance-created': ['RDS-EVENT-0005', 'DB instance created', 'creation'],
  }[what];
  return {
    region: source.region,
    source: 'aws.rds',
    detailType: cluster ? 'RDS DB Cluster Event' : 'RDS DB Instance Event',
    resources: [source.arn],
    detail: {
      EventCategories: [category],
      SourceType: cluster ? 'CLUSTER' : 'DB_INSTANCE',
      SourceArn: source.arn,
      Date: new Date(at).toISOString(),
      Message: message,
      SourceIdentifier: source.id,
      EventID: eventId,
    },
  };
}

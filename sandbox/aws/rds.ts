import type {
  CreateDBInstanceMessage,
  CreateDBInstanceResult,
  DBCluster,
  DBClusterMessage,
  DBInstance,
  DBInstanceMessage,
  DeleteDBInstanceMessage,
  DeleteDBInstanceResult,
  DescribeDBClustersMessage,
  DescribeDBInstancesMessage,
  DescribeGlobalClustersMessage,
  FailoverGlobalClusterMessage,
  FailoverGlobalClusterResult,
  FailoverState,
  FailoverStatus,
  GlobalCluster,
  GlobalClusterMember,
  GlobalClustersMessage,
  RemoveFromGlobalClusterMessage,
  RemoveFromGlobalClusterResult,
  SwitchoverGlobalClusterMessage,
  SwitchoverGlobalClusterResult,
} from '@aws-sdk/client-rds';
import type { Plan } from '../../functions/core/plan.js';
import {
  awsError,
  beginOperation,
  type CallTarget,
  type SimContext,
  type SimulatedService,
  UnsupportedOperationError,
} from './simulator.js';

/**
 * Durations the latency profile does not (yet) hold; the profile is owned elsewhere, so they live
 * here, per profile, with `fast` = `realistic` / 20 like the rest of FAST.
 * - `instanceCreateMs`: CreateDBInstance of an Aurora reader, from `creating` to `available`.
 *   Typically 5-10 minutes in AWS; we take 8.
 * - `resyncMs`: after a global failover, the old primary rejoins as a secondary and is rebuilt
 *   from the new primary (`SynchronizationStatus: pending-resync`) before it is `connected` again.
 *   Its length depends on the volume; we take 10 minutes.
 * - `instanceDeleteMs`: DeleteDBInstance, from `deleting` to gone. AWS publishes no figure; a few
 *   minutes is typical, we take 5. The instance stops taking connections as soon as it is
 *   `deleting`, so a cluster whose instances are all deleting accepts no writes.
 */
export const RDS_EXTRA_LATENCY = {
  realistic: { instanceCreateMs: 480_000, resyncMs: 600_000, instanceDeleteMs: 300_000 },
  fast: { instanceCreateMs: 24_000, resyncMs: 30_000, instanceDeleteMs: 15_000 },
} as const;

/** Share of a switchover or failover spent in FailoverState `pending` (both clusters being verified). */
const PENDING_SHARE = 0.1;
/** A cancelled operation spends this share of its duration in `cancelling` before the state clears. */
const CANCELLING_SHARE = 0.1;

const ENGINE = 'aurora-postgresql';
const ENGINE_VERSION = '16.4';
const PORT = 5432;
const INSTANCE_CLASS = 'db.r6g.large';

/**
 * FailoverState.Status. The API reference documents `switching-over` (the range of a switchover's
 * internal operations) although the SDK's `FailoverStatus` union lacks it.
 */
type FailoverPhase = FailoverStatus | 'switching-over';

interface ClusterState {
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
  /** The secondary's lag, frozen while its writer's region is down (nothing new replicates). */
  frozenLagMs: number | undefined;
  /** Failed over away from while its region was down: demote it when the region comes back. */
  rejoinOnRecovery: boolean;
  readonly lagHistory: { at: number; lagMs: number | undefined }[];
}

interface InstanceState {
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

interface Operation {
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

interface GlobalState {
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
}

/**
 * Amazon RDS, Aurora global databases (docs/architecture.md, The sandbox under the SDK): global clusters and their member clusters,
 * the writer, replication lag, SwitchoverGlobalCluster, FailoverGlobalCluster (with or without
 * data loss), RemoveFromGlobalCluster (detach and promote) and reader instances for pilot light.
 *
 * Time-based transitions are timers on the virtual clock. Region outages are read from the fault
 * set: a writer in a region that is down keeps its role (split-brain hazard) until Aurora can reach
 * it again.
 */
export class SimulatedRds implements SimulatedService {
  readonly service = 'rds' as const;
  private readonly globals = new Map<string, GlobalState>();
  private readonly clusters = new Map<string, ClusterState>();
  /** The clusters of each global cluster they were provisioned in (the ground truth reads by it). */
  private readonly byOrigin = new Map<string, ClusterState[]>();
  private readonly instances = new Map<string, InstanceState>();
  private readonly provisioned = new Set<string>();
  private readonly extra: (typeof RDS_EXTRA_LATENCY)[keyof typeof RDS_EXTRA_LATENCY];

  constructor(private readonly ctx: SimContext) {
    this.extra = RDS_EXTRA_LATENCY[ctx.latency.name];
    ctx.faults.onChange(() => this.onFaultsChanged());
  }

  /**
   * Creates the plan's global clusters (idempotent per plan): one member cluster per region, the
   * writer in the plan's first region, the others secondary readers, all `available`.
   */
  provision(plan: Plan): void {
    if (this.provisioned.has(plan.name)) return;
    this.provisioned.add(plan.name);
    const now = this.ctx.clock.now();
    for (const spec of plan.database?.auroraGlobalClusters ?? []) {
      if (this.globals.has(spec.globalClusterId)) continue;
      const primary = plan.regions[0] ?? '';
      const members = plan.regions.flatMap((region) => {
        const arn = spec.members[region];
        return arn ? [arn] : [];
      });
      const writerArn = spec.members[primary] ?? members[0] ?? '';
      const account = arnPart(writerArn, 4);
      this.globals.set(spec.globalClusterId, {
        id: spec.globalClusterId,
        arn: `arn:aws:rds::${account}:global-cluster:${spec.globalClusterId}`,
        resourceId: `cluster-${hash(spec.globalClusterId, 16)}`,
        account,
        members,
        writerArn,
        operation: undefined,
        lastDataLossMs: undefined,
      });
      for (const arn of members) {
        const region = arnPart(arn, 3);
        const id = clusterIdFromArn(arn);
        const isWriter = arn === writerArn;
        const cluster: ClusterState = {
          arn,
          id,
          region,
          account: arnPart(arn, 4),
          resourceId: `cluster-${hash(arn, 26).toUpperCase()}`,
          createdAt: now,
          globalClusterId: spec.globalClusterId,
          originGlobalClusterId: spec.globalClusterId,
          status: 'available',
          writable: isWriter,
          synchronization: 'connected',
          frozenLagMs: undefined,
          rejoinOnRecovery: false,
          lagHistory: [],
        };
        this.clusters.set(arn, cluster);
        this.byOrigin.set(spec.globalClusterId, [
          ...(this.byOrigin.get(spec.globalClusterId) ?? []),
          cluster,
        ]);
        // The primary runs a writer and a reader, each secondary one (read-only) instance.
        const count = isWriter ? 2 : 1;
        for (let i = 1; i <= count; i++)
          this.addInstance(cluster, `${id}-instance-${i}`, INSTANCE_CLASS, now);
      }
      this.refresh(this.mustGlobal(spec.globalClusterId));
    }
  }

  handle(operation: string, input: Record<string, unknown>, target: CallTarget): unknown {
    switch (operation) {
      case 'DescribeGlobalClusters':
        return this.describeGlobalClusters(input as Partial<DescribeGlobalClustersMessage>);
      case 'DescribeDBClusters':
        return this.describeDbClusters(input as Partial<DescribeDBClustersMessage>, target);
      case 'SwitchoverGlobalCluster':
        return this.switchover(input as Partial<SwitchoverGlobalClusterMessage>);
      case 'FailoverGlobalCluster':
        return this.failover(input as Partial<FailoverGlobalClusterMessage>);
      case 'RemoveFromGlobalCluster':
        return this.removeFromGlobalCluster(input as Partial<RemoveFromGlobalClusterMessage>);
      case 'CreateDBInstance':
        return this.createDbInstance(input as Partial<CreateDBInstanceMessage>, target);
      case 'DescribeDBInstances':
        return this.describeDbInstances(input as Partial<DescribeDBInstancesMessage>, target);
      case 'DeleteDBInstance':
        return this.deleteDbInstance(input as Partial<DeleteDBInstanceMessage>, target);
      default:
        throw new UnsupportedOperationError('rds', operation);
    }
  }

  // --- views for the ground truth and the CloudWatch model -------------------------------------

  /**
   * Regions holding a writable cluster that belongs (or belonged, before a detach) to the global
   * cluster, in regions that are up. More than one is a split brain.
   */
  writerRegions(globalClusterId: string): string[] {
    return this.allWriterRegions(globalClusterId).filter((r) => !this.ctx.faults.isRegionDown(r));
  }

  /** As {@link writerRegions}, outages ignored: a writer cut off in a region that is down counts. */
  allWriterRegions(globalClusterId: string): string[] {
    const regions = new Set<string>();
    for (const c of this.byOrigin.get(globalClusterId) ?? [])
      if (c.writable && this.hasLiveInstance(c)) regions.add(c.region);
    return [...regions];
  }

  /** The member the global cluster names as its writer (IsWriter), if the global cluster exists. */
  globalWriterArn(globalClusterId: string): string | undefined {
    return this.globals.get(globalClusterId)?.writerArn;
  }

  /**
   * A secondary's replication lag behind its writer now, in ms; undefined for a writer, a detached
   * cluster, a member being rebuilt, or an unknown ARN. Frozen while the writer's region is down.
   */
  replicationLagMs(clusterArn: string): number | undefined {
    const cluster = this.clusters.get(clusterArn);
    return cluster ? this.lagOf(cluster) : undefined;
  }

  /** Every change of a cluster's replication lag, oldest first (for the CloudWatch metric). */
  replicationLagHistory(clusterArn: string): readonly { at: number; lagMs: number | undefined }[] {
    return this.clusters.get(clusterArn)?.lagHistory ?? [];
  }

  /**
   * Data lost by the last promotion of the global cluster, in ms of writes: 0 after a switchover,
   * the target's replication lag when writes stopped reaching it after a failover or a detach.
   */
  lastDataLossMs(globalClusterId: string): number | undefined {
    return this.globals.get(globalClusterId)?.lastDataLossMs;
  }

  /** The DBClusterIdentifier of a cluster ARN (its last segment). */
  clusterIdFor(arn: string): string {
    return this.clusters.get(arn)?.id ?? clusterIdFromArn(arn);
  }

  /** The ARN of a cluster known in `region` by identifier or ARN. */
  clusterArnFor(region: string, idOrArn: string): string | undefined {
    return this.findCluster(region, idOrArn)?.arn;
  }

  // --- operations ------------------------------------------------------------------------------

  private describeGlobalClusters(input: Partial<DescribeGlobalClustersMessage>): GlobalClustersMessage {
    const id = input.GlobalClusterIdentifier;
    if (id !== undefined) {
      const global = this.globals.get(id);
      if (!global) throw awsError('rds', 'GlobalClusterNotFoundFault', `Global cluster ${id} not found.`);
      return { GlobalClusters: [this.globalView(global)] };
    }
    return { GlobalClusters: [...this.globals.values()].map((g) => this.globalView(g)) };
  }

  private describeDbClusters(
    input: Partial<DescribeDBClustersMessage>,
    target: CallTarget,
  ): DBClusterMessage {
    const id = input.DBClusterIdentifier;
    if (id !== undefined) {
      const cluster = this.findCluster(target.region, id);
      if (!cluster) throw awsError('rds', 'DBClusterNotFoundFault', `DBCluster ${id} not found.`);
      return { DBClusters: [this.clusterView(cluster)] };
    }
    return {
      DBClusters: [...this.clusters.values()]
        .filter((c) => c.region === target.region)
        .map((c) => this.clusterView(c)),
    };
  }

  private switchover(input: Partial<SwitchoverGlobalClusterMessage>): SwitchoverGlobalClusterResult {
    const { global, target } = this.operands(input.GlobalClusterIdentifier, input.TargetDbClusterIdentifier);
    this.checkPromotable(global, target);
    // A switchover needs a healthy global database: every member reachable and in sync, since all
    // secondaries are synchronised with the primary before the roles change (no data loss).
    for (const arn of global.members) {
      const member = this.mustCluster(arn);
      if (this.ctx.faults.isRegionDown(member.region))
        throw awsError(
          'rds',
          'InvalidGlobalClusterStateFault',
          `Global cluster ${global.id}: member ${arn} in ${member.region} is unreachable; a switchover needs every member healthy (fail over with AllowDataLoss instead)`,
        );
      if (member.synchronization !== 'connected' || member.status !== 'available')
        throw awsError(
          'rds',
          'InvalidGlobalClusterStateFault',
          `Global cluster ${global.id}: member ${arn} is ${member.synchronization === 'connected' ? member.status : member.synchronization}; a switchover needs every member available and connected`,
        );
    }
    this.start(global, 'switchover', target, this.ctx.latency.aurora.switchoverMs);
    return { GlobalCluster: this.globalView(global) };
  }

  private failover(input: Partial<FailoverGlobalClusterMessage>): FailoverGlobalClusterResult {
    if (input.AllowDataLoss && input.Switchover)
      throw awsError(
        'rds',
        'InvalidParameterCombination',
        'AllowDataLoss and Switchover cannot be specified together.',
      );
    // Without AllowDataLoss the operation is a switchover (FailoverGlobalCluster's documented default).
    if (!input.AllowDataLoss) return this.switchover(input);
    const { global, target } = this.operands(input.GlobalClusterIdentifier, input.TargetDbClusterIdentifier);
    this.checkPromotable(global, target);
    // A member still being rebuilt holds no consistent copy to promote.
    if (target.synchronization !== 'connected')
      throw awsError(
        'rds',
        'InvalidDBClusterStateFault',
        `DBCluster ${target.id} is ${target.synchronization}; it cannot be promoted until it is connected.`,
      );
    this.start(global, 'failover', target, this.ctx.latency.aurora.failoverMs);
    return { GlobalCluster: this.globalView(global) };
  }

  private removeFromGlobalCluster(
    input: Partial<RemoveFromGlobalClusterMessage>,
  ): RemoveFromGlobalClusterResult {
    const global = this.mustGlobalFault(input.GlobalClusterIdentifier);
    const arn = input.DbClusterIdentifier ?? '';
    const cluster = this.memberOf(global, arn);
    this.checkIdle(global);
    if (arn === global.writerArn && global.members.length > 1)
      throw awsError(
        'rds',
        'InvalidGlobalClusterStateFault',
        `Global cluster ${global.id}: ${arn} is its primary cluster; remove the secondary clusters first`,
      );
    if (this.ctx.faults.isRegionDown(cluster.region) || cluster.status !== 'available')
      throw awsError('rds', 'InvalidDBClusterStateFault', `DBCluster ${cluster.id} is not available.`);
    const operation: Operation = {
      kind: 'detach',
      fromArn: global.writerArn,
      toArn: arn,
      phase: 'detaching',
      dataLossMs: this.lagOf(cluster) ?? 0,
      demoted: false,
      timer: undefined,
      end: beginOperation(this.ctx, 'rds:detach'),
    };
    global.operation = operation;
    cluster.status = 'promoting';
    operation.timer = this.ctx.clock.setTimer(this.ctx.latency.aurora.detachMs, () => {
      operation.timer = undefined;
      operation.end();
      global.operation = undefined;
      global.members = global.members.filter((m) => m !== arn);
      cluster.globalClusterId = undefined;
      cluster.status = 'available';
      cluster.writable = true;
      cluster.synchronization = 'connected';
      cluster.frozenLagMs = undefined;
      // The detached copy lacks what had not replicated yet: the same loss as a failover's.
      global.lastDataLossMs = operation.dataLossMs;
      this.refresh(global);
      this.recordLag(cluster);
    });
    return { GlobalCluster: this.globalView(global) };
  }

  private createDbInstance(
    input: Partial<CreateDBInstanceMessage>,
    target: CallTarget,
  ): CreateDBInstanceResult {
    const clusterId = input.DBClusterIdentifier;
    const id = input.DBInstanceIdentifier ?? '';
    if (!clusterId)
      throw awsError(
        'rds',
        'InvalidParameterValue',
        'the sandbox simulates Aurora reader instances only: DBClusterIdentifier is required',
      );
    const cluster = this.findCluster(target.region, clusterId);
    if (!cluster) throw awsError('rds', 'DBClusterNotFoundFault', `DBCluster ${clusterId} not found.`);
    if (!/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/.test(id))
      throw awsError('rds', 'InvalidParameterValue', `Invalid DB instance identifier: ${id}`);
    if (this.findInstance(target.region, id))
      throw awsError('rds', 'DBInstanceAlreadyExistsFault', `DB instance already exists: ${id}`);
    if (input.Engine && input.Engine !== ENGINE)
      throw awsError(
        'rds',
        'InvalidParameterCombination',
        `The engine name requested for your DB instance (${input.Engine}) doesn't match the engine name of your DB cluster (${ENGINE}).`,
      );
    const instance = this.addInstance(cluster, id, input.DBInstanceClass ?? INSTANCE_CLASS, undefined);
    const end = beginOperation(this.ctx, 'rds:create-instance');
    this.ctx.clock.setTimer(this.extra.instanceCreateMs, () => {
      end();
      instance.status = 'available';
      instance.createdAt = this.ctx.clock.now();
      this.ctx.changed();
    });
    return { DBInstance: this.instanceView(instance) };
  }

  /**
   * DeleteDBInstance of one instance of an Aurora cluster. The instance is `deleting` at once (it
   * takes no more connections) and gone `instanceDeleteMs` later. Aurora keeps the cluster and its
   * volume. Source: RDS API Reference, DeleteDBInstance (InvalidDBInstanceState when the instance
   * is not in a state that allows it; DBInstanceNotFound when absent).
   */
  private deleteDbInstance(
    input: Partial<DeleteDBInstanceMessage>,
    target: CallTarget,
  ): DeleteDBInstanceResult {
    const id = input.DBInstanceIdentifier ?? '';
    const instance = this.findInstance(target.region, id);
    if (!instance) throw awsError('rds', 'DBInstanceNotFoundFault', `DBInstance ${id} not found.`);
    if (instance.status !== 'available')
      throw awsError(
        'rds',
        'InvalidDBInstanceStateFault',
        `Instance ${id} is not in available state (${instance.status}).`,
      );
    instance.status = 'deleting';
    this.ctx.clock.setTimer(this.extra.instanceDeleteMs, () => {
      this.instances.delete(`${instance.region}/${instance.id}`);
      this.ctx.changed();
    });
    this.ctx.changed();
    return { DBInstance: this.instanceView(instance) };
  }

  /** Whether some instance of the cluster takes connections (a headless cluster takes none). */
  private hasLiveInstance(cluster: ClusterState): boolean {
    for (const i of this.instances.values())
      if (i.clusterArn === cluster.arn && i.status === 'available') return true;
    return false;
  }

  private describeDbInstances(
    input: Partial<DescribeDBInstancesMessage>,
    target: CallTarget,
  ): DBInstanceMessage {
    const id = input.DBInstanceIdentifier;
    let found = [...this.instances.values()].filter((i) => i.region === target.region);
    if (id !== undefined) {
      found = found.filter((i) => i.id === id || i.arn === id);
      if (found.length === 0) throw awsError('rds', 'DBInstanceNotFoundFault', `DBInstance ${id} not found.`);
    }
    for (const filter of input.Filters ?? []) {
      const values = filter.Values ?? [];
      if (filter.Name === 'db-cluster-id') {
        found = found.filter((i) =>
          values.some((v) => v === i.clusterArn || v === clusterIdFromArn(i.clusterArn)),
        );
      } else if (filter.Name === 'db-instance-id') {
        found = found.filter((i) => values.includes(i.id) || values.includes(i.arn));
      } else {
        throw awsError('rds', 'InvalidParameterValue', `Unrecognized filter name: ${filter.Name}`);
      }
    }
    return { DBInstances: found.map((i) => this.instanceView(i)) };
  }

  // --- switchover / failover lifecycle -----------------------------------------------------------

  private operands(
    globalClusterId: string | undefined,
    targetArn: string | undefined,
  ): { global: GlobalState; target: ClusterState } {
    const global = this.mustGlobalFault(globalClusterId);
    return { global, target: this.memberOf(global, targetArn ?? '') };
  }

  private checkPromotable(global: GlobalState, target: ClusterState): void {
    this.checkIdle(global);
    if (target.arn === global.writerArn)
      throw awsError(
        'rds',
        'InvalidGlobalClusterStateFault',
        `Global cluster ${global.id}: ${target.arn} is already its primary (writer) cluster`,
      );
    if (this.ctx.faults.isRegionDown(target.region) || target.status !== 'available')
      throw awsError('rds', 'InvalidDBClusterStateFault', `DBCluster ${target.id} is not available.`);
  }

  private checkIdle(global: GlobalState): void {
    const op = global.operation;
    if (op)
      throw awsError(
        'rds',
        'InvalidGlobalClusterStateFault',
        `Global cluster ${global.id} is ${globalStatus(op)} (${op.kind} to ${op.toArn} in progress)`,
      );
  }

  /**
   * A switchover or failover: `pending` while both clusters are verified, then `switching-over` /
   * `failing-over` (the old writer, if reachable, stops taking writes), then the roles change.
   *
   * Under the `aurora-failover-fails` fault the request is accepted but ends without a promotion:
   * FailoverState goes to `cancelling` (the documented state of a cancelled operation: both
   * clusters return to their previous roles), then clears; the writer stays where it was. The
   * same happens if the target's region, or for a switchover the old writer's, goes down meanwhile.
   */
  private start(
    global: GlobalState,
    kind: 'switchover' | 'failover',
    target: ClusterState,
    durationMs: number,
  ) {
    const operation: Operation = {
      kind,
      fromArn: global.writerArn,
      toArn: target.arn,
      phase: 'pending',
      dataLossMs: 0,
      demoted: false,
      timer: undefined,
      end: beginOperation(this.ctx, `rds:${kind}`),
    };
    global.operation = operation;
    const pendingMs = Math.round(durationMs * PENDING_SHARE);
    operation.timer = this.ctx.clock.setTimer(pendingMs, () => {
      operation.phase = kind === 'switchover' ? 'switching-over' : 'failing-over';
      const from = this.mustCluster(operation.fromArn);
      if (!this.ctx.faults.isRegionDown(from.region)) {
        // Reachable old writer: demoted now. A switchover first syncs every secondary (no loss).
        from.writable = false;
        operation.demoted = true;
      }
      operation.dataLossMs = kind === 'switchover' ? 0 : (this.lagOf(target) ?? 0);
      this.ctx.changed();
      operation.timer = this.ctx.clock.setTimer(durationMs - pendingMs, () =>
        this.finish(global, operation, durationMs),
      );
    });
  }

  private finish(global: GlobalState, operation: Operation, durationMs: number): void {
    const { faults } = this.ctx;
    const from = this.mustCluster(operation.fromArn);
    const to = this.mustCluster(operation.toArn);
    const cancelled =
      faults.auroraFailoverFails(global.id) ||
      faults.isRegionDown(to.region) ||
      (operation.kind === 'switchover' && faults.isRegionDown(from.region));
    if (cancelled) {
      operation.phase = 'cancelling';
      if (operation.demoted) from.writable = true;
      this.ctx.changed();
      operation.timer = this.ctx.clock.setTimer(Math.round(durationMs * CANCELLING_SHARE), () => {
        operation.timer = undefined;
        operation.end();
        global.operation = undefined;
        this.refresh(global);
      });
      return;
    }
    operation.timer = undefined;
    operation.end();
    global.operation = undefined;
    global.writerArn = to.arn;
    to.writable = true;
    to.synchronization = 'connected';
    to.frozenLagMs = undefined;
    global.lastDataLossMs = operation.dataLossMs;
    if (faults.isRegionDown(from.region)) {
      // Aurora cannot reach the old primary: it keeps taking writes where it is (split brain)
      // until its region is back, when Aurora makes it a secondary and rebuilds it.
      from.rejoinOnRecovery = true;
      from.synchronization = 'pending-resync';
    } else if (operation.kind === 'switchover') {
      from.writable = false;
      from.synchronization = 'connected';
    } else {
      this.rejoin(from);
    }
    this.refresh(global);
  }

  /** The old primary becomes a secondary, rebuilt from the new primary before it is connected. */
  private rejoin(cluster: ClusterState): void {
    cluster.writable = false;
    cluster.rejoinOnRecovery = false;
    cluster.synchronization = 'pending-resync';
    this.ctx.clock.setTimer(this.extra.resyncMs, () => {
      if (cluster.writable || cluster.globalClusterId === undefined) return;
      cluster.synchronization = 'connected';
      const global = this.globals.get(cluster.globalClusterId);
      if (global) this.refresh(global);
    });
  }

  private onFaultsChanged(): void {
    for (const cluster of this.clusters.values())
      if (cluster.rejoinOnRecovery && !this.ctx.faults.isRegionDown(cluster.region)) this.rejoin(cluster);
    for (const global of this.globals.values()) this.refresh(global);
  }

  /**
   * Freezes the secondaries' lag while the writer's region is down (nothing new replicates; what
   * was in flight is at risk) and thaws it when the region is back; records lag changes; tells
   * the sandbox that state changed.
   */
  private refresh(global: GlobalState): void {
    const writer = this.mustCluster(global.writerArn);
    const writerDown = this.ctx.faults.isRegionDown(writer.region);
    for (const arn of global.members) {
      const member = this.mustCluster(arn);
      if (arn === global.writerArn || member.writable) {
        member.frozenLagMs = undefined;
      } else if (writerDown) {
        member.frozenLagMs ??= this.ctx.latency.aurora.replicationLagMs;
      } else {
        member.frozenLagMs = undefined;
      }
      this.recordLag(member);
    }
    this.ctx.changed();
  }

  private lagOf(cluster: ClusterState): number | undefined {
    if (cluster.writable || cluster.globalClusterId === undefined) return undefined;
    const global = this.globals.get(cluster.globalClusterId);
    if (!global || global.writerArn === cluster.arn || cluster.synchronization !== 'connected')
      return undefined;
    return cluster.frozenLagMs ?? this.ctx.latency.aurora.replicationLagMs;
  }

  private recordLag(cluster: ClusterState): void {
    const lagMs = this.lagOf(cluster);
    const last = cluster.lagHistory.at(-1);
    if (last && last.lagMs === lagMs) return;
    const at = this.ctx.clock.now();
    if (last && last.at === at) last.lagMs = lagMs;
    else cluster.lagHistory.push({ at, lagMs });
  }

  // --- lookups -----------------------------------------------------------------------------------

  private mustGlobal(id: string): GlobalState {
    const global = this.globals.get(id);
    if (!global) throw new Error(`sandbox rds: no global cluster ${id}`);
    return global;
  }

  private mustGlobalFault(id: string | undefined): GlobalState {
    const global = id === undefined ? undefined : this.globals.get(id);
    if (!global)
      throw awsError('rds', 'GlobalClusterNotFoundFault', `Global cluster ${id ?? '(none)'} not found.`);
    return global;
  }

  private mustCluster(arn: string): ClusterState {
    const cluster = this.clusters.get(arn);
    if (!cluster) throw new Error(`sandbox rds: no cluster ${arn}`);
    return cluster;
  }

  /** A member of the global cluster, named by ARN (as the global cluster APIs require). */
  private memberOf(global: GlobalState, arn: string): ClusterState {
    const cluster = this.clusters.get(arn);
    if (!cluster || !global.members.includes(arn))
      throw awsError(
        'rds',
        'DBClusterNotFoundFault',
        `DBCluster ${arn || '(none)'} not found in global cluster ${global.id}.`,
      );
    return cluster;
  }

  private findCluster(region: string, idOrArn: string): ClusterState | undefined {
    for (const c of this.clusters.values())
      if (c.region === region && (c.arn === idOrArn || c.id === idOrArn.toLowerCase() || c.id === idOrArn))
        return c;
    return undefined;
  }

  private findInstance(region: string, id: string): InstanceState | undefined {
    for (const i of this.instances.values()) if (i.region === region && i.id === id) return i;
    return undefined;
  }

  private addInstance(
    cluster: ClusterState,
    id: string,
    instanceClass: string,
    createdAt: number | undefined,
  ): InstanceState {
    const azs = ['a', 'b', 'c'];
    const index = [...this.instances.values()].filter((i) => i.clusterArn === cluster.arn).length;
    const instance: InstanceState = {
      id,
      arn: `arn:aws:rds:${cluster.region}:${cluster.account}:db:${id}`,
      clusterArn: cluster.arn,
      region: cluster.region,
      instanceClass,
      engine: ENGINE,
      availabilityZone: `${cluster.region}${azs[index % azs.length]}`,
      status: createdAt === undefined ? 'creating' : 'available',
      createdAt,
    };
    this.instances.set(`${cluster.region}/${id}`, instance);
    return instance;
  }

  // --- output shapes -----------------------------------------------------------------------------

  private globalView(global: GlobalState): GlobalCluster {
    const readers = global.members.filter((arn) => arn !== global.writerArn);
    const members: GlobalClusterMember[] = global.members.map((arn) => {
      const cluster = this.mustCluster(arn);
      const isWriter = arn === global.writerArn;
      return {
        DBClusterArn: arn,
        Readers: isWriter ? readers : [],
        IsWriter: isWriter,
        ...(isWriter ? {} : { GlobalWriteForwardingStatus: 'disabled' as const }),
        SynchronizationStatus: cluster.synchronization,
      };
    });
    const op = global.operation;
    const failoverState: FailoverState | undefined =
      op && op.kind !== 'detach'
        ? {
            // The API reference documents `switching-over`; the SDK's union does not list it yet.
            Status: op.phase as FailoverStatus,
            FromDbClusterArn: op.fromArn,
            ToDbClusterArn: op.toArn,
            IsDataLossAllowed: op.kind === 'failover',
          }
        : undefined;
    return {
      GlobalClusterIdentifier: global.id,
      GlobalClusterResourceId: global.resourceId,
      GlobalClusterArn: global.arn,
      Status: op ? globalStatus(op) : 'available',
      Engine: ENGINE,
      EngineVersion: ENGINE_VERSION,
      StorageEncrypted: true,
      DeletionProtection: false,
      GlobalClusterMembers: members,
      Endpoint: `${global.id}.global-${hash(global.resourceId, 10)}.global.rds.amazonaws.com`,
      ...(failoverState ? { FailoverState: failoverState } : {}),
      TagList: [],
    };
  }

  private clusterView(cluster: ClusterState): DBCluster {
    const suffix = hash(`${cluster.account}/${cluster.region}`, 12);
    const instances = [...this.instances.values()].filter((i) => i.clusterArn === cluster.arn);
    const writerInstance = cluster.writable ? instances.find((i) => i.status === 'available') : undefined;
    return {
      DBClusterIdentifier: cluster.id,
      DBClusterArn: cluster.arn,
      DbClusterResourceId: cluster.resourceId,
      Status: cluster.status,
      Engine: ENGINE,
      EngineVersion: ENGINE_VERSION,
      EngineMode: 'provisioned',
      Port: PORT,
      MultiAZ: instances.length > 1,
      AvailabilityZones: ['a', 'b', 'c'].map((z) => `${cluster.region}${z}`),
      Endpoint: `${cluster.id}.cluster-${suffix}.${cluster.region}.rds.amazonaws.com`,
      ReaderEndpoint: `${cluster.id}.cluster-ro-${suffix}.${cluster.region}.rds.amazonaws.com`,
      StorageEncrypted: true,
      ClusterCreateTime: new Date(cluster.createdAt),
      DBClusterMembers: instances.map((i) => ({
        DBInstanceIdentifier: i.id,
        IsClusterWriter: i === writerInstance,
        DBClusterParameterGroupStatus: 'in-sync',
        PromotionTier: 1,
      })),
      ...(cluster.globalClusterId ? { GlobalClusterIdentifier: cluster.globalClusterId } : {}),
      ...(cluster.globalClusterId && !cluster.writable
        ? { GlobalWriteForwardingStatus: 'disabled' as const }
        : {}),
      TagList: [],
    };
  }

  private instanceView(instance: InstanceState): DBInstance {
    const suffix = hash(instance.region, 12);
    return {
      DBInstanceIdentifier: instance.id,
      DBInstanceArn: instance.arn,
      DBInstanceClass: instance.instanceClass,
      Engine: instance.engine,
      EngineVersion: ENGINE_VERSION,
      DBInstanceStatus: instance.status,
      DBClusterIdentifier: clusterIdFromArn(instance.clusterArn),
      AvailabilityZone: instance.availabilityZone,
      MultiAZ: false,
      PubliclyAccessible: false,
      StorageEncrypted: true,
      PromotionTier: 1,
      ...(instance.status === 'available'
        ? {
            Endpoint: {
              Address: `${instance.id}.${suffix}.${instance.region}.rds.amazonaws.com`,
              Port: PORT,
            },
          }
        : {}),
      ...(instance.createdAt !== undefined ? { InstanceCreateTime: new Date(instance.createdAt) } : {}),
    };
  }
}

function globalStatus(op: Operation): string {
  if (op.kind === 'detach') return 'modifying';
  return op.kind === 'switchover' ? 'switching-over' : 'failing-over';
}

function arnPart(arn: string, index: number): string {
  return arn.split(':')[index] ?? '';
}

function clusterIdFromArn(arn: string): string {
  return arn.split(':').at(-1) ?? arn;
}

/** A short, stable lower-case hex digest (FNV-1a), for resource IDs and endpoint names. */
function hash(text: string, length: number): string {
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

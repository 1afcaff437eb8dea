import type { Plan } from '../../functions/core/plan.js';
import { AuroraInstances } from './rds-instances.js';
import {
  arnPart,
  type ClusterState,
  clusterIdFromArn,
  ENGINE,
  ENGINE_VERSION,
  type GlobalState,
  globalStatus,
  hash,
  INSTANCE_CLASS,
  MISMATCHED_ENGINE_VERSION,
  type Operation,
  rdsEvent,
} from './rds-model.js';
import { awsError, beginOperation, emitServiceEvent, type SimContext } from './simulator.js';

/** Share of a switchover or failover spent in FailoverState `pending` (both clusters being verified). */
const PENDING_SHARE = 0.1;
/** A cancelled operation spends this share of its duration in `cancelling` before the state clears. */
const CANCELLING_SHARE = 0.1;

/**
 * The state and model of the simulated Aurora global databases ({@link SimulatedRds} in rds.ts
 * documents the behaviour): provisioning, the views the ground truth and CloudWatch read, the
 * switchover and failover lifecycle, and replication lag. The API operations and their output
 * shapes live in the subclass.
 *
 * DR_GUIDE, in the comments below, is the Aurora User Guide's "Using switchover or failover in
 * Amazon Aurora Global Database",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
 */
export class RdsCore {
  protected readonly globals = new Map<string, GlobalState>();
  /** By ARN. */
  protected readonly clusters = new Map<string, ClusterState>();
  /** The same clusters by `region/identifier`: a call naming one finds it without a scan. */
  protected readonly byRegionId = new Map<string, ClusterState>();
  /** The clusters of each global cluster they were provisioned in (the ground truth reads by it). */
  protected readonly byOrigin = new Map<string, ClusterState[]>();
  protected readonly instances: AuroraInstances;
  protected readonly provisioned = new Set<string>();

  constructor(protected readonly ctx: SimContext) {
    this.instances = new AuroraInstances(ctx);
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
        app: plan.name,
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
        this.byRegionId.set(`${cluster.region}/${cluster.id}`, cluster);
        this.byOrigin.set(spec.globalClusterId, [
          ...(this.byOrigin.get(spec.globalClusterId) ?? []),
          cluster,
        ]);
        // The primary runs a writer and a reader, each secondary one (read-only) instance, or none
        // when the plan keeps its secondaries headless ("A headless secondary Aurora DB cluster is
        // one without a DB instance": Aurora User Guide, "Creating a headless Aurora DB cluster in a
        // secondary Region", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-attach.console.headless.html).
        const count = isWriter ? 2 : spec.headlessSecondaries ? 0 : 1;
        for (let i = 1; i <= count; i++)
          this.instances.add(cluster, `${id}-instance-${i}`, INSTANCE_CLASS, now);
      }
      this.refresh(this.mustGlobal(spec.globalClusterId));
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
      if (c.writable && this.instances.hasLive(c.arn)) regions.add(c.region);
    return [...regions];
  }

  /** The member the global cluster names as its writer (IsWriter), if the global cluster exists. */
  globalWriterArn(globalClusterId: string): string | undefined {
    return this.globals.get(globalClusterId)?.writerArn;
  }

  /**
   * A secondary's replication lag behind its writer now, in ms, as its lag metrics publish it;
   * undefined for a writer, a detached cluster, a member being rebuilt, an unknown ARN, and while
   * the writer's region is down (the metric goes missing: see {@link lagOf}).
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

  // --- switchover / failover lifecycle -----------------------------------------------------------

  protected operands(
    globalClusterId: string | undefined,
    targetArn: string | undefined,
  ): { global: GlobalState; target: ClusterState } {
    const global = this.mustGlobalFault(globalClusterId);
    return { global, target: this.memberOf(global, targetArn ?? '') };
  }

  protected checkPromotable(global: GlobalState, target: ClusterState): void {
    this.checkIdle(global);
    if (target.arn === global.writerArn)
      throw awsError(
        'rds',
        'InvalidGlobalClusterStateFault',
        `Global cluster ${global.id}: ${target.arn} is already its primary (writer) cluster`,
      );
    if (this.ctx.faults.isRegionDown(target.region) || target.status !== 'available')
      throw awsError('rds', 'InvalidDBClusterStateFault', `DBCluster ${target.id} is not available.`);
    // "Before you can perform a switchover or failover to a headless secondary Aurora DB cluster,
    // you must add a DB instance to it." (DR_GUIDE). AWS does not document the error's code; we
    // answer the API reference's error for a target whose state forbids the operation.
    if (!this.instances.hasLive(target.arn))
      throw awsError(
        'rds',
        'InvalidDBClusterStateFault',
        `DBCluster ${target.id} has no available DB instance (a headless cluster); add a DB instance to it before a switchover or failover to it.`,
      );
    // "You can perform managed cross-Region switchovers with Aurora Global Database only if the
    // primary and secondary DB clusters have the same major and minor engine versions", and the
    // same sentence for managed failovers; the way out is the manual failover (detach) (DR_GUIDE).
    const writer = this.mustCluster(global.writerArn);
    const writerVersion = this.engineVersionOf(writer);
    const targetVersion = this.engineVersionOf(target);
    if (writerVersion !== targetVersion)
      throw awsError(
        'rds',
        'InvalidGlobalClusterStateFault',
        `Global cluster ${global.id}: the primary ${writer.id} runs ${ENGINE} ${writerVersion} and ${target.id} runs ${targetVersion}; a switchover or failover needs the same major and minor engine versions (detach the cluster instead).`,
      );
  }

  /** A member's engine version: another minor version under the `engine-version-mismatch` fault. */
  protected engineVersionOf(cluster: ClusterState): string {
    return this.ctx.faults.engineVersionMismatch(cluster.originGlobalClusterId, cluster.region)
      ? MISMATCHED_ENGINE_VERSION
      : ENGINE_VERSION;
  }

  protected checkIdle(global: GlobalState): void {
    const op = global.operation;
    if (op)
      throw awsError(
        'rds',
        'InvalidGlobalClusterStateFault',
        `Global cluster ${global.id} is ${globalStatus(op)} (${op.kind} to ${op.toArn} in progress)`,
      );
  }

  /**
   * A switchover or failover: `pending` while both clusters are verified (and, for a switchover,
   * `syncMs` more while the secondaries catch up), then `switching-over` / `failing-over` (the old
   * writer, if reachable, stops taking writes), then the roles change.
   *
   * Under the `aurora-failover-fails` fault the request is accepted but ends without a promotion:
   * FailoverState goes to `cancelling` (the documented state of a cancelled operation: both
   * clusters return to their previous roles), then clears; the writer stays where it was. The
   * same happens if the target's region, or for a switchover the old writer's, goes down meanwhile.
   */
  protected start(
    global: GlobalState,
    kind: 'switchover' | 'failover',
    target: ClusterState,
    durationMs: number,
    syncMs = 0,
  ) {
    const operation: Operation = {
      kind,
      fromArn: global.writerArn,
      toArn: target.arn,
      phase: 'pending',
      dataLossMs: 0,
      demoted: false,
      timer: undefined,
      end: beginOperation(this.ctx, `rds:${kind}`, global.app, `${global.id} to ${target.arn}`),
    };
    global.operation = operation;
    const pendingMs = Math.round(durationMs * PENDING_SHARE);
    operation.timer = this.ctx.clock.setTimer(pendingMs + syncMs, () => {
      operation.phase = kind === 'switchover' ? 'switching-over' : 'failing-over';
      const from = this.mustCluster(operation.fromArn);
      if (!this.ctx.faults.isRegionDown(from.region)) {
        // Reachable old writer: demoted now. A switchover first syncs every secondary (no loss).
        from.writable = false;
        operation.demoted = true;
      }
      operation.dataLossMs = kind === 'switchover' ? 0 : (this.dataAtRiskMs(target) ?? 0);
      this.ctx.changed([global.id]);
      operation.timer = this.ctx.clock.setTimer(durationMs - pendingMs, () =>
        this.finish(global, operation, durationMs),
      );
    });
  }

  protected finish(global: GlobalState, operation: Operation, durationMs: number): void {
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
      this.ctx.changed([global.id]);
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
    if (operation.kind === 'failover') {
      // "After Aurora promotes the new primary cluster, it automatically rebuilds all additional
      // secondary Region clusters" ... "The duration of the complete rebuilding task can take a few
      // minutes to several hours" ... "When the secondary Region clusters finish rebuilding from the
      // new primary Region, they become available for read access." (DR_GUIDE). Meanwhile they are
      // `pending-resync`, publish no lag and cannot be promoted.
      for (const arn of global.members) {
        if (arn === to.arn || arn === from.arn) continue;
        const other = this.mustCluster(arn);
        other.frozenLagMs = undefined;
        if (faults.isRegionDown(other.region)) {
          other.rejoinOnRecovery = true;
          other.synchronization = 'pending-resync';
        } else {
          this.rejoin(other);
        }
      }
    }
    this.refresh(global);
    // RDS-EVENT-0185 / RDS-EVENT-0238, about the new primary, in its region (sandbox/aws/rds-model.ts).
    emitServiceEvent(
      this.ctx,
      rdsEvent(
        operation.kind === 'switchover' ? 'switchover-finished' : 'failover-completed',
        to,
        this.ctx.clock.now(),
      ),
    );
  }

  /**
   * A member is rebuilt from the new primary (the old primary after a failover, or any other
   * secondary): `pending-resync` for the profile's `secondaryRebuildMs`, then `connected`.
   */
  protected rejoin(cluster: ClusterState): void {
    cluster.writable = false;
    cluster.rejoinOnRecovery = false;
    cluster.synchronization = 'pending-resync';
    this.ctx.clock.setTimer(this.ctx.latency.aurora.secondaryRebuildMs, () => {
      if (cluster.writable || cluster.globalClusterId === undefined) return;
      cluster.synchronization = 'connected';
      const global = this.globals.get(cluster.globalClusterId);
      if (global) this.refresh(global);
    });
  }

  protected onFaultsChanged(): void {
    for (const cluster of this.clusters.values())
      if (cluster.rejoinOnRecovery && !this.ctx.faults.isRegionDown(cluster.region)) this.rejoin(cluster);
    for (const global of this.globals.values()) this.refresh(global);
  }

  /**
   * Freezes the secondaries' data at risk while the writer's region is down (nothing new
   * replicates; what was in flight is lost by a failover) and thaws it when the region is back;
   * records lag changes; tells the sandbox that state changed.
   */
  protected refresh(global: GlobalState): void {
    const writer = this.mustCluster(global.writerArn);
    const writerDown = this.ctx.faults.isRegionDown(writer.region);
    for (const arn of global.members) {
      const member = this.mustCluster(arn);
      if (arn === global.writerArn || member.writable) {
        member.frozenLagMs = undefined;
      } else if (writerDown) {
        member.frozenLagMs ??= this.steadyLagMs(global);
      } else {
        member.frozenLagMs = undefined;
      }
      this.recordLag(member);
    }
    this.ctx.changed([global.id]);
  }

  /** The lag of every secondary of a healthy global cluster: the profile's, or a fault's. */
  protected steadyLagMs(global: GlobalState): number {
    return this.ctx.faults.replicationLagMs(global.id) ?? this.ctx.latency.aurora.replicationLagMs;
  }

  /**
   * The secondary's lag as its metrics (AuroraGlobalDBReplicationLag, AuroraGlobalDBRPOLag)
   * publish it. Both measure the secondary against the primary: `rpo_lag_in_msec` is "the time it
   * takes for the most recent user transaction COMMIT to be stored on a secondary DB cluster after
   * it's been stored on the primary DB cluster" and `durability_lag_in_msec` compares each
   * cluster's `highest_lsn_written` with the primary's (Aurora User Guide,
   * "aurora_global_db_status", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora_global_db_status.html).
   * With the primary's region down neither can be computed: the metric goes missing (no
   * datapoints) instead of reporting a stale value.
   */
  protected lagOf(cluster: ClusterState): number | undefined {
    if (cluster.writable || cluster.globalClusterId === undefined) return undefined;
    const global = this.globals.get(cluster.globalClusterId);
    if (!global || global.writerArn === cluster.arn || cluster.synchronization !== 'connected')
      return undefined;
    if (this.ctx.faults.isRegionDown(this.mustCluster(global.writerArn).region)) return undefined;
    return this.steadyLagMs(global);
  }

  /**
   * What a failover to (or a detach of) this secondary loses, in ms of writes: its lag, frozen at
   * the moment its writer's region went down. Undefined where {@link lagOf} has no secondary.
   */
  protected dataAtRiskMs(cluster: ClusterState): number | undefined {
    if (cluster.writable || cluster.globalClusterId === undefined) return undefined;
    const global = this.globals.get(cluster.globalClusterId);
    if (!global || global.writerArn === cluster.arn || cluster.synchronization !== 'connected')
      return undefined;
    return cluster.frozenLagMs ?? this.steadyLagMs(global);
  }

  protected recordLag(cluster: ClusterState): void {
    const lagMs = this.lagOf(cluster);
    const last = cluster.lagHistory.at(-1);
    if (last && last.lagMs === lagMs) return;
    const at = this.ctx.clock.now();
    if (last && last.at === at) last.lagMs = lagMs;
    else cluster.lagHistory.push({ at, lagMs });
  }

  // --- lookups -----------------------------------------------------------------------------------

  protected mustGlobal(id: string): GlobalState {
    const global = this.globals.get(id);
    if (!global) throw new Error(`sandbox rds: no global cluster ${id}`);
    return global;
  }

  protected mustGlobalFault(id: string | undefined): GlobalState {
    const global = id === undefined ? undefined : this.globals.get(id);
    if (!global)
      throw awsError('rds', 'GlobalClusterNotFoundFault', `Global cluster ${id ?? '(none)'} not found.`);
    return global;
  }

  protected mustCluster(arn: string): ClusterState {
    const cluster = this.clusters.get(arn);
    if (!cluster) throw new Error(`sandbox rds: no cluster ${arn}`);
    return cluster;
  }

  /** A member of the global cluster, named by ARN (as the global cluster APIs require). */
  protected memberOf(global: GlobalState, arn: string): ClusterState {
    const cluster = this.clusters.get(arn);
    if (!cluster || !global.members.includes(arn))
      throw awsError(
        'rds',
        'DBClusterNotFoundFault',
        `DBCluster ${arn || '(none)'} not found in global cluster ${global.id}.`,
      );
    return cluster;
  }

  protected findCluster(region: string, idOrArn: string): ClusterState | undefined {
    const byArn = this.clusters.get(idOrArn);
    if (byArn) return byArn.region === region ? byArn : undefined;
    return (
      this.byRegionId.get(`${region}/${idOrArn}`) ?? this.byRegionId.get(`${region}/${idOrArn.toLowerCase()}`)
    );
  }
}

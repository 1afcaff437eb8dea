import type {
  CreateDBInstanceMessage,
  DBCluster,
  DBClusterMessage,
  DeleteDBInstanceMessage,
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
import { page, pageSize } from './pagination.js';
import { RdsCore } from './rds-core.js';
import { AuroraInstances } from './rds-instances.js';
import {
  type ClusterState,
  ENGINE,
  type GlobalState,
  globalStatus,
  hash,
  type Operation,
  PORT,
  SWITCHOVER_SYNC_MS_PER_LAG_MS,
} from './rds-model.js';
import {
  awsError,
  beginOperation,
  type CallTarget,
  type SimulatedService,
  UnsupportedOperationError,
} from './simulator.js';

/**
 * RDS's describe APIs' page size: "Default: 100", "Constraints: Minimum 20, maximum 100" (the SDK
 * model's MaxRecords of DescribeGlobalClusters and DescribeDBClusters, @aws-sdk/client-rds).
 */
const RDS_PAGE = { min: 20, max: 100, default: 100 } as const;

const invalidParameter = (message: string) => awsError('rds', 'InvalidParameterValue', message);

/**
 * Amazon RDS, Aurora global databases (docs/architecture.md, The sandbox under the SDK): global clusters and their member clusters,
 * the writer, replication lag, SwitchoverGlobalCluster, FailoverGlobalCluster (with or without
 * data loss), RemoveFromGlobalCluster (detach and promote) and reader instances for pilot light.
 *
 * Time-based transitions are timers on the virtual clock. Region outages are read from the fault
 * set: a writer in a region that is down keeps its role (split-brain hazard) until Aurora can reach
 * it again. DB instances live in {@link AuroraInstances}.
 *
 * DR_GUIDE, in the comments below, is the Aurora User Guide's "Using switchover or failover in
 * Amazon Aurora Global Database",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
 */
export class SimulatedRds extends RdsCore implements SimulatedService {
  readonly service = 'rds' as const;

  handle(operation: string, input: Record<string, unknown>, target: CallTarget): unknown {
    switch (operation) {
      case 'DescribeGlobalClusters':
        return this.describeGlobalClusters(input as Partial<DescribeGlobalClustersMessage>);
      case 'DescribeDBClusters':
        return this.describeDbClusters(input as Partial<DescribeDBClustersMessage>, target);
      case 'SwitchoverGlobalCluster':
        return this.switchover(input as Partial<SwitchoverGlobalClusterMessage>, target, operation);
      case 'FailoverGlobalCluster':
        return this.failover(input as Partial<FailoverGlobalClusterMessage>, target);
      case 'RemoveFromGlobalCluster':
        return this.removeFromGlobalCluster(input as Partial<RemoveFromGlobalClusterMessage>);
      case 'CreateDBInstance':
        return this.instances.create(
          input as Partial<CreateDBInstanceMessage>,
          target,
          this.findCluster(target.region, String(input.DBClusterIdentifier ?? '')),
        );
      case 'DescribeDBInstances':
        return this.instances.describe(input as Partial<DescribeDBInstancesMessage>, target);
      case 'DeleteDBInstance':
        return this.instances.delete(input as Partial<DeleteDBInstanceMessage>, target);
      default:
        throw new UnsupportedOperationError('rds', operation);
    }
  }

  // --- operations ------------------------------------------------------------------------------

  private describeGlobalClusters(input: Partial<DescribeGlobalClustersMessage>): GlobalClustersMessage {
    const id = input.GlobalClusterIdentifier;
    const size = pageSize(input.MaxRecords, RDS_PAGE, 'MaxRecords', invalidParameter);
    if (id !== undefined) {
      const global = this.globals.get(id);
      if (!global) throw awsError('rds', 'GlobalClusterNotFoundFault', `Global cluster ${id} not found.`);
      return { GlobalClusters: [this.globalView(global)] };
    }
    if (input.Filters && input.Filters.length > 0)
      // The one filter the model documents is `region`; Switchyard never sends it, and a filter the
      // sandbox would silently ignore would answer more than AWS does.
      throw awsError(
        'rds',
        'InvalidParameterValue',
        'the sandbox does not model DescribeGlobalClusters filters',
      );
    const { items, next } = page([...this.globals.values()], size, input.Marker, invalidParameter);
    return { GlobalClusters: items.map((g) => this.globalView(g)), ...(next ? { Marker: next } : {}) };
  }

  /**
   * DescribeDBClusters in the call's region: one cluster by `DBClusterIdentifier`, the clusters
   * the `db-cluster-id` filter names ("Accepts DB cluster identifiers and DB cluster Amazon
   * Resource Names (ARNs)"; names that match no cluster are left out), or every cluster; a page of
   * `MaxRecords` (RDS_PAGE) at a time, with a `Marker` for the next.
   */
  private describeDbClusters(
    input: Partial<DescribeDBClustersMessage>,
    target: CallTarget,
  ): DBClusterMessage {
    const id = input.DBClusterIdentifier;
    const size = pageSize(input.MaxRecords, RDS_PAGE, 'MaxRecords', invalidParameter);
    if (id !== undefined) {
      const cluster = this.findCluster(target.region, id);
      if (!cluster) throw awsError('rds', 'DBClusterNotFoundFault', `DBCluster ${id} not found.`);
      return { DBClusters: [this.clusterView(cluster)] };
    }
    let clusters: ClusterState[] | undefined;
    for (const filter of input.Filters ?? []) {
      if (filter.Name !== 'db-cluster-id')
        throw awsError('rds', 'InvalidParameterValue', `Unrecognized filter name: ${filter.Name}`);
      const named = new Set<ClusterState>();
      for (const value of filter.Values ?? []) {
        const cluster = this.findCluster(target.region, value);
        if (cluster) named.add(cluster);
      }
      clusters = clusters ? clusters.filter((c) => named.has(c)) : [...named];
    }
    clusters ??= [...this.clusters.values()].filter((c) => c.region === target.region);
    const { items, next } = page(clusters, size, input.Marker, invalidParameter);
    return { DBClusters: items.map((c) => this.clusterView(c)), ...(next ? { Marker: next } : {}) };
  }

  private switchover(
    input: Partial<SwitchoverGlobalClusterMessage>,
    call: CallTarget,
    operation: string,
  ): SwitchoverGlobalClusterResult {
    const { global, target } = this.operands(input.GlobalClusterIdentifier, input.TargetDbClusterIdentifier);
    // The switchover is run in the current primary's region: the guide's CLI example passes
    // "--region region_of_primary" ("Specify the AWS Region where the primary DB cluster of the
    // Aurora global database is running"; DR_GUIDE). AWS documents no other region for it; the
    // sandbox refuses one, so that a runbook relying on an undocumented path fails in rehearsal.
    const writer = this.mustCluster(global.writerArn);
    if (call.region !== writer.region)
      throw awsError(
        'rds',
        'InvalidParameterValue',
        `${operation} of ${global.id} called in ${call.region}: a switchover is run in the region of the primary cluster (${writer.region}), as the Aurora User Guide documents`,
      );
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
    // The wait for the secondaries to catch up grows with their lag (SWITCHOVER_SYNC_MS_PER_LAG_MS).
    const lagMs = Math.max(0, ...global.members.map((arn) => this.lagOf(this.mustCluster(arn)) ?? 0));
    const syncMs = Math.round(lagMs * SWITCHOVER_SYNC_MS_PER_LAG_MS);
    this.start(global, 'switchover', target, this.ctx.latency.aurora.switchoverMs, syncMs);
    return { GlobalCluster: this.globalView(global) };
  }

  private failover(
    input: Partial<FailoverGlobalClusterMessage>,
    call: CallTarget,
  ): FailoverGlobalClusterResult {
    if (input.AllowDataLoss && input.Switchover)
      throw awsError(
        'rds',
        'InvalidParameterCombination',
        'AllowDataLoss and Switchover cannot be specified together.',
      );
    // Without AllowDataLoss the operation is a switchover (FailoverGlobalCluster's documented default).
    if (!input.AllowDataLoss) return this.switchover(input, call, 'FailoverGlobalCluster (a switchover)');
    const { global, target } = this.operands(input.GlobalClusterIdentifier, input.TargetDbClusterIdentifier);
    // The failover is run in the target's region: "--region – Specify the AWS Region where the
    // secondary DB cluster that you want to be the new primary for the Aurora global database is
    // running" (DR_GUIDE). It thus needs nothing from the failed primary's region (static stability).
    if (call.region !== target.region)
      throw awsError(
        'rds',
        'InvalidParameterValue',
        `FailoverGlobalCluster of ${global.id} called in ${call.region}: a failover is run in the region of the secondary cluster to promote (${target.region}), as the Aurora User Guide documents`,
      );
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
    // AWS answers with the global cluster as it was when the request was taken: `Status:
    // available`, the cluster still listed as a member (the detach runs afterwards). Source: the
    // AWS CLI's example output of `aws rds remove-from-global-cluster` (AWS CLI Command Reference,
    // https://docs.aws.amazon.com/cli/latest/reference/rds/remove-from-global-cluster.html).
    const answer: RemoveFromGlobalClusterResult = { GlobalCluster: this.globalView(global) };
    const operation: Operation = {
      kind: 'detach',
      fromArn: global.writerArn,
      toArn: arn,
      phase: 'detaching',
      dataLossMs: this.dataAtRiskMs(cluster) ?? 0,
      demoted: false,
      timer: undefined,
      end: beginOperation(this.ctx, 'rds:detach', global.app, `${global.id} (${arn})`),
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
    return answer;
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
      EngineVersion: this.engineVersionOf(this.mustCluster(global.writerArn)),
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
    const instances = this.instances.ofCluster(cluster.arn);
    const writerInstance = cluster.writable ? instances.find((i) => i.status === 'available') : undefined;
    return {
      DBClusterIdentifier: cluster.id,
      DBClusterArn: cluster.arn,
      DbClusterResourceId: cluster.resourceId,
      Status: cluster.status,
      Engine: ENGINE,
      EngineVersion: this.engineVersionOf(cluster),
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
}

import type {
  CreateDBInstanceMessage,
  CreateDBInstanceResult,
  DBInstance,
  DBInstanceMessage,
  DeleteDBInstanceMessage,
  DeleteDBInstanceResult,
  DescribeDBInstancesMessage,
} from '@aws-sdk/client-rds';
import {
  type ClusterState,
  clusterIdFromArn,
  ENGINE,
  ENGINE_VERSION,
  hash,
  INSTANCE_CLASS,
  type InstanceState,
  PORT,
  rdsEvent,
} from './rds-model.js';
import { awsError, beginOperation, type CallTarget, emitServiceEvent, type SimContext } from './simulator.js';

/**
 * The DB instances of the simulated Aurora clusters: CreateDBInstance (pilot light's reader for a
 * headless secondary), DeleteDBInstance (fencing a returning writer) and DescribeDBInstances.
 * A cluster without an available instance takes no connections and cannot be promoted.
 */
export class AuroraInstances {
  /** By `region/id`. */
  private readonly instances = new Map<string, InstanceState>();
  /**
   * The same instances by their cluster's ARN and by its identifier (in creation order), so that a
   * cluster's instances are found without scanning every cluster's: the ground truth asks after
   * every change, and a simulation of N apps must not cost N^2.
   */
  private readonly byCluster = new Map<string, InstanceState[]>();

  constructor(private readonly ctx: SimContext) {}

  /**
   * CreateDBInstance of a reader in `cluster` (found by the caller in the call's region): `creating`,
   * then `available` after the profile's `instanceCreateMs`.
   */
  create(
    input: Partial<CreateDBInstanceMessage>,
    target: CallTarget,
    cluster: ClusterState | undefined,
  ): CreateDBInstanceResult {
    const clusterId = input.DBClusterIdentifier;
    const id = input.DBInstanceIdentifier ?? '';
    if (!clusterId)
      throw awsError(
        'rds',
        'InvalidParameterValue',
        'the sandbox simulates Aurora reader instances only: DBClusterIdentifier is required',
      );
    if (!cluster) throw awsError('rds', 'DBClusterNotFoundFault', `DBCluster ${clusterId} not found.`);
    if (!/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/.test(id))
      throw awsError('rds', 'InvalidParameterValue', `Invalid DB instance identifier: ${id}`);
    if (this.find(target.region, id))
      throw awsError('rds', 'DBInstanceAlreadyExistsFault', `DB instance already exists: ${id}`);
    if (input.Engine && input.Engine !== ENGINE)
      throw awsError(
        'rds',
        'InvalidParameterCombination',
        `The engine name requested for your DB instance (${input.Engine}) doesn't match the engine name of your DB cluster (${ENGINE}).`,
      );
    const instance = this.add(cluster, id, input.DBInstanceClass ?? INSTANCE_CLASS, undefined);
    const end = beginOperation(this.ctx, 'rds:create-instance', undefined, `${id} in ${cluster.arn}`);
    this.ctx.clock.setTimer(this.ctx.latency.aurora.instanceCreateMs, () => {
      end();
      instance.status = 'available';
      instance.createdAt = this.ctx.clock.now();
      this.ctx.changed([instance.clusterArn]);
      emitServiceEvent(this.ctx, rdsEvent('instance-created', instance, instance.createdAt));
    });
    return { DBInstance: this.view(instance) };
  }

  /**
   * DeleteDBInstance of one instance of an Aurora cluster. The instance is `deleting` at once (it
   * takes no more connections) and gone the profile's `instanceDeleteMs` later. Aurora keeps the cluster and its
   * volume. Source: RDS API Reference, DeleteDBInstance (InvalidDBInstanceState when the instance
   * is not in a state that allows it; DBInstanceNotFound when absent).
   */
  delete(input: Partial<DeleteDBInstanceMessage>, target: CallTarget): DeleteDBInstanceResult {
    const id = input.DBInstanceIdentifier ?? '';
    const instance = this.find(target.region, id);
    if (!instance) throw awsError('rds', 'DBInstanceNotFoundFault', `DBInstance ${id} not found.`);
    if (instance.status !== 'available')
      throw awsError(
        'rds',
        'InvalidDBInstanceStateFault',
        `Instance ${id} is not in available state (${instance.status}).`,
      );
    instance.status = 'deleting';
    this.ctx.clock.setTimer(this.ctx.latency.aurora.instanceDeleteMs, () => {
      this.remove(instance);
      this.ctx.changed([instance.clusterArn]);
    });
    this.ctx.changed([instance.clusterArn]);
    return { DBInstance: this.view(instance) };
  }

  /** Whether some instance of the cluster takes connections (a headless cluster takes none). */
  hasLive(clusterArn: string): boolean {
    return this.ofCluster(clusterArn).some((i) => i.status === 'available');
  }

  /** The instances of a cluster, in creation order. */
  ofCluster(clusterArn: string): InstanceState[] {
    return [...(this.byCluster.get(clusterArn) ?? [])];
  }

  /** DescribeDBInstances in the call's region, by identifier or the `db-cluster-id` / `db-instance-id` filters. */
  describe(input: Partial<DescribeDBInstancesMessage>, target: CallTarget): DBInstanceMessage {
    const id = input.DBInstanceIdentifier;
    // Start from the named clusters' instances when a filter names clusters (the same answer as
    // filtering every instance, without reading every cluster's).
    const clusters = input.Filters?.find((f) => f.Name === 'db-cluster-id')?.Values;
    let found = (
      clusters
        ? [...new Set(clusters.flatMap((v) => this.byCluster.get(v) ?? []))]
        : [...this.instances.values()]
    ).filter((i) => i.region === target.region);
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
    return { DBInstances: found.map((i) => this.view(i)) };
  }

  /** The instance of that identifier in `region`. */
  find(region: string, id: string): InstanceState | undefined {
    return this.instances.get(`${region}/${id}`);
  }

  /** Adds an instance to `cluster`: `available` at once if `createdAt` is given, else `creating`. */
  add(
    cluster: Pick<ClusterState, 'arn' | 'region' | 'account'>,
    id: string,
    instanceClass: string,
    createdAt: number | undefined,
  ): InstanceState {
    const azs = ['a', 'b', 'c'];
    const index = this.byCluster.get(cluster.arn)?.length ?? 0;
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
    for (const key of [cluster.arn, clusterIdFromArn(cluster.arn)])
      this.byCluster.set(key, [...(this.byCluster.get(key) ?? []), instance]);
    return instance;
  }

  /** Forgets a deleted instance. */
  private remove(instance: InstanceState): void {
    this.instances.delete(`${instance.region}/${instance.id}`);
    for (const key of [instance.clusterArn, clusterIdFromArn(instance.clusterArn)])
      this.byCluster.set(
        key,
        (this.byCluster.get(key) ?? []).filter((i) => i !== instance),
      );
  }

  /** The DBInstance shape of an instance, as DescribeDBInstances answers it. */
  view(instance: InstanceState): DBInstance {
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

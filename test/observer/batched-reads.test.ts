import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import type { PlanState } from '../../functions/core/records.js';
import { batchedReads, type ReadPorts } from '../../functions/observer/batched-reads.js';
import { type AppObservation, isKnown, observeApp } from '../../functions/observer/observe.js';
import { evaluateReadiness } from '../../functions/readiness/scheduled.js';
import { readsTargetHealth } from '../../functions/reconciler/read-cadence.js';
import { reconcile } from '../../functions/reconciler/reconcile.js';
import type { GroupCapacity } from '../../functions/runbook/ports/auto-scaling.js';
import { Sandbox } from '../../sandbox/sandbox.js';

/**
 * Batched reads (functions/observer/batched-reads.ts), counted on the simulator's call log (not
 * timed): N apps observed together make one RDS, Auto Scaling and ARC call per region or cluster,
 * not one per app; a batch that fails makes each app's read unknown.
 */
const APPS = 6;
const READS = ['DescribeDBClusters', 'DescribeGlobalClusters', 'DescribeAutoScalingGroups'] as const;

describe('batched reads', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  const plans = generatedPlans(APPS);

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans, latency: 'fast', seed: 5 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const west = () => sandbox.region('us-west-2').deps;
  /** The calls `work` made (the simulator's log from its start to its end), per operation and region. */
  async function callsOf(work: () => Promise<unknown>) {
    const from = sandbox.aws.simulator.log.length;
    await sandbox.run(work());
    const calls = sandbox.aws.simulator.log.slice(from);
    return (operation: string, region?: string) =>
      calls.filter((c) => c.operation === operation && (region === undefined || c.region === region)).length;
  }
  const observeAll = (deps: ReturnType<typeof west>) =>
    Promise.all(plans.map((plan) => observeApp(plan, plan.regions, deps)));
  const withoutTime = (seen: AppObservation[]) => seen.map(({ at: _at, ...rest }) => rest);

  it('observes N apps with one DescribeDBClusters, DescribeGlobalClusters and DescribeAutoScalingGroups per region and one ListRoutingControls, and sees what one-by-one reads see', async () => {
    // Arrange: the same observations read one app at a time, for comparison.
    let single: AppObservation[] = [];
    const one = await callsOf(async () => {
      single = await observeAll(west());
    });

    // Act
    let batched: AppObservation[] = [];
    const many = await callsOf(async () => {
      batched = await observeAll(batchedReads(west()));
    });

    // Assert
    for (const region of ['us-east-1', 'us-west-2']) {
      for (const operation of READS) {
        expect(one(operation, region)).toBe(APPS);
        expect(many(operation, region)).toBe(1);
      }
      // DescribeTargetHealth takes one target group: one per app's group, batched or not.
      expect(many('DescribeTargetHealth', region)).toBe(APPS);
    }
    expect(one('GetRoutingControlState')).toBe(2 * APPS);
    expect(many('GetRoutingControlState')).toBe(0);
    expect(many('ListRoutingControls')).toBe(1);
    expect(withoutTime(batched)).toEqual(withoutTime(single));
    expect(batched.every((seen) => seen.traffic.region === 'us-east-1')).toBe(true);
  });

  it('a failed batch makes that read unknown for every app it covered, and only that read', async () => {
    // Arrange: RDS in us-west-2 refuses DescribeDBClusters (not retryable).
    sandbox.aws.faults.add({
      kind: 'api-errors',
      service: 'rds',
      region: 'us-west-2',
      operation: 'DescribeDBClusters',
      error: 'InvalidParameterCombination',
      rate: 1,
    });
    try {
      // Act
      let seen: AppObservation[] = [];
      const calls = await callsOf(async () => {
        seen = await observeAll(batchedReads(west()));
      });

      // Assert
      expect(calls('DescribeDBClusters', 'us-west-2')).toBe(1);
      for (const app of seen) {
        const cluster = app.clusters[0];
        const westCluster = cluster?.regions['us-west-2'];
        expect(westCluster && !isKnown(westCluster) && westCluster.unknown).toContain(
          'InvalidParameterCombination',
        );
        expect(isKnown(cluster?.regions['us-east-1'])).toBe(true);
        expect(app.capacity.every((g) => Object.values(g.regions).every(isKnown))).toBe(true);
      }
    } finally {
      sandbox.aws.faults.clear('all');
    }
  });

  it('one reconcile pass over N apps makes O(regions) RDS and Auto Scaling calls and O(1) state-table reads, not O(apps)', async () => {
    // Act
    let outcomes: Awaited<ReturnType<typeof reconcile>> = [];
    const turn = Math.floor(sandbox.clock.now() / 60_000);
    const calls = await callsOf(async () => {
      outcomes = await reconcile({}, west());
    });
    // Every app is steady (recorded ACTIVE in us-east-1, where its writer and users are, no finding
    // in progress): its target health is read at its turn, one pass in five (read-cadence.ts).
    const recorded = { app: '', activeRegion: 'us-east-1', status: 'ACTIVE', version: 1 } as PlanState;
    const atTurn = plans.filter((p) =>
      readsTargetHealth(p.name, recorded, { value: undefined }, 'us-east-1', 'us-east-1', turn),
    ).length;

    // Assert
    expect(outcomes).toHaveLength(APPS);
    expect(outcomes.every((o) => o.result === 'nothing-to-do')).toBe(true);
    expect(calls('DescribeDBClusters')).toBe(2);
    expect(calls('DescribeGlobalClusters')).toBe(2);
    // Capacity is read only where the writer is (us-east-1): one group call for the apps at their
    // turn and one for the others, one target group per app at its turn.
    expect(calls('DescribeAutoScalingGroups', 'us-east-1')).toBe(atTurn > 0 && atTurn < APPS ? 2 : 1);
    expect(calls('DescribeAutoScalingGroups', 'us-west-2')).toBe(0);
    expect(calls('DescribeTargetHealth', 'us-east-1')).toBe(atTurn);
    expect(calls('DescribeTargetHealth', 'us-west-2')).toBe(0);
    expect(calls('ListRoutingControls')).toBe(1);
    // Every app's STATE item, its reconcile mark within, in one BatchGetItem (a steady app's lock
    // is not read): no GetItem per app.
    expect(calls('BatchGetItem')).toBe(1);
    expect(calls('GetItem')).toBe(0);
  });

  it('one scheduled readiness evaluation over N apps reads RDS, Auto Scaling, the state table and each runbook O(1) times per region', async () => {
    // Act
    let run: Awaited<ReturnType<typeof evaluateReadiness>> = { evaluated: [], failed: [] };
    const calls = await callsOf(async () => {
      run = await evaluateReadiness({}, west());
    });

    // Assert
    expect(run.failed).toEqual([]);
    expect(run.evaluated).toHaveLength(APPS);
    for (const operation of READS) expect(calls(operation)).toBe(2);
    // DescribeWarmPool only where the group's answer says the pool holds instances: the standby
    // region's (us-west-2); the active groups' pools are empty (prepared capacity = desired).
    expect(calls('DescribeWarmPool', 'us-west-2')).toBe(APPS);
    expect(calls('DescribeWarmPool', 'us-east-1')).toBe(0);
    // Every app's detection alarm (in us-west-2) in one DescribeAlarms; every secondary's lag
    // (us-west-2) in one GetMetricData.
    expect(calls('DescribeAlarms')).toBe(1);
    expect(calls('GetMetricData')).toBe(1);
    expect(run.evaluated.every((e) => e.verdict === 'READY')).toBe(true);
    // Every app's runbook in a region is the strategy's one state machine: one read per region.
    expect(calls('DescribeStateMachine')).toBe(2);
    // The readiness records (with the last run's item), the drill summaries, then the states and
    // locks: BatchGetItem, no GetItem per app.
    expect(calls('BatchGetItem')).toBe(3);
    expect(calls('GetItem')).toBe(0);
  });
});

describe('batched reads of groups', () => {
  /** Auto Scaling ports that record what each read was asked with. */
  function recording() {
    const asked: { call: string; names: readonly string[]; targetGroups: readonly string[] | undefined }[] =
      [];
    const capacity = (name: string) =>
      ({ name, desired: 1, inService: 1, healthyInService: 1, pending: 0 }) as unknown as GroupCapacity;
    const autoScaling = {
      describe: async (_region: string, name: string, targetGroups?: readonly string[]) => {
        asked.push({ call: 'describe', names: [name], targetGroups });
        return capacity(name);
      },
      describeMany: async (
        _region: string,
        names: readonly string[],
        options?: { targetGroups?: readonly string[] },
      ) => {
        asked.push({ call: 'describeMany', names, targetGroups: options?.targetGroups });
        return new Map(names.map((n) => [n, capacity(n)]));
      },
    };
    return { asked, ports: { aurora: {}, arc: {}, autoScaling } as unknown as ReadPorts };
  }

  it("passes the callers' target groups on, so the adapter reads their health beside the groups", async () => {
    const { asked, ports } = recording();
    const reads = batchedReads(ports);

    // Two groups read together (one batch), then one alone; a read without health passes none
    await Promise.all([
      reads.autoScaling.describe('us-west-2', 'api', ['tg-api']),
      reads.autoScaling.describe('us-west-2', 'workers', ['tg-workers']),
    ]);
    await reads.autoScaling.describe('us-west-2', 'api', ['tg-api']);
    await reads.autoScaling.describe('us-west-2', 'api', ['tg-api'], { targetHealth: false });

    expect(asked).toEqual([
      { call: 'describeMany', names: ['api', 'workers'], targetGroups: ['tg-api', 'tg-workers'] },
      { call: 'describe', names: ['api'], targetGroups: ['tg-api'] },
      { call: 'describe', names: ['api'], targetGroups: undefined },
    ]);
  });
});

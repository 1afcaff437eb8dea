import {
  CreateDBInstanceCommand,
  DBClusterNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  GlobalClusterNotFoundFault,
  InvalidDBClusterStateFault,
  InvalidGlobalClusterStateFault,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { TRANSPORT_POLICIES } from '../../functions/aws/clients.js';
import { FAST } from '../../sandbox/latency.js';
import { executionScope } from '../../sandbox/runtime/scope.js';
import {
  type ComputeSandbox,
  computeSandbox,
  EAST,
  EAST_ARN,
  GLOBAL_ID,
  WEST,
  WEST_ARN,
} from './harness-compute.js';
import { failoverIn, globalNow, member, switchoverIn, writerArn } from './rds-fixture.js';

const API_MS = FAST.apiMs.rds;
const { switchoverMs, failoverMs, detachMs, replicationLagMs } = FAST.aurora;

/** A switchover to `target`, called in `region` (EAST, the primary's at first), run to its answer. */
const switchover = (sb: ComputeSandbox, target = WEST_ARN, region = EAST) =>
  sb.run(switchoverIn(sb, region, target));

/** A failover with AllowDataLoss to `target`, called in WEST, run to its answer. */
const failover = (sb: ComputeSandbox, target = WEST_ARN) => sb.run(failoverIn(sb, WEST, target));

describe('SimulatedRds: provisioning', () => {
  it('creates the global cluster with its writer in the first region and the other region reading', async () => {
    // Prepare
    const sb = computeSandbox();

    // Act
    const out = await sb.run(
      sb.clients.rds(EAST).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL_ID })),
    );

    // Assess
    const global = out.GlobalClusters?.[0];
    expect(global?.Status).toBe('available');
    expect(global?.FailoverState).toBeUndefined();
    expect(global?.GlobalClusterMembers).toEqual([
      { DBClusterArn: EAST_ARN, Readers: [WEST_ARN], IsWriter: true, SynchronizationStatus: 'connected' },
      {
        DBClusterArn: WEST_ARN,
        Readers: [],
        IsWriter: false,
        GlobalWriteForwardingStatus: 'disabled',
        SynchronizationStatus: 'connected',
      },
    ]);
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([EAST]);
    expect(sb.rds.replicationLagMs(WEST_ARN)).toBe(replicationLagMs);
    expect(sb.rds.replicationLagMs(EAST_ARN)).toBeUndefined();
  });

  it('is idempotent per plan', () => {
    // Prepare
    const sb = computeSandbox();

    // Act
    sb.rds.provision(sb.plan);

    // Assess
    expect(globalNow(sb).GlobalClusterMembers).toHaveLength(2);
    expect(sb.rds.allWriterRegions(GLOBAL_ID)).toEqual([EAST]);
  });

  it('answers DescribeDBClusters by identifier or ARN, for the clusters of the call region only', async () => {
    // Prepare
    const sb = computeSandbox();
    const west = sb.clients.rds(WEST);

    // Act
    const byId = await sb.run(
      west.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'orders-usw2' })),
    );
    const byArn = await sb.run(west.send(new DescribeDBClustersCommand({ DBClusterIdentifier: WEST_ARN })));
    const all = await sb.run(west.send(new DescribeDBClustersCommand({})));
    const elsewhere = await sb.failure(
      west.send(new DescribeDBClustersCommand({ DBClusterIdentifier: EAST_ARN })),
    );
    const unknownGlobal = await sb.failure(
      west.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'nope' })),
    );

    // Assess
    expect(byId.DBClusters?.[0]).toMatchObject({
      DBClusterIdentifier: 'orders-usw2',
      DBClusterArn: WEST_ARN,
      Status: 'available',
      GlobalClusterIdentifier: GLOBAL_ID,
      Engine: 'aurora-postgresql',
    });
    expect(byArn.DBClusters?.[0]?.DBClusterIdentifier).toBe('orders-usw2');
    expect(all.DBClusters?.map((c) => c.DBClusterArn)).toEqual([WEST_ARN]);
    expect(elsewhere).toBeInstanceOf(DBClusterNotFoundFault);
    expect(unknownGlobal).toBeInstanceOf(GlobalClusterNotFoundFault);
  });

  it('attributes each call to the execution whose code made it', async () => {
    // Prepare: one call outside any execution, then a switchover inside execution exec-a.
    const sb = computeSandbox();
    await sb.run(
      sb.clients.rds(EAST).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL_ID })),
    );

    // Act
    await sb.run(executionScope.run({ executionId: 'exec-a' }, () => switchoverIn(sb)));

    // Assess: the call log says whose each call is; the call outside says no one's
    const [outside, inside] = sb.simulator.log;
    expect(outside).toMatchObject({ operation: 'DescribeGlobalClusters', ok: true });
    expect(outside?.executionId).toBeUndefined();
    expect(inside).toMatchObject({ operation: 'SwitchoverGlobalCluster', executionId: 'exec-a', ok: true });
  });
});

describe('SimulatedRds: switchover', () => {
  it('changes the writer only after the catch-up and switchoverMs: pending, then switching-over, then the roles swap', async () => {
    // Prepare
    const sb = computeSandbox();
    const acceptedAt = sb.clock.now() + API_MS;
    // The secondaries first catch up: a wait as long as their lag, then the role change.
    const total = switchoverMs + replicationLagMs;

    // Act
    const out = await switchover(sb);

    // Assess
    expect(sb.clock.now()).toBe(acceptedAt);
    expect(out.GlobalCluster?.Status).toBe('switching-over');
    expect(out.GlobalCluster?.FailoverState).toEqual({
      Status: 'pending',
      FromDbClusterArn: EAST_ARN,
      ToDbClusterArn: WEST_ARN,
      IsDataLossAllowed: false,
    });
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([EAST]);

    // Still pending while the secondaries catch up; the primary keeps taking writes meanwhile.
    await sb.until(acceptedAt + switchoverMs * 0.1 + replicationLagMs - 1);
    expect(globalNow(sb).FailoverState?.Status).toBe('pending');
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([EAST]);

    // Once switching over, the old writer is demoted: no region takes writes until the new one does.
    await sb.until(acceptedAt + switchoverMs * 0.1 + replicationLagMs);
    expect(globalNow(sb).FailoverState?.Status).toBe('switching-over');
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([]);

    await sb.until(acceptedAt + total - 1);
    expect(writerArn(globalNow(sb))).toBe(EAST_ARN);

    await sb.until(acceptedAt + total);
    const after = globalNow(sb);
    expect(writerArn(after)).toBe(WEST_ARN);
    expect(after.Status).toBe('available');
    expect(after.FailoverState).toBeUndefined();
    expect(member(after, EAST_ARN)).toMatchObject({ IsWriter: false, SynchronizationStatus: 'connected' });
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([WEST]);
    expect(sb.rds.lastDataLossMs(GLOBAL_ID)).toBe(0);
    expect(sb.rds.replicationLagMs(EAST_ARN)).toBe(replicationLagMs);
    expect(sb.rds.replicationLagMs(WEST_ARN)).toBeUndefined();
  });

  it('cannot run while the old primary region is down: its endpoint does not answer, and elsewhere it is refused', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({ kind: 'region-outage', region: EAST });
    const request = {
      GlobalClusterIdentifier: GLOBAL_ID,
      TargetDbClusterIdentifier: WEST_ARN,
    };

    // Act
    const inPrimary = await sb.failure(
      sb.clients.rds(EAST).send(new SwitchoverGlobalClusterCommand(request)),
    );
    const inTarget = await sb.failure(sb.clients.rds(WEST).send(new SwitchoverGlobalClusterCommand(request)));

    // Assess
    expect((inPrimary as Error).name).toBe('TimeoutError');
    expect((inTarget as Error).name).toBe('InvalidParameterValue');
    expect((inTarget as Error).message).toContain('run in the region of the primary cluster (us-east-1)');
    expect(sb.rds.allWriterRegions(GLOBAL_ID)).toEqual([EAST]);
    expect(globalNow(sb).FailoverState).toBeUndefined();
  });

  it('refuses a second switchover, a failover or a detach while one is in flight', async () => {
    // Prepare
    const sb = computeSandbox();
    await switchover(sb);
    const west = sb.clients.rds(WEST);

    // Act
    const again = await sb.failure(
      sb.clients.rds(EAST).send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          TargetDbClusterIdentifier: WEST_ARN,
        }),
      ),
    );
    const fail = await sb.failure(
      west.send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          TargetDbClusterIdentifier: WEST_ARN,
          AllowDataLoss: true,
        }),
      ),
    );
    const detach = await sb.failure(
      west.send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          DbClusterIdentifier: WEST_ARN,
        }),
      ),
    );

    // Assess
    expect(again).toBeInstanceOf(InvalidGlobalClusterStateFault);
    expect(fail).toBeInstanceOf(InvalidGlobalClusterStateFault);
    expect(detach).toBeInstanceOf(InvalidGlobalClusterStateFault);
    await sb.until(sb.clock.now() + switchoverMs + replicationLagMs);
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([WEST]);
  });

  it('refuses to promote the cluster that is already the writer', async () => {
    // Prepare
    const sb = computeSandbox();

    // Act
    const error = await sb.failure(
      sb.clients.rds(EAST).send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          TargetDbClusterIdentifier: EAST_ARN,
        }),
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidGlobalClusterStateFault);
    expect(globalNow(sb).Status).toBe('available');
  });

  it('treats FailoverGlobalCluster without AllowDataLoss as a switchover, and refuses both flags at once', async () => {
    // Prepare
    const sb = computeSandbox();
    const east = sb.clients.rds(EAST);

    // Act
    const both = await sb.failure(
      east.send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          TargetDbClusterIdentifier: WEST_ARN,
          AllowDataLoss: true,
          Switchover: true,
        }),
      ),
    );
    const out = await sb.run(
      east.send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          TargetDbClusterIdentifier: WEST_ARN,
          Switchover: true,
        }),
      ),
    );

    // Assess
    expect((both as Error).name).toBe('InvalidParameterCombination');
    expect(out.GlobalCluster?.Status).toBe('switching-over');
    expect(out.GlobalCluster?.FailoverState?.IsDataLossAllowed).toBe(false);
  });
});

describe('SimulatedRds: failover', () => {
  it('fails over with AllowDataLoss while the primary region is down, losing the lag frozen at the outage', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({ kind: 'region-outage', region: EAST });
    const acceptedAt = sb.clock.now() + API_MS;

    // Act
    const out = await failover(sb);

    // Assess
    expect(out.GlobalCluster?.Status).toBe('failing-over');
    expect(out.GlobalCluster?.FailoverState).toMatchObject({ Status: 'pending', IsDataLossAllowed: true });
    await sb.until(acceptedAt + failoverMs * 0.1);
    expect(globalNow(sb).FailoverState?.Status).toBe('failing-over');
    await sb.until(acceptedAt + failoverMs - 1);
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([]);
    expect(sb.rds.lastDataLossMs(GLOBAL_ID)).toBeUndefined();

    await sb.until(acceptedAt + failoverMs);
    const after = globalNow(sb);
    expect(writerArn(after)).toBe(WEST_ARN);
    expect(after.FailoverState).toBeUndefined();
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([WEST]);
    // The old primary, unreachable, still takes writes where it is: a split brain waiting to happen.
    expect(sb.rds.allWriterRegions(GLOBAL_ID).sort()).toEqual([EAST, WEST]);
    expect(member(after, EAST_ARN)).toMatchObject({
      IsWriter: false,
      SynchronizationStatus: 'pending-resync',
    });
    expect(sb.rds.lastDataLossMs(GLOBAL_ID)).toBe(replicationLagMs);
  });

  it('makes the old primary a secondary when its region recovers, rebuilt before a failback can run', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({ kind: 'region-outage', region: EAST });
    await failover(sb);
    await sb.until(sb.clock.now() + failoverMs);

    // Act
    sb.faults.clear({ kind: 'region-outage' });

    // Assess
    const recoveredAt = sb.clock.now();
    expect(sb.rds.allWriterRegions(GLOBAL_ID)).toEqual([WEST]);
    expect(member(globalNow(sb), EAST_ARN)?.SynchronizationStatus).toBe('pending-resync');
    const tooSoon = await sb.failure(
      sb.clients.rds(WEST).send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          TargetDbClusterIdentifier: EAST_ARN,
        }),
      ),
    );
    expect(tooSoon).toBeInstanceOf(InvalidGlobalClusterStateFault);
    const failoverTooSoon = await sb.failure(
      sb.clients.rds(EAST).send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          TargetDbClusterIdentifier: EAST_ARN,
          AllowDataLoss: true,
        }),
      ),
    );
    expect(failoverTooSoon).toBeInstanceOf(InvalidDBClusterStateFault);

    await sb.until(recoveredAt + FAST.aurora.secondaryRebuildMs);
    expect(member(globalNow(sb), EAST_ARN)?.SynchronizationStatus).toBe('connected');
    expect(sb.rds.replicationLagMs(EAST_ARN)).toBe(replicationLagMs);
    const back = await sb.run(
      sb.clients.rds(WEST).send(
        new SwitchoverGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          TargetDbClusterIdentifier: EAST_ARN,
        }),
      ),
    );
    expect(back.GlobalCluster?.FailoverState?.ToDbClusterArn).toBe(EAST_ARN);
  });

  it('publishes no lag while the writer region is down (nothing to measure against), and comes back with it', () => {
    // Prepare
    const sb = computeSandbox();

    // Act
    sb.faults.add({ kind: 'region-outage', region: EAST });

    // Assess
    expect(sb.rds.replicationLagMs(WEST_ARN)).toBeUndefined();
    expect(sb.rds.replicationLagHistory(WEST_ARN).at(-1)?.lagMs).toBeUndefined();
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([]);
    expect(sb.rds.allWriterRegions(GLOBAL_ID)).toEqual([EAST]);
    sb.faults.clear({ kind: 'region-outage' });
    expect(sb.rds.replicationLagMs(WEST_ARN)).toBe(replicationLagMs);
  });

  it('ends without promoting under aurora-failover-fails: cancelling, then cleared, writer unchanged', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({ kind: 'aurora-failover-fails', globalClusterId: GLOBAL_ID });
    const acceptedAt = sb.clock.now() + API_MS;

    // Act
    await failover(sb);

    // Assess
    await sb.until(acceptedAt + failoverMs);
    expect(globalNow(sb).FailoverState?.Status).toBe('cancelling');
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([EAST]);
    await sb.until(acceptedAt + failoverMs * 1.1);
    const after = globalNow(sb);
    expect(after.FailoverState).toBeUndefined();
    expect(after.Status).toBe('available');
    expect(writerArn(after)).toBe(EAST_ARN);
    expect(sb.rds.lastDataLossMs(GLOBAL_ID)).toBeUndefined();
    expect(sb.clock.pendingTimers()).toBe(0);
  });
});

describe('SimulatedRds: detach and promote', () => {
  it('detaches a secondary into a standalone writer after detachMs, beside the live primary', async () => {
    // Prepare
    const sb = computeSandbox();
    const west = sb.clients.rds(WEST);
    const acceptedAt = sb.clock.now() + API_MS;

    // Act
    const out = await sb.run(
      west.send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          DbClusterIdentifier: WEST_ARN,
        }),
      ),
    );

    // Assess
    expect(out.GlobalCluster?.GlobalClusterMembers).toHaveLength(2);
    await sb.until(acceptedAt + detachMs - 1);
    expect(sb.rds.writerRegions(GLOBAL_ID)).toEqual([EAST]);
    await sb.until(acceptedAt + detachMs);
    expect(globalNow(sb).GlobalClusterMembers?.map((m) => m.DBClusterArn)).toEqual([EAST_ARN]);
    expect(sb.rds.writerRegions(GLOBAL_ID).sort()).toEqual([EAST, WEST]);
    expect(sb.rds.lastDataLossMs(GLOBAL_ID)).toBe(replicationLagMs);
    expect(sb.rds.replicationLagMs(WEST_ARN)).toBeUndefined();
    const cluster = (
      await sb.run(west.send(new DescribeDBClustersCommand({ DBClusterIdentifier: WEST_ARN })))
    ).DBClusters?.[0];
    expect(cluster?.Status).toBe('available');
    expect(cluster?.GlobalClusterIdentifier).toBeUndefined();
    expect(cluster?.DBClusterMembers?.some((m) => m.IsClusterWriter)).toBe(true);
  });

  it('shows the cluster promoting while it detaches, and refuses to remove the primary while secondaries remain', async () => {
    // Prepare
    const sb = computeSandbox();
    const east = sb.clients.rds(EAST);

    // Act
    const primary = await sb.failure(
      east.send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          DbClusterIdentifier: EAST_ARN,
        }),
      ),
    );
    await sb.run(
      east.send(
        new RemoveFromGlobalClusterCommand({
          GlobalClusterIdentifier: GLOBAL_ID,
          DbClusterIdentifier: WEST_ARN,
        }),
      ),
    );
    const during = await sb.run(
      sb.clients.rds(WEST).send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'orders-usw2' })),
    );

    // Assess
    expect(primary).toBeInstanceOf(InvalidGlobalClusterStateFault);
    expect(during.DBClusters?.[0]?.Status).toBe('promoting');
    expect(globalNow(sb).Status).toBe('modifying');
  });
});

describe('SimulatedRds: transport faults', () => {
  it('surfaces a throttling fault as ThrottlingException after the client retries', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({
      kind: 'api-errors',
      service: 'rds',
      region: WEST,
      error: 'ThrottlingException',
      rate: 1,
    });

    // Act
    const error = await sb.failure(
      sb.clients.rds(WEST).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL_ID })),
    );

    // Assess
    expect((error as Error).name).toBe('ThrottlingException');
    expect((error as { $metadata: { attempts: number } }).$metadata.attempts).toBe(
      TRANSPORT_POLICIES.default.maxAttempts,
    );
    expect(sb.simulator.log.filter((c) => c.operation === 'DescribeGlobalClusters')).toHaveLength(
      TRANSPORT_POLICIES.default.maxAttempts,
    );
  });

  it("answers an injected error with AWS's message and status for its code, not always throttling's", async () => {
    // Prepare
    const sb = computeSandbox();
    const inject = (error: string) =>
      sb.faults.add({ kind: 'api-errors', service: 'rds', region: WEST, error, rate: 1 });
    const call = () =>
      sb.failure(
        sb.clients.rds(WEST).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL_ID })),
      );
    const seen = (error: unknown) => ({
      name: (error as Error).name,
      message: (error as Error).message,
      status: (error as { $metadata: { httpStatusCode?: number } }).$metadata.httpStatusCode,
    });

    // Act
    inject('InternalFailure');
    const internal = seen(await call());
    sb.faults.clear({ kind: 'api-errors' });
    inject('ServiceUnavailable');
    const unavailable = seen(await call());
    sb.faults.clear({ kind: 'api-errors' });
    inject('Throttling');
    const throttled = seen(await call());

    // Assess
    expect(internal).toMatchObject({ name: 'InternalFailure', status: 500 });
    expect(internal.message).toMatch(/^The request processing has failed because of an unknown error/);
    expect(unavailable).toMatchObject({ name: 'ServiceUnavailable', status: 503 });
    expect(unavailable.message).toMatch(/^The request has failed due to a temporary failure of the server/);
    expect(throttled).toMatchObject({ name: 'Throttling', status: 400 });
    expect(throttled.message).toMatch(/^Rate exceeded/);
  });

  it('fails the calls of a region that is down like a network timeout, while the other region answers', async () => {
    // Prepare
    const sb = computeSandbox();
    sb.faults.add({ kind: 'region-outage', region: EAST });

    // Act
    const down = await sb.failure(sb.clients.rds(EAST).send(new DescribeDBClustersCommand({})));
    const up = await sb.run(sb.clients.rds(WEST).send(new DescribeDBClustersCommand({})));

    // Assess
    expect((down as Error).name).toBe('TimeoutError');
    expect(up.DBClusters?.map((c) => c.DBClusterArn)).toEqual([WEST_ARN]);
  });
});

describe('SimulatedRds: pilot-light reader instances', () => {
  it('adds a reader instance that is creating, then available after instanceCreateMs', async () => {
    // Prepare
    const sb = computeSandbox();
    const west = sb.clients.rds(WEST);
    const acceptedAt = sb.clock.now() + API_MS;

    // Act
    const out = await sb.run(
      west.send(
        new CreateDBInstanceCommand({
          DBClusterIdentifier: 'orders-usw2',
          DBInstanceIdentifier: 'orders-usw2-reader-2',
          DBInstanceClass: 'db.r6g.xlarge',
          Engine: 'aurora-postgresql',
        }),
      ),
    );
    const duplicate = await sb.failure(
      west.send(
        new CreateDBInstanceCommand({
          DBClusterIdentifier: 'orders-usw2',
          DBInstanceIdentifier: 'orders-usw2-reader-2',
          DBInstanceClass: 'db.r6g.xlarge',
          Engine: 'aurora-postgresql',
        }),
      ),
    );

    // Assess
    expect(out.DBInstance).toMatchObject({
      DBInstanceStatus: 'creating',
      DBClusterIdentifier: 'orders-usw2',
    });
    expect((duplicate as Error).name).toBe('DBInstanceAlreadyExistsFault');
    await sb.until(acceptedAt + FAST.aurora.instanceCreateMs - 1);
    const before = sb.rds.handle(
      'DescribeDBInstances',
      { DBInstanceIdentifier: 'orders-usw2-reader-2' },
      { region: WEST },
    ) as { DBInstances: { DBInstanceStatus: string }[] };
    expect(before.DBInstances[0]?.DBInstanceStatus).toBe('creating');
    await sb.until(acceptedAt + FAST.aurora.instanceCreateMs);
    const listed = await sb.run(
      west.send(
        new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: ['orders-usw2'] }] }),
      ),
    );
    expect(listed.DBInstances?.map((i) => [i.DBInstanceIdentifier, i.DBInstanceStatus])).toEqual([
      ['orders-usw2-instance-1', 'available'],
      ['orders-usw2-reader-2', 'available'],
    ]);
  });
});

describe('SimulatedRds: determinism', () => {
  async function scenario(): Promise<unknown> {
    const sb = computeSandbox();
    sb.faults.add({ kind: 'api-errors', service: 'rds', error: 'ThrottlingException', rate: 0.5 });
    sb.faults.add({ kind: 'region-outage', region: EAST });
    const flips: number[] = [];
    await failover(sb).catch(() => undefined);
    await sb.until(sb.clock.now() + failoverMs);
    flips.push(sb.clock.now());
    await sb
      .run(
        sb.clients.rds(WEST).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL_ID })),
      )
      .catch(() => undefined);
    return {
      calls: sb.simulator.log.map((c) => [c.operation, c.startedAt, c.finishedAt, c.ok]),
      writer: sb.rds.writerRegions(GLOBAL_ID),
      loss: sb.rds.lastDataLossMs(GLOBAL_ID),
      flips,
    };
  }

  it('gives the same virtual timings on every run', async () => {
    // Act
    const first = await scenario();
    const second = await scenario();

    // Assess
    expect(second).toEqual(first);
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/core/errors.js';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { planRegistry } from '../../functions/core/plan-registry.js';
import { wakeParked } from '../../functions/evacuation/region-poller.js';
import type { RunContext } from '../../functions/runbook/context.js';
import { checkDatabase, promoteDatabase } from '../../functions/runbook/database.js';
import type { RoutingControlState } from '../../functions/runbook/ports/arc.js';
import type { GlobalClusterView } from '../../functions/runbook/ports/aurora.js';
import type { TrafficSwitch } from '../../functions/runbook/ports/traffic-switch.js';
import { checkPrepare } from '../../functions/runbook/prepare.js';
import { shiftTraffic } from '../../functions/runbook/traffic.js';
import { awaitEvent, wakeOnEvent } from '../../functions/runbook/wake.js';
import { readerInstanceId } from '../../functions/runbook/wake-signal.js';
import {
  fakeArc,
  fakeAurora,
  fakeAutoScaling,
  fakeClock,
  fakeRoute53,
  fakeStore,
  fakeTaskTokens,
  fakeWaits,
} from './fakes.js';

// Unit tests of the waker (WakeOnEvent) and of AwaitEvent, against in-memory fakes of their ports.

const plans: Plan[] = await loadPlans('plans');
const SOURCE = 'us-east-1';
const TARGET = 'us-west-2';
const USE1 = 'arn:aws:rds:us-east-1:111111111111:cluster:orders-use1';
const USW2 = 'arn:aws:rds:us-west-2:111111111111:cluster:orders-usw2';
const BILLING_TARGET = 'arn:aws:rds:us-west-2:111111111111:cluster:billing-usw2';
const ORDERS = plans.find((p) => p.name === 'orders');
const CONTROLS = ORDERS?.traffic.arc?.routingControls ?? {};
const ON_TARGET: Record<string, RoutingControlState> = {
  [CONTROLS[SOURCE] ?? 'source']: 'Off',
  [CONTROLS[TARGET] ?? 'target']: 'On',
};
/** The traffic switch a health-checks plan uses: orders moves with ARC, so nothing may write it. */
const noSwitch: TrafficSwitch = {
  get: async () => {
    throw new Error('no traffic switch expected');
  },
  set: async () => {
    throw new Error('no traffic switch expected');
  },
} as unknown as TrafficSwitch;

function view(writer: string, moving: boolean): GlobalClusterView {
  return {
    id: 'orders-global',
    status: moving ? 'switching-over' : 'available',
    members: [
      { clusterArn: USE1, region: SOURCE, isWriter: writer === USE1 },
      { clusterArn: USW2, region: TARGET, isWriter: writer === USW2 },
    ],
    writerRegion: writer === USE1 ? SOURCE : TARGET,
    ...(moving
      ? {
          failover: {
            status: 'switching-over',
            fromClusterArn: USE1,
            toClusterArn: USW2,
            isDataLossAllowed: false,
          },
        }
      : {}),
  } as GlobalClusterView;
}

/**
 * The target region's control plane with orders' execution `exec-1` holding the lock and parked on
 * its promotion. With `run`, the park keeps exec-1's run context (as AwaitEvent stores it), and
 * `capacity` is what exec-1's record says of ScaleCapacity#orders-web.
 */
async function setup(options: {
  moving: boolean;
  parked?: boolean;
  run?: Partial<RunContext>;
  capacity?: 'RUNNING' | 'SUCCEEDED';
}) {
  const clock = fakeClock();
  const state = fakeStore(clock, TARGET);
  const aurora = fakeAurora({ 'orders-global': view(options.moving ? USE1 : USW2, options.moving) }, 1_500);
  const waits = fakeWaits();
  const tokens = fakeTaskTokens(['token-1']);
  const arc = fakeArc({ ...ON_TARGET, [CONTROLS[SOURCE] ?? '']: 'On', [CONTROLS[TARGET] ?? '']: 'Off' });
  const { epoch } = await state.store.acquireLock('orders', 'exec-1', 60_000);
  const { record } = await state.store.createExecution({
    id: 'exec-1',
    app: 'orders',
    runbook: 'warm-standby',
    mode: 'ungraceful',
    trigger: 'operator',
    from: SOURCE,
    to: TARGET,
    requestedBy: 'alice',
    reason: 'test',
    startedAt: '2026-01-01T00:00:00.000Z',
    steps: options.capacity
      ? {
          'ScaleCapacity#orders-web': {
            name: 'ScaleCapacity',
            resource: 'orders-web',
            status: options.capacity,
            startedAt: '2026-01-01T00:00:00.000Z',
          },
        }
      : {},
  } as never);
  const run: RunContext = {
    executionId: 'exec-1',
    executionKey: record.key,
    app: 'orders',
    runbook: 'warm-standby',
    mode: 'ungraceful',
    trigger: 'operator',
    requestedBy: 'alice',
    reason: 'test',
    from: SOURCE,
    to: TARGET,
    epoch,
    requestedAt: '2026-01-01T00:00:00.000Z',
    approvalRequired: false,
    approvalTimeoutSeconds: 3600,
    leaseSeconds: 300,
    ...options.run,
  };
  if (options.parked !== false)
    await waits.port.park({
      app: 'orders',
      executionId: 'exec-1',
      what: 'promotion#orders-global',
      token: 'token-1',
      region: TARGET,
      parkedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T00:00:05.000Z',
      ...(options.run ? { run } : {}),
    });
  const deps = {
    region: TARGET,
    plans: planRegistry(plans),
    clock,
    random: { next: () => 0.5 },
    stateMachineArns: {},
    store: state.store,
    aurora: aurora.port,
    auroraLag: aurora.lag,
    autoScaling: fakeAutoScaling({}).port,
    waits: waits.port,
    stepFunctions: tokens.port,
    arc: arc.port,
    route53: fakeRoute53(SOURCE).port,
    traffic: noSwitch,
  };
  return { deps, aurora, tokens, waits, arc, state, run };
}

/** RDS-EVENT-0185 for orders' target cluster, as EventBridge delivers it. */
const switchoverFinished = {
  version: '0',
  id: 'e-1',
  'detail-type': 'RDS DB Cluster Event',
  source: 'aws.rds',
  account: '111111111111',
  time: '2026-01-01T00:01:30.000Z',
  region: TARGET,
  resources: [USW2],
  detail: {
    EventCategories: ['global failover'],
    SourceType: 'CLUSTER',
    SourceArn: USW2,
    Date: '2026-01-01T00:01:30.000Z',
    Message: 'Global switchover to DB cluster orders-usw2 in Region us-west-2 finished.',
    SourceIdentifier: 'orders-usw2',
    EventID: 'RDS-EVENT-0185',
  },
};

/**
 * billing's graceful execution exec-1 parked on its new reader (AwaitEvent kept its run), then the
 * reader seen available by `seenBy`: a pass of the region's poller, which watches it (the
 * deployment runs 2 plans into the target: `readerWatched`), or RDS's "DB instance created"
 * through the waker (`event`; `event-unwatched`: a wait no poller serves, as where many plans run
 * into the region), then CheckPrepare and PromoteDatabase, with billing-api at `healthy` of its 4
 * instances in the target.
 */
async function readerWoken(
  healthy: number,
  seenBy: 'poller' | 'event' | 'event-unwatched' = 'poller',
  options: { readonly expiresInMs?: number; readonly lockLost?: boolean } = {},
) {
  // Arrange: billing's execution exec-1 (graceful) parked on its reader, its groups ready.
  const BE1 = 'arn:aws:rds:us-east-1:111111111111:cluster:billing-use1';
  const BW2 = BILLING_TARGET;
  const clock = fakeClock();
  const state = fakeStore(clock, TARGET);
  const aurora = fakeAurora({
    'billing-global': {
      id: 'billing-global',
      status: 'available',
      members: [
        { clusterArn: BE1, region: SOURCE, isWriter: true },
        { clusterArn: BW2, region: TARGET, isWriter: false },
      ],
      writerRegion: SOURCE,
    } as GlobalClusterView,
  });
  const reader = readerInstanceId('billing-usw2');
  aurora.port.instances = async () => [{ id: reader, status: 'available', isWriter: false }] as never;
  const ready = { desired: 4, inService: healthy, healthyInService: healthy };
  const autoScaling = fakeAutoScaling({
    [`${TARGET}/billing-api-usw2`]: ready,
    [`${TARGET}/billing-workers-usw2`]: { desired: 2, inService: 2, healthyInService: 2 },
  });
  const tokens = fakeTaskTokens(['token-r']);
  const waits = fakeWaits();
  const { epoch } = await state.store.acquireLock('billing', 'exec-1', 60_000);
  const { record } = await state.store.createExecution({
    id: 'exec-1',
    app: 'billing',
    runbook: 'pilot-light',
    mode: 'graceful',
    trigger: 'operator',
    from: SOURCE,
    to: TARGET,
    requestedBy: 'alice',
    reason: 'test',
    startedAt: '2026-01-01T00:00:00.000Z',
  } as never);
  const run: RunContext = {
    executionId: 'exec-1',
    executionKey: record.key,
    app: 'billing',
    runbook: 'pilot-light',
    mode: 'graceful',
    trigger: 'operator',
    requestedBy: 'alice',
    reason: 'test',
    from: SOURCE,
    to: TARGET,
    epoch,
    requestedAt: '2026-01-01T00:00:00.000Z',
    approvalRequired: false,
    approvalTimeoutSeconds: 3600,
    leaseSeconds: 300,
  };
  const deps = {
    region: TARGET,
    plans: planRegistry(plans),
    clock,
    random: { next: () => 0.5 },
    stateMachineArns: {},
    store: state.store,
    aurora: aurora.port,
    auroraLag: aurora.lag,
    autoScaling: autoScaling.port,
    waits: waits.port,
    stepFunctions: tokens.port,
    arc: fakeArc({}).port,
    route53: fakeRoute53(SOURCE).port,
    traffic: noSwitch,
  };
  const progress = {
    done: false,
    nextPollSeconds: 5,
    attempt: 1,
    maxAttempts: 360,
    startedAt: '2026-01-01T00:00:00.000Z',
    phase: 'creating-reader',
  };
  // AwaitEvent parks (the reader not there yet: it keeps the run for the waker).
  aurora.port.instances = async () => [];
  await awaitEvent(
    { run, resource: { kind: 'database', id: 'billing-global' }, progress, taskToken: 'token-r' },
    deps,
  );
  aurora.port.instances = async () => [{ id: reader, status: 'available', isWriter: false }] as never;
  const created = {
    ...switchoverFinished,
    'detail-type': 'RDS DB Instance Event',
    resources: [`arn:aws:rds:${TARGET}:111111111111:db:${reader}`],
    detail: {
      ...switchoverFinished.detail,
      EventID: 'RDS-EVENT-0005',
      SourceType: 'DB_INSTANCE',
      SourceArn: `arn:aws:rds:${TARGET}:111111111111:db:${reader}`,
      SourceIdentifier: reader,
      Message: 'DB instance created',
    },
  };

  // The order in which the waker starts its reads (the lookup of the parked run, RDS's global cluster).
  const order: string[] = [];
  const getLock = state.store.getLock.bind(state.store);
  state.store.getLock = async (app) => {
    order.push('GetItem lock');
    const lock = await getLock(app);
    order.push('lock read');
    return lock;
  };
  const describeGlobalCluster = aurora.port.describeGlobalCluster.bind(aurora.port);
  aurora.port.describeGlobalCluster = async (region, id) => {
    order.push('DescribeGlobalClusters');
    return describeGlobalCluster(region, id);
  };

  if (options.expiresInMs !== undefined) clock.advance(5_000 - options.expiresInMs);
  const parkedWait = waits.items.get('billing/exec-1/reader#billing-global');
  const lock = state.locks.get('billing');
  if (options.lockLost && lock) state.locks.set('billing', { ...lock, holder: 'exec-2', epoch: epoch + 1 });
  if (seenBy === 'event-unwatched' && parkedWait) await waits.port.park({ ...parkedWait, shared: false });

  // Act
  const report =
    seenBy === 'poller'
      ? await wakeParked(TARGET, await waits.port.listShared(TARGET, clock.now()), deps)
      : await wakeOnEvent(created, deps);
  const wake = tokens.answered[0]?.output as Record<string, unknown>;
  if (options.lockLost) {
    // Fenced out: CheckPrepare refuses to record the reader as this run's (another holds the lock).
    await expect(
      checkPrepare({ run, resource: { kind: 'database', id: 'billing-global' }, progress, wake }, deps),
    ).rejects.toThrow(/no longer holds the lock/);
  }
  const prepared = options.lockLost
    ? { done: false }
    : await checkPrepare({ run, resource: { kind: 'database', id: 'billing-global' }, progress, wake }, deps);
  const promoting = options.lockLost
    ? undefined
    : await promoteDatabase({ run, resource: { kind: 'database', id: 'billing-global' }, prepared }, deps);

  return { report, wake, prepared, promoting, aurora, state, clock, epoch, order };
}

describe('WakeOnEvent', () => {
  it('answers the token of the execution parked on the promotion, once RDS shows it done', async () => {
    const { deps, tokens } = await setup({ moving: false });
    const report = await wakeOnEvent(switchoverFinished, deps);
    expect(report.woken).toEqual([{ app: 'orders', executionId: 'exec-1', what: 'promotion#orders-global' }]);
    expect(tokens.answered).toEqual([
      { region: TARGET, token: 'token-1', output: expect.objectContaining({ woken: true, by: 'event' }) },
    ]);
  });

  it('wakes nothing while RDS still shows the switchover under way (the event is a hint)', async () => {
    const { deps, tokens } = await setup({ moving: true });
    const report = await wakeOnEvent(switchoverFinished, deps);
    expect(report.woken).toEqual([]);
    expect(report.skipped).toEqual([expect.stringContaining('RDS does not show it yet')]);
    expect(tokens.answered).toEqual([]);
  });

  it('a duplicate or late event finds the token spent and is harmless', async () => {
    const { deps, tokens } = await setup({ moving: false });
    await wakeOnEvent(switchoverFinished, deps);
    const again = await wakeOnEvent(switchoverFinished, deps);
    expect(again.woken).toEqual([]);
    expect(again.skipped).toEqual([expect.stringContaining('already spent')]);
    expect(tokens.answered).toHaveLength(1);
  });

  it('wakes nothing when no step is parked, or for an event no step waits for', async () => {
    const { deps, tokens } = await setup({ moving: false, parked: false });
    expect((await wakeOnEvent(switchoverFinished, deps)).skipped).toEqual([
      expect.stringContaining('is not parked on promotion#orders-global'),
    ]);
    const other = {
      ...switchoverFinished,
      detail: { ...switchoverFinished.detail, EventID: 'RDS-EVENT-0016' },
    };
    expect((await wakeOnEvent(other, deps)).skipped).toEqual([
      'RDS-EVENT-0016: not an event any step waits for',
    ]);
    expect(tokens.answered).toEqual([]);
  });

  it('refuses an event that is not an RDS event, saying what was wrong', async () => {
    const { deps } = await setup({ moving: false });
    await expect(wakeOnEvent({ ...switchoverFinished, source: 'aws.ec2' }, deps)).rejects.toThrow(
      InvalidInputError,
    );
  });

  it('moves traffic before it wakes the promotion when the rest of the run is recorded ready, and ShiftTraffic follows that change instead of making it again', async () => {
    const { deps, tokens, arc, state, run } = await setup({ moving: false, run: {}, capacity: 'SUCCEEDED' });
    const report = await wakeOnEvent(switchoverFinished, deps);
    expect(report.woken).toEqual([
      { app: 'orders', executionId: 'exec-1', what: 'promotion#orders-global', trafficMoved: 'arc' },
    ]);
    // One ARC update (target On, source Off), made before the token was answered, and fenced: the
    // lease was renewed at the run's epoch.
    expect(arc.updates).toEqual([ON_TARGET]);
    expect(state.locks.get('orders')?.leaseExpiresAt).toBe(deps.clock.now() + 300_000);
    const wake = (tokens.answered[0]?.output ?? {}) as Record<string, unknown>;
    expect(wake.shifted).toEqual(
      expect.objectContaining({ by: 'WakeOnEvent', epoch: run.epoch, mechanism: 'arc' }),
    );

    // The woken check carries the change in its outcome, and ShiftTraffic finishes on it.
    const progress = await checkDatabase(
      {
        run,
        resource: { kind: 'database', id: 'orders-global' },
        progress: {
          done: false,
          nextPollSeconds: 5,
          attempt: 0,
          maxAttempts: 48,
          startedAt: '2026-01-01T00:00:00.000Z',
          phase: 'promoting',
          detail: { method: 'failover' },
        },
        wake,
      },
      { ...deps, autoScaling: fakeAutoScaling({}).port },
    );
    expect(progress.done).toBe(true);
    const shifted = await shiftTraffic(
      {
        run,
        prepared: [
          { resource: { kind: 'database', id: 'orders-global' }, status: 'READY', detail: progress },
          { resource: { kind: 'capacity', id: 'orders-web' }, status: 'READY', detail: {} },
        ],
      },
      { ...deps, dns: undefined as never, trafficBatches: undefined as never },
    );
    expect(shifted.done).toBe(true);
    expect(shifted.detail).toEqual(expect.objectContaining({ mechanism: 'arc', shiftedBy: 'WakeOnEvent' }));
    expect(arc.updates).toHaveLength(1); // not made again
    expect(state.executions.get('exec-1')?.steps.ShiftTraffic?.status).toBe('SUCCEEDED');
  });

  it('leaves traffic to ShiftTraffic while capacity is not recorded ready, in an evacuation, or once the run lost its epoch', async () => {
    for (const options of [
      { capacity: 'RUNNING' as const, run: {} },
      { capacity: 'SUCCEEDED' as const, run: { evacuation: { id: 'evac-1', region: TARGET } } },
      { capacity: 'SUCCEEDED' as const, run: { epoch: 7 } },
    ]) {
      const { deps, tokens, arc } = await setup({ moving: false, ...options });
      const report = await wakeOnEvent(switchoverFinished, deps);
      expect(report.woken).toEqual([
        { app: 'orders', executionId: 'exec-1', what: 'promotion#orders-global' },
      ]);
      expect(arc.updates).toEqual([]);
      expect(tokens.answered[0]?.output).not.toHaveProperty('shifted');
    }
  });

  it('moves nothing while RDS still shows the promotion under way, or for a token already expired', async () => {
    const moving = await setup({ moving: true, run: {}, capacity: 'SUCCEEDED' });
    await wakeOnEvent(switchoverFinished, moving.deps);
    expect(moving.arc.updates).toEqual([]);
    const late = await setup({ moving: false, run: {}, capacity: 'SUCCEEDED' });
    late.deps.clock.advance(6_000); // past the park's expiresAt (5 s)
    await wakeOnEvent(switchoverFinished, late.deps);
    expect(late.arc.updates).toEqual([]);
  });

  it('CheckDatabase, reading the promotion done itself (its park timed out), moves traffic when the rest of the run is recorded ready, and not otherwise', async () => {
    for (const capacity of ['SUCCEEDED', 'RUNNING'] as const) {
      const { deps, arc, run } = await setup({ moving: false, run: {}, capacity });
      const progress = await checkDatabase(
        {
          run,
          resource: { kind: 'database', id: 'orders-global' },
          progress: {
            done: false,
            nextPollSeconds: 5,
            attempt: 3,
            maxAttempts: 48,
            startedAt: '2026-01-01T00:00:00.000Z',
            phase: 'promoting',
            detail: { method: 'failover' },
          },
        },
        { ...deps, autoScaling: fakeAutoScaling({}).port },
      );
      expect(progress.done).toBe(true);
      if (capacity === 'SUCCEEDED') {
        expect(arc.updates).toEqual([ON_TARGET]);
        expect(progress.detail?.trafficShifted).toEqual(
          expect.objectContaining({ by: 'CheckDatabase', mechanism: 'arc', epoch: run.epoch }),
        );
      } else {
        expect(arc.updates).toEqual([]);
        expect(progress.detail).not.toHaveProperty('trafficShifted');
      }
    }
  });

  it("pilot light: the region poller's watch, seeing the new reader available with capacity read ready, starts the switchover itself; CheckPrepare and PromoteDatabase follow it", async () => {
    const { report, wake, prepared, promoting, aurora, state, clock, epoch } = await readerWoken(4);
    // One switchover, in the writer's region, started by the poller (fenced: the lease renewed).
    expect(report).toMatchObject({ woken: 1 });
    expect(aurora.calls).toEqual([
      { op: 'switchover', region: SOURCE, id: 'billing-global', target: BILLING_TARGET },
    ]);
    expect(wake.promotion).toEqual(
      expect.objectContaining({ by: 'RegionPoller', method: 'switchover', epoch }),
    );
    expect(wake.reader).toEqual(expect.objectContaining({ instance: readerInstanceId('billing-usw2') }));
    expect(state.locks.get('billing')?.leaseExpiresAt).toBe(clock.now() + 300_000);
    expect(prepared.done).toBe(true);
    expect(promoting).toMatchObject({ phase: 'promoting', detail: { method: 'switchover', rpoMs: 0 } });
    expect(aurora.calls).toHaveLength(1); // PromoteDatabase followed it, and called nothing again
  });

  it("pilot light: the reader's event leaves a wait the region poller watches to the watch: it wakes nothing and starts nothing", async () => {
    const { report, wake, aurora } = await readerWoken(4, 'event');
    expect(report.woken).toEqual([]);
    expect('skipped' in report ? report.skipped : []).toEqual([
      expect.stringContaining('the region poller watches reader#billing-global'),
    ]);
    expect(wake).toBeUndefined(); // no token answered
    // (CheckPrepare, run here without a wake as its fallback would, then PromoteDatabase: one call.)
    expect(aurora.calls).toHaveLength(1);
  });

  it("pilot light: where no poller watches the reader, its event's waker starts the switchover, on the reads it makes beside the lookup of the parked run", async () => {
    const { report, wake, promoting, aurora, epoch } = await readerWoken(4, 'event-unwatched');
    expect(report.woken).toEqual([{ app: 'billing', executionId: 'exec-1', what: 'reader#billing-global' }]);
    expect(wake.promotion).toEqual(
      expect.objectContaining({ by: 'WakeOnEvent', method: 'switchover', epoch }),
    );
    expect(promoting).toMatchObject({ phase: 'promoting', detail: { method: 'switchover', rpoMs: 0 } });
    expect(aurora.calls).toHaveLength(1);
  });

  it("pilot light: capacity read short of ready leaves the switchover to PromoteDatabase's gate", async () => {
    const { wake, promoting, aurora } = await readerWoken(1);
    expect(wake).not.toHaveProperty('promotion');
    expect(aurora.calls).toEqual([]);
    expect(promoting).toMatchObject({ phase: 'waiting-for-capacity' });
  });

  it('pilot light: the watch leaves a park within a second of its timeout to its step (which reads the reader itself), and a run that lost its lock starts nothing', async () => {
    // A park about to time out: woken with the reader read, no promotion (CheckPrepare's own read could race it).
    const late = await readerWoken(4, 'poller', { expiresInMs: 900 });
    expect(late.wake).not.toHaveProperty('promotion');
    expect(late.wake.reader).toBeDefined();
    // Fenced: another execution took the lock at a higher epoch; the watch's lease renewal fails.
    const lost = await readerWoken(4, 'poller', { lockLost: true });
    expect(lost.wake).not.toHaveProperty('promotion');
    expect(lost.aurora.calls).toEqual([]);
  });

  it('names the reader PrepareDatabase adds after its cluster', () => {
    expect(readerInstanceId('billing-usw2')).toBe('billing-usw2-switchyard-reader');
  });
});

describe('AwaitEvent', () => {
  const run = {
    executionId: 'exec-1',
    executionKey: 'EXEC#2026-01-01T00:00:00.000Z#exec-1',
    app: 'orders',
    runbook: 'warm-standby',
    mode: 'graceful',
    trigger: 'operator',
    requestedBy: 'alice',
    reason: 'test',
    from: SOURCE,
    to: TARGET,
    epoch: 1,
    requestedAt: '2026-01-01T00:00:00.000Z',
    approvalRequired: false,
    approvalTimeoutSeconds: 900,
    leaseSeconds: 300,
  };
  const progress = {
    done: false,
    nextPollSeconds: 5,
    attempt: 1,
    maxAttempts: 48,
    startedAt: '2026-01-01T00:00:00.000Z',
    phase: 'promoting',
  };

  it('stores its token and keeps waiting while the promotion is under way', async () => {
    const { deps, tokens, waits } = await setup({ moving: true, parked: false });
    const out = await awaitEvent(
      { run, resource: { kind: 'database', id: 'orders-global' }, progress, taskToken: 'token-1' },
      deps,
    );
    expect(out).toEqual({ parked: true, already: false });
    expect(waits.items.get('orders/exec-1/promotion#orders-global')).toMatchObject({
      token: 'token-1',
      region: TARGET,
      expiresAt: '2026-01-01T00:00:05.000Z',
    });
    expect(tokens.answered).toEqual([]);
  });

  it('answers its own token at once when the promotion already ended (an event that came before the token was stored)', async () => {
    const { deps, tokens } = await setup({ moving: false, parked: false });
    const out = await awaitEvent(
      { run, resource: { kind: 'database', id: 'orders-global' }, progress, taskToken: 'token-1' },
      deps,
    );
    expect(out).toEqual({ parked: true, already: true });
    expect(tokens.answered).toEqual([
      { region: TARGET, token: 'token-1', output: expect.objectContaining({ by: 'already' }) },
    ]);
  });

  it('a promotion already over, with capacity recorded ready, moves traffic before it answers, and the event that follows moves nothing again', async () => {
    const { deps, tokens, arc, waits } = await setup({ moving: false, parked: false, capacity: 'SUCCEEDED' });
    await awaitEvent(
      { run, resource: { kind: 'database', id: 'orders-global' }, progress, taskToken: 'token-1' },
      deps,
    );
    expect(arc.updates).toEqual([ON_TARGET]);
    expect(tokens.answered[0]?.output).toEqual(
      expect.objectContaining({
        by: 'already',
        shifted: expect.objectContaining({ by: 'AwaitEvent', mechanism: 'arc', epoch: 1 }),
      }),
    );
    // Parked again without its run: the promotion's event, arriving later, wakes and moves nothing.
    expect(waits.items.get('orders/exec-1/promotion#orders-global')).not.toHaveProperty('run');
    const report = await wakeOnEvent(switchoverFinished, deps);
    expect(report.woken).toEqual([]);
    expect(arc.updates).toHaveLength(1);
  });

  it('in an evacuation, parks without a read of its own: the evacuation reads for every app at once', async () => {
    // Arrange: the promotion already ended, which the step would read and answer outside an
    // evacuation (above); the capacity branch parks on its own group.
    const { deps, tokens, waits } = await setup({ moving: false, parked: false });
    let reads = 0;
    const aurora = deps.aurora;
    deps.aurora = {
      ...aurora,
      describeGlobalCluster: (region, id) => {
        reads++;
        return aurora.describeGlobalCluster(region, id);
      },
    };
    const inEvacuation = { ...run, evacuation: { id: 'evac-1', region: TARGET } };

    // Act
    const database = await awaitEvent(
      {
        run: inEvacuation,
        resource: { kind: 'database', id: 'orders-global' },
        progress,
        taskToken: 'token-1',
      },
      deps,
    );
    const capacity = await awaitEvent(
      {
        run: inEvacuation,
        resource: { kind: 'capacity', id: 'orders-web' },
        progress: { ...progress, phase: 'scaling' },
        taskToken: 'token-2',
      },
      deps,
    );

    // Assert: both parked, nothing read, nothing answered; the group's wait is keyed by its name.
    expect([database, capacity]).toEqual([
      { parked: true, already: false },
      { parked: true, already: false },
    ]);
    expect(reads).toBe(0);
    expect(tokens.answered).toEqual([]);
    expect(waits.items.get('orders/exec-1/group#orders-web')).toMatchObject({ token: 'token-2' });
  });
});

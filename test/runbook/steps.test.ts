import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { PreconditionFailedError } from '../../functions/core/errors.js';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { planRegistry } from '../../functions/core/plan-registry.js';
import { abandonExecution } from '../../functions/runbook/abandon.js';
import { requestApproval } from '../../functions/runbook/approval.js';
import { beginExecution } from '../../functions/runbook/begin.js';
import { checkCapacity, scaleCapacity } from '../../functions/runbook/capacity.js';
import {
  CAPACITY_REFRESH_AFTER_MS,
  CAPACITY_WATCH_BUDGET_MS,
  CAPACITY_WATCH_MIN_MS,
} from '../../functions/runbook/capacity-watch.js';
import { nextPoll, type RunContext } from '../../functions/runbook/context.js';
import { checkDatabase, promoteDatabase } from '../../functions/runbook/database.js';
import type { GlobalClusterView } from '../../functions/runbook/ports/aurora.js';
import type { TrafficSwitch } from '../../functions/runbook/ports/traffic-switch.js';
import { WAKE_READ_FRESH_MS } from '../../functions/runbook/wake-reads.js';
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

// Unit tests of the runbook steps against in-memory fakes of their ports (test/runbook/fakes.ts):
// one describe per step, its idempotency, fencing and error paths. End-to-end behaviour is in
// test/scenarios; these pin each step's own contract. Times are virtual (the fake clock).

const SOURCE = 'us-east-1';
const TARGET = 'us-west-2';
const USE1 = 'arn:aws:rds:us-east-1:111111111111:cluster:orders-use1';
const USW2 = 'arn:aws:rds:us-west-2:111111111111:cluster:orders-usw2';

let plans: Plan[];
beforeAll(async () => {
  plans = await loadPlans(join(import.meta.dirname, '../../plans'));
});

function globalCluster(writer: string, failover?: GlobalClusterView['failover']): GlobalClusterView {
  return {
    id: 'orders-global',
    status: failover ? 'switching-over' : 'available',
    members: [
      { clusterArn: USE1, region: SOURCE, isWriter: writer === USE1 },
      { clusterArn: USW2, region: TARGET, isWriter: writer === USW2 },
    ],
    writerRegion: writer === USE1 ? SOURCE : TARGET,
    ...(failover ? { failover } : {}),
  };
}

/** A control plane in the target region with fakes of every port the steps under test call. */
function setup(options: { healthy?: number; writer?: string } = {}) {
  const clock = fakeClock();
  const state = fakeStore(clock, TARGET);
  const autoScaling = fakeAutoScaling({
    [`${TARGET}/orders-web-usw2`]: {
      desired: 6,
      inService: options.healthy ?? 0,
      healthyInService: options.healthy ?? 0,
    },
  });
  const aurora = fakeAurora({ 'orders-global': globalCluster(options.writer ?? USE1) }, 1_500);
  const waits = fakeWaits();
  const tokens = fakeTaskTokens();
  const orders = plans.find((p) => p.name === 'orders');
  const arc = fakeArc(
    Object.fromEntries(
      Object.entries(orders?.traffic.arc?.routingControls ?? {}).map(([r, arn]) => [
        arn,
        r === SOURCE ? 'On' : 'Off',
      ]),
    ),
  );
  const traffic: TrafficSwitch = {
    get: async () => undefined,
    set: async () => {
      throw new Error('fake traffic switch: not expected (orders uses ARC)');
    },
  };
  const deps = {
    region: TARGET,
    plans: planRegistry(plans),
    clock,
    random: { next: () => 0.5 },
    stateMachineArns: {},
    store: state.store,
    autoScaling: autoScaling.port,
    aurora: aurora.port,
    auroraLag: aurora.lag,
    waits: waits.port,
    stepFunctions: tokens.port,
    arc: arc.port,
    route53: fakeRoute53(SOURCE).port,
    traffic,
  };
  return { clock, state, autoScaling, aurora, waits, tokens, arc, deps };
}

function beginInput(mode: 'graceful' | 'ungraceful' = 'graceful', executionId = 'exec-1') {
  return {
    request: {
      plan: 'orders',
      targetRegion: TARGET,
      mode,
      trigger: 'operator',
      requestedBy: 'alice',
      reason: 'unit test',
      executionId,
    },
    executionArn: `arn:aws:states:${TARGET}:111111111111:execution:WarmStandbyRunbook:${executionId}`,
  };
}

async function begun(
  env: ReturnType<typeof setup>,
  mode: 'graceful' | 'ungraceful' = 'graceful',
): Promise<RunContext> {
  return (await beginExecution(beginInput(mode), env.deps)).run;
}

/** Takes the app's lock over for another holder: the run under test has lost it. */
async function loseLock(env: ReturnType<typeof setup>, run: RunContext): Promise<void> {
  await env.state.store.releaseLock(run.app, run.executionId, run.epoch);
  await env.state.store.acquireLock(run.app, 'exec-other', 60_000);
}

const CAPACITY = { kind: 'capacity', id: 'orders-web' } as const;

/** The database branch of `run` parked on capacity, its Task's timeout `leftMs` away (virtual ms). */
async function parkOnCapacity(env: ReturnType<typeof setup>, run: RunContext, leftMs: number): Promise<void> {
  const now = env.clock.now();
  env.tokens.waiting.add('capacity-token');
  await env.waits.port.park({
    app: 'orders',
    executionId: run.executionId,
    what: 'capacity',
    token: 'capacity-token',
    region: TARGET,
    parkedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + leftMs).toISOString(),
  });
}
const DATABASE = { kind: 'database', id: 'orders-global' } as const;

/**
 * A graceful run whose database branch waits on capacity (parked, its wait ending in `leftMs`,
 * virtual) and whose group then turns ready (6 of 6 InService and healthy), before CheckCapacity reads it.
 */
async function parkedThenReady(leftMs: number) {
  const env = setup({ healthy: 0 });
  const run = await begun(env);
  const waiting = await promoteDatabase({ run, resource: DATABASE }, env.deps);
  const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
  await parkOnCapacity(env, run, leftMs);
  env.autoScaling.groups[`${TARGET}/orders-web-usw2`] = {
    ...env.autoScaling.groups[`${TARGET}/orders-web-usw2`],
    inService: 6,
    healthyInService: 6,
  };
  return { env, run, waiting, started };
}

describe('BeginExecution', () => {
  it('takes the lock at a new epoch, writes a RUNNING record from the active region, audits once', async () => {
    // Arrange
    const env = setup();

    // Act
    const { run } = await beginExecution(beginInput(), env.deps);

    // Assert
    expect(run).toMatchObject({ app: 'orders', from: SOURCE, to: TARGET, epoch: 1, mode: 'graceful' });
    expect(env.state.locks.get('orders')).toMatchObject({ holder: 'exec-1', epoch: 1, released: false });
    const record = env.state.executions.get('exec-1');
    expect(record?.status).toBe('RUNNING');
    expect(record?.steps.BeginExecution?.status).toBe('SUCCEEDED');
    expect(env.state.audit.map((a) => a.action)).toEqual(['failover.started']);
  });

  it('is idempotent: a retried Begin keeps its epoch and its record and audits nothing more', async () => {
    // Arrange
    const env = setup();
    const first = await beginExecution(beginInput(), env.deps);

    // Act
    const again = await beginExecution(beginInput(), env.deps);

    // Assert
    expect(again.run.epoch).toBe(first.run.epoch);
    expect(again.run.executionKey).toBe(first.run.executionKey);
    expect(env.state.executions.size).toBe(1);
    expect(env.state.audit).toHaveLength(1);
  });

  it('adopts a reservation handed over whole (epoch, key, from) in one round of writes, reading nothing', async () => {
    // Arrange: what the operator API's reservation leaves: the lock at an epoch, a RUNNING record.
    const env = setup();
    await env.state.store.initState('orders', SOURCE);
    const { epoch } = await env.state.store.acquireLock('orders', 'exec-1', 600_000);
    const { record } = await env.state.store.createExecution({
      id: 'exec-1',
      app: 'orders',
      runbook: 'warm-standby',
      mode: 'graceful',
      trigger: 'operator',
      from: SOURCE,
      to: TARGET,
      requestedBy: 'alice',
      reason: 'unit test',
      startedAt: new Date(env.clock.now()).toISOString(),
      status: 'RUNNING',
    });
    const input = beginInput();
    const reserved = {
      ...input,
      request: { ...input.request, reserved: { epoch, key: record.key, from: SOURCE } },
    };
    const reads: string[] = [];
    const store = env.deps.store;
    const deps = {
      ...env.deps,
      store: {
        ...store,
        getState: (app: string) => {
          reads.push('getState');
          return store.getState(app);
        },
        getExecutionByKey: (app: string, key: string) => {
          reads.push('getExecutionByKey');
          return store.getExecutionByKey(app, key);
        },
        getExecution: (app: string, id: string) => {
          reads.push('getExecution');
          return store.getExecution(app, id);
        },
      },
    };

    // Act
    const { run } = await beginExecution(reserved, deps);
    await env.state.store.finishExecution('orders', record.key, {
      status: 'FAILED',
      error: { name: 'X', message: 'given up' },
    });
    const late = await beginExecution(reserved, deps).catch((e: unknown) => e);

    // Assert
    expect(reads).toEqual([]);
    expect(run).toMatchObject({ from: SOURCE, to: TARGET, epoch, executionKey: record.key });
    expect(env.state.executions.get('exec-1')?.steps.BeginExecution?.status).toBe('SUCCEEDED');
    expect(env.state.audit.map((a) => a.action)).toEqual(['failover.started']);
    // A record the API gave up (its start failed, then landed after all) is never run.
    expect(late).toBeInstanceOf(PreconditionFailedError);
    expect((late as Error).message).toMatch(/a finished execution never runs again/);
  });

  it('refuses a second execution while the first holds the lock, and writes nothing for it', async () => {
    // Arrange
    const env = setup();
    await beginExecution(beginInput(), env.deps);

    // Act
    const second = beginExecution(beginInput('graceful', 'exec-2'), env.deps);

    // Assert
    await expect(second).rejects.toMatchObject({ name: 'FailoverInProgressError' });
    expect(env.state.executions.has('exec-2')).toBe(false);
  });

  it('refuses a target that is already the active region', async () => {
    // Arrange
    const env = setup();
    await env.state.store.initState('orders', TARGET);

    // Act
    const begin = beginExecution(beginInput(), env.deps);

    // Assert
    // (Begin takes the lock alongside its reads; AbandonExecution, the runbook's Catch, gives it back.)
    await expect(begin).rejects.toMatchObject({ name: 'PreconditionFailedError' });
    expect(env.state.executions.size).toBe(0);
  });

  it("refuses to run outside the target region's control plane (static stability)", async () => {
    // Arrange
    const env = setup();

    // Act
    const begin = beginExecution(beginInput(), { ...env.deps, region: SOURCE });

    // Assert
    await expect(begin).rejects.toThrow(/must run in us-west-2's control plane, got us-east-1/);
  });

  it('names every problem of a malformed request', async () => {
    // Arrange
    const env = setup();

    // Act
    const begin = beginExecution({ request: { plan: 'orders', mode: 'sideways' } }, env.deps);

    // Assert
    await expect(begin).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(begin).rejects.toThrow(/targetRegion/);
  });
});

describe('AbandonExecution', () => {
  it('releases the lock Begin took and closes the record FAILED; again, it changes nothing', async () => {
    // Arrange
    const env = setup();
    await begun(env);
    const input = {
      ...beginInput(),
      error: { Error: 'States.TaskFailed', Cause: 'Begin crashed' },
    };

    // Act
    await abandonExecution(input, env.deps);
    await abandonExecution(input, env.deps);

    // Assert
    expect(env.state.locks.get('orders')?.released).toBe(true);
    expect(env.state.executions.get('exec-1')?.status).toBe('FAILED');
  });
});

describe('RequestApproval', () => {
  it('renews the lease over the wait and parks the token, entry and audit in one round of writes', async () => {
    // Arrange: every store call waits until the test releases it, so only calls made at once start.
    const env = setup();
    const run = await begun(env);
    const started: string[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store = env.deps.store;
    const held =
      <A extends unknown[], R>(name: string, call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        started.push(name);
        await gate;
        return call(...args);
      };
    const deps = {
      ...env.deps,
      store: {
        ...store,
        renewLock: held('renewLock', store.renewLock),
        updateExecution: held('updateExecution', store.updateExecution),
        recordStep: held('recordStep', store.recordStep),
        appendAudit: held('appendAudit', store.appendAudit),
      },
    };

    // Act
    const parked = requestApproval({ run, taskToken: 'token-1' }, deps);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const atOnce = [...started];
    release();
    await parked;

    // Assert
    expect(atOnce.sort()).toEqual(['appendAudit', 'recordStep', 'renewLock', 'updateExecution']);
    const record = env.state.executions.get('exec-1');
    expect(record?.status).toBe('WAITING_APPROVAL');
    expect(record?.approval?.taskToken).toBe('token-1');
    expect(env.state.locks.get('orders')?.leaseExpiresAt).toBe(
      env.clock.now() + (run.approvalTimeoutSeconds + run.leaseSeconds) * 1000,
    );
  });

  it('an execution that lost its lock fails the Task (LockLostError)', async () => {
    const env = setup();
    const run = await begun(env);
    await loseLock(env, run);
    await expect(requestApproval({ run, taskToken: 'token-1' }, env.deps)).rejects.toMatchObject({
      name: 'LockLostError',
    });
  });
});

describe('ScaleCapacity', () => {
  it("sets the target's group to the active profile, in the target region only", async () => {
    // Arrange
    const env = setup();
    const run = await begun(env);

    // Act
    const progress = await scaleCapacity({ run, resource: CAPACITY }, env.deps);

    // Assert
    expect(env.autoScaling.updates).toEqual([
      { region: TARGET, group: 'orders-web-usw2', capacity: { min: 6, desired: 6, max: 24 } },
    ]);
    expect(progress).toMatchObject({ done: false, phase: 'scaling', attempt: 0 });
  });

  it('is fenced: an execution that lost the lock changes no capacity', async () => {
    // Arrange
    const env = setup();
    const run = await begun(env);
    await loseLock(env, run);

    // Act
    const scale = scaleCapacity({ run, resource: CAPACITY }, env.deps);

    // Assert
    await expect(scale).rejects.toMatchObject({ name: 'LockLostError' });
    expect(env.autoScaling.updates).toEqual([]);
  });
});

describe('CheckCapacity', () => {
  it('is done once healthyPercent is InService and Healthy, and records the step SUCCEEDED', async () => {
    // Arrange
    const env = setup({ healthy: 6 });
    const run = await begun(env);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);

    // Act
    const progress = await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);

    // Assert
    expect(progress.done).toBe(true);
    expect(progress.detail).toMatchObject({ healthyInService: 6, healthyPercent: 100 });
    expect(env.state.executions.get('exec-1')?.steps['ScaleCapacity#orders-web']?.status).toBe('SUCCEEDED');
  });

  it('polls again while capacity grows, carrying its typed poll state, and fails at the end of its budget', async () => {
    // Arrange
    const env = setup({ healthy: 2 });
    const run = await begun(env);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);

    // Act
    const next = await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);
    const last = checkCapacity(
      { run, resource: CAPACITY, progress: { ...next, attempt: next.maxAttempts } },
      env.deps,
    );

    // Assert
    expect(next).toMatchObject({ done: false, attempt: 1 });
    expect(next.detail).toMatchObject({ healthyInService: 2, stableSince: env.clock.now() });
    await expect(last).rejects.toMatchObject({ name: 'CapacityNotReadyError' });
  });

  it('refuses a malformed poll state instead of reading it back with a guess', async () => {
    // Arrange
    const env = setup({ healthy: 2 });
    const run = await begun(env);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);

    // Act
    const check = checkCapacity(
      { run, resource: CAPACITY, progress: { ...started, detail: { stableSince: 'yesterday' } } },
      env.deps,
    );

    // Assert
    await expect(check).rejects.toMatchObject({ name: 'InvalidInputError' });
  });

  it('never records success for capacity it finds ready after losing the lock', async () => {
    // Arrange
    const env = setup({ healthy: 6 });
    const run = await begun(env);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
    await loseLock(env, run);

    // Act
    const check = checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);

    // Assert
    await expect(check).rejects.toMatchObject({ name: 'LockLostError' });
    expect(env.state.executions.get('exec-1')?.steps['ScaleCapacity#orders-web']?.status).toBe('RUNNING');
  });

  it('graceful, the database branch parked on capacity: makes the switchover as it reads the last group ready, and the woken check follows it', async () => {
    // Arrange
    const { env, run, waiting, started } = await parkedThenReady(5_000);

    // Act
    const done = await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);
    const wake = env.tokens.answered[0]?.output as Record<string, unknown>;
    const followed = await checkDatabase({ run, resource: DATABASE, progress: waiting, wake }, env.deps);

    // Assert: one switchover, CheckCapacity's; the database branch follows it, calling nothing
    expect(done.done).toBe(true);
    expect(env.aurora.calls).toEqual([
      { op: 'switchover', region: SOURCE, id: 'orders-global', target: USW2 },
    ]);
    expect(wake).toMatchObject({
      promotion: { by: 'CheckCapacity', epoch: run.epoch, method: 'switchover' },
    });
    expect(followed).toMatchObject({
      phase: 'promoting',
      detail: { method: 'switchover', startedBy: 'CheckCapacity' },
    });
  });

  it("graceful, the database branch's wait about to time out: leaves the switchover to the branch's own gate", async () => {
    // Arrange
    const env = setup({ healthy: 6 });
    const run = await begun(env);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
    await parkOnCapacity(env, run, 500);

    // Act
    await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);

    // Assert: woken, with nothing made for it
    expect(env.aurora.calls).toEqual([]);
    expect(env.tokens.answered[0]?.output).not.toHaveProperty('promotion');
  });

  /**
   * `env` counting the reads a hand-off could repeat: the database branch's wait (`waits`) and the
   * global cluster (`describes`).
   */
  const counting = (env: ReturnType<typeof setup>) => {
    const seen = { waits: 0, describes: 0 };
    const get = env.waits.port.get.bind(env.waits.port);
    env.waits.port.get = async (...args) => {
      seen.waits++;
      return get(...args);
    };
    const describe = env.aurora.port.describeGlobalCluster.bind(env.aurora.port);
    env.aurora.port.describeGlobalCluster = async (...args) => {
      seen.describes++;
      return describe(...args);
    };
    return seen;
  };

  it("graceful, the branch's wait about to time out: hands it the global cluster and the wait it read, and the woken gate only fences and switches over", async () => {
    // Arrange
    const { env, run, waiting, started } = await parkedThenReady(500);
    const seen = counting(env);

    // Act
    await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);
    const handedOff = { ...seen };
    const wake = env.tokens.answered[0]?.output as Record<string, unknown>;
    env.clock.advance(300); // the SendTaskSuccess, the transition and the woken Lambda's invoke
    const followed = await checkDatabase({ run, resource: DATABASE, progress: waiting, wake }, env.deps);

    // Assert: the wait read once (its token woken without a second read), the cluster read once
    // (CheckCapacity's, carried), one switchover: the branch's, fenced
    expect(handedOff).toEqual({ waits: 1, describes: 1 });
    expect(wake).not.toHaveProperty('promotion');
    expect(wake).toMatchObject({
      ready: { group: 'orders-web' },
      cluster: { view: { id: 'orders-global', writerRegion: SOURCE } },
    });
    expect(seen.describes).toBe(1);
    expect(env.aurora.calls).toEqual([
      { op: 'switchover', region: SOURCE, id: 'orders-global', target: USW2 },
    ]);
    expect(followed).toMatchObject({ phase: 'promoting', detail: { method: 'switchover' } });
  });

  it('graceful, a handed-off global cluster read older than WAKE_READ_FRESH_MS: the woken gate reads it again', async () => {
    // Arrange
    const { env, run, waiting, started } = await parkedThenReady(500);
    await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);
    const wake = env.tokens.answered[0]?.output as Record<string, unknown>;
    const seen = counting(env);

    // Act
    env.clock.advance(WAKE_READ_FRESH_MS + 1);
    await checkDatabase({ run, resource: DATABASE, progress: waiting, wake }, env.deps);

    // Assert
    expect(seen.describes).toBe(1);
    expect(env.aurora.calls).toHaveLength(1);
  });

  it("graceful, the branch's Task timing out as CheckCapacity hands off: the branch's own gate makes the one switchover", async () => {
    // Arrange: the wait ends within the margin, and its Task times out before the wake lands
    const { env, run, waiting, started } = await parkedThenReady(500);
    env.tokens.waiting.delete('capacity-token');

    // Act: CheckCapacity hands off (its wake finds the token spent); the branch wakes on its timeout
    await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);
    const handedOff = [...env.aurora.calls];
    const own = await checkDatabase(
      { run, resource: DATABASE, progress: waiting, wake: { Error: 'States.Timeout', Cause: '' } },
      env.deps,
    );

    // Assert: CheckCapacity called nothing; the branch, on its own read, called once
    expect(handedOff).toEqual([]);
    expect(env.tokens.answered).toEqual([]);
    expect(env.aurora.calls).toEqual([
      { op: 'switchover', region: SOURCE, id: 'orders-global', target: USW2 },
    ]);
    expect(own).toMatchObject({ phase: 'promoting', detail: { method: 'switchover' } });
  });

  it('graceful, the wait read was answered meanwhile and the branch parked again: the new park is woken', async () => {
    // Arrange
    const env = setup({ healthy: 6 });
    const run = await begun(env);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
    await parkOnCapacity(env, run, 500);
    const get = env.waits.port.get.bind(env.waits.port);
    let reads = 0;
    env.waits.port.get = async (...args) => {
      const wait = await get(...args);
      // After CheckCapacity's read: the first Task times out, the branch parks again (a new token).
      if (++reads === 1 && wait) {
        env.tokens.waiting.delete(wait.token);
        env.tokens.waiting.add('capacity-token-2');
        await env.waits.port.park({ ...wait, token: 'capacity-token-2' });
      }
      return wait;
    };

    // Act
    await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);

    // Assert
    expect(env.tokens.answered.map((a) => a.token)).toEqual(['capacity-token-2']);
    expect(env.aurora.calls).toEqual([]);
  });

  it('the last resource to be ready (the promotion recorded done): moves traffic itself, and says so for ShiftTraffic', async () => {
    // Arrange
    const env = setup({ healthy: 6 });
    const run = await begun(env, 'ungraceful');
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
    const key = run.executionKey;
    const promoted = {
      name: 'PromoteDatabase',
      resource: 'orders-global',
      status: 'SUCCEEDED' as const,
      startedAt: '',
    };

    // Act: once before the promotion is recorded done, once after
    const early = await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);
    const movedBefore = env.arc.updates.length;
    await env.state.store.recordStep('orders', key, 'PromoteDatabase#orders-global', promoted);
    const last = await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);

    // Assert
    expect(movedBefore).toBe(0);
    expect(early.detail).not.toHaveProperty('trafficShifted');
    expect(env.arc.updates).toHaveLength(1);
    expect(last.detail).toMatchObject({
      trafficShifted: { by: 'CheckCapacity', epoch: run.epoch, mechanism: 'arc' },
    });
  });
});

describe('CheckCapacity watching the first health checks', () => {
  /**
   * `env` with a clock that can wait, and a group whose 6 instances are InService and registered
   * (`initial`) until `flipAt` (epoch ms, virtual), then healthy (or unhealthy, `fails`). Counts
   * the group's reads (`reads`), and the switchover calls with their time (`switchedAt`).
   */
  const watching = (env: ReturnType<typeof setup>, flipAt: number, fails = false) => {
    Object.assign(env.clock, { sleep: async (ms: number) => env.clock.advance(ms) });
    const reads: number[] = [];
    const switchedAt: number[] = [];
    env.autoScaling.port.describe = async (_region, name) => {
      reads.push(env.clock.now());
      const flipped = env.clock.now() >= flipAt;
      const state = flipped ? (fails ? 'unhealthy' : 'healthy') : 'initial';
      return {
        name,
        min: 6,
        desired: 6,
        max: 6,
        inService: 6,
        healthyInService: state === 'healthy' ? 6 : 0,
        pending: 0,
        waiting: 0,
        notServing:
          state === 'healthy'
            ? []
            : Array.from({ length: 6 }, (_, i) => ({
                instanceId: `i-${i}`,
                state,
                reason: 'Elb.InitialHealthChecking',
              })),
        instances: 6,
      };
    };
    const switchover = env.aurora.port.switchover.bind(env.aurora.port);
    env.aurora.port.switchover = async (region, id, target) => {
      switchedAt.push(env.clock.now());
      await switchover(region, id, target);
    };
    return { reads, switchedAt };
  };

  it('a group nothing waits on yet (no branch parked on it, the promotion not done) is not watched: one read, then the poll', async () => {
    // Arrange
    const env = setup();
    const run = await begun(env);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
    const seen = watching(env, env.clock.now() + 3_000);

    // Act
    const next = await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);

    // Assert
    expect(next).toMatchObject({ done: false, attempt: 1 });
    expect(seen.reads).toHaveLength(1);
  });

  it('graceful: a group that turns healthy mid-watch is switched over within one watch interval, by the same invocation', async () => {
    // Arrange
    const env = setup();
    const run = await begun(env);
    const waiting = await promoteDatabase({ run, resource: DATABASE }, env.deps);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
    const now = env.clock.now();
    await parkOnCapacity(env, run, 30_000);
    const flipAt = now + 3_100;
    const seen = watching(env, flipAt);

    // Act
    const done = await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);
    const wake = env.tokens.answered[0]?.output as Record<string, unknown>;
    const followed = await checkDatabase({ run, resource: DATABASE, progress: waiting, wake }, env.deps);

    // Assert: done in this invocation, the switchover within one interval of the flip (virtual ms)
    expect(done.done).toBe(true);
    expect(env.aurora.calls).toEqual([
      { op: 'switchover', region: SOURCE, id: 'orders-global', target: USW2 },
    ]);
    expect(seen.switchedAt[0]).toBeGreaterThanOrEqual(flipAt);
    expect((seen.switchedAt[0] ?? Number.POSITIVE_INFINITY) - flipAt).toBeLessThanOrEqual(
      CAPACITY_WATCH_MIN_MS,
    );
    expect(followed).toMatchObject({ phase: 'promoting', detail: { startedBy: 'CheckCapacity' } });
  });

  it('a run that lost its lock mid-watch is stopped by the fence beside the watch, and switches nothing over', async () => {
    // Arrange
    const env = setup();
    const run = await begun(env);
    await promoteDatabase({ run, resource: DATABASE }, env.deps);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
    await parkOnCapacity(env, run, 30_000);
    const flipAt = env.clock.now() + 3_000;
    watching(env, flipAt);
    const lose = setTimeoutAt(env, flipAt - 1_000, () => loseLock(env, run));

    // Act
    const check = checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);

    // Assert
    await expect(check).rejects.toMatchObject({ name: 'LockLostError' });
    await lose;
    expect(env.aurora.calls).toEqual([]);
    expect(env.state.executions.get('exec-1')?.steps['ScaleCapacity#orders-web']?.status).toBe('RUNNING');
  });

  it('health that never passes ends the watch at its budget, counted against the poll budget, and the wait still ends', async () => {
    // Arrange
    const env = setup();
    const run = await begun(env);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
    await parkOnCapacity(env, run, 30_000);
    const seen = watching(env, Number.POSITIVE_INFINITY);
    const t0 = env.clock.now();

    // Act
    const next = await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);
    const last = checkCapacity(
      { run, resource: CAPACITY, progress: { ...next, attempt: next.maxAttempts } },
      env.deps,
    );

    // Assert: one watch of CAPACITY_WATCH_BUDGET_MS (virtual), its seconds spent of the budget;
    // the group itself read every 1.5 s, not at the watch's pace (no reassess in this fake: a
    // describe every interval, start to start)
    expect(next).toMatchObject({ done: false });
    expect(env.clock.now() - t0).toBeLessThanOrEqual(CAPACITY_WATCH_BUDGET_MS);
    expect(next.attempt).toBeGreaterThanOrEqual(CAPACITY_WATCH_BUDGET_MS / 1000 - 1);
    expect(seen.reads.length).toBeLessThanOrEqual(
      CAPACITY_WATCH_BUDGET_MS / CAPACITY_WATCH_MIN_MS +
        Math.ceil(CAPACITY_WATCH_BUDGET_MS / CAPACITY_REFRESH_AFTER_MS) +
        2,
    );
    await expect(last).rejects.toMatchObject({ name: 'CapacityNotReadyError' });
    expect(env.aurora.calls).toEqual([]);
    // The watch spent its budget with only first checks left: the next check follows at once
    // (`again`, one poll only: the poll after it drops it)
    expect(next.again).toBe(true);
    const plain = nextPoll(next, 'test');
    expect(plain).not.toHaveProperty('again');
  });

  it('graceful: the check right after a spent watch reads the global cluster, the wait and the fence beside the group, so a group seen ready by that first read is switched over with no read in series', async () => {
    // Arrange
    const env = setup();
    const run = await begun(env);
    const waiting = await promoteDatabase({ run, resource: DATABASE }, env.deps);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
    await parkOnCapacity(env, run, 30_000);
    const seen = watching(env, env.clock.now());
    // The group's read takes 200 ms (virtual), as Auto Scaling's does in the sandbox: a read made
    // after it, in series, would start 200 ms later.
    const read = env.autoScaling.port.describe;
    env.autoScaling.port.describe = async (...args) => {
      const answer = await read(...args);
      env.clock.advance(200);
      return answer;
    };
    const clusterReads: number[] = [];
    const describe = env.aurora.port.describeGlobalCluster.bind(env.aurora.port);
    env.aurora.port.describeGlobalCluster = async (region, id) => {
      clusterReads.push(env.clock.now());
      return describe(region, id);
    };
    const t0 = env.clock.now();

    // Act: the check after a spent watch (`again`), the group already ready at its first read
    const done = await checkCapacity(
      { run, resource: CAPACITY, progress: { ...started, attempt: 20, again: true } },
      env.deps,
    );
    const wake = env.tokens.answered[0]?.output as Record<string, unknown>;
    const followed = await checkDatabase({ run, resource: DATABASE, progress: waiting, wake }, env.deps);

    // Assert: one group read, the cluster read at the same instant (beside it, not after it), one
    // switchover made by this check and followed by the database branch
    expect(done.done).toBe(true);
    expect(seen.reads).toEqual([t0]);
    expect(clusterReads).toEqual([t0]);
    expect(env.aurora.calls).toEqual([
      { op: 'switchover', region: SOURCE, id: 'orders-global', target: USW2 },
    ]);
    expect(followed).toMatchObject({ phase: 'promoting', detail: { startedBy: 'CheckCapacity' } });
  });

  it('a target found unhealthy ends the watch at once: the polls decide', async () => {
    // Arrange
    const env = setup();
    const run = await begun(env);
    const started = await scaleCapacity({ run, resource: CAPACITY }, env.deps);
    await parkOnCapacity(env, run, 30_000);
    const flipAt = env.clock.now() + 1_000;
    watching(env, flipAt, true);

    // Act
    const next = await checkCapacity({ run, resource: CAPACITY, progress: started }, env.deps);

    // Assert: the second watched counts as a poll; the next check waits its second as before
    expect(next).toMatchObject({ done: false, attempt: 2 });
    expect(next).not.toHaveProperty('again');
    expect(env.clock.now() - flipAt).toBeLessThanOrEqual(CAPACITY_WATCH_MIN_MS);
  });
});

/** Runs `act` once the fake clock of `env` reaches `at` (checked as the watch sleeps). */
function setTimeoutAt(env: ReturnType<typeof setup>, at: number, act: () => Promise<void>): Promise<void> {
  const sleep = (env.clock as unknown as { sleep: (ms: number) => Promise<void> }).sleep;
  let done: Promise<void> | undefined;
  Object.assign(env.clock, {
    sleep: async (ms: number) => {
      await sleep(ms);
      if (!done && env.clock.now() >= at) done = act();
      await done;
    },
  });
  return new Promise((resolve) => {
    const poll = () => (done ? void done.then(resolve) : setTimeout(poll, 1));
    poll();
  });
}

describe('PromoteDatabase', () => {
  it('graceful: waits for the target capacity before moving the writer', async () => {
    // Arrange
    const env = setup({ healthy: 0 });
    const run = await begun(env);

    // Act
    const progress = await promoteDatabase({ run, resource: DATABASE }, env.deps);

    // Assert
    expect(progress.phase).toBe('waiting-for-capacity');
    expect(env.aurora.calls).toEqual([]);
  });

  it("graceful with capacity ready: one switchover, asked of the current primary's region, as AWS documents it (RPO 0)", async () => {
    // Arrange
    const env = setup({ healthy: 6 });
    const run = await begun(env);

    // Act
    const progress = await promoteDatabase({ run, resource: DATABASE }, env.deps);

    // Assert
    expect(env.aurora.calls).toEqual([
      { op: 'switchover', region: SOURCE, id: 'orders-global', target: USW2 },
    ]);
    expect(progress).toMatchObject({ phase: 'promoting', detail: { method: 'switchover', rpoMs: 0 } });
  });

  it('ungraceful: a failover with the replication lag at promotion as the RPO', async () => {
    // Arrange
    const env = setup({ healthy: 0 });
    const run = await begun(env, 'ungraceful');

    // Act
    const progress = await promoteDatabase({ run, resource: DATABASE }, env.deps);

    // Assert
    expect(env.aurora.calls.map((c) => c.op)).toEqual(['failover']);
    expect(progress.detail).toMatchObject({ method: 'failover', rpoMs: 1_500 });
  });

  it('is idempotent: a target already the writer, or an operation already under way toward it, starts nothing', async () => {
    // Arrange
    const promoted = setup({ healthy: 6, writer: USW2 });
    const underWay = setup({ healthy: 6 });
    underWay.aurora.clusters['orders-global'] = globalCluster(USE1, {
      status: 'pending',
      fromClusterArn: USE1,
      toClusterArn: USW2,
      isDataLossAllowed: false,
    });

    // Act
    const a = await promoteDatabase({ run: await begun(promoted), resource: DATABASE }, promoted.deps);
    const b = await promoteDatabase({ run: await begun(underWay), resource: DATABASE }, underWay.deps);

    // Assert
    expect(a.detail).toMatchObject({ method: 'none', rpoMs: 0 });
    expect(b.detail).toMatchObject({ method: 'switchover' });
    expect([...promoted.aurora.calls, ...underWay.aurora.calls]).toEqual([]);
  });

  describe("graceful, served by the region's poller (6 plans into the target)", () => {
    /** `setup`, its plans 6 into the target so that `sharedReader` is the region's poller, its reads counted. */
    function served(options: { healthy?: number } = {}) {
      const env = setup(options);
      env.deps.plans = planRegistry([...plans, ...generatedPlans(4)]);
      const reads: string[] = [];
      const counted = <T extends object>(port: T, service: string): T =>
        new Proxy(port, {
          get(target, key, receiver) {
            const value: unknown = Reflect.get(target, key, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              reads.push(`${service} ${String(key)}`);
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        });
      env.deps.autoScaling = counted(env.deps.autoScaling, 'autoScaling');
      env.deps.aurora = counted(env.deps.aurora, 'aurora');
      return { env, reads };
    }

    it('parks on capacity at once, reading neither the groups nor the global cluster', async () => {
      // Arrange: capacity is even ready: the poller's next pass wakes the gate within its interval
      const { env, reads } = served({ healthy: 6 });
      const run = await begun(env);

      // Act
      const progress = await promoteDatabase({ run, resource: DATABASE }, env.deps);

      // Assert
      expect(progress.phase).toBe('waiting-for-capacity');
      expect(reads).toEqual([]);
      expect(env.aurora.calls).toEqual([]);
      expect(env.state.executions.get('exec-1')?.steps['PromoteDatabase#orders-global']?.status).toBe(
        'RUNNING',
      );
    });

    it("woken by the poller's fresh read of every group ready: reads only the global cluster, and switches over", async () => {
      // Arrange
      const { env, reads } = served({ healthy: 6 });
      const run = await begun(env);
      const waiting = await promoteDatabase({ run, resource: DATABASE }, env.deps);
      const readAt = new Date(env.clock.now()).toISOString();
      const wake = { woken: true, by: 'shared-read', capacityReady: { readAt } };

      // Act
      const fresh = await checkDatabase({ run, resource: DATABASE, progress: waiting, wake }, env.deps);

      // Assert
      expect(reads).toEqual(['aurora describeGlobalCluster', 'aurora switchover']);
      expect(fresh).toMatchObject({ phase: 'promoting', detail: { method: 'switchover' } });
    });

    it('woken by a read older than 2 s: reads the groups itself before it moves the writer', async () => {
      // Arrange: the shared read saw the group ready 3 s ago; it has lost its instances since
      const { env, reads } = served({ healthy: 6 });
      const run = await begun(env);
      const waiting = await promoteDatabase({ run, resource: DATABASE }, env.deps);
      const wake = {
        woken: true,
        by: 'shared-read',
        capacityReady: { readAt: new Date(env.clock.now() - 3_000).toISOString() },
      };
      env.autoScaling.groups[`${TARGET}/orders-web-usw2`] = { desired: 6, inService: 2, healthyInService: 2 };

      // Act
      const stale = await checkDatabase({ run, resource: DATABASE, progress: waiting, wake }, env.deps);

      // Assert: its own read of the group decided: not ready, so the writer stays
      expect(reads.some((r) => r.startsWith('autoScaling'))).toBe(true);
      expect(stale.phase).toBe('waiting-for-capacity');
      expect(env.aurora.calls).toEqual([]);
    });
  });

  it('is fenced: an execution that lost the lock moves no writer', async () => {
    // Arrange
    const env = setup({ healthy: 6 });
    const run = await begun(env);
    await loseLock(env, run);

    // Act
    const promote = promoteDatabase({ run, resource: DATABASE }, env.deps);

    // Assert
    await expect(promote).rejects.toMatchObject({ name: 'LockLostError' });
    expect(env.aurora.calls).toEqual([]);
  });
});

describe('CheckDatabase', () => {
  it('is done once the target is the writer, and records the promotion SUCCEEDED', async () => {
    // Arrange
    const env = setup({ healthy: 6 });
    const run = await begun(env);
    const started = await promoteDatabase({ run, resource: DATABASE }, env.deps);
    env.aurora.clusters['orders-global'] = globalCluster(USW2);

    // Act
    const progress = await checkDatabase({ run, resource: DATABASE, progress: started }, env.deps);

    // Assert
    expect(progress.done).toBe(true);
    const step = env.state.executions.get('exec-1')?.steps['PromoteDatabase#orders-global'];
    expect(step).toMatchObject({ status: 'SUCCEEDED', detail: { method: 'switchover', rpoMs: 0 } });
  });

  it('concludes the promotion failed only after several polls in a row show nothing under way', async () => {
    // Arrange
    const env = setup({ healthy: 6 });
    const run = await begun(env);
    let progress = await promoteDatabase({ run, resource: DATABASE }, env.deps);

    // Act
    progress = await checkDatabase({ run, resource: DATABASE, progress }, env.deps);
    progress = await checkDatabase({ run, resource: DATABASE, progress }, env.deps);
    const third = checkDatabase({ run, resource: DATABASE, progress }, env.deps);

    // Assert
    expect(progress.detail).toMatchObject({ idlePolls: 2 });
    await expect(third).rejects.toMatchObject({ name: 'DatabasePromotionFailedError' });
  });
});

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError, PreconditionFailedError } from '../../functions/core/errors.js';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { planRegistry } from '../../functions/core/plan-registry.js';
import {
  ABORTED_ERROR,
  type AbortDeps,
  abortExecution,
} from '../../functions/operator-api/abort-execution.js';
import { type ApproveDeps, approveExecution } from '../../functions/operator-api/approve-execution.js';
import {
  APPROVAL_REJECTED_ERROR,
  type RejectDeps,
  rejectExecution,
} from '../../functions/operator-api/reject-execution.js';
import type { StepFunctions } from '../../functions/runbook/ports/step-functions.js';
import { fakeAutoScaling, fakeClock, fakeEvents, fakeStepFunctions, fakeStore } from '../runbook/fakes.js';

// Unit tests of the operator API's approval and abort use cases against in-memory fakes of only
// the ports each declares (ApproveDeps, RejectDeps, AbortDeps): a use case that reached for another
// port would not compile here, and would find nothing at run time. End to end, through the
// handler and the sandbox, they are covered in operator-api.test.ts.

const SOURCE = 'us-east-1';
const TARGET = 'us-west-2';
const RUNBOOK = `arn:aws:states:${SOURCE}:111111111111:stateMachine:switchyard-warm-standby`;
const TOKEN = 'task-token-1';
const alice = { name: 'alice', roles: ['operator'] };
const bob = { name: 'bob', roles: ['approver'] };

let plans: Plan[];
beforeAll(async () => {
  plans = await loadPlans(join(import.meta.dirname, '../../plans'));
});

/** Step Functions that records what was sent to it (the read side as `fakeStepFunctions`). */
function recordingStepFunctions() {
  const sent: { call: string; region: string; args: unknown[] }[] = [];
  const port: StepFunctions = {
    ...fakeStepFunctions([]),
    async sendTaskSuccess(region, ...args) {
      sent.push({ call: 'sendTaskSuccess', region, args });
    },
    async sendTaskFailure(region, ...args) {
      sent.push({ call: 'sendTaskFailure', region, args });
    },
    async stop(region, ...args) {
      sent.push({ call: 'stop', region, args });
    },
  };
  return { port, sent };
}

/** orders failing over to TARGET, requested by alice: waiting for approval, or running with `steps`. */
async function world(options: { waiting?: boolean; steps?: string[] } = {}) {
  const clock = fakeClock();
  const state = fakeStore(clock, TARGET);
  const stepFunctions = recordingStepFunctions();
  const events = fakeEvents();
  // orders' group in the target, at its standby size unless a test scaled it out.
  const autoScaling = fakeAutoScaling({ [`${TARGET}/orders-web-usw2`]: { desired: 1 } });
  const id = 'orders-x';
  const startedAt = new Date(clock.now()).toISOString();
  await state.store.initState('orders', SOURCE);
  const { epoch } = await state.store.acquireLock('orders', id, 600_000, { reason: 'test' });
  await state.store.createExecution({
    id,
    app: 'orders',
    runbook: 'warm-standby',
    mode: 'graceful',
    trigger: 'operator',
    from: SOURCE,
    to: TARGET,
    requestedBy: alice.name,
    reason: 'drill',
    startedAt,
    status: options.waiting ? 'WAITING_APPROVAL' : 'RUNNING',
    ...(options.waiting ? { approval: { requestedAt: startedAt, taskToken: TOKEN } } : {}),
    steps: Object.fromEntries(
      (options.steps ?? []).map((name) => [name, { name, status: 'SUCCEEDED' as const, startedAt }]),
    ),
  });
  const ports = {
    region: TARGET,
    plans: planRegistry(plans),
    clock,
    store: state.store,
    stepFunctions: stepFunctions.port,
    stateMachineArns: { 'warm-standby': RUNBOOK },
    events: events.port,
    autoScaling: autoScaling.port,
  };
  return {
    id,
    epoch,
    ports,
    state,
    sent: stepFunctions.sent,
    published: events.published,
    scaling: autoScaling,
  };
}

describe('approveExecution', () => {
  it('records the decision first, then sends the token to the target region; a retry sends it again', async () => {
    // Arrange
    const { id, ports, state, sent } = await world({ waiting: true });
    const deps: ApproveDeps = {
      plans: ports.plans,
      clock: ports.clock,
      store: ports.store,
      stepFunctions: ports.stepFunctions,
    };

    // Act
    const first = await approveExecution('orders', id, {}, bob, deps);
    const retry = await approveExecution('orders', id, {}, bob, deps);

    // Assert
    expect(first).toMatchObject({ decision: 'APPROVED', approvedBy: 'bob', alreadyApproved: false });
    expect(retry.alreadyApproved).toBe(true);
    expect(state.executions.get(id)).toMatchObject({
      status: 'RUNNING',
      approval: { decision: 'APPROVED', decidedBy: 'bob' },
      steps: { RequestApproval: { status: 'SUCCEEDED', detail: { approvedBy: 'bob' } } },
    });
    expect(sent.map((s) => [s.call, s.region, s.args[0]])).toEqual([
      ['sendTaskSuccess', TARGET, TOKEN],
      ['sendTaskSuccess', TARGET, TOKEN],
    ]);
    expect(state.audit.map((a) => a.action)).toEqual(['approval.granted']);
  });

  it('refuses the requester (self-approval) and a second approver, sending nothing', async () => {
    // Arrange
    const { id, ports, sent } = await world({ waiting: true });
    const deps: ApproveDeps = {
      plans: ports.plans,
      clock: ports.clock,
      store: ports.store,
      stepFunctions: ports.stepFunctions,
    };

    // Act
    const self = await approveExecution('orders', id, {}, alice, deps).catch((e: unknown) => e);
    await approveExecution('orders', id, {}, bob, deps);
    const other = await approveExecution(
      'orders',
      id,
      {},
      { name: 'carol', roles: ['approver'] },
      deps,
    ).catch((e: unknown) => e);

    // Assert
    expect(self).toBeInstanceOf(ForbiddenError);
    expect((self as Error).message).toMatch(
      /self-approval refused: .*expected an approver other than the requester/,
    );
    expect(other).toBeInstanceOf(PreconditionFailedError);
    expect((other as Error).message).toMatch(/already approved by bob/);
    expect(sent).toHaveLength(1);
  });
});

describe('rejectExecution', () => {
  it('records REJECTED, fails the waiting task in the target region, and refuses a second decision', async () => {
    // Arrange
    const { id, ports, state, sent } = await world({ waiting: true });
    const deps: RejectDeps = {
      plans: ports.plans,
      clock: ports.clock,
      store: ports.store,
      stepFunctions: ports.stepFunctions,
    };

    // Act
    const rejected = await rejectExecution('orders', id, { comment: 'not now' }, bob, deps);
    const again = await rejectExecution('orders', id, { comment: 'twice' }, bob, deps).catch(
      (e: unknown) => e,
    );

    // Assert
    expect(rejected).toMatchObject({ decision: 'REJECTED', rejectedBy: 'bob', comment: 'not now' });
    expect(state.executions.get(id)?.approval).toMatchObject({ decision: 'REJECTED', decidedBy: 'bob' });
    expect(sent).toEqual([
      {
        call: 'sendTaskFailure',
        region: TARGET,
        args: [TOKEN, APPROVAL_REJECTED_ERROR, 'rejected by bob: not now'],
      },
    ]);
    expect(again).toBeInstanceOf(PreconditionFailedError);
  });
});

describe('abortExecution', () => {
  it('stops the run, records ABORTED, marks DEGRADED after a promotion began, and releases the lock', async () => {
    // Arrange
    const { id, ports, state, sent, published } = await world({ steps: ['PromoteDatabase'] });
    const deps: AbortDeps = ports;

    // Act
    const outcome = await abortExecution('orders', id, { reason: 'wrong target' }, alice, deps);

    // Assert
    expect(outcome).toMatchObject({ status: 'ABORTED', stopped: true, lockReleased: true, degraded: true });
    expect(sent.map((s) => [s.call, s.region, s.args[0]])).toEqual([
      ['stop', TARGET, `arn:aws:states:${TARGET}:111111111111:execution:switchyard-warm-standby:${id}`],
    ]);
    expect(state.executions.get(id)).toMatchObject({ status: 'ABORTED', error: { name: ABORTED_ERROR } });
    expect(state.states.get('orders')).toMatchObject({ status: 'DEGRADED', activeRegion: SOURCE });
    expect(state.locks.get('orders')?.released).toBe(true);
    expect(published.map((p) => [p.region, p.detail.status])).toEqual([[TARGET, 'ABORTED']]);
  });

  it('leaves the app ACTIVE when no change had begun, and refuses an execution already finished', async () => {
    // Arrange
    const { id, ports, state } = await world();

    // Act
    const outcome = await abortExecution('orders', id, { reason: 'changed my mind' }, alice, ports);
    const again = await abortExecution('orders', id, { reason: 'again' }, alice, ports).catch(
      (e: unknown) => e,
    );

    // Assert
    expect(outcome).toMatchObject({ degraded: false, lockReleased: true, stepsTaken: [] });
    expect(state.states.get('orders')?.status).toBe('ACTIVE');
    expect(again).toBeInstanceOf(PreconditionFailedError);
    expect((again as Error).message).toMatch(/is ABORTED; expected RUNNING or WAITING_APPROVAL/);
  });

  it('aborted while it waits for its approver, gives back the capacity Auto Scaling says was scaled out', async () => {
    // Arrange: the wait scaled the target's group out (approvals.capacity: before-approval).
    const { id, ports, scaling, state } = await world({ waiting: true });
    await scaling.port.update(TARGET, 'orders-web-usw2', { min: 6, desired: 6, max: 24 });

    // Act
    const outcome = await abortExecution('orders', id, { reason: 'not today' }, alice, ports);

    // Assert: back to orders' standby profile, fenced at the run's epoch before the lock's release.
    expect(scaling.updates.at(-1)).toEqual({
      region: TARGET,
      group: 'orders-web-usw2',
      capacity: { min: 1, desired: 1, max: 24 },
    });
    expect(outcome.actions).toContain('orders-web in us-west-2 back to its standby profile (desired 6 -> 1)');
    expect(outcome).toMatchObject({ lockReleased: true, degraded: false });
    expect(state.locks.get('orders')?.released).toBe(true);
  });

  it('aborted while it waits, leaves a group already at standby alone (nothing was scaled)', async () => {
    // Arrange
    const { id, ports, scaling } = await world({ waiting: true });

    // Act
    const outcome = await abortExecution('orders', id, { reason: 'not today' }, alice, ports);

    // Assert
    expect(scaling.updates).toEqual([]);
    expect(outcome.actions).toContain('orders-web in us-west-2 already at its standby profile (desired 1)');
  });
});

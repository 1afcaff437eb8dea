import { describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../functions/aws/state-store.js';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import type { RunbookDeps } from '../../functions/runbook/context.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { useSandbox } from '../use-sandbox.js';
import { API_CONTEXT, answerOf, apiEvent } from './api-event.js';

// The routes the operator console reads (and rejecting an approval), through the operator API's
// Lambda handler against the whole sandbox on the discrete virtual clock.

const PEOPLE = {
  carol: { sub: 'carol', 'switchyard:roles': 'operator' },
  bob: { sub: 'bob', 'switchyard:roles': '[approver]' },
  victor: { sub: 'victor', 'switchyard:roles': 'viewer' },
} as const;
type Person = keyof typeof PEOPLE;
const WEST = 'us-west-2';

let sandbox: Sandbox;
let api: ReturnType<typeof makeHandler>;
let deps: RunbookDeps;

useSandbox({ latency: 'fast', seed: 11 }, (started) => {
  sandbox = started;
  deps = sandbox.region(WEST).deps;
  api = makeHandler(deps);
});

async function send(method: string, path: string, as: Person, body?: unknown) {
  const event = apiEvent(sandbox.clock.now(), method, path, PEOPLE[as], body);
  return answerOf(await sandbox.run(api(event, API_CONTEXT)));
}

/** Drives virtual time until the record satisfies `done` (bounded). */
async function waitFor(
  app: string,
  id: string,
  done: (r: ExecutionRecord) => boolean,
): Promise<ExecutionRecord> {
  return sandbox.run(
    (async () => {
      for (let i = 0; i < 5000; i++) {
        const record = await deps.store.getExecution(app, id);
        if (record && done(record)) return record;
        await sandbox.clock.sleep(200);
      }
      throw new Error(`${app} ${id}: not done in 1000 virtual seconds`);
    })(),
  );
}

describe('GET /apps/{app}/failover-preview', () => {
  it('describes the runbook, its lanes, the modes and whether approval is needed, from the plan', async () => {
    const orders = await send('GET', '/apps/orders/failover-preview', 'victor');
    const billing = await send('GET', '/apps/billing/failover-preview', 'victor');

    expect(orders.status).toBe(200);
    expect(orders.body).toMatchObject({
      app: 'orders',
      strategy: 'warm-standby',
      approvalRequired: true,
      traffic: 'arc',
      objectives: { rtoSeconds: 300, rpoSeconds: 30 },
    });
    expect(orders.body.steps.map((s: { name: string }) => s.name)).toEqual([
      'BeginExecution',
      'Preflight',
      'RequestApproval',
      'PromoteDatabase',
      'ScaleCapacity',
      'ShiftTraffic',
      'VerifyService',
      'FinishExecution',
    ]);
    expect(orders.body.modes.ungraceful).toContain('lag at promotion is the RPO');
    expect(billing.body).toMatchObject({
      approvalRequired: false,
      traffic: 'route53',
      strategy: 'pilot-light',
    });
    expect(billing.body.steps.map((s: { name: string; lane: string }) => `${s.name}:${s.lane}`)).toContain(
      'PrepareDatabase:database',
    );
    expect(billing.body.steps.map((s: { name: string }) => s.name)).not.toContain('RequestApproval');
  });

  it('answers 404 naming the apps for an unknown app', async () => {
    const answer = await send('GET', '/apps/nope/failover-preview', 'victor');
    expect(answer.status).toBe(404);
    expect(answer.body.message).toContain('nope');
  });
});

describe('the approvals queue, rejecting, and the execution timeline', () => {
  it('lists a waiting failover, refuses a bad rejection, and a rejection ends it ABORTED', async () => {
    // Prepare
    const requested = await send('POST', '/apps/orders/failovers', 'carol', { to: WEST, reason: 'try it' });
    expect(requested.status).toBe(202);
    const id: string = requested.body.executionId;
    await waitFor('orders', id, (r) => r.status === 'WAITING_APPROVAL');
    await sandbox.run(sandbox.clock.sleep(30_000));

    // Act
    const queue = await send('GET', '/approvals', 'victor');
    const waitingTimeline = await send('GET', `/apps/orders/executions/${id}/timeline`, 'victor');
    const noComment = await send('POST', `/apps/orders/executions/${id}/reject`, 'bob', {});
    const notApprover = await send('POST', `/apps/orders/executions/${id}/reject`, 'carol', {
      comment: 'no',
    });
    const rejected = await send('POST', `/apps/orders/executions/${id}/reject`, 'bob', {
      comment: 'not now',
    });
    const again = await send('POST', `/apps/orders/executions/${id}/reject`, 'bob', { comment: 'not now' });
    const ended = await waitFor('orders', id, (r) => r.status === 'ABORTED');
    const after = await send('GET', '/approvals', 'victor');
    const timeline = await send('GET', `/apps/orders/executions/${id}/timeline`, 'victor');

    // Assess
    expect(queue.status).toBe(200);
    expect(queue.body.approvals).toHaveLength(1);
    expect(queue.body.approvals[0]).toMatchObject({ id, app: 'orders', requestedBy: 'carol' });
    expect(queue.body.approvals[0].waitingSeconds).toBeGreaterThanOrEqual(30);
    expect(queue.body.approvals[0].approval.taskToken).toBeUndefined();
    expect(waitingTimeline.body).toMatchObject({ rtoFinal: false, approvalRequired: true });
    expect(waitingTimeline.body.approvalWaitSeconds).toBeGreaterThanOrEqual(30);
    expect(waitingTimeline.body.rtoSeconds).toBeLessThan(waitingTimeline.body.elapsedSeconds);
    expect(noComment.status).toBe(400);
    expect(noComment.body.message).toContain('body.comment');
    expect(notApprover.status).toBe(403);
    expect(notApprover.body.message).toContain('needs role approver');
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ decision: 'REJECTED', rejectedBy: 'bob', comment: 'not now' });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('REJECTED by bob');
    expect(ended.error).toMatchObject({ name: 'ApprovalRejected', message: 'rejected by bob: not now' });
    expect(after.body.approvals).toEqual([]);
    expect(timeline.body).toMatchObject({ rtoSeconds: null, rtoFinal: true });
    const approval = timeline.body.bars.find((b: { key: string }) => b.key === 'RequestApproval');
    expect(approval).toMatchObject({ status: 'FAILED', error: { name: 'ApprovalRejected' } });
    const audit = await send('GET', '/apps/orders/audit', 'victor');
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toContain('approval.rejected');
  });

  it('lays a finished execution out in lanes, with its RTO and the approval wait apart', async () => {
    const requested = await send('POST', '/apps/orders/failovers', 'carol', { to: WEST, reason: 'go' });
    const id: string = requested.body.executionId;
    await waitFor('orders', id, (r) => r.status === 'WAITING_APPROVAL');
    await sandbox.run(sandbox.clock.sleep(60_000));
    expect((await send('POST', `/apps/orders/executions/${id}/approve`, 'bob', {})).status).toBe(200);
    const record = await waitFor('orders', id, (r) => r.status === 'SUCCEEDED');

    const answer = await send('GET', `/apps/orders/executions/${id}/timeline`, 'victor');

    expect(answer.status).toBe(200);
    const t = answer.body;
    expect(t.rtoFinal).toBe(true);
    expect(t.rtoSeconds).toBe(record.rtoSeconds);
    expect(t.approvalWaitSeconds).toBeGreaterThanOrEqual(60);
    expect(t.elapsedSeconds).toBeGreaterThan(t.rtoSeconds + 59);
    const lanes = Object.fromEntries(t.bars.map((b: { key: string; lane: string }) => [b.key, b.lane]));
    expect(lanes).toMatchObject({
      BeginExecution: 'control',
      'PromoteDatabase#orders-global': 'database',
      'ScaleCapacity#orders-web': 'capacity',
      ShiftTraffic: 'traffic',
      FinishExecution: 'control',
    });
    for (const bar of t.bars) {
      expect(bar.endSeconds).toBeGreaterThanOrEqual(bar.startSeconds);
      expect(bar.endSeconds).toBeLessThanOrEqual(t.elapsedSeconds);
    }
    // Bars are in the order they started.
    const starts = t.bars.map((b: { startSeconds: number }) => b.startSeconds);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });
});

describe('GET /apps/{app}/drills/{id}', () => {
  it("answers a drill's report with its legs' executions in full, and 404 for an unknown drill", async () => {
    const started = await send('POST', '/apps/billing/drills', 'carol', { soakSeconds: 0 });
    expect(started.status).toBe(202);
    const drillId: string = started.body.drillId;
    await sandbox.run(
      (async () => {
        for (let i = 0; i < 5000; i++) {
          if ((await deps.store.listDrills('billing', 5)).some((d) => d.id === drillId)) return;
          await sandbox.clock.sleep(500);
        }
        throw new Error(`drill ${drillId} did not finish`);
      })(),
    );

    const evidence = await send('GET', `/apps/billing/drills/${drillId}`, 'victor');
    const unknown = await send('GET', '/apps/billing/drills/drill-nope', 'victor');
    const never = await send('GET', '/apps/orders/drills/drill-nope', 'victor');

    expect(evidence.status).toBe(200);
    expect(evidence.body.report).toMatchObject({ id: drillId, app: 'billing', outcome: 'PASSED' });
    expect(evidence.body.plan).toMatchObject({ name: 'billing', objectives: { rtoSeconds: 900 } });
    expect(evidence.body.plan.digest).toMatch(/^[0-9a-f]{12}$/);
    // The plan's version as the drill ran it, who started it, and the clock the times come from.
    expect(evidence.body.planVersion.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(evidence.body.planVersion).toMatchObject({ sameAsCurrent: true });
    expect(evidence.body.plan.digest).toBe(evidence.body.planVersion.sha256.slice(0, 12));
    expect(evidence.body.startedBy).toEqual({ kind: 'operator', by: 'carol' });
    expect(evidence.body.time.basis).toBe('virtual');
    // Readiness before it: what the first leg's Preflight in the target region recorded.
    expect(evidence.body.readinessBefore).toMatchObject({
      source: 'preflight',
      region: WEST,
      verdict: 'READY',
      findings: [],
    });
    expect(Object.keys(evidence.body.readinessBefore.measured.lagMs)).toEqual(['billing-global']);
    // No approver for a drill's legs, and why.
    expect(evidence.body.approvals).toEqual(
      evidence.body.report.executionIds.map((leg: string) => ({
        leg,
        required: false,
        note: expect.stringContaining('no approver needed'),
      })),
    );
    // Each leg's timeline: its steps in the order they started, with durations, against the objectives.
    expect(evidence.body.objectives).toEqual({ rtoSeconds: 900, rpoSeconds: 60 });
    expect(evidence.body.timeline).toHaveLength(2);
    for (const leg of evidence.body.timeline) {
      expect(leg).toMatchObject({ status: 'SUCCEEDED', rtoMet: true, rpoMet: true });
      const starts = leg.steps.map((step: { startedAt: string }) => step.startedAt);
      expect(starts).toEqual([...starts].sort());
      expect(leg.steps[0]).toMatchObject({ name: 'BeginExecution', status: 'SUCCEEDED' });
      for (const step of leg.steps) expect(step.seconds).toBeGreaterThanOrEqual(0);
    }
    // The Lambda handler has no ground truth: only the sandbox's server adds it.
    expect(evidence.body.groundTruth).toBeUndefined();
    expect(evidence.body.legs.map((l: { id: string }) => l.id)).toEqual(evidence.body.report.executionIds);
    for (const leg of evidence.body.legs) {
      expect(leg.status).toBe('SUCCEEDED');
      expect(Object.keys(leg.steps)).toContain('ShiftTraffic');
    }
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain(
      'no drill drill-nope; expected the id of one of its 1 most recent',
    );
    // An app without any drill says so, not "one of its 0 most recent drills".
    expect(never.status).toBe(404);
    expect(never.body.message).toBe(
      'orders: no drill drill-nope; orders has no drill report yet (start one: POST /apps/orders/drills)',
    );
  });
});

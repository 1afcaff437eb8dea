import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import { DRY_RUN_PACING_MS } from '../../functions/operator-api/request-failover.js';
import { leaseSecondsFor } from '../../functions/runbook/begin.js';
import type { RunbookDeps } from '../../functions/runbook/context.js';
import { NOT_STARTED } from '../../functions/runbook/reservation.js';
import { runbookArnIn } from '../../functions/runbook/runbook-arns.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { useSandbox } from '../use-sandbox.js';
import { API_CONTEXT, answerOf, apiEvent } from './api-event.js';

// Exactly one accepted request per app, and a lock that is never left held: the operator API's
// handler against the whole sandbox (simulated AWS in two regions, dynalite as DynamoDB, the real
// runbooks), on the discrete virtual clock. Every bound below is in virtual time.

const EAST = 'us-east-1';
const WEST = 'us-west-2';
const OPERATOR = { sub: 'carol', 'switchyard:roles': 'operator' };
const VIEWER = { sub: 'victor', 'switchyard:roles': 'viewer' };

let sandbox: Sandbox;
let api: ReturnType<typeof makeHandler>;
let deps: RunbookDeps;

useSandbox({ latency: 'fast', seed: 11 }, (started) => {
  sandbox = started;
  deps = sandbox.region(WEST).deps;
  api = makeHandler(deps);
});

const event = (
  method: string,
  path: string,
  claims: Record<string, string>,
  body?: unknown,
  headers: Record<string, string> = {},
) => apiEvent(sandbox.clock.now(), method, path, claims, body, headers);

const CONTEXT = API_CONTEXT;

/** A failover request, not yet driven: `sandbox.run` drives one or many at once. */
const failover = (app: string, to: string, key?: string) =>
  api(
    event(
      'POST',
      `/apps/${app}/failovers`,
      OPERATOR,
      { to, mode: 'graceful', reason: 'one request test' },
      key ? { 'Idempotency-Key': key } : {},
    ),
    CONTEXT,
  ).then(answerOf);

const getExecution = (app: string, id: string) =>
  api(event('GET', `/apps/${app}/executions/${id}`, VIEWER), CONTEXT).then(answerOf);

const executionsOf = (app: string) =>
  sandbox.stepFunctions.list().filter((e) => JSON.parse(e.input).plan === app);

async function runToEnd(executionArn: string): Promise<string> {
  const execution = sandbox.stepFunctions.get(executionArn);
  if (!execution) throw new Error(`no execution ${executionArn}`);
  await sandbox.run(execution.done);
  return execution.status;
}

// Fifty requests and whole runbooks over dynalite take real CPU: on a shared two-core machine that
// can outlast the default real-time budget. Every bound asserted is in virtual time.
const HEAVY = { timeout: 300_000 };

describe('exactly one accepted request per app', HEAVY, () => {
  it('of 50 parallel requests (different keys) accepts one: 49 × 409 naming the holder, one execution', async () => {
    // Prepare
    const before = executionsOf('billing').length;

    // Act: 50 requests at the same virtual instant, each with its own idempotency key
    const answers = await sandbox.run(
      Promise.all(Array.from({ length: 50 }, (_, i) => failover('billing', WEST, `parallel-${i}`))),
    );
    // Nothing else has run: the record must be there at once.
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status !== 202);
    const winner = accepted[0]?.body;
    const record = await sandbox.run(getExecution('billing', winner?.executionId));

    // Assess
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(49);
    for (const answer of refused) {
      expect(answer.status).toBe(409);
      expect(answer.body.error).toBe('FailoverInProgressError');
      expect(answer.body.message).toContain(`locked by ${winner.executionId}`);
    }
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({ id: winner.executionId, status: 'RUNNING', from: EAST, to: WEST });
    // No ghost: Step Functions started exactly one execution, the accepted one.
    const started = executionsOf('billing').slice(before);
    expect(started.map((e) => e.name)).toEqual([winner.executionId]);
    expect(await runToEnd(winner.executionArn)).toBe('SUCCEEDED');
    const lock = await sandbox.run(deps.store.getLock('billing'));
    expect(lock).toMatchObject({ holder: winner.executionId, released: true });
  });

  it('answers every accepted request with an id that resolves at once, request after request', async () => {
    // billing is active in us-west-2 now: fail back, then answer immediately
    const back = await sandbox.run(failover('billing', EAST));
    const record = await sandbox.run(getExecution('billing', back.body.executionId));

    expect(back.status).toBe(202);
    expect(record.status).toBe(200);
    expect(record.body.id).toBe(back.body.executionId);
    expect(await runToEnd(back.body.executionArn)).toBe('SUCCEEDED');
  });

  it('gives the reservation back when StartExecution fails: record FAILED, lock released, no execution', async () => {
    // Prepare: Step Functions throttles every call in the target region
    sandbox.aws.faults.add({
      kind: 'api-errors',
      service: 'sfn',
      region: WEST,
      error: 'ThrottlingException',
      rate: 1,
    });
    const before = executionsOf('billing').length;

    // Act
    const refused = await sandbox.run(failover('billing', WEST, 'start-fails'));
    sandbox.aws.faults.clear('all');
    const lock = await sandbox.run(deps.store.getLock('billing'));
    const replay = await sandbox.run(failover('billing', WEST, 'start-fails'));
    const fresh = await sandbox.run(failover('billing', WEST, 'start-works'));

    // Assess: a retryable refusal (not a 500), and nothing left held or running
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('ThrottledError');
    expect(lock?.released).toBe(true);
    const ids = await sandbox.run(deps.store.listExecutions('billing', { limit: 5 }));
    const failed = ids.find((r) => r.status === 'FAILED' && r.error?.message.startsWith(NOT_STARTED));
    expect(failed).toMatchObject({ status: 'FAILED', error: { name: 'ThrottledError' } });
    expect(executionsOf('billing').some((e) => e.name === failed?.id)).toBe(false);
    // The same key again: its request failed to start; a new key is needed, and works.
    expect(replay.status).toBe(409);
    expect(replay.body.message).toContain('expected a new Idempotency-Key');
    expect(fresh.status).toBe(202);
    expect(
      executionsOf('billing')
        .slice(before)
        .map((e) => e.name),
    ).toEqual([fresh.body.executionId]);
    expect(await runToEnd(fresh.body.executionArn)).toBe('SUCCEEDED');
  });
  it('answers a throttled state table with a retryable 503, not a 500, and starts nothing', async () => {
    // Prepare: every DynamoDB call in the API's region is throttled
    sandbox.aws.faults.add({
      kind: 'api-errors',
      service: 'dynamodb',
      region: WEST,
      error: 'ThrottlingException',
      rate: 1,
    });
    const before = sandbox.stepFunctions.list().length;

    // Act
    const answer = await sandbox.run(failover('billing', WEST, 'throttled-table'));

    // Assess
    expect(answer.status).toBe(503);
    expect(answer.body.error).toBe('ThrottledError');
    expect(sandbox.stepFunctions.list()).toHaveLength(before);
  });
});

describe('a crash in BeginExecution', HEAVY, () => {
  it('of a reserved request: AbandonExecution closes the record and frees the lock at once', async () => {
    // Prepare: BeginExecution crashes after its work on every attempt its Retry allows (1 + 3)
    sandbox.aws.faults.add({ kind: 'lambda-crash', step: 'BeginExecution', times: 4 });

    // Act
    const requested = await sandbox.run(failover('billing', EAST));
    const status = await runToEnd(requested.body.executionArn);
    const endedAt = sandbox.clock.now();
    const record = await sandbox.run(deps.store.getExecution('billing', requested.body.executionId));
    const lock = await sandbox.run(deps.store.getLock('billing'));
    const next = await sandbox.run(failover('billing', EAST));

    // Assess
    expect(requested.status).toBe(202);
    expect(status).toBe('FAILED');
    expect(record).toMatchObject({ status: 'FAILED', error: { name: 'Lambda.Unknown' } });
    expect(record?.error?.message).toContain('crashed');
    // Begin set its entry beside the lock's adoption (one round): the failure path corrects it.
    expect(record?.steps.BeginExecution).toMatchObject({
      status: 'FAILED',
      error: { name: 'Lambda.Unknown' },
    });
    expect(lock).toMatchObject({ holder: requested.body.executionId, released: true });
    // Released long before the lease would have lapsed.
    expect(Date.parse(String(lock?.releasedAt))).toBeLessThan(endedAt + 1);
    const plan = deps.plans.get('billing');
    expect((endedAt - Date.parse(String(record?.startedAt))) / 1000).toBeLessThan(leaseSecondsFor(plan) / 10);
    expect(next.status).toBe(202);
    expect(await runToEnd(next.body.executionArn)).toBe('SUCCEEDED');
  });

  it('of a runbook nobody reserved (started directly): Begin takes the lock, AbandonExecution frees it', async () => {
    // Prepare: billing is active in us-east-1 again
    sandbox.aws.faults.add({ kind: 'lambda-crash', step: 'BeginExecution', times: 4 });
    const plan = deps.plans.get('billing');
    const id = 'billing-direct-start-1';

    // Act: started straight through Step Functions, as a person with console access might
    const arn = await sandbox.run(
      deps.stepFunctions.start(WEST, runbookArnIn(plan, WEST, deps), id, {
        plan: 'billing',
        targetRegion: WEST,
        mode: 'graceful',
        trigger: 'operator',
        requestedBy: 'carol',
        reason: 'started by hand',
      }),
    );
    const status = await runToEnd(arn);
    const record = await sandbox.run(deps.store.getExecution('billing', id));
    const lock = await sandbox.run(deps.store.getLock('billing'));

    // Assess: Begin took the lock itself (crashing after it), and the failure path gave it back
    expect(status).toBe('FAILED');
    expect(record).toMatchObject({ status: 'FAILED', error: { name: 'Lambda.Unknown' } });
    expect(lock).toMatchObject({ holder: id, released: true });
  });
});

// After the other blocks: it moves billing, which they expect where they left it.
describe('a graceful request whose dry run AWS throttles', HEAVY, () => {
  /** Every DescribeAutoScalingGroups in both regions throttled (after the SDK's retries too). */
  const throttleGroups = () => {
    for (const region of [EAST, WEST])
      sandbox.aws.faults.add({
        kind: 'api-errors',
        service: 'autoscaling',
        region,
        operation: 'DescribeAutoScalingGroups',
        error: 'Throttling',
        rate: 1,
      });
  };
  const otherRegion = async (app: string) => {
    const state = await sandbox.run(deps.store.getState(app));
    return state?.activeRegion === WEST ? EAST : WEST;
  };

  it('reads again with backoff and is accepted when the throttling passes within its pacing', async () => {
    // Prepare: throttled for 3 s of virtual time, then answered
    const to = await otherRegion('billing');
    throttleGroups();
    sandbox.clock.setTimer(3_000, () => sandbox.aws.faults.clear('all'));
    const askedAt = sandbox.clock.now();

    // Act
    const answer = await sandbox.run(failover('billing', to, 'paced-dry-run'));
    const answeredAt = sandbox.clock.now();

    // Assess: accepted, after the throttling (it waited, bounded by the pacing), and it runs
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    // Its re-reads asked again only what AWS throttled: RDS, which answered, once per region.
    const during = sandbox.aws.simulator.log.filter(
      (c) => c.startedAt >= askedAt && c.startedAt < answeredAt,
    );
    const count = (operation: string) => during.filter((c) => c.operation === operation).length;
    expect(count('DescribeGlobalClusters')).toBe(2);
    expect(count('DescribeDBClusters')).toBe(2);
    expect(count('DescribeAutoScalingGroups')).toBeGreaterThan(4);
    expect(answeredAt - askedAt).toBeGreaterThanOrEqual(3_000);
    expect(answeredAt - askedAt).toBeLessThan(DRY_RUN_PACING_MS + 5_000);
    expect(await runToEnd(answer.body.executionArn)).toBe('SUCCEEDED');
  });

  it('past its pacing, answers 503 ThrottledError that says so, with nothing reserved', async () => {
    // Prepare: throttled for longer than the dry run paces
    const to = await otherRegion('billing');
    throttleGroups();
    const before = sandbox.stepFunctions.list().length;
    const askedAt = sandbox.clock.now();

    // Act
    const answer = await sandbox.run(failover('billing', to, 'throttled-dry-run'));
    sandbox.aws.faults.clear('all');
    const lock = await sandbox.run(deps.store.getLock('billing'));

    // Assess
    expect(answer.status).toBe(503);
    expect(answer.body.error).toBe('ThrottledError');
    expect(answer.body.message).toMatch(/AWS throttled the dry run's reads \d+ time\(s\) over [\d.]+ s/);
    expect(answer.body.message).toContain('nothing was reserved');
    expect(sandbox.clock.now() - askedAt).toBeGreaterThanOrEqual(DRY_RUN_PACING_MS / 2);
    expect(sandbox.clock.now() - askedAt).toBeLessThan(DRY_RUN_PACING_MS + 5_000);
    expect(sandbox.stepFunctions.list()).toHaveLength(before);
    expect(lock === undefined || lock.released).toBe(true);
  });
});

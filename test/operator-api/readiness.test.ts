import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { renderStatus } from '../../cli/status.js';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import { evaluateReadiness } from '../../functions/readiness/scheduled.js';
import { apiGatewayEvent } from '../../sandbox/api-gateway.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { useSandbox } from '../use-sandbox.js';

// GET /apps/{app}/readiness and the kept results, against the sandbox on the virtual clock.

let sandbox: Sandbox;
/** An IO that is not a terminal: no colour. */
const plainIo = () => ({ out: { write: () => true }, err: { write: () => true } });
let seq = 0;

useSandbox({ latency: 'fast', seed: 3 }, (started) => {
  sandbox = started;
});

async function get(path: string, query?: Record<string, string>, roles = ['viewer']) {
  const deps = sandbox.region('us-west-2').deps;
  const event = apiGatewayEvent({
    method: 'GET',
    path,
    ...(query ? { query } : {}),
    claims: { sub: 'victor', 'switchyard:roles': roles },
    requestId: `readiness-${++seq}`,
    at: sandbox.clock.now(),
  });
  const result = (await sandbox.run(
    makeHandler(deps)(event, {} as Context),
  )) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, body: JSON.parse(String(result.body)) };
}

describe('GET /apps/{app}/readiness', () => {
  it('evaluates now for a viewer, then shows what the schedule kept; a pending-resync target is NOT_READY', async () => {
    // Act: now, before any scheduled evaluation
    const first = await get('/apps/orders/readiness');

    // Assess
    expect(first.status).toBe(200);
    expect(first.body.readiness).toEqual([
      expect.objectContaining({ app: 'orders', region: 'us-west-2', mode: 'graceful', verdict: 'READY' }),
    ]);
    expect(first.body.kept).toEqual([]);

    // Prepare: the schedule runs once; the target's cluster is being rebuilt (as after an
    // ungraceful failover)
    const deps = sandbox.region('us-east-1').deps;
    const run = await sandbox.run(evaluateReadiness({}, deps));
    expect(run.evaluated).toContainEqual({
      app: 'orders',
      region: 'us-west-2',
      verdict: 'READY',
      changed: true,
      written: true,
    });
    const again = await sandbox.run(evaluateReadiness({}, deps));
    expect(again.evaluated.every((e) => !e.changed)).toBe(true);
    const cluster = (sandbox.aws.rds as unknown as { clusters: Map<string, { synchronization: string }> })
      .clusters;
    const west = cluster.get('arn:aws:rds:us-west-2:111111111111:cluster:orders-usw2');
    if (!west) throw new Error('orders-usw2 not provisioned');
    west.synchronization = 'pending-resync';

    // Act
    const resync = await get('/apps/orders/readiness', { to: 'us-west-2', mode: 'ungraceful' });

    // Assess
    expect(resync.body.readiness[0]).toMatchObject({ verdict: 'NOT_READY', mode: 'ungraceful' });
    expect(resync.body.readiness[0].findings[0]).toMatchObject({
      code: 'CLUSTER_NOT_CONNECTED',
      severity: 'blocking',
      resource: 'arn:aws:rds:us-west-2:111111111111:cluster:orders-usw2',
    });
    expect(resync.body.kept).toEqual([expect.objectContaining({ region: 'us-west-2', verdict: 'READY' })]);
    const changed = await sandbox.run(evaluateReadiness({}, deps));
    expect(changed.evaluated).toContainEqual({
      app: 'orders',
      region: 'us-west-2',
      verdict: 'NOT_READY',
      changed: true,
      written: true,
    });
    const events = sandbox.aws.eventBridge.published.filter(
      (e) => e.detailType === 'Switchyard Readiness Changed',
    );
    expect(events.map((e) => [e.detail.app, e.detail.verdict])).toContainEqual(['orders', 'NOT_READY']);
    west.synchronization = 'connected';
  });

  it("reads the target's runbook and warm pools from AWS, and estimates capacity time with and without the pool", async () => {
    // Act: orders' pool (Stopped, provisioned warmed) in its standby region
    const ready = await get('/apps/orders/readiness', { to: 'us-west-2' });

    // Assess: 5 instances to add, all from the pool: a warm start (30 s) plus one health check
    // (30 s), against a launch (90 s) plus one health check
    expect(ready.body.readiness[0].findings.map((f: { code: string }) => f.code)).not.toContainEqual(
      expect.stringMatching(/WARM_POOL|RUNBOOK/),
    );
    expect(ready.body.readiness[0].capacityTime).toContainEqual({
      group: 'orders-web',
      needed: expect.any(Number),
      fromPool: expect.any(Number),
      withPoolSeconds: 60,
      withoutPoolSeconds: 120,
    });

    // Prepare: someone deleted the pool, and the runbook in us-west-2 is gone
    const groups = (sandbox.aws.autoScaling as unknown as { groups: Map<string, { warmPool: unknown }> })
      .groups;
    const group = groups.get('us-west-2/orders-web-usw2');
    if (!group) throw new Error('orders-web-usw2 not provisioned');
    const pool = group.warmPool;
    group.warmPool = undefined;
    const machines = (sandbox.stepFunctions as unknown as { machines: Map<string, unknown> }).machines;
    const arn = sandbox.region('us-west-2').deps.stateMachineArns['warm-standby'];
    if (!arn) throw new Error('no warm-standby runbook in us-west-2');
    const machine = machines.get(arn);
    machines.delete(arn);
    try {
      // Act
      const broken = await get('/apps/orders/readiness', { to: 'us-west-2' });

      // Assess
      const target = broken.body.readiness[0];
      expect(target.verdict).toBe('NOT_READY');
      expect(target.findings).toContainEqual(
        expect.objectContaining({
          code: 'WARM_POOL_MISSING',
          severity: 'blocking',
          resource: 'orders-web-usw2',
        }),
      );
      expect(target.findings).toContainEqual(
        expect.objectContaining({
          code: 'RUNBOOK_UNAVAILABLE',
          severity: 'blocking',
          resource: arn,
          message: expect.stringMatching(
            /did not answer: unknown \(got: DescribeStateMachine: ResourceNotFoundError/,
          ),
        }),
      );
      expect(target.capacityTime).toContainEqual(
        expect.objectContaining({ group: 'orders-web', withPoolSeconds: null, withoutPoolSeconds: 120 }),
      );
    } finally {
      group.warmPool = pool;
      machines.set(arn, machine);
    }
  });

  it('status shows how old the kept verdict is, and says stale past two evaluation periods', async () => {
    // Prepare: the kept verdict toward us-west-2 was evaluated 11 minutes ago (no evaluation since)
    const deps = sandbox.region('us-east-1').deps;
    const previous = await sandbox.run(deps.readiness.get('orders', 'us-west-2'));
    const at = (minutes: number) => new Date(sandbox.clock.now() - minutes * 60_000).toISOString();
    const keep = (minutes: number, verdict: 'READY' | 'NOT_READY' | undefined) =>
      sandbox.run(
        deps.readiness.put(
          {
            app: 'orders',
            region: 'us-west-2',
            mode: 'graceful',
            verdict: 'READY',
            findings: [],
            evaluatedAt: at(minutes),
            changedAt: at(minutes),
            evaluatedBy: 'us-east-1',
          },
          verdict,
        ),
      );
    expect((await keep(3, previous?.verdict)).written).toBe(true);

    // Act
    const fresh = await get('/apps/orders');
    expect(fresh.body.regionsDetail['us-west-2'].readiness).toMatchObject({
      verdict: 'READY',
      ageSeconds: 180,
      stale: false,
    });
    expect(renderStatus(fresh.body, plainIo()).join('\n')).toMatch(/us-west-2 .* READY 3m ago$/m);
    expect((await keep(11, 'READY')).written).toBe(true);
    const old = await get('/apps/orders');

    // Assess
    expect(old.body.regionsDetail['us-west-2'].readiness).toMatchObject({ ageSeconds: 660, stale: true });
    expect(renderStatus(old.body, plainIo()).join('\n')).toMatch(/us-west-2 .* STALE READY 11m ago$/m);
  });

  it('refuses a bad mode and an unknown region with 400 (values of the query), and an unknown app with 404', async () => {
    const mode = await get('/apps/orders/readiness', { mode: 'sideways' });
    const region = await get('/apps/orders/readiness', { to: 'mars-1' });
    const app = await get('/apps/mars/readiness', { to: 'mars-1' });
    expect(mode.status).toBe(400);
    expect(mode.body.message).toMatch(/mode/);
    expect(region.status).toBe(400);
    expect(region.body.problems).toEqual([
      {
        path: 'query.to',
        message: 'unknown region',
        got: '"mars-1"',
        expected: 'one of us-east-1, us-west-2',
      },
    ]);
    expect(app.status).toBe(404);
    expect(app.body.error).toBe('UnknownAppError');
  });
});

import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import { evaluateReadiness } from '../../functions/readiness/readiness.js';
import { apiGatewayEvent } from '../../sandbox/api-gateway.js';
import { Sandbox } from '../../sandbox/sandbox.js';

// GET /apps/{app}/readiness and the kept results, against the sandbox on the virtual clock.

let sandbox: Sandbox;
let seq = 0;

beforeAll(async () => {
  sandbox = await Sandbox.start({ plans: await loadPlans('plans'), latency: 'fast', seed: 3 });
});

afterAll(async () => {
  await sandbox?.close();
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
    });
    const events = sandbox.aws.eventBridge.published.filter(
      (e) => e.detailType === 'Switchyard Readiness Changed',
    );
    expect(events.map((e) => [e.detail.app, e.detail.verdict])).toContainEqual(['orders', 'NOT_READY']);
    west.synchronization = 'connected';
  });

  it('refuses a bad mode with 400 and an unknown region with 404, saying what was got and expected', async () => {
    const mode = await get('/apps/orders/readiness', { mode: 'sideways' });
    const region = await get('/apps/orders/readiness', { to: 'mars-1' });
    expect(mode.status).toBe(400);
    expect(mode.body.message).toMatch(/mode/);
    expect(region.status).toBe(404);
    expect(region.body.message).toMatch(/got 'mars-1', expected one of us-east-1, us-west-2/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrafficSwitch, trafficSwitch } from '../../functions/aws/traffic-switch.js';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { planRegistry } from '../../functions/core/plan-registry.js';
import { answerHealth, healthPath } from '../../functions/traffic/health-endpoint.js';
import { type DynamoHarness, startDynamoHarness, uniqueApp } from './dynamo-harness.js';

let harness: DynamoHarness;
let plans: Plan[];

beforeAll(async () => {
  harness = await startDynamoHarness();
  plans = await loadPlans('plans');
});
afterAll(() => harness.close());

const switchIn = (region: string): TrafficSwitch =>
  trafficSwitch({ clients: harness.clients, tableName: harness.dynamo.tableName, region });

describe('the traffic switch (state table item TRAFFIC)', () => {
  it('is one conditional write: a newer epoch wins, an older one is refused with LockLostError and changes nothing', async () => {
    const app = uniqueApp('switch');
    const west = switchIn('us-west-2');
    await expect(west.get(app)).resolves.toBeUndefined();

    await west.set(app, 'us-west-2', 3, '2026-01-01T00:00:00.000Z');
    await west.set(app, 'us-west-2', 3, '2026-01-01T00:00:01.000Z'); // a retry: idempotent
    await expect(switchIn('us-east-1').get(app)).resolves.toMatchObject({ region: 'us-west-2', epoch: 3 });

    await expect(west.set(app, 'us-east-1', 2, '2026-01-01T00:00:02.000Z')).rejects.toMatchObject({
      name: 'LockLostError',
      message: expect.stringMatching(/got epoch 3 naming us-west-2; expected an epoch at most 2/),
    });
    await expect(west.get(app)).resolves.toMatchObject({ region: 'us-west-2', epoch: 3 });
  });
});

describe('the health endpoint', () => {
  it('answers 200 only for the region the switch names (the first region until it is written), 503 otherwise', async () => {
    const plan = plans.find((p) => p.name === 'billing') as Plan;
    const app = uniqueApp('billing');
    const registry = planRegistry([{ ...plan, name: app }]);
    const deps = { plans: registry, traffic: switchIn('us-west-2') };

    await expect(answerHealth(healthPath(app, 'us-east-1'), deps)).resolves.toMatchObject({
      statusCode: 200,
    });
    await expect(answerHealth(healthPath(app, 'us-west-2'), deps)).resolves.toMatchObject({
      statusCode: 503,
    });

    await switchIn('us-west-2').set(app, 'us-west-2', 1, '2026-01-01T00:00:00.000Z');
    await expect(answerHealth(healthPath(app, 'us-west-2'), deps)).resolves.toMatchObject({
      statusCode: 200,
    });
    await expect(answerHealth(healthPath(app, 'us-east-1'), deps)).resolves.toMatchObject({
      statusCode: 503,
      body: expect.stringContaining('traffic goes to us-west-2, not us-east-1'),
    });
  });

  it('answers 503 when the switch cannot be read (unknown is never healthy) and 404 for a path it does not serve', async () => {
    const plan = plans.find((p) => p.name === 'billing') as Plan;
    const failing: TrafficSwitch = {
      get: () => Promise.reject(new Error('replica cut off from the majority')),
      set: () => Promise.resolve(),
    };
    const deps = { plans: planRegistry([plan]), traffic: failing };
    await expect(answerHealth('/billing/us-east-1', deps)).resolves.toMatchObject({
      statusCode: 503,
      body: expect.stringContaining('could not be read'),
    });
    await expect(answerHealth('/billing/eu-west-1', deps)).resolves.toMatchObject({
      statusCode: 404,
      body: expect.stringMatching(/got \/billing\/eu-west-1; expected \/<app>\/<region>/),
    });
  });
});

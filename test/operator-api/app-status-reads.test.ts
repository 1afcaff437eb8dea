import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { getAppStatus, listAppStatuses } from '../../functions/operator-api/app-status.js';
import { evaluateReadiness } from '../../functions/readiness/scheduled.js';
import { Sandbox } from '../../sandbox/sandbox.js';

/**
 * `GET /apps` reads the state table for all apps at once (functions/operator-api/app-status.ts),
 * counted on the simulator's call log (not timed): N apps cost N Queries (each app's newest
 * execution) and two BatchGetItems (states and locks; kept readiness with the run item), not a
 * Query of each app's readiness records beside two GetItems per app.
 */
const APPS = 4;

describe('GET /apps: the state table reads', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  const plans = generatedPlans(APPS);

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans, latency: 'fast', seed: 3 });
    // A scheduled evaluation, so every app has a kept verdict toward us-west-2 to show.
    await sandbox.run(evaluateReadiness({}, sandbox.region('us-west-2').deps));
  });
  afterAll(async () => {
    await sandbox.close();
  });

  /** The DynamoDB calls `work` made, per operation. */
  async function tableCallsOf(work: () => Promise<unknown>) {
    const from = sandbox.aws.simulator.log.length;
    await sandbox.run(work());
    const calls = sandbox.aws.simulator.log.slice(from).filter((c) => c.service === 'dynamodb');
    return (operation: string) => calls.filter((c) => c.operation === operation).length;
  }

  it('makes one Query per app (its newest execution) and two BatchGetItems for all apps, and still shows each kept verdict', async () => {
    // Act
    let statuses: Awaited<ReturnType<typeof listAppStatuses>> = [];
    const calls = await tableCallsOf(async () => {
      statuses = await listAppStatuses(sandbox.region('us-west-2').deps);
    });

    // Assert
    expect(calls('Query')).toBe(APPS);
    expect(calls('BatchGetItem')).toBe(2);
    expect(calls('GetItem')).toBe(0);
    expect(statuses.map((s) => s.app)).toEqual(plans.map((p) => p.name));
    for (const status of statuses) {
      expect(status.activeRegion).toBe('us-east-1');
      expect(status.regionsDetail['us-west-2']?.readiness?.verdict).toBe('READY');
      expect(status.regionsDetail['us-east-1']?.readiness).toBeUndefined();
      // Detection said in words beside its mode, for the CLI and the console alike.
      expect(status.detection).toMatchObject({
        mode: 'automatic',
        meaning: 'an alarm starts an ungraceful failover by itself',
      });
    }
  });

  it('reads one app the same way: one Query, two BatchGetItems', async () => {
    // Act
    const app = plans[0]?.name ?? '';
    let status: Awaited<ReturnType<typeof getAppStatus>> | undefined;
    const calls = await tableCallsOf(async () => {
      status = await getAppStatus(app, sandbox.region('us-west-2').deps);
    });

    // Assert
    expect(calls('Query')).toBe(1);
    expect(calls('BatchGetItem')).toBe(2);
    expect(calls('GetItem')).toBe(0);
    expect(status?.regionsDetail['us-west-2']?.readiness?.verdict).toBe('READY');
  });
});

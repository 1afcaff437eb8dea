import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arcRoutingControls } from '../../functions/aws/arc.js';
import { auroraGlobalClusters } from '../../functions/aws/aurora.js';
import { auroraReplicationLag } from '../../functions/aws/aurora-lag.js';
import { autoScalingGroups } from '../../functions/aws/auto-scaling.js';
import { createClientFactory } from '../../functions/aws/client-factory.js';
import { cloudWatchAlarms } from '../../functions/aws/cloudwatch.js';
import { eventPublisher } from '../../functions/aws/events.js';
import { lazyPort } from '../../functions/aws/lazy-port.js';
import { route53Records } from '../../functions/aws/route53.js';
import { stepFunctions } from '../../functions/aws/step-functions.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { systemRandom } from '../../functions/core/random.js';
import { LAZY_PORT_METHODS, operatorApiDeps } from '../../functions/handlers/operator-api-deps.js';
import { Sandbox } from '../../sandbox/sandbox.js';

// The operator API's ports over clients other than DynamoDB's load their adapter at the first call
// (functions/aws/lazy-port.ts; in Lambda, a chunk of the package read only then).

describe('a lazy port', () => {
  it('loads its adapter once, at the first call, and forwards every call with its arguments', async () => {
    // Arrange
    let loads = 0;
    const port = lazyPort(async () => {
      loads++;
      return { twice: async (n: number) => n * 2, name: async () => 'adapter' };
    }, ['twice', 'name']);

    // Act
    const before = loads;
    const answers = await Promise.all([port.twice(2), port.twice(5), port.name()]);

    // Assert
    expect(before).toBe(0);
    expect(answers).toEqual([4, 10, 'adapter']);
    expect(loads).toBe(1);
  });

  it('loads again after a load that failed (a retried step gets a new attempt)', async () => {
    // Arrange
    let loads = 0;
    const port = lazyPort(async () => {
      loads++;
      if (loads === 1) throw new Error('chunk unreadable');
      return { read: async () => 'read' };
    }, ['read']);

    // Act
    const first = await port.read().catch((e: unknown) => e);
    const second = await port.read();

    // Assert
    expect((first as Error).message).toBe('chunk unreadable');
    expect(second).toBe('read');
    expect(loads).toBe(2);
  });

  it("says which method the loaded adapter lacks, and has no method it was not given (an optional one's absence stays visible)", async () => {
    // Arrange
    const port = lazyPort<{ a(): Promise<number>; b?(): Promise<number> }>(
      async () => ({ a: async () => 1 }),
      ['a', 'b'],
    );
    const without = lazyPort<{ a(): Promise<number>; b?(): Promise<number> }>(
      async () => ({ a: async () => 1 }),
      ['a'],
    );

    // Act
    const error = await port.b?.().catch((e: unknown) => e);

    // Assert
    expect((error as Error).message).toMatch(
      /has no method b \(got undefined\); expected the adapter's methods to be a, b/,
    );
    expect(without.b).toBeUndefined();
  });

  it("lists exactly each adapter's methods for the operator API's lazy ports", () => {
    // Arrange: the real adapters, over a client factory (no call is made)
    const clients = createClientFactory();
    const adapters = {
      aurora: auroraGlobalClusters(clients),
      auroraLag: auroraReplicationLag(clients),
      autoScaling: autoScalingGroups(clients),
      route53: route53Records(clients),
      arc: arcRoutingControls(clients, systemRandom),
      alarms: cloudWatchAlarms(clients),
      stepFunctions: stepFunctions(clients),
      events: eventPublisher(clients, 'bus'),
    };

    // Act / Assert: a method missing from a list would be absent from the lazy port
    for (const [name, adapter] of Object.entries(adapters))
      expect([...LAZY_PORT_METHODS[name as keyof typeof adapters]].sort(), name).toEqual(
        Object.keys(adapter).sort(),
      );
  });
});

describe("the operator API's lazy port against the simulated AWS", () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans: await loadPlans('plans'), latency: 'fast', seed: 5 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it("answers as the eager adapter does, over the sandbox's own clients: Aurora's global cluster", async () => {
    // Arrange: the operator API's composition over the sandbox's region (its clients, its clock)
    const plane = sandbox.region('us-west-2');
    const lazy = operatorApiDeps({
      region: 'us-west-2',
      plans: plane.deps.plans.list(),
      clients: plane.clients,
      tableName: 'unused',
      clock: sandbox.clock,
      random: systemRandom,
      stateMachineArns: plane.deps.stateMachineArns,
    });
    const eager = plane.deps;

    // Act
    const [lazyCluster, eagerCluster] = await sandbox.run(
      Promise.all([
        lazy.aurora.describeGlobalCluster('us-west-2', 'orders-global'),
        eager.aurora.describeGlobalCluster('us-west-2', 'orders-global'),
      ]),
    );

    // Assert
    expect(lazyCluster).toEqual(eagerCluster);
    expect(lazyCluster.members.length).toBeGreaterThan(1);
  });
});

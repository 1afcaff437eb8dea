import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { answerHealth } from '../../functions/traffic/health-endpoint.js';
import { mrscRefusal, sandboxTableTopology } from '../../sandbox/aws/dynamodb-mrsc.js';
import { Sandbox } from '../../sandbox/sandbox.js';

describe("the sandbox's state table topology (MRSC: three regions, a majority of them)", () => {
  it('gives two US replicas the witness us-east-2, three replicas none, and other region sets MREC', () => {
    expect(sandboxTableTopology(['us-west-2', 'us-east-1'])).toEqual({
      consistency: 'strong',
      replicas: ['us-east-1', 'us-west-2'],
      witness: 'us-east-2',
    });
    expect(sandboxTableTopology(['eu-west-1', 'eu-west-2', 'eu-west-3'])).toEqual({
      consistency: 'strong',
      replicas: ['eu-west-1', 'eu-west-2', 'eu-west-3'],
    });
    // The EU set has four regions: two replicas leave no single witness to choose.
    expect(sandboxTableTopology(['eu-west-1', 'eu-west-2']).consistency).toBe('eventual');
    expect(sandboxTableTopology(['us-east-1', 'eu-west-1']).consistency).toBe('eventual');
  });

  it('refuses writes and strongly consistent reads of a replica that reaches no other region, never eventually consistent reads', () => {
    const topology = sandboxTableTopology(['us-east-1', 'us-west-2']);
    const down = (regions: string[]) => (r: string) => regions.includes(r);
    const write = { region: 'us-west-2', operation: 'UpdateItem', input: {} };
    const strong = { region: 'us-west-2', operation: 'GetItem', input: { ConsistentRead: true } };
    const eventual = { region: 'us-west-2', operation: 'GetItem', input: {} };
    // One region lost: the other replica and the witness are a majority.
    expect(mrscRefusal(topology, write, down(['us-east-1']))).toBeUndefined();
    expect(mrscRefusal(topology, write, down(['us-east-2']))).toBeUndefined();
    // Both others lost: 1 of 3.
    expect(mrscRefusal(topology, write, down(['us-east-1', 'us-east-2']))).toMatch(
      /UpdateItem in us-west-2: .*majority .*got 1 of 3 reachable: us-east-1, us-east-2 down; expected 2/,
    );
    expect(mrscRefusal(topology, strong, down(['us-east-1', 'us-east-2']))).toMatch(/majority/);
    expect(mrscRefusal(topology, eventual, down(['us-east-1', 'us-east-2']))).toBeUndefined();
    // MREC has no majority to lose.
    const mrec = sandboxTableTopology(['us-east-1', 'eu-west-1']);
    expect(mrscRefusal(mrec, { ...write, region: 'eu-west-1' }, down(['us-east-1']))).toBeUndefined();
  });
});

describe('MRSC majority loss through the real SDK (dynalite behind the simulator)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans: await loadPlans('plans'), latency: 'fast' });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it("us-west-2's replica writes with us-east-1 down, fails with a clear InternalServerError once the witness is down too, and serves again when it returns", async () => {
    const west = sandbox.region('us-west-2').deps;
    const faults = sandbox.aws.faults;

    faults.add({ kind: 'region-outage', region: 'us-east-1' });
    await sandbox.run(west.traffic.set('billing', 'us-west-2', 1, '2026-01-01T00:00:00.000Z'));
    expect((await sandbox.run(west.traffic.get('billing')))?.region).toBe('us-west-2');

    faults.add({ kind: 'region-outage', region: 'us-east-2' });
    const attemptsBefore = sandbox.aws.simulator.log.length;
    await expect(
      sandbox.run(west.traffic.set('billing', 'us-east-1', 2, '2026-01-01T00:01:00.000Z')),
    ).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringMatching(/InternalServerError.*cannot reach a majority/),
    });
    // The SDK retried the 500 (its standard attempts), and each attempt was refused by the model.
    const refused = sandbox.aws.simulator.log
      .slice(attemptsBefore)
      .filter((c) => c.service === 'dynamodb' && c.error === 'InternalServerError');
    expect(refused.length).toBeGreaterThan(1);
    await expect(sandbox.run(west.traffic.get('billing'))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    // The health endpoint cannot read the switch: unknown is never healthy.
    const answer = await sandbox.run(answerHealth('/billing/us-west-2', west));
    expect(answer.statusCode).toBe(503);
    expect(answer.body).toMatch(/could not be read/);

    faults.clear({ kind: 'region-outage', region: 'us-east-2' });
    // Nothing was half-written: the refused write left the switch as it was.
    expect((await sandbox.run(west.traffic.get('billing')))?.region).toBe('us-west-2');
    faults.clear('all');
  });
});

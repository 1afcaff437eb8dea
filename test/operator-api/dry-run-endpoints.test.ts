import { describe, expect, it } from 'vitest';
import { requestFailover } from '../../functions/operator-api/request-failover.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { useSandbox } from '../use-sandbox.js';

// Down endpoints last, in the failover request's dry run (issue 10, item 3): with us-east-1 down,
// an ungraceful request's routing control reads try the ARC cluster endpoints of the other
// regions first, as the runbook does, instead of paying an endpoint timeout when a healthy
// endpoint exists. Against the whole sandbox (seeded shuffles), on the virtual clock.

const EAST = 'us-east-1';
const WEST = 'us-west-2';
/** Dry runs read: each shuffles the five endpoints anew, so a shuffle putting us-east-1 first is all but certain. */
const REQUESTS = 12;

let sandbox: Sandbox;

useSandbox({ latency: 'fast', seed: 3 }, (started) => {
  sandbox = started;
});

describe('the failover request dry run, with a region down', () => {
  it('reads the routing controls through a healthy ARC endpoint first: no endpoint timeout', async () => {
    // Prepare: us-east-1 (orders' active region, and one of its five ARC endpoints) is down.
    sandbox.aws.faults.add({ kind: 'region-outage', region: EAST });
    const deps = sandbox.region(WEST).deps;
    const from = sandbox.clock.now();

    // Act: ungraceful requests of orders to us-west-2, each with its dry run. The first is
    // accepted; the others are refused once their dry run has read (the lock is held).
    const outcomes: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const request = requestFailover(
        'orders',
        { to: WEST, mode: 'ungraceful', reason: `outage ${i}` },
        { name: 'alice', roles: ['operator'] },
        undefined,
        deps,
      ).then(
        () => 'accepted',
        (error: unknown) => (error instanceof Error ? error.name : 'error'),
      );
      outcomes.push(await sandbox.run(request));
    }

    // Assess: the requests' own ARC calls (made outside any execution): every read answered on
    // its first endpoint, none of them in us-east-1, and none timed out.
    const reads = sandbox.aws.simulator.log.filter(
      (call) => call.service === 'arc' && call.executionId === undefined && call.startedAt >= from,
    );
    expect(outcomes[0]).toBe('accepted');
    expect(outcomes.slice(1)).toEqual(Array(REQUESTS - 1).fill('FailoverInProgressError'));
    expect(reads.length).toBeGreaterThanOrEqual(REQUESTS);
    expect(reads.filter((call) => !call.ok)).toEqual([]);
    expect(reads.filter((call) => call.region === EAST)).toEqual([]);
  });
});

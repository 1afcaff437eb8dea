import { ChangeResourceRecordSetsCommand, GetChangeCommand } from '@aws-sdk/client-route-53';
import {
  GetRoutingControlStateCommand,
  UpdateRoutingControlStatesCommand,
} from '@aws-sdk/client-route53-recovery-cluster';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import { FaultSchema } from '../../sandbox/faults.js';
import { activeInFirstRegion, examplePlans, trafficHarness } from './harness-traffic.js';

const ZONE = 'Z0123456789ABCDEFGHIJ';

async function setup() {
  const plans = await examplePlans();
  const h = trafficHarness(plans);
  activeInFirstRegion(h);
  return { h, orders: plans.find((p) => p.name === 'orders') as Plan };
}

const probe = (value: string) =>
  new ChangeResourceRecordSetsCommand({
    HostedZoneId: ZONE,
    ChangeBatch: {
      Changes: [
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: 'probe.example.com',
            Type: 'TXT',
            TTL: 60,
            ResourceRecords: [{ Value: `"${value}"` }],
          },
        },
      ],
    },
  });

describe('route53-change-stuck', () => {
  it('keeps a change PENDING for its seconds, and the zone refuses other changes meanwhile', async () => {
    // Prepare
    const { h } = await setup();
    const route53 = h.clients.route53();
    h.faults.add({ kind: 'route53-change-stuck', seconds: 30 });

    // Act
    const submitted = await h.clock.runFor(route53.send(probe('one')));
    const id = submitted.ChangeInfo?.Id as string;
    const busy = await h.clock.runFor(route53.send(probe('two'))).catch((e: unknown) => e);
    await h.clock.runFor(h.clock.sleep(h.ctx.latency.route53.propagationMs + 1_000));
    const stillPending = await h.clock.runFor(route53.send(new GetChangeCommand({ Id: id })));
    await h.clock.runFor(h.clock.sleep(30_000));
    const done = await h.clock.runFor(route53.send(new GetChangeCommand({ Id: id })));
    const later = await h.clock.runFor(route53.send(probe('three')));

    // Assess: the second change was retried by the SDK (throttling) and refused both times.
    expect(busy).toMatchObject({ name: 'PriorRequestNotComplete', $metadata: { attempts: 2 } });
    expect(stillPending.ChangeInfo?.Status).toBe('PENDING');
    expect(done.ChangeInfo?.Status).toBe('INSYNC');
    expect(later.ChangeInfo?.Status).toBe('PENDING');
  });

  it('without the fault, a change to a zone busy with the previous one is retried by the SDK', async () => {
    const { h } = await setup();
    const route53 = h.clients.route53();
    const [a, b] = await h.clock.runFor(Promise.all([route53.send(probe('a')), route53.send(probe('b'))]));
    expect(a.ChangeInfo?.Status).toBe('PENDING');
    expect(b.$metadata.attempts).toBe(2);
    expect(h.simulator.log.filter((c) => c.error === 'PriorRequestNotComplete')).toHaveLength(1);
  });

  it('refuses a stuck change longer than a day, or not positive', () => {
    expect(FaultSchema.safeParse({ kind: 'route53-change-stuck', seconds: 86_400 }).success).toBe(true);
    for (const seconds of [1e308, 86_401, 0, -5])
      expect(FaultSchema.safeParse({ kind: 'route53-change-stuck', seconds }).success, String(seconds)).toBe(
        false,
      );
  });
});

describe('ARC faults and the three-of-five guarantee', () => {
  it('refuses arc-endpoints-down beyond two: that is arc-cluster-unavailable', () => {
    expect(FaultSchema.safeParse({ kind: 'arc-endpoints-down', count: 3 }).success).toBe(false);
    expect(FaultSchema.parse({ kind: 'arc-cluster-unavailable' })).toEqual({
      kind: 'arc-cluster-unavailable',
      endpointsDown: 5,
    });
    expect(FaultSchema.safeParse({ kind: 'arc-cluster-unavailable', endpointsDown: 2 }).success).toBe(false);
  });

  it('beyond the guarantee, the endpoints left answer reads and refuse updates (no majority)', async () => {
    // Prepare
    const { h, orders } = await setup();
    const arc = orders.traffic.arc;
    if (!arc) throw new Error('orders has ARC');
    h.faults.add({ kind: 'arc-cluster-unavailable', endpointsDown: 3 });
    const down = h.arc.downEndpoints();
    const live = arc.clusterEndpoints.filter((e) => !down.includes(e.endpoint));
    const use1 = arc.routingControls['us-east-1'] as string;
    const usw2 = arc.routingControls['us-west-2'] as string;
    const client = h.clients.arcCluster(live[0] as { region: string; endpoint: string });

    // Act
    const read = await h.clock.runFor(
      client.send(new GetRoutingControlStateCommand({ RoutingControlArn: use1 })),
    );
    const write = await h.clock
      .runFor(
        client.send(
          new UpdateRoutingControlStatesCommand({
            UpdateRoutingControlStateEntries: [
              { RoutingControlArn: usw2, RoutingControlState: 'On' },
              { RoutingControlArn: use1, RoutingControlState: 'Off' },
            ],
          }),
        ),
      )
      .catch((e: unknown) => e);

    // Assess
    expect(live).toHaveLength(2);
    expect(read.RoutingControlState).toBe('On');
    expect(write).toMatchObject({
      name: 'EndpointTemporarilyUnavailableException',
      $metadata: { httpStatusCode: 503 },
    });
    expect(h.arc.planStates('orders')).toEqual({ 'us-east-1': 'On', 'us-west-2': 'Off' });
  });
});

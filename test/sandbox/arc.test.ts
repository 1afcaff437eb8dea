import {
  ConflictException,
  GetRoutingControlStateCommand,
  ListRoutingControlsCommand,
  ResourceNotFoundException,
  ServiceLimitExceededException,
  UpdateRoutingControlStateCommand,
  UpdateRoutingControlStatesCommand,
  ValidationException,
} from '@aws-sdk/client-route53-recovery-cluster';
import { describe, expect, it } from 'vitest';
import { arcRoutingControls } from '../../functions/aws/arc.js';
import { TrafficShiftRejectedError } from '../../functions/core/errors.js';
import type { Plan } from '../../functions/core/plan.js';
import { seededRandom } from '../../functions/core/random.js';
import { FAST } from '../../sandbox/latency.js';
import { activeInFirstRegion, examplePlans, type TrafficHarness, trafficHarness } from './harness-traffic.js';

const ORDERS = 'api.orders.example.com';

async function setup(seed = 1): Promise<{ h: TrafficHarness; orders: Plan; use1: string; usw2: string }> {
  const plans = await examplePlans();
  const h = trafficHarness(plans, seed);
  activeInFirstRegion(h);
  const orders = plans.find((p) => p.name === 'orders') as Plan;
  const controls = orders.traffic.arc?.routingControls ?? {};
  return { h, orders, use1: controls['us-east-1'] as string, usw2: controls['us-west-2'] as string };
}

function endpoints(plan: Plan) {
  return plan.traffic.arc?.clusterEndpoints ?? [];
}

/** The failover call: target On, the others Off, in one transaction. */
function shift(to: string, from: string) {
  return new UpdateRoutingControlStatesCommand({
    UpdateRoutingControlStateEntries: [
      { RoutingControlArn: to, RoutingControlState: 'On' },
      { RoutingControlArn: from, RoutingControlState: 'Off' },
    ],
  });
}

describe('SimulatedArc', () => {
  it('answers routing control states through any cluster endpoint', async () => {
    const { h, orders, use1, usw2 } = await setup();
    const client = h.clients.arcCluster(endpoints(orders)[2] as { region: string; endpoint: string });

    const state = await h.clock.runFor(
      client.send(new GetRoutingControlStateCommand({ RoutingControlArn: use1 })),
    );
    expect(state).toMatchObject({
      RoutingControlArn: use1,
      RoutingControlState: 'On',
      RoutingControlName: 'orders-us-east-1',
    });
    const list = await h.clock.runFor(client.send(new ListRoutingControlsCommand({})));
    expect(list.RoutingControls?.map((c) => [c.RoutingControlArn, c.RoutingControlState])).toEqual([
      [use1, 'On'],
      [usw2, 'Off'],
    ]);
    expect(list.RoutingControls?.[0]).toMatchObject({
      ControlPanelArn: use1.replace(/\/routingcontrol\/.*$/, ''),
      Owner: '111111111111',
    });
    expect(h.arc.planStates('orders')).toEqual({ 'us-east-1': 'On', 'us-west-2': 'Off' });
  });

  it('with two endpoints down, updates through a live endpoint; a downed one times out', async () => {
    const { h, orders, use1, usw2 } = await setup();
    h.faults.add({ kind: 'arc-endpoints-down', count: 2 });
    const down = h.arc.downEndpoints();
    expect(down).toHaveLength(2);
    const live = endpoints(orders).filter((e) => !down.includes(e.endpoint));
    const dead = endpoints(orders).filter((e) => down.includes(e.endpoint));
    expect(live).toHaveLength(3);

    const started = h.clock.now();
    const error = await h.clock
      .runFor(h.clients.arcCluster(dead[0] as { region: string; endpoint: string }).send(shift(usw2, use1)))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    // The ARC client makes one attempt and gives up after its 3 s timeout: the caller rotates.
    expect(h.clock.now() - started).toBe(3_000);
    expect(h.arc.state(usw2)).toBe('Off');

    await h.clock.runFor(
      h.clients.arcCluster(live[0] as { region: string; endpoint: string }).send(shift(usw2, use1)),
    );
    expect(h.arc.planStates('orders')).toEqual({ 'us-east-1': 'Off', 'us-west-2': 'On' });
  });

  it('keeps the downed endpoints stable while the fault lasts, and draws them from the seed', async () => {
    const a = await setup(7);
    const b = await setup(7);
    a.h.faults.add({ kind: 'arc-endpoints-down', count: 2 });
    b.h.faults.add({ kind: 'arc-endpoints-down', count: 2 });
    const first = a.h.arc.downEndpoints();
    expect(b.h.arc.downEndpoints()).toEqual(first);

    a.h.faults.add({ kind: 'api-errors', service: 'rds', error: 'ThrottlingException', rate: 0.1 });
    expect(a.h.arc.downEndpoints()).toEqual(first);
    a.h.faults.add({ kind: 'arc-cluster-unavailable', endpointsDown: 3 });
    expect(a.h.arc.downEndpoints()).toHaveLength(3);
    expect(a.h.arc.downEndpoints()).toEqual(expect.arrayContaining(first));
    a.h.faults.clear({ kind: 'arc-endpoints-down' });
    a.h.faults.clear({ kind: 'arc-cluster-unavailable' });
    expect(a.h.arc.downEndpoints()).toEqual([]);
  });

  it('with all five endpoints down (beyond the guarantee), every endpoint fails', async () => {
    const { h, orders, use1, usw2 } = await setup();
    h.faults.add({ kind: 'arc-cluster-unavailable', endpointsDown: 5 });
    for (const endpoint of endpoints(orders)) {
      const error = await h.clock
        .runFor(h.clients.arcCluster(endpoint).send(shift(usw2, use1)))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TimeoutError' });
    }
    expect(h.arc.planStates('orders')).toEqual({ 'us-east-1': 'On', 'us-west-2': 'Off' });
  });

  it('times out calls to an endpoint of no cluster, and to a region that is down', async () => {
    const { h, orders, use1 } = await setup();
    const stranger = h.clients.arcCluster({
      region: 'eu-central-1',
      endpoint: 'https://ffffffff.route53-recovery-cluster.eu-central-1.amazonaws.com/v1',
    });
    const error = await h.clock
      .runFor(stranger.send(new GetRoutingControlStateCommand({ RoutingControlArn: use1 })))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });

    h.faults.add({ kind: 'region-outage', region: 'us-east-1' });
    const inUse1 = endpoints(orders).find((e) => e.region === 'us-east-1') as {
      region: string;
      endpoint: string;
    };
    const down = await h.clock
      .runFor(
        h.clients.arcCluster(inUse1).send(new GetRoutingControlStateCommand({ RoutingControlArn: use1 })),
      )
      .catch((e: unknown) => e);
    expect(down).toMatchObject({ name: 'TimeoutError' });
  });

  it('refuses to turn every routing control Off (safety rule), unless the rule is overridden', async () => {
    const { h, orders, use1, usw2 } = await setup();
    const client = h.clients.arcCluster(endpoints(orders)[1] as { region: string; endpoint: string });

    const error = await h.clock
      .runFor(
        client.send(
          new UpdateRoutingControlStateCommand({ RoutingControlArn: use1, RoutingControlState: 'Off' }),
        ),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictException);
    const [rule] = h.arc.safetyRules();
    expect((error as ConflictException).resourceId).toBe(rule?.arn);
    expect((error as ConflictException).message).toContain(rule?.arn);
    expect(h.arc.state(use1)).toBe('On');

    const both = await h.clock
      .runFor(
        client.send(
          new UpdateRoutingControlStatesCommand({
            UpdateRoutingControlStateEntries: [
              { RoutingControlArn: use1, RoutingControlState: 'Off' },
              { RoutingControlArn: usw2, RoutingControlState: 'Off' },
            ],
          }),
        ),
      )
      .catch((e: unknown) => e);
    expect(both).toBeInstanceOf(ConflictException);

    // Turning the other On in the same transaction leaves one On: allowed.
    await h.clock.runFor(client.send(shift(usw2, use1)));
    expect(h.arc.onRegions('orders')).toEqual(['us-west-2']);

    await h.clock.runFor(
      client.send(
        new UpdateRoutingControlStateCommand({
          RoutingControlArn: usw2,
          RoutingControlState: 'Off',
          SafetyRulesToOverride: [rule?.arn as string],
        }),
      ),
    );
    expect(h.arc.onRegions('orders')).toEqual([]);
  });

  it("refuses every update of a rule's controls within its wait period after a change, a repeat included", async () => {
    // Prepare
    const { h, orders, use1, usw2 } = await setup();
    const client = h.clients.arcCluster(endpoints(orders)[0] as { region: string; endpoint: string });
    const [rule] = h.arc.safetyRules();
    const wait = FAST.arc.safetyRuleWaitPeriodMs;
    expect(rule?.waitPeriodMs).toBe(wait);

    // Act: the failover's one transaction, then the same again and the way back at once.
    await h.clock.runFor(client.send(shift(usw2, use1)));
    const changedAt = h.clock.now() - FAST.apiMs.arc;
    const repeat = await h.clock.runFor(client.send(shift(usw2, use1))).catch((e: unknown) => e);
    const back = await h.clock.runFor(client.send(shift(use1, usw2))).catch((e: unknown) => e);
    const read = await h.clock.runFor(
      client.send(new GetRoutingControlStateCommand({ RoutingControlArn: usw2 })),
    );

    // Assess: both refused, naming the rule; reads still answer; nothing moved back.
    for (const refused of [repeat, back]) {
      expect(refused).toBeInstanceOf(ConflictException);
      expect((refused as ConflictException).resourceId).toBe(rule?.arn);
      expect((refused as ConflictException).message).toMatch(/wait period \(WaitPeriodMs \d+\)/);
    }
    expect(read.RoutingControlState).toBe('On');
    expect(h.arc.onRegions('orders')).toEqual(['us-west-2']);

    // Once the wait period has passed (virtual time), the way back goes through.
    await h.clock.runFor(h.clock.sleep(changedAt + wait - h.clock.now()));
    await h.clock.runFor(client.send(shift(use1, usw2)));
    expect(h.arc.onRegions('orders')).toEqual(['us-east-1']);
  });

  it('lets two single-control calls fail where the one-transaction shift passes: the second is in the wait period', async () => {
    const { h, orders, use1, usw2 } = await setup();
    const client = h.clients.arcCluster(endpoints(orders)[3] as { region: string; endpoint: string });
    const one = (arn: string, state: 'On' | 'Off') =>
      new UpdateRoutingControlStateCommand({ RoutingControlArn: arn, RoutingControlState: state });

    await h.clock.runFor(client.send(one(usw2, 'On')));
    const second = await h.clock.runFor(client.send(one(use1, 'Off'))).catch((e: unknown) => e);

    expect(second).toBeInstanceOf(ConflictException);
    // Both On meanwhile: the split update leaves traffic going to both regions.
    expect(h.arc.onRegions('orders')).toEqual(['us-east-1', 'us-west-2']);
  });

  it("keeps the adapter's shift idempotent in the wait period: a repeat succeeds on what ARC says, another change is refused", async () => {
    // Prepare: the adapter the runbook's ShiftTraffic uses, on the simulated cluster.
    const { h, orders, use1, usw2 } = await setup();
    const adapter = arcRoutingControls(h.clients, seededRandom(1));
    const toWest = { [usw2]: 'On', [use1]: 'Off' } as const;

    // Act: ShiftTraffic, retried at once (its Lambda re-run after the change took effect), then a
    // move back inside the wait period.
    await h.clock.runFor(adapter.setActive(endpoints(orders), toWest));
    await h.clock.runFor(adapter.setActive(endpoints(orders), toWest));
    const back = await h.clock
      .runFor(adapter.setActive(endpoints(orders), { [use1]: 'On', [usw2]: 'Off' }))
      .catch((e: unknown) => e);

    // Assess
    expect(h.arc.onRegions('orders')).toEqual(['us-west-2']);
    expect(back).toBeInstanceOf(TrafficShiftRejectedError);
    expect(String((back as Error).message)).toMatch(/wait period/);
  });

  it('applies a batch all-or-nothing: an unknown ARN or a bad state changes nothing', async () => {
    const { h, orders, use1, usw2 } = await setup();
    const client = h.clients.arcCluster(endpoints(orders)[0] as { region: string; endpoint: string });
    const unknown = use1.replace(/[0-9a-f]{4}$/, '0000');

    const missing = await h.clock
      .runFor(
        client.send(
          new UpdateRoutingControlStatesCommand({
            UpdateRoutingControlStateEntries: [
              { RoutingControlArn: usw2, RoutingControlState: 'On' },
              { RoutingControlArn: unknown, RoutingControlState: 'Off' },
            ],
          }),
        ),
      )
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((missing as ResourceNotFoundException).resourceId).toBe(unknown);

    const invalid = await h.clock
      .runFor(
        client.send(
          new UpdateRoutingControlStatesCommand({
            UpdateRoutingControlStateEntries: [
              { RoutingControlArn: usw2, RoutingControlState: 'On' },
              { RoutingControlArn: use1, RoutingControlState: 'OFF' as 'Off' },
            ],
          }),
        ),
      )
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationException);
    const empty = await h.clock
      .runFor(client.send(new UpdateRoutingControlStatesCommand({ UpdateRoutingControlStateEntries: [] })))
      .catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(ValidationException);
    // At most 10 routing controls per call (ARC's quota), checked before anything else.
    const eleven = Array.from({ length: 11 }, (_, i) => ({
      RoutingControlArn: usw2.replace(/[0-9a-f]{2}$/, i.toString(16).padStart(2, '0')),
      RoutingControlState: 'On' as const,
    }));
    const tooMany = await h.clock
      .runFor(
        client.send(new UpdateRoutingControlStatesCommand({ UpdateRoutingControlStateEntries: eleven })),
      )
      .catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(ServiceLimitExceededException);
    expect((tooMany as Error).message).toMatch(/at most 10 routing controls, got 11/);
    expect(h.arc.planStates('orders')).toEqual({ 'us-east-1': 'On', 'us-west-2': 'Off' });
  });

  it('steers DNS through RECOVERY_CONTROL health checks, after propagation and one TTL', async () => {
    const { h, orders, use1, usw2 } = await setup();
    const client = h.clients.arcCluster(endpoints(orders)[1] as { region: string; endpoint: string });
    await h.clock.runFor(client.send(shift(usw2, use1)));
    const acceptedAt = h.simulator.log.at(-1)?.finishedAt ?? Number.NaN;
    const { healthCheckPropagationMs } = FAST.arc;
    const { dnsTtlMs } = FAST.route53;
    const checks = h.route53.healthCheckIds('orders');

    expect(h.route53.healthCheckHealthy(checks['us-west-2']?.recoveryControl as string)).toBe(false);
    await h.clock.runUntil(acceptedAt + healthCheckPropagationMs - 1);
    expect(h.route53.authoritativeAnswer(ORDERS, 'A').region).toBe('us-east-1');
    await h.clock.runUntil(acceptedAt + healthCheckPropagationMs);
    expect(h.route53.healthCheckHealthy(checks['us-west-2']?.recoveryControl as string)).toBe(true);
    expect(h.route53.healthCheckHealthy(checks['us-east-1']?.recoveryControl as string)).toBe(false);
    expect(h.route53.authoritativeAnswer(ORDERS, 'A').region).toBe('us-west-2');
    await h.clock.runUntil(acceptedAt + healthCheckPropagationMs + dnsTtlMs - 1);
    expect(h.route53.resolve(ORDERS, 'A').region).toBe('us-east-1');
    await h.clock.runUntil(acceptedAt + healthCheckPropagationMs + dnsTtlMs);
    expect(h.route53.resolve(ORDERS, 'A')).toMatchObject({ region: 'us-west-2', setIdentifier: 'us-west-2' });
  });
});

import { UpdateRoutingControlStatesCommand } from '@aws-sdk/client-route53-recovery-cluster';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import { shuffled } from '../../functions/core/random.js';
import { FAST } from '../../sandbox/latency.js';
import { activeInFirstRegion, examplePlans, type TrafficHarness, trafficHarness } from './harness-traffic.js';

async function plan(name: string): Promise<Plan> {
  return (await examplePlans()).find((p) => p.name === name) as Plan;
}

/** ARC traffic shift as a runbook does it: target On, others Off, endpoints tried in shuffled order. */
async function shiftWithArc(
  h: TrafficHarness,
  orders: Plan,
  to: string,
  overrideRules = false,
): Promise<void> {
  const arc = orders.traffic.arc;
  if (!arc) throw new Error('orders has ARC');
  const command = new UpdateRoutingControlStatesCommand({
    UpdateRoutingControlStateEntries: orders.regions.map((r) => ({
      RoutingControlArn: arc.routingControls[r],
      RoutingControlState: r === to ? 'On' : 'Off',
    })),
    ...(overrideRules ? { SafetyRulesToOverride: h.arc.safetyRules().map((r) => r.arn) } : {}),
  });
  for (const endpoint of shuffled(arc.clusterEndpoints, h.ctx.random)) {
    try {
      await h.clock.runFor(h.clients.arcCluster(endpoint).send(command));
      return;
    } catch (error: unknown) {
      if (!(error instanceof Error) || error.name !== 'TimeoutError') throw error;
    }
  }
  throw new Error('every ARC endpoint timed out');
}

/** Region outage in us-east-1 at 10 s; the writer moves at 20 s; ARC moves traffic at 30 s. */
async function ordersRegionOutage(seed: number, arcEndpointsDown = 0) {
  const orders = await plan('orders');
  const h = trafficHarness([orders], seed);
  activeInFirstRegion(h);
  h.truth.start();
  if (arcEndpointsDown > 0) h.faults.add({ kind: 'arc-endpoints-down', count: arcEndpointsDown });
  const served: (string | null)[] = [h.truth.servedBy('orders')];

  await h.runTo(10_000);
  h.faults.add({ kind: 'region-outage', region: 'us-east-1' });
  served.push(h.truth.servedBy('orders'));

  await h.runTo(20_000);
  // The old writer still thinks it is one, in a region that is down; the new one is up.
  h.writers.set('orders-global', ['us-east-1', 'us-west-2']);
  served.push(h.truth.servedBy('orders'));

  await h.runTo(30_000);
  await shiftWithArc(h, orders, 'us-west-2');
  const shiftedAt = h.simulator.log.filter((c) => c.ok).at(-1)?.finishedAt ?? Number.NaN;
  await h.runTo(60_000);
  served.push(h.truth.servedBy('orders'));
  return { h, served, shiftedAt: shiftedAt - h.clock.start, report: h.truth.report() };
}

describe('GroundTruth', () => {
  it('records an outage from a region outage until traffic, writer and capacity are all in the other region', async () => {
    const { report, served, shiftedAt } = await ordersRegionOutage(1);

    expect(served).toEqual(['us-east-1', null, null, 'us-west-2']);
    // DNS users see the switch one propagation of the routing control's health check plus one TTL
    // after ARC accepts it (FAST: 30 s + 15 ms API + 250 ms + 3 s).
    const visibleAt = (shiftedAt + FAST.arc.healthCheckPropagationMs + FAST.route53.dnsTtlMs) / 1000;
    expect(visibleAt).toBe(33.265);
    expect(report.outages).toEqual([{ app: 'orders', from: 10, to: visibleAt, seconds: visibleAt - 10 }]);
    expect(report.invariants).toEqual([
      { name: 'single-writer', held: true },
      { name: 'routing-control-on', held: true },
      { name: 'traffic-follows-writer', held: true },
      { name: 'record-matches-truth', held: true },
    ]);
    expect(report.final).toEqual({
      orders: {
        writerRegion: 'us-west-2',
        trafficRegion: 'us-west-2',
        writers: { 'orders-global': ['us-west-2'] },
      },
    });
  });

  it.each([
    { late: 'capacity', capacityAt: 40_000, writerAt: 20_000, end: 46.5 },
    { late: 'writer', capacityAt: 20_000, writerAt: 50_000, end: 50 },
  ])(
    'keeps a Route 53 app out until its $late is in the new region',
    async ({ capacityAt, writerAt, end }) => {
      const billing = await plan('billing');
      const h = trafficHarness([billing]);
      activeInFirstRegion(h); // pilot light: nothing running in us-west-2
      h.truth.start();
      const events = [
        { at: 10_000, run: () => h.faults.add({ kind: 'region-outage', region: 'us-east-1' }) },
        { at: writerAt, run: () => h.writers.set('billing-global', ['us-east-1', 'us-west-2']) },
        {
          at: capacityAt,
          run: () => {
            for (const g of billing.compute?.autoScalingGroups ?? [])
              h.capacity.set('us-west-2', g.members['us-west-2'] as string, g.active.desired);
          },
        },
      ].sort((a, b) => a.at - b.at);
      for (const event of events) {
        await h.runTo(event.at);
        event.run();
      }
      await h.runTo(80_000);

      // Capacity at 40 s: the secondary's checkers see it at ticks 40.5, 42 and 43.5 s (1.5 s apart,
      // threshold 3), so DNS answers us-west-2 from 43.5 s and users get it one TTL (3 s) later.
      expect(h.truth.report().outages).toEqual([{ app: 'billing', from: 10, to: end, seconds: end - 10 }]);
      expect(h.truth.report().final).toEqual({
        billing: {
          writerRegion: 'us-west-2',
          trafficRegion: 'us-west-2',
          writers: { 'billing-global': ['us-west-2'] },
        },
      });
    },
  );

  it('closes an outage still open at the end at report time', async () => {
    const orders = await plan('orders');
    const h = trafficHarness([orders]);
    activeInFirstRegion(h);
    await h.runTo(5_000);
    h.truth.start();
    await h.runTo(7_000);
    h.faults.add({ kind: 'region-outage', region: 'us-east-1' });
    await h.runTo(12_000);

    expect(h.truth.report()).toMatchObject({
      outages: [{ app: 'orders', from: 2, to: 7, seconds: 5 }],
      final: { orders: { writerRegion: null, trafficRegion: 'us-east-1' } },
    });
    expect(h.truth.report(h.clock.now() + 1_000).outages[0]).toMatchObject({ to: 8, seconds: 6 });
  });

  it('records invariant violations with the time they began and ended', async () => {
    const orders = await plan('orders');
    const h = trafficHarness([orders]);
    activeInFirstRegion(h);
    h.truth.start();

    await h.runTo(5_000);
    h.writers.set('orders-global', ['us-east-1', 'us-west-2']);
    await h.runTo(8_000);
    h.writers.set('orders-global', ['us-east-1']);

    await h.runTo(12_000);
    await shiftWithArc(h, orders, 'none', true); // every routing control Off, safety rule overridden
    await h.runTo(15_000);
    await shiftWithArc(h, orders, 'us-east-1');

    // A writer in a region that is down is no second writer.
    await h.runTo(16_000);
    h.faults.add({ kind: 'region-outage', region: 'us-west-2' });
    h.writers.set('orders-global', ['us-east-1', 'us-west-2']);
    await h.runTo(20_000);

    const invariants = h.truth.report().invariants;
    expect(invariants).toEqual([
      {
        name: 'single-writer',
        held: false,
        violations: [
          { at: 5, to: 8, detail: 'orders-global: writable clusters in us-east-1, us-west-2 (regions up)' },
        ],
      },
      {
        name: 'routing-control-on',
        held: false,
        violations: [
          { at: 12.015, to: 15.015, detail: 'orders: no routing control On (us-east-1=Off, us-west-2=Off)' },
        ],
      },
      { name: 'traffic-follows-writer', held: true },
      { name: 'record-matches-truth', held: true },
    ]);
  });

  it('gives the same report for the same seed', async () => {
    const first = await ordersRegionOutage(3, 2);
    const second = await ordersRegionOutage(3, 2);

    expect(second.report).toEqual(first.report);
    expect(second.h.simulator.log).toEqual(first.h.simulator.log);
    expect(first.report.outages).toHaveLength(1);
  });
});

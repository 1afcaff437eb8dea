import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  InvalidChangeBatch,
  InvalidInput,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHealthCheck,
  NoSuchHostedZone,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { TRANSPORT_POLICIES } from '../../functions/aws/clients.js';
import type { Plan } from '../../functions/core/plan.js';
import { UnsupportedOperationError } from '../../sandbox/aws/simulator.js';
import { FAST } from '../../sandbox/latency.js';
import { activeInFirstRegion, examplePlans, type TrafficHarness, trafficHarness } from './harness-traffic.js';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const BILLING = 'api.billing.example.com';
const ORDERS = 'api.orders.example.com';
const { propagationMs, dnsTtlMs, healthCheckIntervalMs, healthCheckFailureThreshold } = FAST.route53;

async function setup(): Promise<{ h: TrafficHarness; plans: Plan[] }> {
  const plans = await examplePlans();
  const h = trafficHarness(plans);
  activeInFirstRegion(h);
  return { h, plans };
}

function billingRecords(h: TrafficHarness): ResourceRecordSet[] {
  return h.route53.recordSets(ZONE).filter((r) => r.Name === `${BILLING}.`);
}

/** The swap a runbook sends: the target becomes PRIMARY, the old primary SECONDARY, in one batch. */
function swapBatch(records: ResourceRecordSet[], target: string) {
  return records.map((r) => ({
    Action: 'UPSERT' as const,
    ResourceRecordSet: {
      ...r,
      Failover: r.SetIdentifier === target ? ('PRIMARY' as const) : ('SECONDARY' as const),
    },
  }));
}

describe('SimulatedRoute53', () => {
  it('provisions failover alias records per region, with routing control health checks for ARC plans', async () => {
    const { h } = await setup();
    const out = await h.clock.runFor(
      h.clients.route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: `/hostedzone/${ZONE}` })),
    );

    expect(out.IsTruncated).toBe(false);
    const billing = out.ResourceRecordSets?.filter((r) => r.Name === `${BILLING}.`);
    expect(billing).toEqual([
      {
        Name: `${BILLING}.`,
        Type: 'A',
        SetIdentifier: 'us-east-1',
        Failover: 'PRIMARY',
        AliasTarget: {
          HostedZoneId: 'Z35SXDOTRQ7X7K',
          DNSName: 'billing-use1.elb.amazonaws.com.',
          EvaluateTargetHealth: true,
        },
      },
      {
        Name: `${BILLING}.`,
        Type: 'A',
        SetIdentifier: 'us-west-2',
        Failover: 'SECONDARY',
        AliasTarget: {
          HostedZoneId: 'Z1H1FL5HABSF5',
          DNSName: 'billing-usw2.elb.amazonaws.com.',
          EvaluateTargetHealth: true,
        },
      },
    ]);
    const orders = out.ResourceRecordSets?.filter((r) => r.Name === `${ORDERS}.`) ?? [];
    expect(orders.map((r) => [r.SetIdentifier, r.Failover])).toEqual([
      ['us-east-1', 'PRIMARY'],
      ['us-west-2', 'SECONDARY'],
    ]);
    const checkId = orders[0]?.HealthCheckId;
    expect(checkId).toBe(h.route53.healthCheckIds('orders')['us-east-1']?.recoveryControl);
    const check = await h.clock.runFor(
      h.clients.route53().send(new GetHealthCheckCommand({ HealthCheckId: checkId })),
    );
    expect(check.HealthCheck?.HealthCheckConfig).toMatchObject({
      Type: 'RECOVERY_CONTROL',
      RoutingControlArn: h.plans.find((p) => p.name === 'orders')?.traffic.arc?.routingControls['us-east-1'],
    });

    const list = await h.clock.runFor(h.clients.route53().send(new ListHealthChecksCommand({})));
    const types = (list.HealthChecks ?? []).map((c) => c.HealthCheckConfig?.Type).sort();
    // An HTTPS check per target of both plans, and a RECOVERY_CONTROL check per orders region.
    expect(types).toEqual(['HTTPS', 'HTTPS', 'HTTPS', 'HTTPS', 'RECOVERY_CONTROL', 'RECOVERY_CONTROL']);
    expect(h.route53.resolve(ORDERS, 'A')).toMatchObject({ region: 'us-east-1', setIdentifier: 'us-east-1' });
    expect(h.route53.resolve(BILLING, 'A').region).toBe('us-east-1');
  });

  it('applies a change batch atomically: one bad change and nothing is applied', async () => {
    const { h } = await setup();
    const before = h.route53.recordSets(ZONE);
    const [primary] = billingRecords(h);
    const batch = [
      ...swapBatch(billingRecords(h), 'us-west-2'),
      { Action: 'CREATE' as const, ResourceRecordSet: primary },
    ];

    const error = await h.clock
      .runFor(
        h.clients
          .route53()
          .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: batch } })),
      )
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidChangeBatch);
    expect((error as InvalidChangeBatch).messages).toEqual([
      `Tried to create resource record set [name='${BILLING}.', type='A', set-identifier='us-east-1'] but it already exists`,
    ]);
    expect(h.route53.recordSets(ZONE)).toEqual(before);
    expect(h.route53.changes()).toEqual([]);
  });

  it("refuses a batch over Route 53's maximums per request (an UPSERT's values counting twice), whole", async () => {
    const { h } = await setup();
    const before = h.route53.recordSets(ZONE);
    const txt = (values: number, width = 8): ResourceRecordSet => ({
      Name: 'big.billing.example.com',
      Type: 'TXT',
      TTL: 60,
      ResourceRecords: Array.from({ length: values }, (_, i) => ({
        Value: `"${String(i).padStart(width, '0')}"`,
      })),
    });
    const send = (Action: 'CREATE' | 'UPSERT', record: ResourceRecordSet) =>
      h.clock
        .runFor(
          h.clients.route53().send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: ZONE,
              ChangeBatch: { Changes: [{ Action, ResourceRecordSet: record }] },
            }),
          ),
        )
        .catch((e: unknown) => e);

    // 501 values: 1,002 elements as an UPSERT (over 1,000), 501 as a CREATE.
    const upsert = await send('UPSERT', txt(501));
    expect(upsert).toBeInstanceOf(InvalidChangeBatch);
    expect((upsert as InvalidChangeBatch).messages?.[0]).toMatch(/limit of 1000 exceeded: got 1002/);
    expect(h.route53.recordSets(ZONE)).toEqual(before);
    // 300 values of 60 characters: 18,600 characters once, 37,200 as an UPSERT (over 32,000).
    const long = await send('UPSERT', txt(300, 60));
    expect((long as InvalidChangeBatch).messages?.[0]).toMatch(/limit of 32000 in Value elements exceeded/);
    const created = await send('CREATE', txt(501));
    expect(created).toMatchObject({ ChangeInfo: { Status: 'PENDING' } });
  });

  it('refuses a DELETE that does not match the record exactly, and two PRIMARY records', async () => {
    const { h } = await setup();
    const [primary, secondary] = billingRecords(h);
    const send = (
      changes: { Action: 'CREATE' | 'DELETE' | 'UPSERT'; ResourceRecordSet: ResourceRecordSet }[],
    ) =>
      h.clock
        .runFor(
          h.clients
            .route53()
            .send(
              new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: changes } }),
            ),
        )
        .catch((e: unknown) => e);

    const mismatch = await send([
      {
        Action: 'DELETE',
        ResourceRecordSet: {
          ...primary,
          AliasTarget: { ...primary?.AliasTarget, EvaluateTargetHealth: false },
        } as ResourceRecordSet,
      },
    ]);
    expect(mismatch).toBeInstanceOf(InvalidChangeBatch);
    expect((mismatch as InvalidChangeBatch).message).toContain('do not match the current values');

    const twoPrimaries = await send([
      { Action: 'UPSERT', ResourceRecordSet: { ...secondary, Failover: 'PRIMARY' } as ResourceRecordSet },
    ]);
    expect(twoPrimaries).toBeInstanceOf(InvalidChangeBatch);
    expect((twoPrimaries as InvalidChangeBatch).message).toContain('more than one PRIMARY');

    const malformed = await send([{ Action: 'UPSERT', ResourceRecordSet: { Name: BILLING, Type: 'A' } }]);
    expect(malformed).toBeInstanceOf(InvalidInput);

    // An exact DELETE followed by a CREATE in one batch is a valid replacement.
    const replaced = await send([
      { Action: 'DELETE', ResourceRecordSet: primary as ResourceRecordSet },
      { Action: 'CREATE', ResourceRecordSet: primary as ResourceRecordSet },
    ]);
    expect(replaced).toMatchObject({ ChangeInfo: { Status: 'PENDING' } });
    expect(h.route53.recordSets(ZONE)).toHaveLength(4);
  });

  it('reports a change PENDING until propagationMs has passed, then INSYNC', async () => {
    const { h } = await setup();
    const r53 = h.clients.route53();
    const out = await h.clock.runFor(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: { Comment: 'fail over billing', Changes: swapBatch(billingRecords(h), 'us-west-2') },
        }),
      ),
    );
    const info = out.ChangeInfo;
    expect(info?.Id).toMatch(/^\/change\/C[0-9A-Z]+$/);
    expect(info?.Status).toBe('PENDING');
    expect(info?.Comment).toBe('fail over billing');
    const submittedAt = info?.SubmittedAt?.getTime() ?? Number.NaN;
    expect(submittedAt).toBe(h.clock.start + FAST.apiMs.route53);

    const pending = await h.clock.runFor(r53.send(new GetChangeCommand({ Id: info?.Id })));
    expect(pending.ChangeInfo?.Status).toBe('PENDING');
    await h.clock.runUntil(submittedAt + propagationMs - FAST.apiMs.route53 - 1);
    const stillPending = await h.clock.runFor(r53.send(new GetChangeCommand({ Id: info?.Id })));
    expect(stillPending.ChangeInfo?.Status).toBe('PENDING');
    const insync = await h.clock.runFor(
      r53.send(new GetChangeCommand({ Id: info?.Id?.replace('/change/', '') })),
    );
    expect(insync.ChangeInfo?.Status).toBe('INSYNC');

    const missing = await h.clock
      .runFor(r53.send(new GetChangeCommand({ Id: '/change/CNOSUCHCHANGE' })))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NoSuchChange);
  });

  it('moves DNS answers only once the change is INSYNC and one TTL has passed', async () => {
    const { h, plans } = await setup();
    const billing = plans.find((p) => p.name === 'billing');
    for (const group of billing?.compute?.autoScalingGroups ?? [])
      h.capacity.set('us-west-2', group.members['us-west-2'] as string, group.active.desired);

    await h.clock.runFor(
      h.clients.route53().send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: { Changes: swapBatch(billingRecords(h), 'us-west-2') },
        }),
      ),
    );
    const submittedAt = h.route53.changes()[0]?.submittedAt ?? Number.NaN;

    // The API shows the new records at once; name servers do not yet.
    expect(billingRecords(h).find((r) => r.Failover === 'PRIMARY')?.SetIdentifier).toBe('us-west-2');
    await h.clock.runUntil(submittedAt + propagationMs - 1);
    expect(h.route53.authoritativeAnswer(BILLING, 'A').region).toBe('us-east-1');
    await h.clock.runUntil(submittedAt + propagationMs);
    expect(h.route53.authoritativeAnswer(BILLING, 'A').region).toBe('us-west-2');
    expect(h.route53.resolve(BILLING, 'A').region).toBe('us-east-1');
    await h.clock.runUntil(submittedAt + propagationMs + dnsTtlMs - 1);
    expect(h.route53.resolve(BILLING, 'A').region).toBe('us-east-1');
    await h.clock.runUntil(submittedAt + propagationMs + dnsTtlMs);
    expect(h.route53.resolve(`${BILLING.toUpperCase()}.`, 'A')).toMatchObject({
      region: 'us-west-2',
      setIdentifier: 'us-west-2',
    });
  });

  it('fails over to SECONDARY when the primary target fails its health checks, one TTL later', async () => {
    const { h, plans } = await setup();
    const billing = plans.find((p) => p.name === 'billing');
    for (const group of billing?.compute?.autoScalingGroups ?? []) {
      h.capacity.set('us-west-2', group.members['us-west-2'] as string, 2);
      h.capacity.set('us-east-1', group.members['us-east-1'] as string, 0);
    }
    // Checkers poll every interval from provisioning; the status flips after `threshold` failures.
    const unhealthyAt = healthCheckIntervalMs * healthCheckFailureThreshold;

    await h.runTo(unhealthyAt - 1);
    expect(h.route53.authoritativeAnswer(BILLING, 'A').region).toBe('us-east-1');
    const endpoint = h.route53.healthCheckIds('billing')['us-east-1']?.endpoint as string;
    expect(h.route53.healthCheckHealthy(endpoint)).toBe(true);
    const status = await h.clock.runFor(
      h.clients.route53().send(new GetHealthCheckStatusCommand({ HealthCheckId: endpoint })),
    );
    // Checkers report their latest observation, before the threshold turns the check Unhealthy.
    expect(status.HealthCheckObservations?.[0]?.StatusReport?.Status).toMatch(/^Failure: /);
    expect(status.HealthCheckObservations).toHaveLength(8);

    await h.runTo(unhealthyAt);
    expect(h.route53.healthCheckHealthy(endpoint)).toBe(false);
    expect(h.route53.authoritativeAnswer(BILLING, 'A').region).toBe('us-west-2');
    await h.runTo(unhealthyAt + dnsTtlMs - 1);
    expect(h.route53.resolve(BILLING, 'A').region).toBe('us-east-1');
    await h.runTo(unhealthyAt + dnsTtlMs);
    expect(h.route53.resolve(BILLING, 'A').region).toBe('us-west-2');

    // Both unhealthy: Route 53 answers the PRIMARY as if all were healthy.
    for (const group of billing?.compute?.autoScalingGroups ?? [])
      h.capacity.set('us-west-2', group.members['us-west-2'] as string, 0);
    // Capacity went at unhealthyAt + TTL (a tick instant): `threshold` ticks later, then one TTL.
    await h.runTo(2 * (unhealthyAt + dnsTtlMs) - 1);
    expect(h.route53.resolve(BILLING, 'A').region).toBe('us-west-2');
    await h.runTo(2 * (unhealthyAt + dnsTtlMs));
    expect(h.route53.resolve(BILLING, 'A').region).toBe('us-east-1');
  });

  it('fails record edits with a timeout while the control plane is down, but DNS keeps answering', async () => {
    const { h } = await setup();
    h.faults.add({ kind: 'route53-control-plane-down' });
    const started = h.clock.now();

    const error = await h.clock
      .runFor(
        h.clients.route53().send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: ZONE,
            ChangeBatch: { Changes: swapBatch(billingRecords(h), 'us-west-2') },
          }),
        ),
      )
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(h.clock.now() - started).toBeGreaterThanOrEqual(
      TRANSPORT_POLICIES.route53.maxAttempts * TRANSPORT_POLICIES.route53.timeoutMs,
    );
    expect(h.route53.changes()).toEqual([]);
    expect(h.route53.resolve(BILLING, 'A').region).toBe('us-east-1');
    expect(h.route53.resolve(ORDERS, 'A').region).toBe('us-east-1');
  });

  it('answers NoSuchHostedZone, NoSuchHealthCheck and pages record listings', async () => {
    const { h } = await setup();
    const r53 = h.clients.route53();
    const zone = await h.clock
      .runFor(r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: '/hostedzone/ZNOPE' })))
      .catch((e: unknown) => e);
    expect(zone).toBeInstanceOf(NoSuchHostedZone);
    const check = await h.clock
      .runFor(r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: 'nope' })))
      .catch((e: unknown) => e);
    expect(check).toBeInstanceOf(NoSuchHealthCheck);

    const first = await h.clock.runFor(
      r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE, MaxItems: 1 })),
    );
    // Listing order: names with labels reversed (com.example.billing.api before com.example.orders.api).
    expect(first).toMatchObject({
      IsTruncated: true,
      MaxItems: 1,
      NextRecordName: `${BILLING}.`,
      NextRecordType: 'A',
      NextRecordIdentifier: 'us-west-2',
    });
    const second = await h.clock.runFor(
      r53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          StartRecordName: first.NextRecordName,
          StartRecordType: first.NextRecordType,
          StartRecordIdentifier: first.NextRecordIdentifier,
          MaxItems: 2,
        }),
      ),
    );
    expect(second.ResourceRecordSets?.map((r) => `${r.Name}/${r.SetIdentifier}`)).toEqual([
      `${BILLING}./us-west-2`,
      `${ORDERS}./us-east-1`,
    ]);
    expect(() => h.route53.handle('DeleteHostedZone', {}, { region: 'us-east-1' })).toThrow(
      UnsupportedOperationError,
    );
  });
});

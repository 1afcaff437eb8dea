import { ChangeResourceRecordSetsCommand, ListHealthChecksCommand } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { route53Records } from '../../functions/aws/route53.js';
import { activeInFirstRegion, examplePlans, trafficHarness } from '../sandbox/harness-traffic.js';

/**
 * `setPrimary`'s swap (`swapFirst`: the change made without reading the records first) against the
 * simulated Route 53, which checks a DELETE's values and applies a batch whole or not at all as
 * Route 53 documents: a record that changed since Switchyard wrote it refuses the swap, and the
 * change is then made on the records as they stand, never a wrong record.
 */
describe('Route 53 swap without a read, on the simulated Route 53', () => {
  const ZONE = 'Z0123456789ABCDEFGHIJ';
  const BILLING = 'api.billing.example.com.';

  async function setup() {
    const plans = await examplePlans();
    const h = trafficHarness(plans);
    activeInFirstRegion(h);
    const billing = plans.find((p) => p.name === 'billing');
    const records = billing?.traffic.route53?.records ?? [];
    const port = route53Records(h.clients);
    const billingSets = () => h.route53.recordSets(ZONE).filter((r) => r.Name === BILLING);
    return { h, records, port, billingSets };
  }

  it('swaps the records as provisioned in one accepted change', async () => {
    const { h, records, port, billingSets } = await setup();
    const before = billingSets();

    const changeId = await h.clock.runFor(
      port.setPrimary(ZONE, records, 'us-west-2', 'us-east-1', { swapFirst: true }),
    );

    expect(changeId).toBeDefined();
    expect(h.route53.changes()).toHaveLength(1);
    const after = billingSets();
    for (const region of ['us-east-1', 'us-west-2']) {
      const was = before.find((r) => r.SetIdentifier === region);
      const now = after.find((r) => r.SetIdentifier === region);
      // Only the role moved: alias target, health and target evaluation stay as they were.
      expect(now).toEqual({ ...was, Failover: region === 'us-west-2' ? 'PRIMARY' : 'SECONDARY' });
    }
  });

  it('a record changed meanwhile (a health check added by hand) refuses the swap; the change is made on a fresh read and keeps it', async () => {
    const { h, records, port, billingSets } = await setup();
    const checks = await h.clock.runFor(h.clients.route53().send(new ListHealthChecksCommand({})));
    const byHand = checks.HealthChecks?.find((c) => c.CallerReference?.includes('billing-us-west-2'))?.Id;
    expect(byHand).toBeDefined();
    const west = billingSets().find((r) => r.SetIdentifier === 'us-west-2');
    if (!west) throw new Error('billing has no us-west-2 record');
    await h.clock.runFor(
      h.clients.route53().send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: {
            Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...west, HealthCheckId: byHand } }],
          },
        }),
      ),
    );
    await h.runTo(h.elapsed() + 120_000); // the operator's change is applied and the zone free

    const changeId = await h.clock.runFor(
      port.setPrimary(ZONE, records, 'us-west-2', 'us-east-1', { swapFirst: true }),
    );

    expect(changeId).toBeDefined();
    expect(h.route53.changes()).toHaveLength(2); // the operator's and ours: the swap changed nothing
    const after = billingSets();
    expect(after.find((r) => r.SetIdentifier === 'us-west-2')).toMatchObject({
      Failover: 'PRIMARY',
      HealthCheckId: byHand,
    });
    expect(after.find((r) => r.SetIdentifier === 'us-east-1')).toMatchObject({ Failover: 'SECONDARY' });
  });

  it('a retry after the swap was applied changes nothing (the swap is refused, the read finds the records so)', async () => {
    const { h, records, port } = await setup();
    await h.clock.runFor(port.setPrimary(ZONE, records, 'us-west-2', 'us-east-1', { swapFirst: true }));
    await h.runTo(h.elapsed() + 120_000);

    const again = await h.clock.runFor(
      port.setPrimary(ZONE, records, 'us-west-2', 'us-east-1', { swapFirst: true }),
    );

    expect(again).toBeUndefined();
    expect(h.route53.changes()).toHaveLength(1);
  });
});

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RegionUnavailableError } from '../../functions/core/errors.js';
import type { Plan } from '../../functions/core/plan.js';
import { parsePlans } from '../../functions/core/plan-loader.js';
import { healthChecksExist, readHealthChecks } from '../../functions/readiness/health-checks.js';
import type {
  FailoverRecord,
  HealthCheckView,
  Route53Records,
} from '../../functions/runbook/ports/route53.js';

// HEALTH_CHECK_MISSING / _DISAGREES / _UNKNOWN over a Route 53 in memory: records and checks as
// the global traffic stack creates them, then broken one way at a time.

const [billing] = parsePlans([
  {
    file: 'billing.yaml',
    text: (await readFile('plans/billing.yaml', 'utf8')).replace(
      '    hostedZoneId: Z0123456789ABCDEFGHIJ\n',
      '    hostedZoneId: Z0123456789ABCDEFGHIJ\n    method: health-checks\n',
    ),
  },
]) as [Plan];
const REGIONS = ['us-east-1', 'us-west-2'];

function world() {
  const checks = new Map<string, HealthCheckView>();
  for (const subject of REGIONS) {
    for (const endpoint of REGIONS)
      checks.set(`hc-${endpoint}-says-${subject}`, {
        id: `hc-${endpoint}-says-${subject}`,
        type: 'HTTPS',
        fqdn: `abc${endpoint.length}.lambda-url.${endpoint}.on.aws`,
        port: 443,
        resourcePath: `/billing/${subject}`,
      });
    checks.set(`calc-${subject}`, {
      id: `calc-${subject}`,
      type: 'CALCULATED',
      childHealthChecks: REGIONS.map((e) => `hc-${e}-says-${subject}`),
      healthThreshold: 1,
    });
  }
  const records: FailoverRecord[] = REGIONS.map((region, i) => ({
    name: 'api.billing.example.com.',
    type: 'A',
    setIdentifier: region,
    failover: i === 0 ? 'PRIMARY' : 'SECONDARY',
    aliasTarget: {
      dnsName: `billing-${region}.elb.amazonaws.com`,
      hostedZoneId: 'Z35SXDOTRQ7X7K',
      evaluateTargetHealth: false,
    },
    healthCheckId: `calc-${region}`,
  }));
  const control = { down: false, calls: 0 };
  const port: Pick<Route53Records, 'listFailoverRecords' | 'getHealthCheck'> = {
    listFailoverRecords: async () => {
      control.calls++;
      if (control.down)
        throw new RegionUnavailableError('ListResourceRecordSets in us-east-1: no answer (fake)');
      return records;
    },
    getHealthCheck: async (id) => {
      control.calls++;
      if (control.down) throw new RegionUnavailableError('GetHealthCheck in us-east-1: no answer (fake)');
      return checks.get(id);
    },
  };
  return { checks, records, control, deps: { route53: port as Route53Records } };
}

const codes = async (w: ReturnType<typeof world>) =>
  ((await readHealthChecks(billing, w.deps)) as unknown as { code: string; resource: string }[]).map(
    (i) => `${i.code} ${i.resource}`,
  );

describe('readiness: the health-checks method finds its records and checks on Route 53', () => {
  it('as the global stack creates them: nothing to say, in 1 ListResourceRecordSets and 6 GetHealthCheck', async () => {
    const w = world();
    expect(await readHealthChecks(billing, w.deps)).toEqual([]);
    expect(w.control.calls).toBe(7);
  });

  it('a deleted calculated check, a deleted endpoint check, a record without a check: HEALTH_CHECK_MISSING', async () => {
    let w = world();
    w.checks.delete('calc-us-west-2');
    expect(await codes(w)).toEqual(["HEALTH_CHECK_MISSING health check calc-us-west-2 (us-west-2's record)"]);

    w = world();
    w.checks.delete('hc-us-east-1-says-us-west-2');
    expect(await codes(w)).toEqual([
      'HEALTH_CHECK_MISSING health check hc-us-east-1-says-us-west-2 (child of calc-us-west-2)',
    ]);

    w = world();
    w.records[1] = { ...(w.records[1] as FailoverRecord), healthCheckId: undefined } as FailoverRecord;
    expect(await codes(w)).toEqual(['HEALTH_CHECK_MISSING api.billing.example.com A us-west-2']);

    w = world();
    w.records.pop();
    const issues = await readHealthChecks(billing, w.deps);
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'HEALTH_CHECK_MISSING',
        message: expect.stringMatching(
          /no failover record for us-west-2 \(got set identifier\(s\) us-east-1; expected the SECONDARY record/,
        ),
      }),
    ]);
  });

  it('a check that asks the wrong path, a threshold of 2, a swapped PRIMARY: HEALTH_CHECK_DISAGREES, saying what was got and expected', async () => {
    const w = world();
    w.checks.set('hc-us-west-2-says-us-east-1', {
      ...(w.checks.get('hc-us-west-2-says-us-east-1') as HealthCheckView),
      resourcePath: '/billing/us-west-2',
    });
    w.checks.set('calc-us-west-2', {
      ...(w.checks.get('calc-us-west-2') as HealthCheckView),
      healthThreshold: 2,
    });
    w.records[0] = { ...(w.records[0] as FailoverRecord), failover: 'SECONDARY' };
    const issues = (await readHealthChecks(billing, w.deps)) as unknown as {
      code: string;
      message: string;
    }[];
    expect(issues.map((i) => `${i.code}: ${i.message}`)).toEqual([
      "HEALTH_CHECK_DISAGREES: the record is SECONDARY (expected PRIMARY: the plan's first region)",
      'HEALTH_CHECK_DISAGREES: it requests path /billing/us-west-2 (expected /billing/us-east-1)',
      'HEALTH_CHECK_MISSING: no endpoint check of us-west-2 among its 2 child check(s) (expected one HTTPS check per plan region asking /billing/us-east-1)',
      'HEALTH_CHECK_DISAGREES: HealthThreshold 2 (expected 1: any region that still answers vouches for the active one)',
    ]);
  });

  it("Route 53's API down (us-east-1): unknown, a warning; never missing", async () => {
    const w = world();
    w.control.down = true;
    const healthChecks = await readHealthChecks(billing, w.deps);
    expect(healthChecks).toEqual({
      unknown: expect.stringMatching(/control plane, us-east-1\): RegionUnavailableError/),
    });
    const findings = healthChecksExist({ plan: billing, healthChecks } as never);
    expect(findings).toEqual([
      expect.objectContaining({ code: 'HEALTH_CHECK_UNKNOWN', severity: 'warning' }),
    ]);
  });

  it('makes missing and disagreeing checks blocking findings, and says nothing for a records plan or when not read', async () => {
    const w = world();
    w.checks.delete('calc-us-east-1');
    const healthChecks = await readHealthChecks(billing, w.deps);
    expect(healthChecksExist({ plan: billing, healthChecks } as never)).toEqual([
      expect.objectContaining({ code: 'HEALTH_CHECK_MISSING', severity: 'blocking' }),
    ]);
    expect(healthChecksExist({ plan: billing } as never)).toEqual([]);
    const records = {
      ...billing,
      traffic: { route53: { ...billing.traffic.route53, method: 'records' } },
    } as Plan;
    expect(await readHealthChecks(records, w.deps)).toBeUndefined();
  });
});

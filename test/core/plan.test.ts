import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PlanValidationError } from '../../functions/core/errors.js';
import { planJsonSchema, planWarnings, validatePlan } from '../../functions/core/plan.js';
import { loadPlans, parsePlans } from '../../functions/core/plan-loader.js';

const ordersYaml = await readFile('plans/orders.yaml', 'utf8');
const billingYaml = await readFile('plans/billing.yaml', 'utf8');

/** A fresh copy of the orders plan document, edited by `edit`. */
function orders(edit: (doc: Record<string, any>) => void = () => {}): Record<string, unknown> {
  const doc = parse(ordersYaml);
  edit(doc);
  return doc;
}

function problemsOf(doc: unknown) {
  return validatePlan(doc, 'orders.yaml').problems;
}

describe('plan schema', () => {
  it.each([
    ['orders', ordersYaml],
    ['billing', billingYaml],
  ])('accepts the example plan %s', (_name, text) => {
    const result = validatePlan(parse(text), 'x.yaml');
    expect(result.problems).toEqual([]);
    expect(result.plan?.regions).toEqual(['us-east-1', 'us-west-2']);
  });

  it('fills documented defaults', () => {
    const plan = validatePlan(
      orders((d) => {
        delete d.approvals;
        delete d.compute.autoScalingGroups[0].healthyPercent;
      }),
      'o.yaml',
    ).plan;
    expect(plan?.approvals).toEqual({ operatorFailover: 'none', timeoutSeconds: 3600 });
    expect(plan?.compute?.autoScalingGroups[0]?.healthyPercent).toBe(90);
  });

  it.each<
    [
      string,
      (d: Record<string, any>) => void,
      { path: string; message: RegExp; got?: string; expected?: RegExp },
    ]
  >([
    [
      'one region',
      (d) => {
        d.regions = ['us-east-1'];
      },
      { path: 'regions', message: /at least 2 regions/, expected: /at least 2/ },
    ],
    [
      'six regions',
      (d) => {
        d.regions = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2'];
      },
      { path: 'regions', message: /at most 5/ },
    ],
    [
      'a region named twice',
      (d) => {
        d.regions = ['us-east-1', 'us-west-2', 'us-east-1'];
      },
      { path: 'regions[2]', message: /named twice/, got: 'us-east-1' },
    ],
    [
      'a bad region name',
      (d) => {
        d.regions = ['us-east-1', 'mars-1'];
      },
      { path: 'regions[1]', message: /AWS region/, got: 'mars-1' },
    ],
    [
      'an unknown strategy',
      (d) => {
        d.strategy = 'hot-hot';
      },
      { path: 'strategy', message: /Invalid option/, got: 'hot-hot', expected: /warm-standby/ },
    ],
    [
      'a missing member',
      (d) => {
        delete d.database.auroraGlobalClusters[0].members['us-west-2'];
      },
      { path: 'database.auroraGlobalClusters[0].members', message: /no member for region us-west-2/ },
    ],
    [
      'a member outside the plan',
      (d) => {
        d.compute.autoScalingGroups[0].members['eu-west-1'] = 'x';
      },
      { path: 'compute.autoScalingGroups[0].members.eu-west-1', message: /not one of the plan's regions/ },
    ],
    [
      "a target group of another region than the key's",
      (d) => {
        d.compute.autoScalingGroups[0].targetGroups['us-east-1'] = [
          'arn:aws:elasticloadbalancing:us-west-2:111111111111:targetgroup/orders-web-usw2/1c287b5bea4dc8b8',
        ];
      },
      {
        path: 'compute.autoScalingGroups[0].targetGroups.us-east-1[0]',
        message: /another region/,
        expected: /in us-east-1/,
      },
    ],
    [
      'a target group that is not a target group ARN',
      (d) => {
        d.compute.autoScalingGroups[0].targetGroups['us-west-2'] = ['orders-web-usw2'];
      },
      { path: 'compute.autoScalingGroups[0].targetGroups.us-west-2[0]', message: /target group ARN/ },
    ],
    [
      'a warm pool MinSize below 0 (PutWarmPool takes 0 and up)',
      (d) => {
        d.compute.autoScalingGroups[0].warmPool = { minSize: -1 };
      },
      {
        path: 'compute.autoScalingGroups[0].warmPool.minSize',
        message: /Too small/,
        got: '-1',
        expected: />= 0/,
      },
    ],
    [
      'a warm pool MaxGroupPreparedCapacity below -1',
      (d) => {
        d.compute.autoScalingGroups[0].warmPool = { maxGroupPreparedCapacity: -2 };
      },
      {
        path: 'compute.autoScalingGroups[0].warmPool.maxGroupPreparedCapacity',
        message: /Too small/,
        got: '-2',
        expected: />= -1/,
      },
    ],
    [
      'a warm pool state PutWarmPool does not know',
      (d) => {
        d.compute.autoScalingGroups[0].warmPool = { poolState: 'Frozen' };
      },
      {
        path: 'compute.autoScalingGroups[0].warmPool.poolState',
        message: /Invalid option/,
        got: 'Frozen',
        expected: /Stopped/,
      },
    ],
    [
      'a warm pool in a region outside the plan',
      (d) => {
        d.compute.autoScalingGroups[0].warmPool = { regions: ['eu-west-1'] };
      },
      {
        path: 'compute.autoScalingGroups[0].warmPool.regions[0]',
        message: /not one of the plan's regions/,
        got: 'eu-west-1',
      },
    ],
    [
      'a cluster ARN in another region',
      (d) => {
        d.database.auroraGlobalClusters[0].members['us-west-2'] =
          'arn:aws:rds:eu-west-1:111111111111:cluster:x';
      },
      { path: 'database.auroraGlobalClusters[0].members.us-west-2', message: /another region/ },
    ],
    [
      'active desired above max',
      (d) => {
        d.compute.autoScalingGroups[0].active = { min: 6, desired: 30, max: 24 };
      },
      {
        path: 'compute.autoScalingGroups[0].active',
        message: /min <= desired <= max/,
        got: '{"min":6,"desired":30,"max":24}',
      },
    ],
    [
      'standby min above desired',
      (d) => {
        d.compute.autoScalingGroups[0].standby = { min: 2, desired: 1, max: 24 };
      },
      { path: 'compute.autoScalingGroups[0].standby', message: /min <= desired <= max/ },
    ],
    [
      'pilot light with standby compute',
      (d) => {
        d.strategy = 'pilot-light';
      },
      { path: 'compute.autoScalingGroups[0].standby', message: /pilot light keeps no standby/ },
    ],
    [
      'ARC with two endpoints',
      (d) => {
        d.traffic.arc.clusterEndpoints = d.traffic.arc.clusterEndpoints.slice(0, 2);
      },
      {
        path: 'traffic.arc.clusterEndpoints',
        message: /all of the cluster's endpoints/,
        got: '2 endpoint(s)',
        expected: /5 endpoints/,
      },
    ],
    [
      'an ARC endpoint region twice',
      (d) => {
        d.traffic.arc.clusterEndpoints[1].region = 'us-east-1';
      },
      { path: 'traffic.arc.clusterEndpoints', message: /listed twice/ },
    ],
    [
      'no traffic mechanism',
      (d) => {
        d.traffic = {};
      },
      { path: 'traffic', message: /no way to move traffic/ },
    ],
    [
      'an alarm outside the plan regions',
      (d) => {
        d.detection.alarms = ['arn:aws:cloudwatch:eu-west-1:111111111111:alarm:x'];
      },
      { path: 'detection.alarms[0]', message: /no control plane of this plan runs/ },
    ],
    [
      'minAlarms above the alarms listed',
      (d) => {
        d.detection.minAlarms = 2;
      },
      { path: 'detection.minAlarms', message: /more alarms required/ },
    ],
    [
      'an unknown key',
      (d) => {
        d.stratgy = 'x';
      },
      { path: 'stratgy', message: /unknown key/ },
    ],
    [
      'a negative RPO',
      (d) => {
        d.objectives.rpoSeconds = -1;
      },
      { path: 'objectives.rpoSeconds', message: /Too small/, got: '-1', expected: />= 0/ },
    ],
    [
      'a missing name',
      (d) => {
        delete d.name;
      },
      { path: 'name', message: /expected string/, got: 'nothing' },
    ],
    [
      'headless secondaries in a warm-standby plan (no runbook step would add their reader)',
      (d) => {
        d.database.auroraGlobalClusters[0].headlessSecondaries = true;
      },
      {
        path: 'database.auroraGlobalClusters[0].headlessSecondaries',
        message: /only the pilot-light runbook adds/,
        got: 'warm-standby',
        expected: /pilot-light/,
      },
    ],
    [
      'headlessSecondaries that is not a boolean',
      (d) => {
        d.database.auroraGlobalClusters[0].headlessSecondaries = 'yes';
      },
      { path: 'database.auroraGlobalClusters[0].headlessSecondaries', message: /boolean/ },
    ],
    [
      'two accounts',
      (d) => {
        d.detection.alarms = ['arn:aws:cloudwatch:us-west-2:222222222222:alarm:x'];
      },
      { path: '', message: /more than one AWS account/ },
    ],
  ])('refuses %s, saying where, what was got and what was expected', (_name, edit, want) => {
    const problems = problemsOf(orders(edit));
    const match = problems.find((p) => p.path === want.path && want.message.test(p.message));
    expect(match, JSON.stringify(problems, null, 2)).toBeDefined();
    if (want.got !== undefined) expect(match?.got).toBe(want.got);
    if (want.expected) expect(match?.expected).toMatch(want.expected);
    expect(match?.file).toBe('orders.yaml');
  });

  it('refuses ARC with failover records over three regions: the records hold two', () => {
    const threeRegions = (d: Record<string, any>) => {
      d.regions = ['us-east-1', 'us-west-2', 'eu-west-1'];
      d.database.auroraGlobalClusters[0].members['eu-west-1'] =
        'arn:aws:rds:eu-west-1:111111111111:cluster:orders-euw1';
      d.compute.autoScalingGroups[0].members['eu-west-1'] = 'orders-web-euw1';
      d.traffic.route53.records[0].targets['eu-west-1'] = {
        dnsName: 'orders-euw1.elb.amazonaws.com',
        hostedZoneId: 'Z32O12XQLNTSW2',
      };
      d.traffic.arc.routingControls['eu-west-1'] =
        'arn:aws:route53-recovery-control::111111111111:controlpanel/0123456789abcdef/routingcontrol/c3d4e5f6a7b8c9d0';
    };
    const problem = problemsOf(orders(threeRegions)).find((p) => p.path === 'traffic');
    expect(problem?.message).toMatch(/two regions only/);
    expect(problem?.got).toMatch(/3 regions/);
    // ARC alone, or records alone, can hold three regions.
    const without = (lever: 'route53' | 'arc') =>
      orders((d) => {
        threeRegions(d);
        delete d.traffic[lever];
      });
    expect(problemsOf(without('route53'))).toEqual([]);
    expect(problemsOf(without('arc'))).toEqual([]);
  });

  it('lists every problem of a plan at once, schema and cross-field rules together', () => {
    const problems = problemsOf(
      orders((d) => {
        d.objectives.rtoSeconds = -5; // schema
        d.regions = ['us-east-1', 'us-west-2', 'us-east-1']; // cross-field
        d.compute.autoScalingGroups[0].active.desired = 99; // cross-field
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['objectives.rtoSeconds', 'regions[2]', 'compute.autoScalingGroups[0].active']),
    );
  });
});

describe('a region typo', () => {
  it('in regions is one problem naming the closest AWS region, not one per resource', () => {
    // Prepare / Act: us-west-2 misspelt in the region list only; every resource still names it.
    const problems = problemsOf(
      orders((d) => {
        d.regions = ['us-east-1', 'us-wset-2'];
      }),
    );
    // Assess
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'regions[1]',
        message: 'not an AWS region: did you mean us-west-2?',
        got: 'us-wset-2',
      }),
    ]);
  });

  it('used throughout the plan is one problem per list of regions', () => {
    const doc = parse(ordersYaml.replaceAll('us-west-2', 'us-wset-2'));
    expect(problemsOf(doc).map((p) => `${p.path}: ${p.message}`)).toEqual([
      'regions[1]: not an AWS region: did you mean us-west-2?',
      'traffic.arc.clusterEndpoints[1].region: not an AWS region: did you mean us-west-2?',
    ]);
  });

  it("in a resource's member is one problem naming the plan region it lacks", () => {
    const problems = problemsOf(
      orders((d) => {
        const members = d.compute.autoScalingGroups[0].members;
        members['us-wset-2'] = members['us-west-2'];
        delete members['us-west-2'];
      }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'compute.autoScalingGroups[0].members.us-wset-2',
        message: "us-wset-2 is not one of the plan's regions: did you mean us-west-2?",
        expected: 'one of us-east-1, us-west-2',
      }),
    ]);
  });

  it('too far from any region, or as near two, gets no guess', () => {
    const problemsFor = (region: string) =>
      problemsOf(
        orders((d) => {
          d.regions = ['us-east-1', region];
        }),
      ).filter((p) => p.path === 'regions[1]');
    expect(problemsFor('mars-1')).toEqual([expect.objectContaining({ message: 'not an AWS region' })]);
    // us-west-9 is one edit from us-west-1 and from us-west-2.
    expect(problemsFor('us-west-9')).toEqual([expect.objectContaining({ message: 'not an AWS region' })]);
  });
});

describe('a single value where a list is expected', () => {
  it('in regions is one problem saying a list is expected, not one per resource', () => {
    // Prepare / Act: `regions: us-east-1`, every resource still naming both regions.
    const problems = problemsOf(parse(ordersYaml.replace(/^regions: .*$/m, 'regions: us-east-1')));
    // Assess
    expect(problems).toEqual([
      {
        file: 'orders.yaml',
        path: 'regions',
        message: 'expected a list, got a single value',
        got: 'us-east-1 (string)',
        expected: 'a list, e.g. [us-east-1, ...] or one "- item" per line',
      },
    ]);
  });

  it('a region left out of regions but named by every resource is one problem, not one per resource', () => {
    const problems = problemsOf(
      orders((d) => {
        d.regions = ['us-east-1'];
      }),
    );
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'regions: at least 2 regions',
      'regions: us-west-2 has a member in every resource but is not in regions',
    ]);
    expect(problems[1]?.expected).toBe('regions listing us-east-1, us-west-2, or no member for us-west-2');
  });

  it('elsewhere is the one problem of its path too', () => {
    const problems = problemsOf(
      orders((d) => {
        (d.detection as Record<string, unknown>).alarms = 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:x';
      }),
    );
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'detection.alarms: expected a list, got a single value',
    ]);
  });
});

describe('plan loader', () => {
  it('loads the example plans sorted by name', async () => {
    const plans = await loadPlans('plans');
    expect(plans.map((p) => p.name)).toEqual(['billing', 'orders']);
  });

  it('refuses a directory of broken plans with every problem of every file', async () => {
    const error = await loadPlans('test/fixtures/bad-plans').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanValidationError);
    const problems = (error as PlanValidationError).problems;
    const files = new Set(problems.map((p) => p.file.split('/').pop()));
    expect(files).toEqual(new Set(['broken-orders.yaml', 'broken-billing.yaml', 'not-yaml.yaml']));
    // Every line marked BAD in the fixtures is reported.
    expect(problems.length).toBeGreaterThanOrEqual(9);
    expect(problems.find((p) => p.file.endsWith('not-yaml.yaml'))?.path).toMatch(/^line \d+:\d+$/);
  });

  it('refuses two plans of one name and a resource claimed by two plans', () => {
    const copy = ordersYaml.replace('orders-global', 'orders-global-2');
    const error = (() => {
      try {
        parsePlans([
          { file: 'a.yaml', text: ordersYaml },
          { file: 'b.yaml', text: copy },
        ]);
      } catch (e: unknown) {
        return e;
      }
    })() as PlanValidationError;
    expect(error.problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/plan name is also in a.yaml/),
        expect.stringMatching(/Auto Scaling group is also in a.yaml/),
      ]),
    );
  });

  it('refuses a missing directory and an empty one', async () => {
    await expect(loadPlans('no/such/dir')).rejects.toThrow(/not a directory/);
    await expect(loadPlans('state-machines')).rejects.toThrow(/no plan files/);
  });
});

describe('plan warnings', () => {
  it('warns that a Route 53-only plan with us-east-1 cannot fail over while us-east-1 is down', () => {
    const billing = validatePlan(parse(billingYaml), 'billing.yaml').plan;
    const orders = validatePlan(parse(ordersYaml), 'orders.yaml').plan;
    if (!billing || !orders) throw new Error('example plans are valid');
    expect(planWarnings(billing)).toEqual([
      expect.objectContaining({
        plan: 'billing',
        path: 'traffic',
        message: expect.stringMatching(/us-east-1.*ARC/),
      }),
    ]);
    expect(planWarnings(orders)).toEqual([]); // ARC routing controls: statically stable
  });

  it('does not warn for the health-checks method: a failover makes no Route 53 API call', () => {
    const yaml = billingYaml.replace(
      '    hostedZoneId: Z0123456789ABCDEFGHIJ\n',
      '    hostedZoneId: Z0123456789ABCDEFGHIJ\n    method: health-checks\n',
    );
    const billing = validatePlan(parse(yaml), 'billing.yaml').plan;
    expect(billing?.traffic.route53).toMatchObject({
      method: 'health-checks',
      healthChecks: { intervalSeconds: 10, failureThreshold: 3 },
    });
    if (!billing) throw new Error('valid');
    expect(planWarnings(billing)).toEqual([]);
  });
});

describe('the health-checks traffic method', () => {
  const withMethod = (text: string) =>
    text.replace(
      '    hostedZoneId: Z0123456789ABCDEFGHIJ\n',
      '    hostedZoneId: Z0123456789ABCDEFGHIJ\n    method: health-checks\n',
    );

  it('needs exactly two regions (one PRIMARY, one SECONDARY record)', () => {
    const plan = parse(withMethod(billingYaml)) as Record<string, unknown>;
    plan.regions = ['us-east-1', 'us-west-2', 'eu-west-1'];
    const { problems } = validatePlan(plan, 'billing.yaml');
    expect(problems).toContainEqual(
      expect.objectContaining({
        path: 'traffic.route53.method',
        got: expect.stringContaining('3 regions'),
        expected: expect.stringContaining('exactly 2 regions'),
      }),
    );
  });

  it('refuses an interval Route 53 does not offer and a threshold out of 1..10', () => {
    const yaml = withMethod(billingYaml).replace(
      '    method: health-checks\n',
      '    method: health-checks\n    healthChecks: { intervalSeconds: 15, failureThreshold: 11 }\n',
    );
    const { problems } = validatePlan(parse(yaml), 'billing.yaml');
    const paths = problems.map((p) => p.path);
    expect(paths).toContain('traffic.route53.healthChecks.intervalSeconds');
    expect(paths).toContain('traffic.route53.healthChecks.failureThreshold');
  });
});

describe('plan JSON Schema', () => {
  it('is committed and up to date (npm run schema)', async () => {
    const committed = JSON.parse(await readFile('plans/schema.json', 'utf8'));
    expect(committed).toEqual(planJsonSchema());
  });
});

import type { PlanProblem } from './errors.js';
import { ARC_CLUSTER_ENDPOINTS, type Plan } from './plan-schema.js';
import { show } from './problems.js';
import { closestRegion, isKnownRegion } from './regions.js';

// The cross-field rules of a plan (docs/contracts.md, Plan) and the advice on a valid one.

const ACCOUNT = /^\d{12}$/;

/**
 * Rules that span fields. They run on the raw document too, so that a plan with a schema error
 * still gets its cross-field problems listed: every value is read defensively.
 */
export function planProblems(document: unknown, file: string): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const add = (path: string, message: string, got?: unknown, expected?: string) =>
    problems.push({
      file,
      path,
      message,
      ...(got === undefined ? {} : { got: show(got) }),
      ...(expected ? { expected } : {}),
    });
  const plan = asRecord(document);
  const strategy = plan.strategy;

  const seen = new Set<string>();
  asArray(plan.regions).forEach((region, i) => {
    if (typeof region !== 'string') return;
    if (seen.has(region)) add(`regions[${i}]`, `region ${region} is named twice`, region, 'each region once');
    seen.add(region);
  });
  const regions = [...seen];
  // A region name that is no AWS region is the schema's one problem ("did you mean ...?"). Here it
  // also stands for the region it most likely meant, so that a typo in `regions` (or the same
  // typo used throughout) does not cascade into a problem per resource and per region.
  const meantBy = new Map(
    regions.flatMap((r) => {
      const meant = isKnownRegion(r) ? undefined : closestRegion(r);
      return meant ? [[r, meant] as const] : [];
    }),
  );
  const namesOf = (region: string) => [
    region,
    ...(meantBy.has(region) ? [meantBy.get(region) as string] : []),
  ];
  const inPlan = new Set(regions.flatMap(namesOf));
  // A region every resource has a member for, left out of `regions` (`regions: [us-east-1]` in a
  // two-region plan), is one problem, at `regions`; the other rules then read the plan as if it
  // were listed, rather than report it once per resource.
  const memberMaps = [
    ...asArray(asRecord(plan.database).auroraGlobalClusters).map((c) => asRecord(asRecord(c).members)),
    ...asArray(asRecord(plan.compute).autoScalingGroups).map((g) => asRecord(asRecord(g).members)),
    ...asArray(asRecord(asRecord(plan.traffic).route53).records).map((r) => asRecord(asRecord(r).targets)),
    ...(asRecord(plan.traffic).arc === undefined
      ? []
      : [asRecord(asRecord(asRecord(plan.traffic).arc).routingControls)]),
  ];
  const leftOut = Array.isArray(plan.regions)
    ? [...new Set(memberMaps.flatMap((m) => Object.keys(m)))].filter(
        (key) => isKnownRegion(key) && !inPlan.has(key) && memberMaps.every((m) => key in m),
      )
    : [];
  if (leftOut.length > 0) {
    add(
      'regions',
      `${leftOut.join(', ')} ${leftOut.length === 1 ? 'has' : 'have'} a member in every resource but ${leftOut.length === 1 ? 'is' : 'are'} not in regions`,
      plan.regions,
      `regions listing ${[...regions, ...leftOut].join(', ')}, or no member for ${leftOut.join(', ')}`,
    );
    for (const region of leftOut) inPlan.add(region);
  }
  // `regions` that is no list (`regions: us-east-1`) is the schema's one problem: which regions
  // the plan means is then unknown, and the rules comparing members with them are left out rather
  // than report every member of every resource as a stray.
  const regionsKnown = Array.isArray(plan.regions);
  const isPlanRegion = (region: string) => !regionsKnown || inPlan.has(region);

  // Every region of the plan has a member in every resource, and no member is for another region.
  // A member keyed by a typo of a region that has none is one problem ("did you mean ...?").
  const checkMembers = (path: string, value: unknown) => {
    if (!regionsKnown) return;
    const members = asRecord(value);
    const missing = regions.filter((region) => !namesOf(region).some((name) => name in members));
    const strays = Object.keys(members).filter((key) => !inPlan.has(key));
    const meant = new Map<string, string>();
    for (const key of strays) {
      const region = closestRegion(key, missing);
      if (region && ![...meant.values()].includes(region)) meant.set(key, region);
    }
    const typoed = new Set(meant.values());
    for (const region of missing) {
      if (!typoed.has(region))
        add(
          path,
          `no member for region ${region}`,
          Object.keys(members),
          `a key for each of ${regions.join(', ')}`,
        );
    }
    for (const key of strays) {
      const region = meant.get(key);
      add(
        `${path}.${key}`,
        region
          ? `${key} is not one of the plan's regions: did you mean ${region}?`
          : `${key} is not one of the plan's regions`,
        key,
        `one of ${regions.join(', ')}`,
      );
    }
  };

  const database = asRecord(plan.database);
  const clusterIds = new Set<string>();
  asArray(database.auroraGlobalClusters).forEach((value, i) => {
    const cluster = asRecord(value);
    const path = `database.auroraGlobalClusters[${i}]`;
    if (typeof cluster.globalClusterId === 'string') {
      if (clusterIds.has(cluster.globalClusterId))
        add(`${path}.globalClusterId`, 'global cluster named twice', cluster.globalClusterId);
      clusterIds.add(cluster.globalClusterId);
    }
    checkMembers(`${path}.members`, cluster.members);
    if (cluster.headlessSecondaries === true && plan.strategy !== 'pilot-light')
      add(
        `${path}.headlessSecondaries`,
        'a headless secondary needs a reader before promotion, which only the pilot-light runbook adds',
        plan.strategy,
        'strategy pilot-light, or headlessSecondaries false',
      );
    for (const [region, arn] of Object.entries(asRecord(cluster.members))) {
      if (typeof arn !== 'string') continue;
      const arnRegion = arn.split(':')[3];
      if (arnRegion && arnRegion !== region)
        add(`${path}.members.${region}`, 'cluster ARN is in another region', arn, `an ARN in ${region}`);
    }
  });

  const compute = asRecord(plan.compute);
  const groupNames = new Set<string>();
  asArray(compute.autoScalingGroups).forEach((value, i) => {
    const group = asRecord(value);
    const path = `compute.autoScalingGroups[${i}]`;
    if (typeof group.name === 'string') {
      if (groupNames.has(group.name)) add(`${path}.name`, 'group named twice', group.name);
      groupNames.add(group.name);
    }
    checkMembers(`${path}.members`, group.members);
    // Target groups (a hint) may name only some regions, each in its own region.
    for (const [region, arns] of Object.entries(asRecord(group.targetGroups))) {
      if (!isPlanRegion(region))
        add(
          `${path}.targetGroups.${region}`,
          `${region} is not one of the plan's regions`,
          region,
          `one of ${regions.join(', ')}`,
        );
      asArray(arns).forEach((arn, j) => {
        if (typeof arn === 'string' && !arn.includes(`:elasticloadbalancing:${region}:`))
          add(
            `${path}.targetGroups.${region}[${j}]`,
            `a target group of another region`,
            arn,
            `a target group ARN in ${region}`,
          );
      });
    }
    for (const profile of ['active', 'standby'] as const) {
      const { min, desired, max } = asRecord(group[profile]);
      if (
        typeof min === 'number' &&
        typeof desired === 'number' &&
        typeof max === 'number' &&
        (min > desired || desired > max)
      ) {
        add(
          `${path}.${profile}`,
          'capacity must satisfy min <= desired <= max',
          { min, desired, max },
          'min <= desired <= max',
        );
      }
    }
    if (asRecord(group.active).desired === 0)
      add(`${path}.active.desired`, 'active capacity must serve traffic', 0, 'at least 1');
    const standby = asRecord(group.standby);
    if (strategy === 'pilot-light' && ((standby.min ?? 0) !== 0 || (standby.desired ?? 0) !== 0)) {
      add(
        `${path}.standby`,
        'pilot light keeps no standby compute running',
        { min: standby.min, desired: standby.desired },
        'min 0 and desired 0',
      );
    }
    const pool = asRecord(group.warmPool);
    asArray(pool.regions).forEach((region, j) => {
      if (typeof region === 'string' && !isPlanRegion(region))
        add(
          `${path}.warmPool.regions[${j}]`,
          "not one of the plan's regions",
          region,
          `one of ${regions.join(', ')}`,
        );
    });
    const healthy = typeof group.healthyPercent === 'number' ? group.healthyPercent : 90;
    if (typeof group.ungracefulMinimumPercent === 'number' && group.ungracefulMinimumPercent > healthy) {
      add(
        `${path}.ungracefulMinimumPercent`,
        'the ungraceful minimum cannot exceed healthyPercent',
        group.ungracefulMinimumPercent,
        `at most ${healthy}`,
      );
    }
  });

  const traffic = asRecord(plan.traffic);
  if ('traffic' in plan && traffic.route53 === undefined && traffic.arc === undefined) {
    add('traffic', 'no way to move traffic', {}, 'route53, arc, or both');
  }
  asArray(asRecord(traffic.route53).records).forEach((record, i) => {
    checkMembers(`traffic.route53.records[${i}].targets`, asRecord(record).targets);
  });
  if (asRecord(traffic.route53).method === 'health-checks') {
    // The switch makes exactly one region's record healthy; failover records have one PRIMARY and
    // one SECONDARY, so a third region could be named active and never be answered.
    if (regionsKnown && regions.length !== 2)
      add(
        'traffic.route53.method',
        'health-checks moves traffic between the two failover records (one PRIMARY, one SECONDARY)',
        `${regions.length} regions (${regions.join(', ')})`,
        'exactly 2 regions, or method records',
      );
    if (traffic.arc !== undefined)
      add(
        'traffic.route53.method',
        "health-checks and ARC routing controls would both decide the records' health",
        'traffic.arc and method health-checks',
        'one of them',
      );
  }
  if (traffic.arc !== undefined) {
    const arc = asRecord(traffic.arc);
    const endpoints = asArray(arc.clusterEndpoints).map((e) => asRecord(e).region);
    if (new Set(endpoints).size !== endpoints.length) {
      add(
        'traffic.arc.clusterEndpoints',
        'a cluster endpoint region is listed twice',
        endpoints,
        'distinct regions',
      );
    }
    if (endpoints.length < ARC_CLUSTER_ENDPOINTS) {
      add(
        'traffic.arc.clusterEndpoints',
        "ARC needs all of the cluster's endpoints so that a failover survives some being down",
        `${endpoints.length} endpoint(s)`,
        `${ARC_CLUSTER_ENDPOINTS} endpoints`,
      );
    }
    checkMembers('traffic.arc.routingControls', arc.routingControls);
    // With ARC, the failover records are fixed (their health checks follow the routing controls):
    // one PRIMARY and one SECONDARY hold two regions, so a third could get traffic from ARC and
    // never from DNS. Records-only plans move the PRIMARY record to any plan region instead.
    if (traffic.route53 !== undefined && regions.length > 2) {
      add(
        'traffic',
        'ARC routing controls with Route 53 failover records can send users to two regions only (one PRIMARY, one SECONDARY record)',
        `${regions.length} regions (${regions.join(', ')})`,
        'two regions with both, or ARC routing controls alone, or Route 53 records alone (they move the PRIMARY record to any plan region)',
      );
    }
    const arns = Object.values(asRecord(arc.routingControls));
    if (new Set(arns).size !== arns.length)
      add(
        'traffic.arc.routingControls',
        'two regions share one routing control',
        arns,
        'one routing control per region',
      );
  }

  if (plan.database === undefined && plan.compute === undefined)
    add('', 'nothing to fail over', {}, 'database, compute, or both');

  if (plan.detection !== undefined) {
    const detection = asRecord(plan.detection);
    const alarms = asArray(detection.alarms);
    // Alarms that are no list are the schema's one problem, not also too few.
    if (
      Array.isArray(detection.alarms) &&
      typeof detection.minAlarms === 'number' &&
      detection.minAlarms > alarms.length
    ) {
      add(
        'detection.minAlarms',
        'more alarms required than are listed',
        detection.minAlarms,
        `at most ${alarms.length}`,
      );
    }
    alarms.forEach((arn, i) => {
      if (typeof arn !== 'string') return;
      const region = arn.split(':')[3] ?? '';
      // The alarm's state-change event reaches EventBridge in the alarm's own region only.
      if (region && regions.length > 0 && !isPlanRegion(region)) {
        add(
          `detection.alarms[${i}]`,
          `alarm is in ${region}, where no control plane of this plan runs`,
          arn,
          `an alarm in ${regions.join(', ')}`,
        );
      }
    });
  }

  // Account IDs must agree across the plan's ARNs: a failover spans one account.
  const arns = [
    ...asArray(database.auroraGlobalClusters).flatMap((c) => Object.values(asRecord(asRecord(c).members))),
    ...asArray(asRecord(plan.detection).alarms),
    ...Object.values(asRecord(asRecord(traffic.arc).routingControls)),
  ];
  const accounts = [
    ...new Set(arns.flatMap((arn) => (typeof arn === 'string' ? [arn.split(':')[4] ?? ''] : []))),
  ].filter((a) => ACCOUNT.test(a));
  if (accounts.length > 1) add('', 'ARNs name more than one AWS account', accounts, 'one account');

  return problems;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Something legal that an SRE should know before relying on the plan. */
export interface PlanWarning {
  readonly plan: string;
  readonly path: string;
  readonly message: string;
}

/**
 * Advice on a valid plan. Today: traffic moved with Route 53 records only depends on Route 53's
 * control plane, which lives in us-east-1, so an outage of us-east-1 blocks the failover that
 * would leave it (docs/architecture.md, Regions and static stability).
 */
export function planWarnings(plan: Plan): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  if (!plan.traffic.arc && plan.traffic.route53?.method === 'records' && plan.regions.includes('us-east-1')) {
    warnings.push({
      plan: plan.name,
      path: 'traffic',
      message:
        'traffic moves with Route 53 records only: their API is in us-east-1, so while us-east-1 is down this plan cannot fail over; add ARC routing controls (traffic.arc) or use traffic.route53.method health-checks for static stability',
    });
  }
  return warnings;
}

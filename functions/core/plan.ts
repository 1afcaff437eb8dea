import * as z from 'zod';
import type { PlanProblem } from './errors.js';
import { STRATEGIES, type Strategy } from './records.js';
import { isKnownRegion, KNOWN_REGIONS, REGION_EXAMPLES } from './regions.js';
import { SCHEDULE_EXPECTED, scheduleProblem } from './schedule.js';

/**
 * The plan file (docs/contracts.md, Plan): one application that fails over as a unit. The schema checks each
 * field; {@link planProblems} adds the rules that span fields (every region has a member in every
 * resource, capacity profiles within bounds, pilot light standby at zero, ...).
 */

const ACCOUNT = /^\d{12}$/;

/**
 * An AWS Region that exists (commercial, GovCloud or China: `functions/core/regions.ts`). A
 * well-formed name that is no region (`us-east-9`) is refused even when a plan uses it
 * consistently: every call to it would fail in the middle of a failover.
 */
export const RegionName = z
  .string()
  .refine(isKnownRegion, {
    message: 'not an AWS region',
    params: { expected: `an AWS region such as ${REGION_EXAMPLES}` },
  })
  .meta({ enum: [...KNOWN_REGIONS], description: 'An AWS Region (commercial, GovCloud or China)' });
export type RegionName = z.infer<typeof RegionName>;

/**
 * The longest any seconds field of a plan may be: one year (31,536,000 s), the maximum duration of
 * a Step Functions Standard workflow execution ("Step Functions service quotas",
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). The approval timeout
 * (a Task's TimeoutSeconds), the drill soak and the detection sustain (Wait states) all run inside
 * one execution, so none can be longer; the RTO and RPO objectives are measured within one, and
 * the cooldown is capped at the same year because a longer one means "never automatically": that
 * is `detection.mode: notify`.
 */
export const MAX_PLAN_SECONDS = 31_536_000;

const Identifier = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'lower-case letters, digits and hyphens, starting with a letter');

const PositiveSeconds = z.number().int().positive().max(MAX_PLAN_SECONDS);
const Seconds = z.number().int().nonnegative().max(MAX_PLAN_SECONDS);

const CapacityProfile = z.strictObject({
  min: z.number().int().nonnegative(),
  desired: z.number().int().nonnegative(),
  max: z.number().int().nonnegative(),
});
export type CapacityProfile = z.infer<typeof CapacityProfile>;

/** `region -> value`; which regions must appear is a cross-field rule. */
const PerRegion = <T extends z.ZodType>(value: T) => z.record(z.string(), value);

const AuroraGlobalCluster = z.strictObject({
  globalClusterId: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'an Aurora global cluster identifier (letters, digits, hyphens)'),
  members: PerRegion(
    z
      .string()
      .regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:[a-zA-Z][a-zA-Z0-9-]*$/, 'an RDS cluster ARN'),
  ),
  /** Last resort when FailoverGlobalCluster cannot run: detach the target's cluster and use it alone. */
  allowDetachAndPromote: z.boolean().default(false),
  engine: z.enum(['aurora-postgresql', 'aurora-mysql']).default('aurora-postgresql'),
  /**
   * After a detach-and-promote, the old writer may come back with its region, still accepting
   * writes: a split brain. `remove-instances` lets the reconciler fence it at once by deleting its
   * instances (DeleteDBInstance; the cluster volume keeps its data for a person to reconcile: a
   * cluster in a global database cannot be stopped, per the Aurora User Guide, "Stopping and
   * starting an Amazon Aurora DB cluster"). `none`: the reconciler reports it and a person acts.
   */
  fenceReturningWriter: z.enum(['remove-instances', 'none']).default('none'),
  /**
   * Pilot light's cheapest standby: the secondary clusters have no DB instance (storage only, kept
   * in sync; "Without the DB instance, you're not charged for compute, only for storage": Aurora
   * User Guide, "Creating a headless Aurora DB cluster in a secondary Region",
   * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-attach.console.headless.html).
   * AWS refuses a switchover or failover to a headless cluster, so the runbook must first add a
   * reader (`readerInstanceClass`) and wait for it: only the pilot-light runbook does (its
   * PrepareDatabase step), and its RTO pays for the reader's creation.
   */
  headlessSecondaries: z.boolean().default(false),
  /** Pilot light: the class of the reader added to a headless secondary before promotion. */
  readerInstanceClass: z
    .string()
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'an instance class such as db.r6g.large')
    .default('db.r6g.large'),
});
export type AuroraGlobalCluster = z.infer<typeof AuroraGlobalCluster>;

/**
 * An EC2 Auto Scaling warm pool, as PutWarmPool takes it (Amazon EC2 Auto Scaling API Reference,
 * "PutWarmPool" and "WarmPoolConfiguration",
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html): `MinSize` at
 * least 0 (default 0); `MaxGroupPreparedCapacity` at least -1, where -1 (or absent) means the
 * group's MaxSize, and a value below the desired capacity is accepted (the pool is then `minSize`);
 * `PoolState` Stopped (default), Running or Hibernated; `InstanceReusePolicy.ReuseOnScaleIn`
 * (default false: scale-in terminates). The pool holds max(minSize, maxGroupPreparedCapacity -
 * desired) instances.
 */
const WarmPool = z.strictObject({
  minSize: z.number().int().min(0).default(0),
  maxGroupPreparedCapacity: z.number().int().min(-1).optional(),
  poolState: z.enum(['Stopped', 'Hibernated', 'Running']).default('Stopped'),
  /** Scale-in returns instances to the pool instead of terminating them (a failback as fast as the failover). */
  reuseOnScaleIn: z.boolean().default(false),
  /** The regions whose group has this pool; absent: every region of the plan. */
  regions: z.array(RegionName).min(1).optional(),
});
export type WarmPoolPlan = z.infer<typeof WarmPool>;

const AutoScalingGroup = z.strictObject({
  name: Identifier,
  members: PerRegion(z.string().min(1).max(255)),
  active: CapacityProfile,
  standby: CapacityProfile,
  /** Traffic may move once this share of `active.desired` is InService and Healthy. */
  healthyPercent: z.number().int().min(1).max(100).default(90),
  /**
   * In an ungraceful failover, the lowest share of `active.desired` (InService and Healthy) that
   * still lets traffic move: with the source down, a short-handed region serves users and a dead
   * one does not (the run then reports itself under capacity). AWS ARC Region switch's
   * `Ec2Ungraceful.minimumSuccessPercentage` is the same idea (0-99, required, no default).
   * Default 30: low enough that a region short of instances still takes users, high enough that
   * a group of one or two survivors is not handed a whole region's load as a "success".
   */
  ungracefulMinimumPercent: z.number().int().min(1).max(100).default(30),
  /**
   * The group's warm pool (PutWarmPool), in every region or in `regions` only. A scale-out draws
   * from it (a warm start) instead of launching from nothing.
   */
  warmPool: WarmPool.optional(),
});
export type AutoScalingGroupPlan = z.infer<typeof AutoScalingGroup>;

/** The warm pool a group declares in `region`, or undefined. */
export function warmPoolIn(group: AutoScalingGroupPlan, region: string): WarmPoolPlan | undefined {
  const pool = group.warmPool;
  if (!pool || (pool.regions && !pool.regions.includes(region))) return undefined;
  return pool;
}

/**
 * How many instances a warm pool holds while its group runs `desired` instances with `max` as its
 * MaxSize: max(minSize, (maxGroupPreparedCapacity, or max when absent or -1) - desired), never
 * below 0 ("Warm pool size", Amazon EC2 Auto Scaling User Guide,
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html).
 */
export function warmPoolSize(
  pool: Pick<WarmPoolPlan, 'minSize' | 'maxGroupPreparedCapacity'>,
  desired: number,
  max: number,
): number {
  const prepared =
    pool.maxGroupPreparedCapacity === undefined || pool.maxGroupPreparedCapacity === -1
      ? max
      : pool.maxGroupPreparedCapacity;
  return Math.max(pool.minSize, prepared - desired, 0);
}

const AliasTarget = z.strictObject({
  dnsName: z.string().min(1),
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'a Route 53 hosted zone ID such as Z35SXDOTRQ7X7K'),
  /** Optional Route 53 health check attached to this region's failover record. */
  healthCheckId: z.string().min(1).optional(),
});

const FailoverRecord = z.strictObject({
  name: z.string().regex(/^([a-z0-9-_*]+\.)+[a-z]{2,}\.?$/i, 'a DNS name such as api.example.com'),
  type: z.enum(['A', 'AAAA', 'CNAME']),
  targets: PerRegion(AliasTarget),
});

/**
 * How Route 53 health checks judge the health-check traffic method's endpoints. Route 53 checks
 * "every 10 seconds or every 30 seconds" and changes an endpoint's status after `failureThreshold`
 * consecutive checks the other way (1 to 10, default 3) (Route 53 Developer Guide, "How Amazon
 * Route 53 determines whether a health check is healthy",
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html;
 * API Reference, HealthCheckConfig: RequestInterval 10 | 30, FailureThreshold 1..10).
 */
const HealthCheckSettings = z.strictObject({
  /** Seconds between one checker's requests: 10 (fast, an extra charge) or 30. */
  intervalSeconds: z.union([z.literal(10), z.literal(30)]).default(10),
  /** Consecutive checks the other way before a checker's status changes. */
  failureThreshold: z.number().int().min(1).max(10).default(3),
});

const Route53Traffic = z.strictObject({
  hostedZoneId: z
    .string()
    .regex(/^Z[A-Z0-9]{1,31}$/, 'a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ'),
  /**
   * `records` (default): a failover edits the failover records through Route 53's control plane
   * (us-east-1). `health-checks`: the records and their health checks are created once at deploy;
   * a failover is one conditional write to the state table, which each region's health endpoint
   * reads (docs/architecture.md, "Traffic by health checks"): no Route 53 API call at all.
   */
  method: z.enum(['records', 'health-checks']).default('records'),
  /** The health-checks method's Route 53 health check settings (ignored by `records`). */
  healthChecks: HealthCheckSettings.default({ intervalSeconds: 10, failureThreshold: 3 }),
  records: z.array(FailoverRecord).min(1),
});

const ArcTraffic = z.strictObject({
  clusterEndpoints: z
    .array(
      z.strictObject({
        region: RegionName,
        endpoint: z.url({ protocol: /^https$/ }),
      }),
    )
    .min(1),
  routingControls: PerRegion(
    z
      .string()
      .regex(
        /^arn:aws[a-z-]*:route53-recovery-control::\d{12}:controlpanel\/[a-z0-9]+\/routingcontrol\/[a-z0-9]+$/,
        'a routing control ARN (arn:aws:route53-recovery-control::ACCOUNT:controlpanel/ID/routingcontrol/ID)',
      ),
  ),
});

const Traffic = z.strictObject({
  route53: Route53Traffic.optional(),
  arc: ArcTraffic.optional(),
});

const Detection = z.strictObject({
  alarms: z
    .array(
      z.string().regex(/^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/, 'a CloudWatch alarm ARN'),
    )
    .min(1),
  mode: z.enum(['automatic', 'approval', 'notify']).default('notify'),
  minAlarms: z.number().int().positive().default(1),
  sustainSeconds: Seconds.default(120),
  cooldownSeconds: Seconds.default(3600),
});

/** The shape of an EventBridge Scheduler expression (editors check it; `scheduleProblem` judges it). */
const SCHEDULE_SHAPE = /^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/;

const Drills = z.strictObject({
  /**
   * When the drill runs: an EventBridge Scheduler `cron(...)` or `rate(...)` expression, UTC
   * (`functions/core/schedule.ts`); a cron AWS would refuse is refused here, with the reason.
   */
  schedule: z
    .string()
    .regex(SCHEDULE_SHAPE, 'an EventBridge schedule: cron(...) or rate(...)')
    .superRefine((expression, ctx) => {
      if (!SCHEDULE_SHAPE.test(expression)) return; // the regex has said so
      const problem = scheduleProblem(expression);
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          message: problem,
          input: expression,
          params: { expected: SCHEDULE_EXPECTED },
        });
      }
    }),
  kind: z.enum(['switchover-and-back', 'switchover']).default('switchover-and-back'),
  soakSeconds: Seconds.default(600),
  /**
   * Readiness reports `DRILL_STALE` (a warning) when the last PASSED drill is older than this, in
   * days. The default covers a quarterly schedule with a week to spare.
   */
  maxAgeDays: z.number().int().positive().max(3660).default(100),
});

const Approvals = z.strictObject({
  operatorFailover: z.enum(['required', 'none']).default('none'),
  /** How long a requested failover waits for an approver before it ends (ABORTED). */
  timeoutSeconds: PositiveSeconds.default(3600),
});

export const PlanSchema = z.strictObject({
  name: Identifier,
  description: z.string().max(1024).optional(),
  strategy: z.enum(STRATEGIES),
  regions: z.array(RegionName).min(2, 'at least 2 regions').max(5, 'at most 5 regions'),
  objectives: z.strictObject({
    rtoSeconds: PositiveSeconds,
    rpoSeconds: z.number().nonnegative().max(MAX_PLAN_SECONDS),
  }),
  database: z
    .strictObject({
      auroraGlobalClusters: z.array(AuroraGlobalCluster).min(1),
    })
    .optional(),
  compute: z
    .strictObject({
      autoScalingGroups: z.array(AutoScalingGroup).min(1),
    })
    .optional(),
  traffic: Traffic,
  detection: Detection.optional(),
  drills: Drills.optional(),
  approvals: Approvals.default({ operatorFailover: 'none', timeoutSeconds: 3600 }),
  /**
   * The app's wave in a region evacuation: lower first (0 before 100); apps of one priority fail
   * over together, and a wave starts once the previous one is served or failed. Default 100.
   */
  priority: z.number().int().min(0).max(1000).default(100),
  /** The reconciler: how long an inconsistent state must hold before it acts on it. */
  reconcile: z
    .strictObject({
      /**
       * Virtual or real seconds an observed inconsistency must hold, unchanged, before the
       * reconciler acts (it runs every minute): long enough not to chase a state in motion.
       */
      settleSeconds: z.number().int().min(0).max(3600).default(60),
    })
    .default({ settleSeconds: 60 }),
});

export type Plan = z.infer<typeof PlanSchema>;
export type PlanInput = z.input<typeof PlanSchema>;
export type { Strategy };

/** ARC clusters always have five regional endpoints; a plan must list them all to survive two down. */
export const ARC_CLUSTER_ENDPOINTS = 5;

/**
 * Validates one plan document. Returns the parsed plan, or every problem found (schema and
 * cross-field rules), each with its path, what was got and what was expected.
 */
export function validatePlan(
  document: unknown,
  file: string,
): { plan: Plan; problems: [] } | { plan?: undefined; problems: PlanProblem[] } {
  const parsed = PlanSchema.safeParse(document, { reportInput: true });
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap((issue) => problemsFromIssue(issue, file))),
    ...planProblems(parsed.success ? parsed.data : document, file),
  ];
  return parsed.success && problems.length === 0 ? { plan: parsed.data, problems: [] } : { problems };
}

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

  // Every region of the plan has a member in every resource, and no member is for another region.
  const checkMembers = (path: string, value: unknown) => {
    const members = asRecord(value);
    for (const region of regions) {
      if (!(region in members))
        add(
          path,
          `no member for region ${region}`,
          Object.keys(members),
          `a key for each of ${regions.join(', ')}`,
        );
    }
    for (const key of Object.keys(members)) {
      if (!seen.has(key))
        add(`${path}.${key}`, `${key} is not one of the plan's regions`, key, `one of ${regions.join(', ')}`);
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
      const regions = asArray(plan.regions);
      if (typeof region === 'string' && !regions.includes(region))
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
    if (regions.length !== 2)
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
    if (typeof detection.minAlarms === 'number' && detection.minAlarms > alarms.length) {
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
      if (region && regions.length > 0 && !seen.has(region)) {
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

/**
 * One zod issue as problems (path, got, expected): the form every validated file (plans, the
 * deployment config) reports in. `documentedIn` names where the allowed keys are listed.
 */
export function problemsFromIssue(
  issue: z.core.$ZodIssue,
  file: string,
  documentedIn = 'plans/schema.json',
): PlanProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      file,
      path: formatPath([...issue.path, key]),
      message: `unknown key "${key}"`,
      got: key,
      expected: `only the documented keys (see ${documentedIn})`,
    }));
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the branch that got furthest: its issues are the most specific.
    const best = [...issue.errors].sort((a, b) => b.length - a.length)[0] ?? [];
    return best.flatMap((inner) =>
      problemsFromIssue(
        { ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue,
        file,
        documentedIn,
      ),
    );
  }
  return [problemFromIssue(issue, file)];
}

function problemFromIssue(issue: z.core.$ZodIssue, file: string): PlanProblem {
  const path = formatPath(issue.path);
  const got = 'input' in issue ? issue.input : undefined;
  const expected = expectedOf(issue);
  return {
    file,
    path,
    message: issue.message,
    ...(got === undefined && issue.code !== 'invalid_type'
      ? {}
      : { got: got === undefined ? 'nothing' : show(got) }),
    ...(expected ? { expected } : {}),
  };
}

/** What a zod issue expected, in words (`one of ...`, `>= 1`, `at least 2 item(s)`). */
export function expectedOf(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return `at least ${String(issue.minimum)} character(s)`;
      return `${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `at most ${String(issue.maximum)} item(s)`;
      if (issue.origin === 'string') return `at most ${String(issue.maximum)} character(s)`;
      return `${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.message;
    case 'custom':
      // A refinement states what it expected in `params.expected` (see RegionName).
      return typeof issue.params?.expected === 'string' ? issue.params.expected : undefined;
    default:
      return undefined;
  }
}

/** `a.b[0].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

/** The longest `got` a problem shows, in characters; longer values are cut and end in `...`. */
export const SHOW_MAX_CHARS = 120;

/**
 * A value as a problem's `got`: JSON, cut at `max` characters. Never throws: a value JSON cannot
 * render (a BigInt, a cycle, nesting deep enough to exhaust the stack) is shown as its type.
 */
export function show(value: unknown, max = SHOW_MAX_CHARS): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Array.isArray(value)
        ? '[an array JSON cannot render]'
        : `[a ${typeof value} JSON cannot render]`;
    }
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * Whether a parsed value (JSON or YAML data: objects, arrays, scalars) nests deeper than `max`
 * levels (a scalar is depth 0, `[]` and `{}` depth 1). Iterative, so no input can exhaust the
 * stack; it stops at the first container past `max`, so it costs at most the part it walked.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  // A value shared by YAML aliases is walked again only when reached deeper; a cycle is refused.
  const reached = new Map<object, number>();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const current = item.value;
    if (current === null || typeof current !== 'object') continue;
    const depth = item.depth + 1;
    if ((reached.get(current) ?? 0) >= depth) continue;
    reached.set(current, depth);
    if (depth > max) return true;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) stack.push({ value: child, depth });
  }
  return false;
}

/** One line per problem: `file: path: message (got X, expected Y)`. */
export function formatProblem(problem: PlanProblem): string {
  const where = problem.path ? `${problem.file}: ${problem.path}` : problem.file;
  const detail = [
    problem.got !== undefined ? `got ${problem.got}` : '',
    problem.expected ? `expected ${problem.expected}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${where}: ${problem.message}${detail ? ` (${detail})` : ''}`;
}

/** The region a plan starts active in: the first of its regions. */
export function initialPrimary(plan: Plan): RegionName {
  return plan.regions[0] as RegionName;
}

/** The plan's JSON Schema (draft 2020-12), for editors: `plans/schema.json` is generated from it. */
export function planJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(PlanSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://switchyard.dev/schemas/plan.json',
    title: 'Switchyard plan',
    description:
      'One application that fails over as a unit (docs/contracts.md, Plan). Generated by `npm run schema`; do not edit.',
  };
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

import * as z from 'zod';
import { STRATEGIES, type Strategy } from './records.js';
import { closestRegion, isKnownRegion, KNOWN_REGIONS, REGION_EXAMPLES } from './regions.js';
import { SCHEDULE_EXPECTED, scheduleProblem } from './schedule.js';

/**
 * The plan file's schema (docs/contracts.md, Plan): one application that fails over as a unit. The
 * schema checks each field; `planProblems` (plan-rules.ts) adds the rules that span fields (every
 * region has a member in every resource, capacity profiles within bounds, pilot light standby at
 * zero, ...).
 */

/**
 * An AWS Region that exists (commercial, GovCloud or China: `functions/core/regions.ts`). A
 * well-formed name that is no region (`us-east-9`) is refused even when a plan uses it
 * consistently: every call to it would fail in the middle of a failover. A name within two edits
 * of one region (`us-wset-2`) is answered "did you mean us-west-2?".
 */
export const RegionName = z
  .string()
  .check((ctx) => {
    if (isKnownRegion(ctx.value)) return;
    // A typo gets the region it most likely meant (functions/core/regions.ts, closestRegion).
    const meant = closestRegion(ctx.value);
    ctx.issues.push({
      code: 'custom',
      message: meant ? `not an AWS region: did you mean ${meant}?` : 'not an AWS region',
      input: ctx.value,
      params: { expected: `an AWS region such as ${REGION_EXAMPLES}` },
    });
  })
  .meta({ enum: [...KNOWN_REGIONS], description: 'An AWS Region (commercial, GovCloud or China)' });
/** An AWS Region's name, such as `us-east-1` (see {@link RegionName}). */
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
/**
 * A group's capacity in one profile (active or standby): `min <= desired <= max` instances (a
 * cross-field rule of plan-rules.ts).
 */
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
/**
 * One Aurora global database of a plan: its identifier, its member cluster per region and how a
 * failover may treat it.
 */
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
/** A group's warm pool as the plan declares it (PutWarmPool's rules above), defaults applied. */
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
  /**
   * The load balancer target groups the group registers with, per region (the group's
   * `TargetGroupARNs`), optional. A hint, never the truth: a reader of the group's capacity asks
   * DescribeTargetHealth for these beside DescribeAutoScalingGroups instead of after its answer
   * (one round of reads, not two), and uses only the target groups that answer names (any it
   * names that are not here are read after it). Absent: read after the answer. At most 10 a
   * region, a bound on the reads a hint starts (AttachLoadBalancerTargetGroups: "You can specify
   * up to 10 target groups", EC2 Auto Scaling API Reference,
   * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AttachLoadBalancerTargetGroups.html).
   */
  targetGroups: PerRegion(
    z
      .array(
        z
          .string()
          .regex(
            /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[a-zA-Z0-9-]{1,32}\/[0-9a-f]{16}$/,
            'an Elastic Load Balancing target group ARN',
          ),
      )
      .min(1)
      .max(10),
  ).optional(),
});
/**
 * One Auto Scaling group of a plan: its name per region, its active and standby capacity
 * profiles (instances), its health thresholds (percent of `active.desired`) and its warm pool.
 */
export type AutoScalingGroupPlan = z.infer<typeof AutoScalingGroup>;

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

/** When a failover that waits for an approver scales the target's Auto Scaling groups out. */
export const CAPACITY_TIMINGS = ['before-approval', 'after-approval'] as const;
export type CapacityTiming = (typeof CAPACITY_TIMINGS)[number];

const Approvals = z.strictObject({
  operatorFailover: z.enum(['required', 'none']).default('none'),
  /** How long a requested failover waits for an approver before it ends (ABORTED). */
  timeoutSeconds: PositiveSeconds.default(3600),
  /**
   * When a run that waits for an approver scales the target region's Auto Scaling groups to their
   * active profile: `before-approval` (default) as the wait begins, so the launch overlaps the
   * approver's decision (a run rejected, timed out or aborted before approval scales them back to
   * standby); `after-approval` only once approved (no instance-hours for a failover nobody
   * approved). The database promotion and traffic always wait for the approval.
   */
  capacity: z.enum(CAPACITY_TIMINGS).default('before-approval'),
});

/**
 * A failover plan (plans/*.yaml; docs/contracts.md, the plan; `npm run schema` writes
 * plans/schema.json from it). Field rules only: the cross-field rules are in plan-rules.ts, and
 * `validatePlan` (plan.ts) applies both and reports every problem at once. Durations are seconds
 * (virtual in the sandbox).
 */
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
  approvals: Approvals.default({
    operatorFailover: 'none',
    timeoutSeconds: 3600,
    capacity: 'before-approval',
  }),
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

/** A plan as validated, defaults applied (the output of {@link PlanSchema}). */
export type Plan = z.infer<typeof PlanSchema>;
/** A plan as written, before defaults (the input of {@link PlanSchema}). */
export type PlanInput = z.input<typeof PlanSchema>;
/** The runbook strategies (`warm-standby`, `pilot-light`), from the core's records. */
export type { Strategy };

/** ARC clusters always have five regional endpoints; a plan must list them all to survive two down. */
export const ARC_CLUSTER_ENDPOINTS = 5;

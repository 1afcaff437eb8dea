import type { Plan } from '../core/plan.js';
import { warmPoolIn, warmPoolSize } from '../core/plan-queries.js';
import { memberIn } from '../core/plan-registry.js';
import type { FailoverMode, LockRecord, PlanState } from '../core/records.js';
import {
  type AppObservation,
  type GroupReadiness,
  isKnown,
  type RegionCluster,
  type Seen,
} from '../observer/observe.js';
import { type HealthCheckIssue, healthChecksExist } from './health-checks.js';

/**
 * Readiness checks (docs/architecture.md, Readiness): small pure functions over what the observer
 * read and what the state store says, each returning its findings. Add a check by writing one
 * function of this shape and appending it to {@link READINESS_CHECKS}; give its findings a code
 * of their own and document the code in the README's readiness section.
 */

/** `blocking` makes the target NOT_READY; `warning` is told and does not. */
export type Severity = 'blocking' | 'warning';

/** One thing found about a failover of an app to one region. */
export interface ReadinessFinding {
  /** Stable, SCREAMING_SNAKE: what tools match on (e.g. `CLUSTER_NOT_CONNECTED`). */
  readonly code: string;
  readonly severity: Severity;
  /** What it is about: a cluster ARN, a group name, a routing control ARN, the app's lock. */
  readonly resource: string;
  /** What was got and what was expected. */
  readonly message: string;
}

/** Everything a check may read: one observation and the records, taken once per evaluation. */
export interface ReadinessContext {
  readonly plan: Plan;
  /** The region a failover would go to. */
  readonly target: string;
  /** The recorded active region (the source of a failover). */
  readonly source: string;
  /** The mode evaluated: scheduled evaluations and drills are graceful. */
  readonly mode: FailoverMode;
  readonly observation: AppObservation;
  readonly state: PlanState | undefined;
  readonly lock: LockRecord | undefined;
  /**
   * The execution evaluating its own run (Preflight): its own lock is no finding, and a writer it
   * already moved to the target is progress, not drift.
   */
  readonly self?: string;
  /** ISO time of the last PASSED drill; null when none is on record; unknown when unread. */
  readonly lastDrillAt: Seen<string | null>;
  /**
   * Set when `lastDrillAt` is null because the drill reports were read back to this ISO time only
   * (the plan's `drills.maxAgeDays`) and none since PASSED: older ones were not read.
   */
  readonly drillsReadSince?: string;
  /**
   * The health-checks method's records and Route 53 health checks: what is missing or disagrees
   * (`health-checks.ts`), unknown when Route 53's API did not answer; undefined when not read (a
   * failover's dry run and Preflight make no Route 53 call) or for another traffic method.
   */
  readonly healthChecks?: Seen<readonly HealthCheckIssue[]>;
  /** The plan's detection alarms that CloudWatch does not know (ARNs), or unknown. */
  readonly missingAlarms: Seen<readonly string[]>;
  /**
   * Per region read, the plan's runbook there: its ARN and DescribeStateMachine's `status`
   * (`ACTIVE`, `DELETING`), or unknown when the read failed.
   */
  readonly runbooks: Readonly<Record<string, { readonly arn: string; readonly status: Seen<string> }>>;
  /** Epoch ms (the deps' clock). */
  readonly now: number;
}

export type ReadinessCheck = (context: ReadinessContext) => ReadinessFinding[];

/**
 * How long a pilot-light target waits for the reader it needs (CreateDBInstance, `creating` to
 * `available`), in seconds; what the sandbox takes too (sandbox/aws/rds.ts, `instanceCreateMs`).
 */
export const READER_CREATE_SECONDS = 480;

const blocking = (code: string, resource: string, message: string): ReadinessFinding => ({
  code,
  severity: 'blocking',
  resource,
  message,
});
const warning = (code: string, resource: string, message: string): ReadinessFinding => ({
  code,
  severity: 'warning',
  resource,
  message,
});
/** Blocking for a graceful failover, a warning for an ungraceful one. */
const gracefulOnly = (mode: FailoverMode) => (mode === 'graceful' ? blocking : warning);

/** The target answers, and nothing the decision needs about it is unknown. */
export const targetReadable: ReadinessCheck = ({ observation, target, source, mode }) => {
  if (observation.reachable[target] === false)
    return [
      blocking(
        'REGION_UNREACHABLE',
        target,
        `${target}: no endpoint of the region answered (got no answer to any read; expected RDS and Auto Scaling to answer)`,
      ),
    ];
  const findings: ReadinessFinding[] = [];
  if (mode === 'graceful' && source !== target && observation.reachable[source] === false)
    findings.push(
      blocking(
        'SOURCE_UNREACHABLE',
        source,
        `${source}: no endpoint of the active region answered (expected it to answer: a graceful switchover needs a healthy source; request an ungraceful failover)`,
      ),
    );
  const regions =
    mode === 'graceful' && observation.reachable[source] !== false ? [target, source] : [target];
  for (const region of regions) {
    const note = (seen: Seen<RegionCluster | GroupReadiness> | undefined, resource: string) => {
      if (seen !== undefined && !isKnown(seen))
        findings.push(
          blocking(
            region === target ? 'TARGET_UNKNOWN' : 'SOURCE_UNKNOWN',
            resource,
            `cannot tell whether ${resource} in ${region} can fail over (got: ${seen.unknown}; expected a read that answers)`,
          ),
        );
    };
    for (const cluster of observation.clusters) note(cluster.regions[region], cluster.globalClusterId);
    for (const group of observation.capacity) note(group.regions[region], group.group);
  }
  return findings;
};

/**
 * Every global cluster: the target is a member, available, connected and not headless; no
 * promotion is under way; engine versions allow a switchover; replication lag is under the RPO.
 * A graceful switchover needs every member available and connected (RDS refuses it otherwise:
 * Aurora User Guide, "Performing switchovers for Amazon Aurora global databases",
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
 */
export const databaseCanFailOver: ReadinessCheck = ({ plan, observation, target, mode, self }) => {
  const findings: ReadinessFinding[] = [];
  for (const cluster of observation.clusters) {
    const spec = plan.database?.auroraGlobalClusters.find(
      (c) => c.globalClusterId === cluster.globalClusterId,
    );
    const arn = spec ? memberIn(spec.members, target) : cluster.globalClusterId;
    const there = cluster.regions[target];
    if (!there || !isKnown(there)) continue; // targetReadable tells
    if (cluster.moving) {
      findings.push(
        blocking(
          'PROMOTION_IN_PROGRESS',
          cluster.globalClusterId,
          `${cluster.globalClusterId}: a switchover or failover is under way (got FailoverState set; expected none)`,
        ),
      );
      continue;
    }
    if (!there.member) {
      // Preflight of a run that already detached and promoted its target: that promotion is done.
      if (self && there.writable) continue;
      findings.push(
        blocking(
          'SECONDARY_MISSING',
          arn,
          `${cluster.globalClusterId}: ${arn} is not a member of the global database (got a standalone cluster${there.writable ? ' that takes writes' : ''}; expected a secondary of ${cluster.globalClusterId})`,
        ),
      );
      continue;
    }
    if (there.writable) continue; // already the writer: a failover there finds the promotion done
    if (there.status !== 'available')
      findings.push(
        blocking('CLUSTER_NOT_AVAILABLE', arn, `${arn}: status ${there.status} (expected available)`),
      );
    const members = mode === 'graceful' ? Object.entries(cluster.regions) : [[target, there] as const];
    for (const [region, seen] of members) {
      if (!isKnown(seen) || !seen.member) continue;
      const sync = seen.synchronizationStatus;
      if (sync !== undefined && sync !== 'connected') {
        const memberArn = spec ? memberIn(spec.members, region) : region;
        findings.push(
          blocking(
            'CLUSTER_NOT_CONNECTED',
            memberArn,
            region === target
              ? `${memberArn}: SynchronizationStatus ${sync} (expected connected: a member being rebuilt cannot be promoted)`
              : `${memberArn} in ${region}: SynchronizationStatus ${sync} (expected connected: a switchover needs every member in sync; only an ungraceful failover is possible until it is)`,
          ),
        );
      }
    }
    // The writer's version as its region reports it, else as the target's RDS reports the global
    // database's (an ungraceful run reads the target alone).
    const writer = cluster.writers[0];
    const writerSeen = writer ? cluster.regions[writer] : undefined;
    const writerVersion =
      writerSeen && isKnown(writerSeen) && writerSeen.engineVersion
        ? { version: writerSeen.engineVersion, who: `writer in ${writer} runs` }
        : there.globalEngineVersion
          ? { version: there.globalEngineVersion, who: 'the global database runs' }
          : undefined;
    if (writerVersion && there.engineVersion && writerVersion.version !== there.engineVersion) {
      // AWS performs a managed switchover or failover only between members of the same major,
      // minor and patch versions (Aurora User Guide, "Upgrading an Amazon Aurora global database",
      // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-upgrade.html):
      // an ungraceful run then has detach-and-promote left, if the plan allows it.
      const got = `${arn}: engine version ${there.engineVersion}, ${writerVersion.who} ${writerVersion.version}`;
      const detach = spec?.allowDetachAndPromote === true;
      findings.push(
        mode === 'ungraceful' && detach
          ? warning(
              'ENGINE_VERSION_MISMATCH',
              arn,
              `${got} (expected equal versions; AWS refuses a managed failover, so the run will detach-and-promote, as the plan allows)`,
            )
          : blocking(
              'ENGINE_VERSION_MISMATCH',
              arn,
              mode === 'graceful'
                ? `${got} (expected equal versions for a switchover; ${detach ? 'only an ungraceful failover is possible' : 'an ungraceful failover is refused too: the plan does not allow detach-and-promote'})`
                : `${got} (expected equal versions: AWS refuses a managed failover between them, and the plan does not allow detach-and-promote, the one way left)`,
            ),
      );
    }
    if (there.instances === 0) {
      findings.push(
        plan.strategy === 'pilot-light'
          ? warning(
              'HEADLESS_TARGET',
              arn,
              `${arn}: no DB instance (headless); pilot light adds a reader first, about ${READER_CREATE_SECONDS} s of the RTO objective of ${plan.objectives.rtoSeconds} s`,
            )
          : blocking(
              'HEADLESS_TARGET',
              arn,
              `${arn}: no DB instance (got 0; expected at least one: a warm-standby runbook adds no reader)`,
            ),
      );
    }
    const lag = there.lagMs;
    const rpoMs = plan.objectives.rpoSeconds * 1000;
    if (lag !== undefined && isKnown(lag) && lag !== undefined && lag > rpoMs)
      findings.push(
        gracefulOnly(mode)(
          'REPLICATION_LAG_OVER_RPO',
          arn,
          `${arn}: replication lag ${lag} ms (expected under the RPO objective of ${rpoMs} ms)`,
        ),
      );
  }
  return findings;
};

/**
 * Every Auto Scaling group in the target can reach the active profile (its max is at least the
 * active desired; ScaleCapacity sets the whole profile, so a lowered max is a warning that
 * something else manages the group), and a graceful switchover has a healthy source.
 */
export const capacityCanFailOver: ReadinessCheck = ({ plan, observation, target, source, mode }) => {
  const findings: ReadinessFinding[] = [];
  for (const group of observation.capacity) {
    const spec = plan.compute?.autoScalingGroups.find((g) => g.name === group.group);
    const there = group.regions[target];
    if (spec && there && isKnown(there) && there.max !== undefined && there.max < there.activeDesired)
      findings.push(
        warning(
          'ASG_MAX_BELOW_ACTIVE_DESIRED',
          memberIn(spec.members, target),
          `${memberIn(spec.members, target)}: max ${there.max}, below the active profile's desired ${there.activeDesired} (expected max >= ${there.activeDesired}; the runbook sets max ${spec.active.max}, but someone changed it outside Switchyard)`,
        ),
      );
    const from = group.regions[source];
    if (mode === 'graceful' && spec && source !== target && from && isKnown(from) && !from.ready)
      findings.push(
        blocking(
          'SOURCE_UNHEALTHY',
          memberIn(spec.members, source),
          `${memberIn(spec.members, source)}: ${from.healthyInService}/${from.activeDesired} healthy InService (${from.healthyPercent}%) in ${source} (expected ${spec.healthyPercent}% for a graceful switchover; use ungraceful)`,
        ),
      );
  }
  return findings;
};

/**
 * The writer, traffic and the record agree on the recorded active region: a writer moved or a
 * routing control flipped outside Switchyard (with no execution running) is drift.
 */
export const truthAgreesWithRecord: ReadinessCheck = ({ plan, observation, source, target, mode, self }) => {
  const findings: ReadinessFinding[] = [];
  if (self) return findings; // a running execution moves these itself
  for (const cluster of observation.clusters) {
    if (cluster.moving || cluster.writers.length === 0) continue;
    if (cluster.writers.length > 1) {
      findings.push(
        blocking(
          'MULTIPLE_WRITERS',
          cluster.globalClusterId,
          `${cluster.globalClusterId}: clusters in ${cluster.writers.join(' and ')} take writes (expected one writer, in ${source})`,
        ),
      );
      continue;
    }
    const writer = cluster.writers[0];
    if (writer !== source && writer !== undefined)
      findings.push(
        (writer === target ? warning : blocking)(
          'WRITER_MOVED_OUTSIDE',
          cluster.globalClusterId,
          `${cluster.globalClusterId}: the writer is in ${writer}, but Switchyard's record says ${plan.name} is active in ${source} (expected the writer in ${source}; it moved outside Switchyard)`,
        ),
      );
  }
  const traffic = observation.traffic;
  const severity = gracefulOnly(mode);
  for (const [region, state] of Object.entries(traffic.routingControls ?? {})) {
    if (!isKnown(state)) {
      findings.push(
        blocking(
          'ROUTING_UNKNOWN',
          plan.traffic.arc?.routingControls[region] ?? region,
          `routing control of ${region}: ${state.unknown} (expected ARC's cluster endpoints to answer)`,
        ),
      );
      continue;
    }
    const expected = region === source ? 'On' : 'Off';
    if (state !== expected)
      findings.push(
        severity(
          'ROUTING_CONTROL_DISAGREES',
          plan.traffic.arc?.routingControls[region] ?? region,
          `routing control of ${region} is ${state} (expected ${expected}: ${plan.name} is recorded active in ${source})`,
        ),
      );
  }
  if (traffic.mechanism === 'route53') {
    for (const [name, answered] of Object.entries(traffic.dns ?? {})) {
      if (!isKnown(answered))
        findings.push(warning('DNS_UNKNOWN', name, `${name}: ${answered.unknown} (expected an answer)`));
      else if (answered !== source)
        findings.push(
          severity(
            'DNS_DISAGREES',
            name,
            `${name} resolves to ${answered ?? 'no plan region'} (expected ${source}: ${plan.name} is recorded active there)`,
          ),
        );
    }
  }
  return findings;
};

/**
 * The target is not the region the app is recorded active in: a failover there is refused (409,
 * "already active", PreconditionFailedError, by the request's reservation and by Begin), so
 * readiness toward it is not READY either. A failover request's dry run leaves this rule to its
 * reservation, which refuses such a target beside it in both modes; the execution evaluating its
 * own run (`self`: Preflight) has no such finding, since its request was refused before it ran if
 * its target was the active region and the record moves to the target only at its end.
 */
export const targetNotActive: ReadinessCheck = ({ plan, target, source, self }) => {
  if (self !== undefined || target !== source) return [];
  const others = plan.regions.filter((r) => r !== source);
  return [
    blocking(
      'ALREADY_ACTIVE',
      `${plan.name} state`,
      `${plan.name} is already active in ${target}, so a failover there is refused (expected a target other than the active region: one of ${others.join(', ')})`,
    ),
  ];
};

/** The app's lock is free (or held by the evaluating execution itself). */
export const lockFree: ReadinessCheck = ({ plan, lock, self, now }) => {
  if (!lock || lock.released || lock.leaseExpiresAt < now || lock.holder === self) return [];
  return [
    blocking(
      'LOCK_HELD',
      `${plan.name} lock`,
      `${plan.name} is locked by ${lock.holder} until ${new Date(lock.leaseExpiresAt).toISOString()} (expected a free lock: one failover per app at a time)`,
    ),
  ];
};

/** Automatic detection waits out its cooldown after the last failover: told, not blocking. */
export const cooldown: ReadinessCheck = ({ plan, state, now }) => {
  const detection = plan.detection;
  if (!detection || !state?.lastFailoverAt) return [];
  const until = Date.parse(state.lastFailoverAt) + detection.cooldownSeconds * 1000;
  if (until <= now) return [];
  return [
    warning(
      'COOLDOWN',
      `${plan.name} detection`,
      `automatic failover is held back until ${new Date(until).toISOString()} (last failover ${state.lastFailoverAt}, cooldown ${detection.cooldownSeconds} s); an operator request still runs`,
    ),
  ];
};

/** The last PASSED drill is younger than the plan's `drills.maxAgeDays`. */
export const drillFresh: ReadinessCheck = ({ plan, lastDrillAt, drillsReadSince, now }) => {
  const drills = plan.drills;
  if (!drills) return [];
  const resource = `${plan.name} drills`;
  if (!isKnown(lastDrillAt))
    return [warning('DRILL_UNKNOWN', resource, `cannot tell the last drill: ${lastDrillAt.unknown}`)];
  const maxAgeMs = drills.maxAgeDays * 86_400_000;
  if (lastDrillAt !== null && now - Date.parse(lastDrillAt) <= maxAgeMs) return [];
  return [
    warning(
      'DRILL_STALE',
      resource,
      lastDrillAt === null
        ? drillsReadSince
          ? `no PASSED drill in the last ${drills.maxAgeDays} days (drill reports read back to ${drillsReadSince}; older ones not read: a PASSED drill before then is stale anyway; expected one in the last ${drills.maxAgeDays} days)`
          : `no PASSED drill on record (expected one in the last ${drills.maxAgeDays} days)`
        : `last PASSED drill ${lastDrillAt}, ${Math.floor((now - Date.parse(lastDrillAt)) / 86_400_000)} days ago (expected one in the last ${drills.maxAgeDays} days)`,
    ),
  ];
};

/** The plan's detection alarms exist in CloudWatch. */
export const alarmsExist: ReadinessCheck = ({ plan, missingAlarms }) => {
  if (!plan.detection) return [];
  if (!isKnown(missingAlarms))
    return [warning('ALARMS_UNKNOWN', `${plan.name} detection`, `cannot tell: ${missingAlarms.unknown}`)];
  return missingAlarms.map((arn) =>
    warning(
      'ALARM_MISSING',
      arn,
      `${arn}: CloudWatch does not know this alarm (expected it to exist: detection cannot start a failover without it)`,
    ),
  );
};

/**
 * The target's runbook answers and is ACTIVE (DescribeStateMachine in the target region: a
 * failover runs there). A failed read is unknown, and blocking: a failover there cannot be
 * counted on.
 */
export const runbookAnswers: ReadinessCheck = ({ plan, runbooks, target }) => {
  const runbook = runbooks[target];
  if (!runbook) return [];
  if (!isKnown(runbook.status)) {
    // A throttled or transient read says nothing about the runbook: a warning, and the request or
    // Preflight that reads it next finds out (Preflight retries a retryable unknown). A read that
    // failed otherwise (no such state machine, access denied) blocks.
    const finding = runbook.status.retryable ? warning : blocking;
    return [
      finding(
        'RUNBOOK_UNAVAILABLE',
        runbook.arn,
        `${plan.name}'s runbook in ${target} did not answer: unknown (got: ${runbook.status.unknown}; expected DescribeStateMachine to answer ACTIVE)`,
      ),
    ];
  }
  if (runbook.status !== 'ACTIVE')
    return [
      blocking(
        'RUNBOOK_UNAVAILABLE',
        runbook.arn,
        `${plan.name}'s runbook in ${target}: status ${runbook.status} (expected ACTIVE)`,
      ),
    ];
  return [];
};

/**
 * Every warm pool the plan declares in the target exists (a missing pool is blocking: every
 * instance then launches from nothing), holds what PutWarmPool's sizing rule gives for the
 * group's desired and max now ({@link warmPoolSize}; fewer is a warning), and its instances are
 * warmed, no longer `Warmed:Pending` (a warning: they still start faster than a launch).
 */
export const warmPoolReady: ReadinessCheck = ({ plan, observation, target }) => {
  const findings: ReadinessFinding[] = [];
  for (const group of observation.capacity) {
    const spec = plan.compute?.autoScalingGroups.find((g) => g.name === group.group);
    const pool = spec ? warmPoolIn(spec, target) : undefined;
    const there = group.regions[target];
    if (!spec || !pool || !there || !isKnown(there)) continue; // targetReadable tells an unknown
    const name = memberIn(spec.members, target);
    if (!there.warmPool) {
      findings.push(
        blocking(
          'WARM_POOL_MISSING',
          name,
          `${name}: no warm pool (expected a ${pool.poolState} warm pool, as the plan declares: without it every instance launches from nothing)`,
        ),
      );
      continue;
    }
    const expected = warmPoolSize(pool, there.desired, there.max ?? spec.standby.max);
    if (there.warmPool.size < expected)
      findings.push(
        warning(
          'WARM_POOL_SMALL',
          name,
          `${name}: warm pool of ${there.warmPool.size} instances (expected ${expected}: the plan's pool for desired ${there.desired} and max ${there.max ?? spec.standby.max})`,
        ),
      );
    const warmed = there.warmPool.warmed;
    if (warmed !== undefined && warmed < there.warmPool.size)
      findings.push(
        warning(
          'WARM_POOL_NOT_WARMED',
          name,
          `${name}: ${warmed} of ${there.warmPool.size} pool instances warmed (expected all Warmed:${there.warmPool.poolState}; the rest are still being prepared)`,
        ),
      );
  }
  return findings;
};

/**
 * The health-checks traffic method: the traffic switch (what every region's health endpoint
 * answers healthy for) names the recorded active region. Unknown (the switch's replica did not
 * answer) is a warning: it cannot be told, and it is no reason to refuse a failover.
 */
export const healthSwitchAgrees: ReadinessCheck = ({ plan, observation, source, mode, self }) => {
  const switchRegion = observation.traffic.switchRegion;
  if (switchRegion === undefined || self) return [];
  const resource = `${plan.name} traffic switch`;
  if (!isKnown(switchRegion))
    return [
      warning(
        'HEALTH_ENDPOINT_UNKNOWN',
        resource,
        `cannot tell which region the health endpoints answer healthy for: unknown (got: ${switchRegion.unknown}; expected the state table's replica to answer)`,
      ),
    ];
  if (switchRegion === source) return [];
  return [
    gracefulOnly(mode)(
      'HEALTH_ENDPOINT_DISAGREES',
      resource,
      `the traffic switch names ${switchRegion}, so the health endpoints answer healthy for ${switchRegion} (expected ${source}: ${plan.name} is recorded active there)`,
    ),
  ];
};

/** Every check, in the order their findings are listed. */
export const READINESS_CHECKS: readonly ReadinessCheck[] = [
  targetNotActive,
  targetReadable,
  databaseCanFailOver,
  capacityCanFailOver,
  warmPoolReady,
  truthAgreesWithRecord,
  healthSwitchAgrees,
  healthChecksExist,
  runbookAnswers,
  lockFree,
  cooldown,
  drillFresh,
  alarmsExist,
];

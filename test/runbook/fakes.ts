import {
  ConflictError,
  FailoverInProgressError,
  LockLostError,
  PreconditionFailedError,
  ResourceNotFoundError,
  ThrottledError,
} from '../../functions/core/errors.js';
import type { CapacityProfile } from '../../functions/core/plan.js';
import type {
  AuditEntry,
  DrillReport,
  ExecutionRecord,
  LockRecord,
  PlanState,
} from '../../functions/core/records.js';
import type { ArcRoutingControls, RoutingControlState } from '../../functions/runbook/ports/arc.js';
import type {
  AuroraGlobalClusters,
  AuroraReplicationLag,
  GlobalClusterView,
} from '../../functions/runbook/ports/aurora.js';
import type { AutoScalingGroups, GroupCapacity } from '../../functions/runbook/ports/auto-scaling.js';
import type { CloudWatchAlarms } from '../../functions/runbook/ports/cloudwatch.js';
import type { DnsAnswers } from '../../functions/runbook/ports/dns.js';
import type { EventPublisher } from '../../functions/runbook/ports/events.js';
import type { Route53Records } from '../../functions/runbook/ports/route53.js';
import type { StateStore } from '../../functions/runbook/ports/state-store.js';
import type { StepFunctions } from '../../functions/runbook/ports/step-functions.js';
import type { PollerLease, TaskWait, TaskWaits } from '../../functions/runbook/ports/task-waits.js';

/**
 * In-memory fakes of the ports the runbook steps call (functions/runbook/ports/), for unit tests
 * of the use cases. They implement the port interfaces, not the SDK, with the semantics the ports
 * document (a lock epoch per holder, a record per execution id), and count the calls that mutate.
 */

/** A virtual clock the test moves by hand (epoch ms). */
export function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** The state store port in memory: one state, one lock, executions and audit entries per app. */
export function fakeStore(clock: { now(): number }, region = 'us-west-2') {
  const states = new Map<string, PlanState>();
  const locks = new Map<string, LockRecord>();
  const executions = new Map<string, ExecutionRecord>();
  const audit: AuditEntry[] = [];
  const drills: DrillReport[] = [];
  const claims = new Map<string, { executionId: string; requestHash: string }>();
  const iso = () => new Date(clock.now()).toISOString();
  const lockLost = (app: string, holder: string, epoch: number) =>
    new LockLostError(`${app}: ${holder} epoch ${epoch} no longer holds the lock (fake)`);
  const byKey = (app: string, key: string) =>
    [...executions.values()].find((e) => e.app === app && e.key === key);

  const store: StateStore = {
    region,
    getState: async (app) => states.get(app),
    async initState(app, activeRegion) {
      const existing = states.get(app);
      if (existing) return { state: existing, created: false };
      const state: PlanState = { app, activeRegion, status: 'ACTIVE', version: 1, updatedAt: iso() };
      states.set(app, state);
      return { state, created: true };
    },
    async setActive(app, input) {
      const current = states.get(app);
      if (!current || current.version !== input.expectedVersion)
        throw new ConflictError(`${app}: stale version`);
      if ((current.lockEpoch ?? 0) > input.epoch) throw lockLost(app, input.executionId, input.epoch);
      const next: PlanState = {
        ...current,
        activeRegion: input.activeRegion,
        status: input.status,
        version: current.version + 1,
        lockEpoch: input.epoch,
        lastExecutionId: input.executionId,
        updatedAt: iso(),
      };
      states.set(app, next);
      return next;
    },
    async acquireLock(app, holder, leaseMs, options = {}) {
      const lock = locks.get(app);
      const now = clock.now();
      if (lock && !lock.released && lock.leaseExpiresAt >= now) {
        if (lock.holder !== holder)
          throw new FailoverInProgressError(`${app} is locked by ${lock.holder} (epoch ${lock.epoch})`);
        locks.set(app, { ...lock, leaseExpiresAt: now + leaseMs });
        return { epoch: lock.epoch, leaseExpiresAt: now + leaseMs, reacquired: true };
      }
      const epoch = (lock?.epoch ?? 0) + 1;
      locks.set(app, {
        app,
        holder,
        epoch,
        leaseExpiresAt: now + leaseMs,
        acquiredAt: iso(),
        reason: options.reason ?? '',
        released: false,
      });
      return { epoch, leaseExpiresAt: now + leaseMs, reacquired: false };
    },
    async renewLock(app, holder, epoch, leaseMs) {
      const lock = locks.get(app);
      if (!lock || lock.holder !== holder || lock.epoch !== epoch || lock.released)
        throw lockLost(app, holder, epoch);
      locks.set(app, { ...lock, leaseExpiresAt: clock.now() + leaseMs });
      return { leaseExpiresAt: clock.now() + leaseMs };
    },
    async releaseLock(app, holder, epoch) {
      const lock = locks.get(app);
      if (!lock || lock.holder !== holder || lock.epoch !== epoch || lock.released)
        return { released: false };
      locks.set(app, { ...lock, released: true, releasedAt: iso() });
      return { released: true };
    },
    async assertLockHeld(app, holder, epoch) {
      const lock = locks.get(app);
      if (!lock || lock.holder !== holder || lock.epoch !== epoch || lock.released)
        throw lockLost(app, holder, epoch);
      return lock;
    },
    getLock: async (app) => locks.get(app),
    async createExecution(input) {
      const existing = executions.get(input.id);
      if (existing) return { record: existing, created: false };
      const record: ExecutionRecord = {
        ...input,
        key: `EXEC#${input.startedAt}#${input.id}`,
        status: input.status ?? 'RUNNING',
        steps: input.steps ?? {},
      };
      executions.set(input.id, record);
      return { record, created: true };
    },
    async recordStep(app, key, stepKey, step) {
      const record = byKey(app, key);
      if (!record) throw new Error(`fake store: no execution at ${key}`);
      executions.set(record.id, { ...record, steps: { ...record.steps, [stepKey]: step } });
    },
    async updateExecution(app, key, progress) {
      const record = byKey(app, key);
      if (!record) throw new Error(`fake store: no execution at ${key}`);
      const next = { ...record, ...progress };
      executions.set(record.id, next);
      return next;
    },
    async finishExecution(app, key, outcome) {
      const record = byKey(app, key);
      if (!record) throw new Error(`fake store: no execution at ${key}`);
      if (record.status === outcome.status) return record;
      if (record.status !== 'RUNNING' && record.status !== 'WAITING_APPROVAL')
        throw new ConflictError(`${app}: execution ${record.id} is already ${record.status}`);
      const next: ExecutionRecord = { ...record, ...outcome, finishedAt: outcome.finishedAt ?? iso() };
      executions.set(record.id, next);
      return next;
    },
    getExecution: async (_app, id) => executions.get(id),
    getExecutionByKey: async (app, key) => byKey(app, key),
    listExecutions: async (app) => [...executions.values()].filter((e) => e.app === app).reverse(),
    async appendAudit(entry) {
      if (audit.some((a) => a.id === entry.id && a.at === entry.at)) return { created: false };
      audit.push(entry);
      return { created: true };
    },
    listAudit: async (app) => audit.filter((a) => a.app === app).reverse(),
    async putDrillReport(report) {
      drills.push(report);
      return { created: true };
    },
    listDrills: async (app) => drills.filter((d) => d.app === app),
    async lastPassedDrillSince(app) {
      const passed = drills.filter((d) => d.app === app && d.outcome === 'PASSED').map((d) => d.at);
      return { lastPassedAt: passed.sort().at(-1) ?? null };
    },
    async claimIdempotencyKey(_app, key, executionId, requestHash) {
      const claim = claims.get(key);
      if (!claim) {
        claims.set(key, { executionId, requestHash });
        return { executionId, claimed: true };
      }
      if (claim.requestHash !== requestHash) throw new ConflictError(`idempotency key ${key} reused`);
      return { executionId: claim.executionId, claimed: false };
    },
  };
  return { store, states, locks, executions, audit };
}

/** Auto Scaling in memory: each group's capacity, and every update made. */
export function fakeAutoScaling(groups: Record<string, Partial<GroupCapacity>>) {
  const updates: { region: string; group: string; capacity: CapacityProfile }[] = [];
  const port: AutoScalingGroups = {
    async describe(region, name) {
      const g = groups[`${region}/${name}`];
      if (!g) throw new Error(`fake auto scaling: no group ${name} in ${region}`);
      return {
        name,
        min: 0,
        desired: 0,
        max: 0,
        inService: 0,
        healthyInService: 0,
        pending: 0,
        waiting: 0,
        notServing: [],
        instances: 0,
        ...g,
      };
    },
    async describeMany(region, names) {
      const found = new Map<string, GroupCapacity>();
      for (const name of names)
        if (groups[`${region}/${name}`]) found.set(name, await port.describe(region, name));
      return found;
    },
    warmPool: async () => undefined,
    failedLaunches: async () => ({ count: 0 }),
    async update(region, name, capacity) {
      updates.push({ region, group: name, capacity });
      const g = groups[`${region}/${name}`] ?? {};
      groups[`${region}/${name}`] = { ...g, min: capacity.min, desired: capacity.desired, max: capacity.max };
    },
  };
  return { port, groups, updates };
}

/**
 * Aurora in memory: one global cluster view per id (a member's own view derived from it), and
 * every switchover or failover started.
 */
export function fakeAurora(clusters: Record<string, GlobalClusterView>, lagMs?: number) {
  const calls: { op: 'switchover' | 'failover' | 'detach'; region: string; id: string; target: string }[] =
    [];
  const unexpected = (what: string) => () => Promise.reject(new Error(`fake aurora: ${what} not expected`));
  const port: AuroraGlobalClusters = {
    async describeGlobalCluster(_region, id) {
      const view = clusters[id];
      if (!view) throw new Error(`fake aurora: no global cluster ${id}`);
      return view;
    },
    async describeGlobalClusters() {
      return Object.values(clusters);
    },
    async switchover(region, id, target) {
      calls.push({ op: 'switchover', region, id, target });
    },
    async failover(region, id, target) {
      calls.push({ op: 'failover', region, id, target });
    },
    async detach(region, id, target) {
      calls.push({ op: 'detach', region, id, target });
    },
    instances: unexpected('instances'),
    addReader: unexpected('addReader'),
    removeInstances: unexpected('removeInstances'),
    async describeCluster(_region, arn) {
      // The member's own view, as the observer reads it: a writer member has a writer instance.
      for (const view of Object.values(clusters)) {
        const member = view.members.find((m) => m.clusterArn === arn);
        if (member)
          return {
            id: arn.split(':').pop() ?? arn,
            arn,
            status: 'available',
            globalClusterId: view.id,
            instances: [{ id: `${arn.split(':').pop()}-1`, isWriter: member.isWriter }],
          };
      }
      throw new Error(`fake aurora: no cluster ${arn}`);
    },
  };
  /** The lag port beside it (CloudWatch in AWS): every secondary lags `lagMs`. */
  const lag: AuroraReplicationLag = { replicationLagMs: async () => lagMs };
  return { port, lag, clusters, calls };
}

/**
 * ARC routing controls in memory: each control's state by ARN and every UpdateRoutingControlStates
 * made. `failReads` makes GetRoutingControlState fail with `error` (an endpoint that does not answer).
 */
export function fakeArc(states: Record<string, RoutingControlState>) {
  const updates: Record<string, RoutingControlState>[] = [];
  const control = { failReads: undefined as Error | undefined };
  const port: ArcRoutingControls = {
    async getStates(_endpoints, arns) {
      if (control.failReads) throw control.failReads;
      return Object.fromEntries(arns.map((arn) => [arn, states[arn] ?? 'Off']));
    },
    async setActive(endpoints, next) {
      updates.push({ ...next });
      Object.assign(states, next);
      const endpoint = endpoints[0];
      if (!endpoint) throw new Error('fake arc: no endpoints');
      return endpoint;
    },
  };
  return { port, states, updates, control };
}

/**
 * Route 53 in memory: the PRIMARY region, every change batch accepted (its id) and the change
 * status GetChange answers. `throttleNext` refuses that many changes with ThrottledError first.
 */
export function fakeRoute53(primary: string) {
  const changes: { primary: string; secondary: string; changeId: string }[] = [];
  const control = { primary, throttleNext: 0, changeStatus: 'PENDING' as 'PENDING' | 'INSYNC' };
  const port: Route53Records = {
    listFailoverRecords: async (_zone, name, type) =>
      [control.primary, 'other'].map((setIdentifier, i) => ({
        name,
        type,
        setIdentifier,
        failover: i === 0 ? ('PRIMARY' as const) : ('SECONDARY' as const),
      })),
    async setPrimary(_zone, _records, primaryRegion, secondaryRegion) {
      if (control.throttleNext > 0) {
        control.throttleNext -= 1;
        throw new ThrottledError('PriorRequestNotComplete: the zone has a change in progress (fake)');
      }
      if (control.primary === primaryRegion) return undefined;
      const changeId = `C${changes.length + 1}`;
      changes.push({ primary: primaryRegion, secondary: secondaryRegion, changeId });
      control.primary = primaryRegion;
      return changeId;
    },
    async setPrimaryMany() {
      throw new Error('fake route53: setPrimaryMany not expected (no evacuation here)');
    },
    getChangeStatus: async () => control.changeStatus,
    healthCheckStatus: async () => 'Healthy',
    // The runbook never reads health check configurations (readiness's scheduled reads do).
    getHealthCheck: async () => {
      throw new Error('fake route53: the runbook must not call GetHealthCheck');
    },
  };
  return { port, changes, control };
}

/** The zone's name servers in memory: the region each record name answers (absent: no answer). */
export function fakeDns(answers: Record<string, string | null>) {
  const port: DnsAnswers = {
    async answeredRegion(_region, record) {
      const answer = answers[record.name];
      if (answer === undefined) throw new Error(`fake dns: no answer set for ${record.name}`);
      return answer;
    },
  };
  return { port, answers };
}

/** CloudWatch in memory: every named alarm exists and is OK. */
export function fakeAlarms(): CloudWatchAlarms {
  return {
    alarmStates: async (region, names) =>
      names.map((name) => ({
        name,
        arn: `arn:aws:cloudwatch:${region}:111111111111:alarm:${name}`,
        state: 'OK' as const,
        reason: 'fake',
        updatedAt: 0,
        transitionedAt: 0,
      })),
    latestDatapoint: async () => undefined,
  };
}

/** EventBridge in memory: every event published. */
export function fakeEvents() {
  const published: { region: string; detailType: string; detail: Record<string, unknown> }[] = [];
  const port: EventPublisher = {
    async publish(region, detailType, detail) {
      published.push({ region, detailType, detail });
    },
  };
  return { port, published };
}

/**
 * Step Functions in memory, read side only: every state machine whose ARN is in `active` is
 * ACTIVE (DescribeStateMachine); any other is not deployed. Starting or answering is not expected.
 */
export function fakeStepFunctions(active: readonly string[]): StepFunctions {
  const unexpected = (what: string) => () =>
    Promise.reject(new Error(`fake step functions: ${what} not expected`));
  return {
    async stateMachineStatus(region, arn) {
      if (active.includes(arn)) return 'ACTIVE';
      throw new ResourceNotFoundError(`fake step functions: no state machine ${arn} in ${region}`);
    },
    start: unexpected('start'),
    describe: unexpected('describe'),
    stop: unexpected('stop'),
    sendTaskSuccess: unexpected('sendTaskSuccess'),
    sendTaskFailure: unexpected('sendTaskFailure'),
  };
}

/** The parked steps' task tokens in memory (the `WAIT#` items). */
export function fakeWaits() {
  const items = new Map<string, TaskWait>();
  const leases = new Map<string, PollerLease>();
  const calls = { listShared: 0 };
  const port: TaskWaits = {
    async park(wait) {
      items.set(`${wait.app}/${wait.executionId}/${wait.what}`, wait);
    },
    async get(app, executionId, what) {
      return items.get(`${app}/${executionId}/${what}`);
    },
    async listShared(region, now) {
      calls.listShared++;
      return [...items.values()].filter(
        (w) => w.shared === true && w.region === region && Date.parse(w.expiresAt) > now,
      );
    },
    async claimPoller(region, now, until) {
      const held = leases.get(region);
      if (held && held.until > now) return undefined;
      const lease = { epoch: (held?.epoch ?? 0) + 1, until };
      leases.set(region, lease);
      return lease;
    },
    async renewPoller(region, epoch, until) {
      const held = leases.get(region);
      if (held?.epoch !== epoch) return false;
      leases.set(region, { epoch, until });
      return true;
    },
  };
  return { port, items, leases, calls };
}

/**
 * Step Functions' task tokens in memory: `live` tokens are waiting; SendTaskSuccess answers one
 * (recorded in `answered`) and spends it; a spent or unknown token is PreconditionFailedError, as
 * the adapter translates TaskTimedOut and InvalidToken.
 */
export function fakeTaskTokens(live: Iterable<string> = []) {
  const waiting = new Set(live);
  const answered: { region: string; token: string; output: unknown }[] = [];
  const port: StepFunctions = {
    ...fakeStepFunctions([]),
    async sendTaskSuccess(region, token, output) {
      if (!waiting.delete(token))
        throw new PreconditionFailedError(
          `fake step functions: task ${token} no longer waits (TaskTimedOut)`,
        );
      answered.push({ region, token, output });
    },
  };
  return { port, waiting, answered };
}

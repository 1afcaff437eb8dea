import type { RoutingControlState } from '@aws-sdk/client-route53-recovery-cluster';
import type { Plan } from '../functions/core/plan.js';
import type { SimContext } from './aws/simulator.js';

/** Which regions hold a writable cluster of a global cluster (the RDS model). */
export interface WriterView {
  /** Regions with a writable cluster of `globalClusterId` (detached ones included), down regions left out. */
  writerRegions(globalClusterId: string): string[];
  /** The same, down regions included. */
  allWriterRegions(globalClusterId: string): string[];
}

/** Serving capacity (the Auto Scaling model and its load balancers' target health). */
export interface CapacityView {
  /**
   * Instances of a group in a region that serve: InService and healthy in the group's target
   * group (not InService alone); 0 when the region is down.
   */
  healthyInService(region: string, groupName: string): number;
}

/** What users' resolvers answer (the Route 53 model). */
export interface DnsView {
  resolve(name: string, type: string): { region: string | undefined };
  /** Hears each change of the answers users get (the record's name), at the instant it becomes visible. */
  onVisibleChange?(listener: (name: string) => void): void;
}

/** Routing control states (the ARC model). */
export interface RoutingView {
  state(routingControlArn: string): RoutingControlState | undefined;
  /** Hears each routing control change (its ARN: the truth re-reads only the apps naming it). */
  onStateChange?(listener: (change: { readonly arn: string }) => void): void;
}

export interface TruthViews {
  readonly route53: DnsView;
  readonly arc?: RoutingView;
  readonly writers: WriterView;
  readonly capacity: CapacityView;
}

/**
 * How well an app is served at an instant: `served` when the region users are sent to is up,
 * holds every writer and has, in every group, healthy capacity at the plan's `healthyPercent` of
 * the `active` profile; `degraded` when it has some healthy capacity in every group but less;
 * `not-served` otherwise.
 */
export type ServiceLevel = 'served' | 'degraded' | 'not-served';

/** A span of virtual seconds (from the start) during which an app was not served (or degraded). */
export interface Outage {
  readonly app: string;
  readonly from: number;
  readonly to: number;
  readonly seconds: number;
}

export interface InvariantViolation {
  /** Virtual seconds from the start at which the violation began. */
  readonly at: number;
  /** When it ended (or the report's end, if it had not). */
  readonly to: number;
  readonly detail: string;
}

export interface InvariantResult {
  readonly name: InvariantName;
  readonly held: boolean;
  readonly violations?: InvariantViolation[];
}

export type InvariantName =
  | 'single-writer'
  | 'routing-control-on'
  | 'traffic-follows-writer'
  | 'record-matches-truth';

/** Where an app stands in truth at the end: its traffic, and every global cluster's writer. */
export interface FinalTruth {
  /** The region holding the writer of every global cluster, or null when none holds them all. */
  readonly writerRegion: string | null;
  readonly trafficRegion: string | null;
  /** Per global cluster id: the regions (up) holding a writable cluster. */
  readonly writers: Record<string, string[]>;
}

export interface TruthReport {
  /** Spans during which an app was not served. */
  readonly outages: Outage[];
  /** Spans during which an app was served with less than its plan's `healthyPercent` of capacity. */
  readonly degraded: Outage[];
  readonly invariants: InvariantResult[];
  readonly final: Record<string, FinalTruth>;
}

const INVARIANTS: readonly InvariantName[] = [
  'single-writer',
  'routing-control-on',
  'traffic-follows-writer',
  'record-matches-truth',
];

/**
 * How long users may be sent to a region that cannot serve while another region holds every
 * writer and has capacity, before `traffic-follows-writer` counts it as broken: one DNS TTL (what
 * resolvers may still hold) plus the plan's RTO objective (the time a failover is allowed to
 * bring traffic to the writer: an ungraceful failover promotes the writer before its capacity is
 * ready, and moves traffic only then).
 */
export function trafficGraceMs(plan: Plan, dnsTtlMs: number): number {
  return dnsTtlMs + plan.objectives.rtoSeconds * 1000;
}

/**
 * The ground truth (docs/architecture.md, The sandbox under the SDK): what users experience, independent of what the control plane
 * claims. An app is served at an instant when the region its DNS answer sends users to is up, holds
 * the writer of every one of its global clusters and has, in every one of the plan's Auto Scaling
 * groups, healthy capacity (InService and healthy in its target group) at the plan's
 * `healthyPercent` of the active profile; with less (but some in every group) it is degraded; else
 * not served (an outage). See {@link ServiceLevel}.
 *
 * It re-evaluates on {@link GroundTruth.changed} (wire `SimContext.changed` to it), on every fault
 * change, on every routing control change and whenever a DNS answer becomes visible to users (the
 * Route 53 model sets a clock timer for that instant). Between evaluations nothing it reads changes,
 * so the outage intervals are exact in virtual time.
 *
 * Invariants, checked at every evaluation: `single-writer` (per global cluster, at most one region
 * that is up holds a writable cluster) and `routing-control-on` (per ARC plan, at least one routing
 * control On).
 */
export class GroundTruth {
  private startMs: number | undefined;
  private readonly closed: { app: string; fromMs: number; toMs: number }[] = [];
  private readonly open = new Map<string, number>();
  private readonly closedDegraded: { app: string; fromMs: number; toMs: number }[] = [];
  private readonly openDegraded = new Map<string, number>();
  /** Per app: the region serving it (null: none) since when (virtual epoch ms). */
  private readonly served = new Map<string, { region: string | null; sinceMs: number }>();
  private readonly violations = new Map<InvariantName, { atMs: number; toMs?: number; detail: string }[]>();
  /** `invariant|subject` -> the violation in progress. */
  private readonly ongoing = new Map<string, { atMs: number; toMs?: number; detail: string }>();
  /** Per app: since when its users have been sent away from the one region that could serve them. */
  private readonly stranded = new Map<string, { sinceMs: number; key: string }>();
  /** Timers armed to re-check an app when its grace would run out. */
  private readonly graceTimers = new Set<string>();
  /** Whether an evaluation is queued (see {@link changed}). */
  private pending = false;
  /** What the queued evaluation re-reads: every app, or only these (see {@link changed}). */
  private dirty: 'all' | Set<Plan> = new Set();
  private readonly byName: ReadonlyMap<string, Plan>;
  /** Every AWS resource identifier the plans name (see {@link resourcesOf}), to the plans naming it. */
  private readonly byResource = new Map<string, Plan[]>();
  /** Apps re-read, summed over evaluations: what a change costs (see {@link evaluations}). */
  private appEvaluations = 0;
  private evaluationCount = 0;

  constructor(
    private readonly ctx: SimContext,
    private readonly plans: readonly Plan[],
    private readonly views: TruthViews,
  ) {
    for (const name of INVARIANTS) this.violations.set(name, []);
    this.byName = new Map(plans.map((p) => [p.name, p]));
    for (const plan of plans)
      for (const id of resourcesOf(plan)) {
        const named = this.byResource.get(id) ?? [];
        if (!named.includes(plan)) named.push(plan);
        this.byResource.set(id, named);
      }
    const changed = () => this.changed();
    ctx.faults.onChange(changed);
    views.route53.onVisibleChange?.((name) => this.changed([name]));
    views.arc?.onStateChange?.((change) => this.changed([change.arn]));
  }

  /** Starts recording at `atMs` (virtual epoch ms; times in the report are seconds from it). */
  start(atMs: number = this.ctx.clock.now()): void {
    this.startMs = atMs;
    this.evaluate();
  }

  /**
   * Something the truth reads may have changed: re-evaluates once, after the changes of this
   * moment have all been made (in a microtask: virtual time cannot move before it runs, so the
   * outage intervals stay exact). A burst of changes in one instant costs one evaluation.
   *
   * `resources` names what changed, by the AWS identifiers a plan names (a global cluster id or
   * member ARN, an Auto Scaling group name, a routing control ARN, a record name, an alarm name):
   * only the apps naming one of them are re-read, so a change costs O(1) apps, not O(apps). A change
   * that does not say what changed, or names only what no plan names, re-reads every app (the safe
   * default); an empty list says nothing changed.
   */
  changed(resources?: Iterable<string>): void {
    this.markDirty(resources);
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      const dirty = this.dirty;
      this.dirty = new Set();
      this.evaluate(dirty === 'all' ? undefined : dirty);
    });
  }

  private markDirty(resources: Iterable<string> | undefined): void {
    if (this.dirty === 'all') return;
    if (resources === undefined) {
      this.dirty = 'all';
      return;
    }
    let any = false;
    let named = false;
    for (const id of resources) {
      any = true;
      for (const plan of this.byResource.get(id) ?? []) {
        named = true;
        this.dirty.add(plan);
      }
    }
    // An empty list: nothing changed. Identifiers no plan names: something unknown, read all.
    if (any && !named) this.dirty = 'all';
  }

  /**
   * Re-reads the world now: opens or closes outages and records invariant violations, for every
   * app or for `apps` only (what nothing else changed stays as last evaluated).
   */
  evaluate(apps?: ReadonlySet<Plan>): void {
    if (this.startMs === undefined) return;
    const now = Math.max(this.ctx.clock.now(), this.startMs);
    const plans = apps ? [...apps] : this.plans;
    this.evaluationCount++;
    this.appEvaluations += plans.length;
    for (const plan of plans) {
      const level = this.levelOf(plan);
      track(this.open, this.closed, plan.name, level === 'not-served', now);
      track(this.openDegraded, this.closedDegraded, plan.name, level === 'degraded', now);
      // Who serves the app (at the plan's healthyPercent: degraded is not served here), since when.
      const region = level === 'served' ? (this.trafficRegionOf(plan) ?? null) : null;
      const last = this.served.get(plan.name);
      if (!last || last.region !== region) this.served.set(plan.name, { region, sinceMs: now });
    }
    this.checkInvariants(now, plans);
  }

  /**
   * How many evaluations ran, and how many apps they re-read in all: what the simulator's cost
   * guard (test/sandbox/linearity.test.ts) counts, in operations rather than time.
   */
  evaluations(): { evaluations: number; appsEvaluated: number } {
    return { evaluations: this.evaluationCount, appsEvaluated: this.appEvaluations };
  }

  /** How well the app is served now (see {@link ServiceLevel}). */
  serviceLevel(app: string): ServiceLevel {
    return this.levelOf(this.plan(app));
  }

  private levelOf(plan: Plan): ServiceLevel {
    const region = this.trafficRegionOf(plan);
    if (!region || !this.canServe(plan, region)) return 'not-served';
    for (const group of plan.compute?.autoScalingGroups ?? []) {
      const healthy = this.views.capacity.healthyInService(region, group.members[region] ?? '');
      if (healthy * 100 < group.healthyPercent * group.active.desired) return 'degraded';
    }
    return 'served';
  }

  /**
   * The region serving the app now at its plan's `healthyPercent` (null: degraded or not served)
   * and since when, in virtual epoch ms: the last change of who serves it, as the truth saw it.
   */
  servedSince(app: string): { region: string | null; sinceMs: number } | undefined {
    return this.served.get(app);
  }

  /** The region serving the app now, or null when it is not served. */
  servedBy(app: string): string | null {
    const plan = this.plan(app);
    const region = this.trafficRegionOf(plan);
    return region && this.canServe(plan, region) ? region : null;
  }

  /**
   * Whether `region` could serve the plan now, if only degraded: up, a healthy instance in every
   * group, every writer.
   */
  private canServe(plan: Plan, region: string): boolean {
    if (this.ctx.faults.isRegionDown(region)) return false;
    for (const group of plan.compute?.autoScalingGroups ?? []) {
      const name = group.members[region];
      if (!name || this.views.capacity.healthyInService(region, name) < 1) return false;
    }
    for (const cluster of plan.database?.auroraGlobalClusters ?? []) {
      if (!this.views.writers.writerRegions(cluster.globalClusterId).includes(region)) return false;
    }
    return true;
  }

  /** The region DNS sends the app's users to now, or null. */
  trafficRegion(app: string): string | null {
    return this.trafficRegionOf(this.plan(app)) ?? null;
  }

  /** The region (up) holding the writer of every one of the app's global clusters, or null. */
  writerRegion(app: string): string | null {
    const clusters = this.plan(app).database?.auroraGlobalClusters ?? [];
    if (clusters.length === 0) return null;
    let common: string[] | undefined;
    for (const cluster of clusters) {
      const regions = this.views.writers.writerRegions(cluster.globalClusterId);
      common = common ? common.filter((r) => regions.includes(r)) : regions;
    }
    return common?.length === 1 ? (common[0] ?? null) : null;
  }

  /**
   * The region that could serve the app now: up, holding every writer, with a healthy instance in
   * every group. Null when none or several could.
   */
  servableRegion(app: string): string | null {
    const plan = this.plan(app);
    const candidates = plan.regions.filter((region) => this.canServe(plan, region));
    return candidates.length === 1 ? (candidates[0] ?? null) : null;
  }

  /**
   * Records a violation of `record-matches-truth` found by a reader of the control plane's records
   * (the records live in DynamoDB, which the ground truth does not read itself). `atMs` and `toMs`
   * are virtual epoch ms.
   */
  recordMismatch(app: string, atMs: number, toMs: number, detail: string): void {
    this.violations.get('record-matches-truth')?.push({ atMs, toMs, detail: `${app}: ${detail}` });
  }

  /**
   * The app's outages that overlap `[fromMs, toMs]` (virtual epoch ms), each starting no earlier
   * than `fromMs` but kept to its real end, which may be after `toMs` (users still affected by
   * what happened in the window); one still in progress ends now and is `ongoing`. For a drill's
   * evidence.
   */
  outagesWithin(
    app: string,
    fromMs: number,
    toMs: number,
  ): { fromMs: number; toMs: number; ongoing: boolean }[] {
    this.evaluate();
    const openedAt = this.open.get(app);
    const now = this.ctx.clock.now();
    return [
      ...this.closed.filter((o) => o.app === app).map((o) => ({ ...o, ongoing: false })),
      ...(openedAt === undefined ? [] : [{ app, fromMs: openedAt, toMs: now, ongoing: true }]),
    ]
      .filter((o) => o.toMs > fromMs && o.fromMs <= toMs)
      .map((o) => ({ fromMs: Math.max(o.fromMs, fromMs), toMs: o.toMs, ongoing: o.ongoing }))
      .filter((o) => o.toMs > o.fromMs)
      .sort((a, b) => a.fromMs - b.fromMs);
  }

  /**
   * Outages, invariants and final state as of `endMs` (default now). An outage or violation still
   * in progress is reported as ending at `endMs`. Reporting changes nothing: it may be called again.
   */
  report(endMs: number = this.ctx.clock.now()): TruthReport {
    this.evaluate();
    const start = this.startMs ?? endMs;
    const seconds = (ms: number) => Math.round(ms - start) / 1000;
    const spans = (closed: typeof this.closed, open: Map<string, number>): Outage[] =>
      [...closed, ...[...open].map(([app, fromMs]) => ({ app, fromMs, toMs: Math.max(endMs, fromMs) }))]
        .filter((o) => o.toMs > o.fromMs)
        .sort((a, b) => a.fromMs - b.fromMs || a.app.localeCompare(b.app))
        .map((o) => ({
          app: o.app,
          from: seconds(o.fromMs),
          to: seconds(o.toMs),
          seconds: Math.round(o.toMs - o.fromMs) / 1000,
        }));
    const outages = spans(this.closed, this.open);
    const degraded = spans(this.closedDegraded, this.openDegraded);
    const invariants = INVARIANTS.map((name): InvariantResult => {
      const list = this.violations.get(name) ?? [];
      if (list.length === 0) return { name, held: true };
      return {
        name,
        held: false,
        violations: list.map((v) => ({
          at: seconds(v.atMs),
          to: seconds(Math.max(v.toMs ?? endMs, v.atMs)),
          detail: v.detail,
        })),
      };
    });
    const final: TruthReport['final'] = {};
    for (const plan of this.plans) {
      const writers: Record<string, string[]> = {};
      for (const cluster of plan.database?.auroraGlobalClusters ?? [])
        writers[cluster.globalClusterId] = this.views.writers.writerRegions(cluster.globalClusterId);
      final[plan.name] = {
        writerRegion: this.writerRegion(plan.name),
        trafficRegion: this.trafficRegion(plan.name),
        writers,
      };
    }
    return { outages, degraded, invariants, final };
  }

  private checkInvariants(now: number, plans: readonly Plan[] = this.plans): void {
    const seen = new Set<string>();
    const check = (name: InvariantName, subject: string, detail: string | undefined) => {
      const key = `${name}|${subject}`;
      seen.add(key);
      const current = this.ongoing.get(key);
      if (current && current.detail === detail) return;
      if (current) {
        current.toMs = now;
        this.ongoing.delete(key);
      }
      if (detail === undefined) return;
      const violation = { atMs: now, detail };
      this.violations.get(name)?.push(violation);
      this.ongoing.set(key, violation);
    };

    for (const plan of plans) {
      for (const cluster of plan.database?.auroraGlobalClusters ?? []) {
        const id = cluster.globalClusterId;
        const writers = this.views.writers
          .allWriterRegions(id)
          .filter((r) => !this.ctx.faults.isRegionDown(r));
        check(
          'single-writer',
          id,
          writers.length > 1 ? `${id}: writable clusters in ${writers.join(', ')} (regions up)` : undefined,
        );
      }
      const arc = plan.traffic.arc;
      if (arc) {
        const states = plan.regions.map((r) => {
          const arn = arc.routingControls[r];
          return `${r}=${(arn && this.views.arc?.state(arn)) ?? 'unknown'}`;
        });
        const anyOn = plan.regions.some((r) => {
          const arn = arc.routingControls[r];
          return arn !== undefined && this.views.arc?.state(arn) === 'On';
        });
        check(
          'routing-control-on',
          plan.name,
          anyOn ? undefined : `${plan.name}: no routing control On (${states.join(', ')})`,
        );
      }
    }
    for (const plan of plans) {
      const subject = plan.name;
      const servable = plan.database ? this.servableRegion(plan.name) : null;
      const traffic = this.trafficRegionOf(plan) ?? null;
      const strandedNow = servable !== null && traffic !== servable;
      if (!strandedNow) {
        this.stranded.delete(subject);
        check('traffic-follows-writer', subject, undefined);
        continue;
      }
      const key = `${traffic}->${servable}`;
      let since = this.stranded.get(subject);
      if (!since || since.key !== key) {
        since = { sinceMs: now, key };
        this.stranded.set(subject, since);
      }
      const grace = trafficGraceMs(plan, this.ctx.latency.route53.dnsTtlMs);
      if (now - since.sinceMs >= grace) {
        check(
          'traffic-follows-writer',
          subject,
          `${plan.name}: users sent to ${traffic ?? 'no region'} while ${servable} holds every writer and has capacity (for more than ${grace / 1000} s)`,
        );
      } else {
        check('traffic-follows-writer', subject, undefined);
        // Come back when the grace runs out, so the violation starts on time.
        const timerKey = `${subject}|${since.sinceMs}|${key}`;
        if (!this.graceTimers.has(timerKey)) {
          this.graceTimers.add(timerKey);
          this.ctx.clock.setTimer(since.sinceMs + grace - now, () => this.evaluate(new Set([plan])));
        }
      }
    }
    // Subjects no longer checked end their violations (a partial evaluation checks only its own).
    if (plans !== this.plans) return;
    for (const [key, violation] of this.ongoing) {
      if (!seen.has(key)) {
        violation.toMs = now;
        this.ongoing.delete(key);
      }
    }
  }

  private trafficRegionOf(plan: Plan): string | undefined {
    const record = plan.traffic.route53?.records[0];
    if (record) return this.views.route53.resolve(record.name, record.type).region;
    // An ARC-only plan: users go where a routing control is On.
    const arc = plan.traffic.arc;
    if (!arc) return undefined;
    return plan.regions.find((r) => {
      const arn = arc.routingControls[r];
      return arn !== undefined && this.views.arc?.state(arn) === 'On';
    });
  }

  private plan(app: string): Plan {
    const plan = this.byName.get(app);
    if (!plan)
      throw new RangeError(
        `ground truth: no plan named ${app} (have ${this.plans.map((p) => p.name).join(', ')})`,
      );
    return plan;
  }
}

/**
 * Opens `app`'s span in `open` when `active` starts, and moves it to `closed` when it ends. A span
 * of no duration (a state passed through within one instant) reached no user and is dropped.
 */
function track(
  open: Map<string, number>,
  closed: { app: string; fromMs: number; toMs: number }[],
  app: string,
  active: boolean,
  now: number,
): void {
  const since = open.get(app);
  if (active && since === undefined) open.set(app, now);
  if (!active && since !== undefined) {
    open.delete(app);
    if (now > since) closed.push({ app, fromMs: since, toMs: now });
  }
}

/**
 * The AWS identifiers a plan names that the truth reads the state of: its global clusters and
 * their member ARNs, its Auto Scaling groups (every region's name), its routing controls, its
 * records' names (as written and in Route 53's canonical form, with the trailing dot) and its
 * alarms. A change naming one of them concerns this plan (see {@link GroundTruth.changed}).
 */
export function resourcesOf(plan: Plan): string[] {
  const ids: string[] = [plan.name];
  for (const cluster of plan.database?.auroraGlobalClusters ?? [])
    ids.push(cluster.globalClusterId, ...Object.values(cluster.members));
  for (const group of plan.compute?.autoScalingGroups ?? []) ids.push(...Object.values(group.members));
  ids.push(...Object.values(plan.traffic.arc?.routingControls ?? {}));
  ids.push(...(plan.detection?.alarms ?? []), ...(plan.detection?.alarms ?? []).map(alarmName));
  for (const record of plan.traffic.route53?.records ?? []) {
    const name = record.name.toLowerCase();
    ids.push(name, name.endsWith('.') ? name.slice(0, -1) : `${name}.`);
  }
  return ids;
}

/** An alarm's name, from its ARN (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`). */
function alarmName(arn: string): string {
  return arn.split(':alarm:')[1] ?? arn;
}

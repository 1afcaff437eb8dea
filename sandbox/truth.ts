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

/** Serving capacity (the Auto Scaling model). */
export interface CapacityView {
  /** Healthy InService instances of a group in a region; 0 when the region is down. */
  healthyInService(region: string, groupName: string): number;
}

/** What users' resolvers answer (the Route 53 model). */
export interface DnsView {
  resolve(name: string, type: string): { region: string | undefined };
  /** Hears each change of the answers users get, at the instant it becomes visible. */
  onVisibleChange?(listener: () => void): void;
}

/** Routing control states (the ARC model). */
export interface RoutingView {
  state(routingControlArn: string): RoutingControlState | undefined;
  onStateChange?(listener: () => void): void;
}

export interface TruthViews {
  readonly route53: DnsView;
  readonly arc?: RoutingView;
  readonly writers: WriterView;
  readonly capacity: CapacityView;
}

/** A span of virtual seconds (from the start) during which an app was not served. */
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

export type InvariantName = 'single-writer' | 'routing-control-on';

export interface TruthReport {
  readonly outages: Outage[];
  readonly invariants: InvariantResult[];
  readonly final: Record<string, { writerRegion: string | null; trafficRegion: string | null }>;
}

const INVARIANTS: readonly InvariantName[] = ['single-writer', 'routing-control-on'];

/**
 * The ground truth (design.md §5): what users experience, independent of what the control plane
 * claims. An app is served at an instant when the region its DNS answer sends users to is up, has
 * at least one healthy InService instance in every one of the plan's Auto Scaling groups, and holds
 * the writer of every one of its global clusters.
 *
 * It re-evaluates on {@link GroundTruth.evaluate} (wire `SimContext.changed` to it), on every fault
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
  private readonly violations = new Map<InvariantName, { atMs: number; toMs?: number; detail: string }[]>();
  /** `invariant|subject` -> the violation in progress. */
  private readonly ongoing = new Map<string, { atMs: number; toMs?: number; detail: string }>();

  constructor(
    private readonly ctx: SimContext,
    private readonly plans: readonly Plan[],
    private readonly views: TruthViews,
  ) {
    for (const name of INVARIANTS) this.violations.set(name, []);
    const evaluate = () => this.evaluate();
    ctx.faults.onChange(evaluate);
    views.route53.onVisibleChange?.(evaluate);
    views.arc?.onStateChange?.(evaluate);
  }

  /** Starts recording at `atMs` (virtual epoch ms; times in the report are seconds from it). */
  start(atMs: number = this.ctx.clock.now()): void {
    this.startMs = atMs;
    this.evaluate();
  }

  /** Re-reads the world now: opens or closes outages and records invariant violations. */
  evaluate(): void {
    if (this.startMs === undefined) return;
    const now = Math.max(this.ctx.clock.now(), this.startMs);
    for (const plan of this.plans) {
      const served = this.servedBy(plan.name) !== null;
      const since = this.open.get(plan.name);
      if (!served && since === undefined) this.open.set(plan.name, now);
      if (served && since !== undefined) {
        this.open.delete(plan.name);
        // An outage of no duration (a state passed through within one instant) reached no user.
        if (now > since) this.closed.push({ app: plan.name, fromMs: since, toMs: now });
      }
    }
    this.checkInvariants(now);
  }

  /** The region serving the app now, or null when it is not served. */
  servedBy(app: string): string | null {
    const plan = this.plan(app);
    const region = this.trafficRegionOf(plan);
    if (!region || this.ctx.faults.isRegionDown(region)) return null;
    for (const group of plan.compute?.autoScalingGroups ?? []) {
      const name = group.members[region];
      if (!name || this.views.capacity.healthyInService(region, name) < 1) return null;
    }
    for (const cluster of plan.database?.auroraGlobalClusters ?? []) {
      if (!this.views.writers.writerRegions(cluster.globalClusterId).includes(region)) return null;
    }
    return region;
  }

  /** The region DNS sends the app's users to now, or null. */
  trafficRegion(app: string): string | null {
    return this.trafficRegionOf(this.plan(app)) ?? null;
  }

  /** The region holding the writer of the app's (first) global cluster now, or null. */
  writerRegion(app: string): string | null {
    const cluster = this.plan(app).database?.auroraGlobalClusters[0];
    if (!cluster) return null;
    return this.views.writers.writerRegions(cluster.globalClusterId)[0] ?? null;
  }

  /**
   * Outages, invariants and final state as of `endMs` (default now). An outage or violation still
   * in progress is reported as ending at `endMs`. Reporting changes nothing: it may be called again.
   */
  report(endMs: number = this.ctx.clock.now()): TruthReport {
    this.evaluate();
    const start = this.startMs ?? endMs;
    const seconds = (ms: number) => Math.round(ms - start) / 1000;
    const outages: Outage[] = [
      ...this.closed,
      ...[...this.open].map(([app, fromMs]) => ({ app, fromMs, toMs: Math.max(endMs, fromMs) })),
    ]
      .filter((o) => o.toMs > o.fromMs)
      .sort((a, b) => a.fromMs - b.fromMs || a.app.localeCompare(b.app))
      .map((o) => ({
        app: o.app,
        from: seconds(o.fromMs),
        to: seconds(o.toMs),
        seconds: Math.round(o.toMs - o.fromMs) / 1000,
      }));
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
      final[plan.name] = {
        writerRegion: this.writerRegion(plan.name),
        trafficRegion: this.trafficRegion(plan.name),
      };
    }
    return { outages, invariants, final };
  }

  private checkInvariants(now: number): void {
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

    for (const plan of this.plans) {
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
    // Subjects no longer checked (none today) end their violations.
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
    const plan = this.plans.find((p) => p.name === app);
    if (!plan)
      throw new RangeError(
        `ground truth: no plan named ${app} (have ${this.plans.map((p) => p.name).join(', ')})`,
      );
    return plan;
  }
}

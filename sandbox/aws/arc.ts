import type {
  GetRoutingControlStateResponse,
  ListRoutingControlsResponse,
  RoutingControl,
  RoutingControlState,
  UpdateRoutingControlStateResponse,
  UpdateRoutingControlStatesResponse,
} from '@aws-sdk/client-route53-recovery-cluster';
import type { Plan } from '../../functions/core/plan.js';
import { shuffled } from '../../functions/core/random.js';
import {
  awsError,
  type CallTarget,
  type SimContext,
  type SimulatedService,
  UnsupportedOperationError,
} from './simulator.js';

/**
 * Route 53 ARC's routing control data plane (the recovery cluster), as the SDK sees it through one
 * of a cluster's five regional endpoints.
 *
 * Modelled:
 * - A cluster per distinct set of `traffic.arc.clusterEndpoints`; a routing control answers through
 *   the endpoints of its own cluster only (any other endpoint: `ResourceNotFoundException`).
 * - Routing control states (`On`/`Off`), changed atomically by `UpdateRoutingControlState(s)`.
 * - Per plan, an assertion safety rule `ATLEAST 1` over the plan's routing controls, evaluated on
 *   the state a transaction would leave. A violation is refused with `ConflictException` (the only
 *   documented error of `UpdateRoutingControlStates` that fits a refused-but-valid request; its
 *   message names the rule's ARN, as the ARC Developer Guide says a blocked update does) and can be
 *   bypassed with `SafetyRulesToOverride`, as in ARC.
 * - The rule's wait period (`WaitPeriodMs`, 5 s by default: `arc.safetyRuleWaitPeriodMs` in
 *   `sandbox/latency.ts`, with its source): after a transaction changes one of the rule's routing
 *   controls, "any request against the target routing controls will fail" until the period has
 *   passed, a repeat of the change just made included. AWS does not name the error; the sandbox
 *   answers `ConflictException` ("There was a conflict with this request. Try again.", the SDK
 *   model's words for it), naming the rule and the time left. Overriding the rule skips its wait
 *   period too. Reads are not refused.
 * - The `arc-endpoints-down` fault: N (at most 2, within ARC's promise that three of five endpoints
 *   stay accessible) of each cluster's endpoints, drawn once per activation with the seeded
 *   generator and kept while the fault lasts, stop answering (the SDK sees a timeout). Region
 *   outages are the simulator's: an ARC client's region is its endpoint's region.
 * - The `arc-cluster-unavailable` fault, beyond that promise: 3 to 5 endpoints stop answering and
 *   the rest, without a majority, answer reads but refuse updates
 *   (`EndpointTemporarilyUnavailableException`, a 503 the SDK counts as transient).
 *
 * Not modelled: gating rules.
 */
export class SimulatedArc implements SimulatedService {
  readonly service = 'arc' as const;

  private readonly clusters = new Map<string, Cluster>();
  /** Endpoint URL -> its cluster. */
  private readonly endpointCluster = new Map<string, Cluster>();
  private readonly controls = new Map<string, RoutingControlRecord>();
  private readonly panels = new Map<string, ControlPanel>();
  private readonly rules = new Map<string, AssertionRule>();
  /** Plan name -> region -> routing control ARN. */
  private readonly planControls = new Map<string, Record<string, string>>();
  private readonly listeners: ((change: RoutingControlChange) => void)[] = [];
  private downCount = 0;

  constructor(private readonly ctx: SimContext) {
    ctx.faults.onChange(() => this.refreshDownEndpoints());
  }

  /**
   * Creates the plan's cluster, control panel, routing controls (the plan's first region On, the
   * others Off) and its `ATLEAST 1` assertion rule. Idempotent: existing routing controls keep their
   * state.
   */
  provision(plan: Plan): void {
    const arc = plan.traffic.arc;
    if (!arc) return;
    const endpoints = arc.clusterEndpoints.map((e) => ({
      region: e.region,
      endpoint: normalizeUrl(e.endpoint),
    }));
    const clusterKey = endpoints
      .map((e) => e.endpoint)
      .sort()
      .join(' ');
    let cluster = this.clusters.get(clusterKey);
    if (!cluster) {
      cluster = { key: clusterKey, endpoints, down: new Set(), order: undefined };
      this.clusters.set(clusterKey, cluster);
      for (const e of endpoints) this.endpointCluster.set(e.endpoint, cluster);
    }

    const controls: Record<string, string> = {};
    plan.regions.forEach((region, i) => {
      const arn = arc.routingControls[region];
      if (!arn) return;
      controls[region] = arn;
      const panelArn = controlPanelArnOf(arn);
      let panel = this.panels.get(panelArn);
      if (!panel) {
        panel = { arn: panelArn, name: `${plan.name}-control-panel`, cluster: clusterKey };
        this.panels.set(panelArn, panel);
      }
      if (!this.controls.has(arn)) {
        this.controls.set(arn, {
          arn,
          name: `${plan.name}-${region}`,
          panel: panelArn,
          cluster: clusterKey,
          state: i === 0 ? 'On' : 'Off',
        });
      }
    });
    this.planControls.set(plan.name, controls);

    const asserted = Object.values(controls);
    const firstArn = asserted[0];
    if (firstArn) {
      const ruleArn = `${controlPanelArnOf(firstArn)}/safetyrule/${stableHexId(`rule:${plan.name}`, 16)}`;
      if (!this.rules.has(ruleArn)) {
        this.rules.set(ruleArn, {
          arn: ruleArn,
          name: `${plan.name}-at-least-one-on`,
          asserted,
          threshold: 1,
          waitPeriodMs: this.ctx.latency.arc.safetyRuleWaitPeriodMs,
          changedAt: undefined,
        });
      }
    }
    this.refreshDownEndpoints();
  }

  // --- views ------------------------------------------------------------------------------------

  /** A routing control's current state (the cluster's truth), or undefined when it does not exist. */
  state(routingControlArn: string): RoutingControlState | undefined {
    return this.controls.get(routingControlArn)?.state;
  }

  /** Region -> state of the plan's routing controls (empty for a plan without ARC). */
  planStates(planName: string): Record<string, RoutingControlState> {
    const out: Record<string, RoutingControlState> = {};
    for (const [region, arn] of Object.entries(this.planControls.get(planName) ?? {})) {
      const state = this.controls.get(arn)?.state;
      if (state) out[region] = state;
    }
    return out;
  }

  /** The plan's regions whose routing control is On, in the plan's region order. */
  onRegions(planName: string): string[] {
    return Object.entries(this.planStates(planName)).flatMap(([region, s]) => (s === 'On' ? [region] : []));
  }

  /** Whether ARC manages routing controls for this plan. */
  hasPlan(planName: string): boolean {
    return this.planControls.has(planName);
  }

  /**
   * The safety rules in force, for reports and tests: `threshold` is the rule's `ATLEAST n`,
   * `waitPeriodMs` its wait period (virtual ms, in the profile's time).
   */
  safetyRules(): readonly {
    arn: string;
    name: string;
    asserted: readonly string[];
    threshold: number;
    waitPeriodMs: number;
  }[] {
    return [...this.rules.values()].map(({ arn, name, asserted, threshold, waitPeriodMs }) => ({
      arn,
      name,
      asserted,
      threshold,
      waitPeriodMs,
    }));
  }

  /** The endpoint URLs the `arc-endpoints-down` fault has taken down now, across clusters. */
  downEndpoints(): string[] {
    return [...this.clusters.values()].flatMap((c) => [...c.down]);
  }

  /** Hears every routing control state change, at the instant the cluster accepts it. */
  onStateChange(listener: (change: RoutingControlChange) => void): void {
    this.listeners.push(listener);
  }

  // --- SimulatedService -------------------------------------------------------------------------

  isReachable(target: CallTarget): boolean {
    if (!target.endpoint) return false;
    const url = normalizeUrl(target.endpoint);
    const cluster = this.endpointCluster.get(url);
    // An endpoint of no cluster is a host that does not exist: the connection times out.
    if (!cluster) return false;
    return !cluster.down.has(url);
  }

  handle(operation: string, input: Record<string, unknown>, target: CallTarget): unknown {
    const cluster = target.endpoint ? this.endpointCluster.get(normalizeUrl(target.endpoint)) : undefined;
    if (!cluster) {
      throw awsError(
        'arc',
        'EndpointTemporarilyUnavailableException',
        `the endpoint ${target.endpoint ?? '(none)'} is not a cluster endpoint`,
      );
    }
    if (operation.startsWith('Update') && this.ctx.faults.arcQuorumLost()) {
      // Beyond ARC's promise (three of five endpoints): without a majority no update can commit;
      // the endpoints still up answer reads from their copy and refuse writes as unavailable.
      throw awsError(
        'arc',
        'EndpointTemporarilyUnavailableException',
        `the cluster has lost its majority (sandbox fault: arc-cluster-unavailable); ${target.endpoint} cannot commit ${operation}`,
      );
    }
    switch (operation) {
      case 'GetRoutingControlState':
        return this.getRoutingControlState(cluster, input);
      case 'UpdateRoutingControlState':
        return this.updateRoutingControlState(cluster, input);
      case 'UpdateRoutingControlStates':
        return this.updateRoutingControlStates(cluster, input);
      case 'ListRoutingControls':
        return this.listRoutingControls(cluster, input);
      default:
        throw new UnsupportedOperationError('arc', operation);
    }
  }

  /** The plan that owns a routing control, if any. */
  private appOfControl(arn: string): string | undefined {
    for (const [app, controls] of this.planControls) if (Object.values(controls).includes(arn)) return app;
    return undefined;
  }

  // --- operations -------------------------------------------------------------------------------

  private getRoutingControlState(
    cluster: Cluster,
    input: Record<string, unknown>,
  ): Omit<GetRoutingControlStateResponse, '$metadata'> {
    const arn = requireArn(input.RoutingControlArn, 'RoutingControlArn');
    const control = this.findControl(cluster, arn);
    return {
      RoutingControlArn: control.arn,
      RoutingControlState: control.state,
      RoutingControlName: control.name,
    };
  }

  private updateRoutingControlState(
    cluster: Cluster,
    input: Record<string, unknown>,
  ): Omit<UpdateRoutingControlStateResponse, '$metadata'> {
    const arn = requireArn(input.RoutingControlArn, 'RoutingControlArn');
    const state = requireState(input.RoutingControlState, 'RoutingControlState');
    this.applyTransaction(cluster, [{ arn, state }], overrides(input.SafetyRulesToOverride));
    return {};
  }

  private updateRoutingControlStates(
    cluster: Cluster,
    input: Record<string, unknown>,
  ): Omit<UpdateRoutingControlStatesResponse, '$metadata'> {
    const entries = input.UpdateRoutingControlStateEntries;
    if (!Array.isArray(entries) || entries.length === 0) {
      throw validation(
        'UpdateRoutingControlStateEntries',
        'UpdateRoutingControlStateEntries must list at least one entry',
      );
    }
    if (entries.length > MAX_CONTROLS_PER_UPDATE) {
      // "The request can't update that many routing control states at the same time. Try again
      // with fewer routing control states." (the SDK model's ServiceLimitExceededException).
      throw awsError(
        'arc',
        'ServiceLimitExceededException',
        `UpdateRoutingControlStates takes at most ${MAX_CONTROLS_PER_UPDATE} routing controls, got ${entries.length}`,
        {
          resourceType: 'RoutingControl',
          limitCode: 'RoutingControlsPerUpdate',
          serviceCode: 'route53-recovery-cluster',
        },
      );
    }
    const updates = entries.map((entry: unknown, i) => {
      const e = (entry ?? {}) as Record<string, unknown>;
      return {
        arn: requireArn(e.RoutingControlArn, `UpdateRoutingControlStateEntries[${i}].RoutingControlArn`),
        state: requireState(
          e.RoutingControlState,
          `UpdateRoutingControlStateEntries[${i}].RoutingControlState`,
        ),
      };
    });
    const seen = new Set<string>();
    for (const u of updates) {
      if (seen.has(u.arn))
        throw validation('UpdateRoutingControlStateEntries', `routing control ${u.arn} is listed twice`);
      seen.add(u.arn);
    }
    this.applyTransaction(cluster, updates, overrides(input.SafetyRulesToOverride));
    return {};
  }

  private listRoutingControls(
    cluster: Cluster,
    input: Record<string, unknown>,
  ): Omit<ListRoutingControlsResponse, '$metadata'> {
    const panelArn = input.ControlPanelArn;
    if (panelArn !== undefined) {
      if (typeof panelArn !== 'string' || !panelArn)
        throw validation('ControlPanelArn', 'ControlPanelArn must be a control panel ARN');
      const panel = this.panels.get(panelArn);
      if (!panel || panel.cluster !== cluster.key) {
        throw awsError('arc', 'ResourceNotFoundException', `control panel ${panelArn} was not found`, {
          resourceId: panelArn,
          resourceType: 'ControlPanel',
        });
      }
    }
    const max = input.MaxResults === undefined ? 500 : input.MaxResults;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000) {
      throw validation('MaxResults', `MaxResults must be an integer from 1 to 1000, got ${String(max)}`);
    }
    const all = [...this.controls.values()]
      .filter((c) => c.cluster === cluster.key && (panelArn === undefined || c.panel === panelArn))
      .sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
    let start = 0;
    if (input.NextToken !== undefined) {
      start = typeof input.NextToken === 'string' ? Number.parseInt(input.NextToken, 10) : Number.NaN;
      if (!Number.isInteger(start) || start < 0 || start > all.length)
        throw validation('NextToken', 'NextToken is not one this API returned');
    }
    const page = all.slice(start, start + max);
    const next = start + page.length;
    return {
      RoutingControls: page.map((c): RoutingControl => {
        const panel = this.panels.get(c.panel);
        return {
          ControlPanelArn: c.panel,
          ControlPanelName: panel?.name,
          RoutingControlArn: c.arn,
          RoutingControlName: c.name,
          RoutingControlState: c.state,
          Owner: c.arn.split(':')[4],
        };
      }),
      ...(next < all.length ? { NextToken: String(next) } : {}),
    };
  }

  /**
   * One ARC transaction: every ARN must exist in this cluster, no safety rule that asserts on an
   * updated control may be within its wait period, and each must hold on the resulting state
   * (unless overridden); then all states change at once, or none.
   */
  private applyTransaction(
    cluster: Cluster,
    updates: readonly { arn: string; state: RoutingControlState }[],
    override: ReadonlySet<string>,
  ): void {
    const controls = updates.map((u) => this.findControl(cluster, u.arn));
    const after = new Map<string, RoutingControlState>();
    for (const u of updates) after.set(u.arn, u.state);
    const stateAfter = (arn: string) => after.get(arn) ?? this.controls.get(arn)?.state;

    const now = this.ctx.clock.now();
    const concerned = [...this.rules.values()].filter((rule) => rule.asserted.some((arn) => after.has(arn)));
    for (const rule of concerned) {
      if (override.has(rule.arn)) continue;
      const waitEnds = rule.changedAt === undefined ? now : rule.changedAt + rule.waitPeriodMs;
      if (now < waitEnds) {
        throw awsError(
          'arc',
          'ConflictException',
          `Cannot update routing control states: safety rule ${rule.arn} (${rule.name}) is in its wait ` +
            `period (WaitPeriodMs ${rule.waitPeriodMs}) after a change of its routing controls; ` +
            `try again in ${waitEnds - now} ms`,
          { resourceId: rule.arn, resourceType: 'SafetyRule' },
        );
      }
      const on = rule.asserted.filter((arn) => stateAfter(arn) === 'On').length;
      if (on < rule.threshold) {
        throw awsError(
          'arc',
          'ConflictException',
          `Cannot update routing control states: the change would violate safety rule ${rule.arn} ` +
            `(${rule.name}: at least ${rule.threshold} of ${rule.asserted.length} routing controls On, ` +
            `the change leaves ${on})`,
          { resourceId: rule.arn, resourceType: 'SafetyRule' },
        );
      }
    }

    const changes: RoutingControlChange[] = [];
    controls.forEach((control, i) => {
      const state = updates[i]?.state ?? control.state;
      if (control.state === state) return;
      const app = this.appOfControl(control.arn);
      changes.push({ arn: control.arn, state, previous: control.state, at: now, ...(app ? { app } : {}) });
      control.state = state;
    });
    for (const rule of concerned)
      if (changes.some((c) => rule.asserted.includes(c.arn))) rule.changedAt = now;
    for (const change of changes) for (const listener of this.listeners) listener(change);
    if (changes.length > 0) this.ctx.changed(changes.map((c) => c.arn));
  }

  private findControl(cluster: Cluster, arn: string): RoutingControlRecord {
    const control = this.controls.get(arn);
    if (!control || control.cluster !== cluster.key) {
      throw awsError('arc', 'ResourceNotFoundException', `routing control ${arn} was not found`, {
        resourceId: arn,
        resourceType: 'RoutingControl',
      });
    }
    return control;
  }

  /**
   * Keeps each cluster's downed endpoints in step with the fault: on activation, a seeded shuffle
   * of the cluster's endpoints fixes the order in which they go down; the first N of it are down
   * while the fault lasts (a larger N takes more of the same order), and clearing it forgets it.
   */
  private refreshDownEndpoints(): void {
    const count = this.ctx.faults.arcEndpointsDown();
    if (count === this.downCount && [...this.clusters.values()].every((c) => count === 0 || c.order)) return;
    this.downCount = count;
    for (const cluster of this.clusters.values()) {
      if (count === 0) {
        cluster.order = undefined;
        cluster.down = new Set();
        continue;
      }
      cluster.order ??= shuffled(
        cluster.endpoints.map((e) => e.endpoint),
        this.ctx.random,
      );
      cluster.down = new Set(cluster.order.slice(0, count));
    }
  }
}

/** A routing control state change, as the cluster accepted it. */
export interface RoutingControlChange {
  readonly arn: string;
  /**
   * The plan whose routing control it is: the app a batched update (an evacuation's, made for
   * many apps at once) worked for, so its propagation counts as that app's AWS time.
   */
  readonly app?: string;
  readonly state: RoutingControlState;
  readonly previous: RoutingControlState;
  /** Virtual epoch ms. */
  readonly at: number;
}

interface Cluster {
  readonly key: string;
  readonly endpoints: readonly { region: string; endpoint: string }[];
  down: Set<string>;
  order: string[] | undefined;
}

interface ControlPanel {
  readonly arn: string;
  readonly name: string;
  readonly cluster: string;
}

interface RoutingControlRecord {
  readonly arn: string;
  readonly name: string;
  readonly panel: string;
  readonly cluster: string;
  state: RoutingControlState;
}

interface AssertionRule {
  readonly arn: string;
  readonly name: string;
  readonly asserted: readonly string[];
  /** ATLEAST n. */
  readonly threshold: number;
  /** `WaitPeriodMs` (virtual ms). */
  readonly waitPeriodMs: number;
  /** When a transaction last changed one of `asserted` (virtual epoch ms); never: undefined. */
  changedAt: number | undefined;
}

/**
 * "Number of routing controls per UpdateRoutingControlStates operation call | 10" (ARC Developer
 * Guide, "Quotas for routing control",
 * https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.quotas.html).
 */
const MAX_CONTROLS_PER_UPDATE = 10;

const ROUTING_CONTROL_ARN =
  /^arn:aws[a-z-]*:route53-recovery-control::\d{12}:controlpanel\/[a-z0-9]+\/routingcontrol\/[a-z0-9]+$/;

function controlPanelArnOf(routingControlArn: string): string {
  return routingControlArn.replace(/\/routingcontrol\/[^/]+$/, '');
}

function normalizeUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

function validation(field: string, message: string): Error {
  return awsError('arc', 'ValidationException', message, {
    reason: 'fieldValidationFailed',
    fields: [{ name: field, message }],
  });
}

function requireArn(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw validation(field, `${field} is required: a routing control ARN`);
  if (value.length > 256 || !ROUTING_CONTROL_ARN.test(value))
    throw validation(field, `${field} must be a routing control ARN, got ${value}`);
  return value;
}

function requireState(value: unknown, field: string): RoutingControlState {
  if (value === 'On' || value === 'Off') return value;
  throw validation(field, `${field} must be On or Off, got ${String(value)}`);
}

function overrides(value: unknown): Set<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw validation('SafetyRulesToOverride', 'SafetyRulesToOverride must be a list of safety rule ARNs');
  return new Set(value as string[]);
}

/** A stable lower-case hex id of `length` characters derived from `seed` (FNV-1a rounds). */
export function stableHexId(seed: string, length: number): string {
  let out = '';
  for (let round = 0; out.length < length; round++) {
    let h = 0x811c9dc5 ^ round;
    for (const ch of `${round}:${seed}`) {
      h ^= ch.charCodeAt(0);
      h = Math.imul(h, 0x01000193);
    }
    out += (h >>> 0).toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

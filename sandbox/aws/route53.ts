import type {
  ChangeInfo,
  ChangeResourceRecordSetsResponse,
  GetChangeResponse,
  GetHealthCheckResponse,
  GetHealthCheckStatusResponse,
  HealthCheck,
  HealthCheckConfig,
  HealthCheckObservation,
  HealthCheckRegion,
  ListHealthChecksResponse,
  ListResourceRecordSetsResponse,
  ResourceRecordSet,
  RRType,
} from '@aws-sdk/client-route-53';
import type { RoutingControlState } from '@aws-sdk/client-route53-recovery-cluster';
import type { Plan } from '../../functions/core/plan.js';
import { ROUTE53_CHANGE_PROCESSING_MS } from '../quotas.js';
import { type RoutingControlChange, stableHexId } from './arc.js';
import {
  awsError,
  beginOperation,
  type CallTarget,
  type SimContext,
  type SimulatedService,
  UnsupportedOperationError,
} from './simulator.js';

/** What Route 53 needs from ARC: routing control states, and a word when one changes. */
export interface RoutingControlSource {
  state(routingControlArn: string): RoutingControlState | undefined;
  onStateChange(listener: (change: RoutingControlChange) => void): void;
}

export interface Route53Options {
  /**
   * Whether a plan's target in a region answers its health checks now (region up and capacity
   * InService). Route 53's checkers poll it every health check interval.
   */
  readonly targetHealthy: (region: string, planName: string) => boolean;
  /** The ARC model; required when a plan has `traffic.arc` (its RECOVERY_CONTROL health checks). */
  readonly arc?: RoutingControlSource;
}

/** One DNS answer for a name and type: the failover record chosen and the region it sends users to. */
export interface DnsAnswer {
  /** The region of the alias target answered; undefined when there is no answer or it is not a plan's target. */
  readonly region: string | undefined;
  readonly setIdentifier?: string;
  /** The alias target's DNS name (fully qualified, lower case). */
  readonly dnsName?: string;
}

/**
 * Route 53: hosted zones with failover alias records, health checks, and DNS answers.
 *
 * Control plane (the API; the simulator fails it when us-east-1 is down or under the
 * `route53-control-plane-down` fault): `ChangeResourceRecordSets` validates a whole batch, then
 * applies all of it or none; the change is `PENDING` until `latency.route53.propagationMs` has
 * passed, then `INSYNC`. `ListResourceRecordSets` shows the current records, pending ones included
 * (as Route 53 does).
 *
 * Data plane (works on through control-plane faults):
 * - Name servers answer from the records of the last change that is INSYNC, by failover
 *   evaluation: PRIMARY when healthy, else SECONDARY when healthy, else PRIMARY (when every record
 *   is unhealthy Route 53 answers as if all were healthy). A record is healthy when its health
 *   check is (if any) and, with `EvaluateTargetHealth`, when its alias target is.
 * - Endpoint health (HTTPS health checks and alias target health) is one checker per target that
 *   polls `targetHealthy` every `healthCheckIntervalMs` and flips status after
 *   `healthCheckFailureThreshold` consecutive observations the other way (both directions, as
 *   Route 53 does). Route 53's many checkers are modelled as one; status starts Healthy.
 * - RECOVERY_CONTROL health checks follow their routing control's state, `arc.healthCheckPropagationMs`
 *   after ARC accepts a change.
 * - What users get ({@link SimulatedRoute53.resolve}) is the authoritative answer as of
 *   `dnsTtlMs` ago: every resolver is assumed to have cached it just before it changed, so a
 *   change reaches every user exactly one TTL after the name servers make it (the worst case an
 *   SRE plans for; real caches expire spread over that TTL). A clock timer fires at that instant
 *   and notifies {@link SimulatedRoute53.onVisibleChange} listeners and `ctx.changed()`.
 */
export class SimulatedRoute53 implements SimulatedService {
  readonly service = 'route53' as const;

  private readonly zones = new Map<string, Zone>();
  private readonly changeLog = new Map<string, ChangeRecord>();
  private readonly healthChecks = new Map<string, HealthCheckRecord>();
  /** Normalised alias DNS name -> the endpoint checker of that target. */
  private readonly probes = new Map<string, Probe>();
  /** Routing control ARN -> the state its health checks show (undefined: follow ARC, no change seen yet). */
  private readonly routingHealth = new Map<string, { state: RoutingControlState | undefined }>();
  /** `zone|name|type` -> authoritative answers over time (oldest first). */
  private readonly answers = new Map<string, AnswerHistory>();
  /** Plan name -> region -> its health check ids. */
  private readonly planChecks = new Map<
    string,
    Record<string, { endpoint?: string; recoveryControl?: string }>
  >();
  private readonly visibleListeners: (() => void)[] = [];
  private changeSeq = 0;
  /** `name|type` -> its answer history (the first zone's, as the scan this replaces found it). */
  private readonly answersByName = new Map<string, AnswerHistory>();
  private readonly apexCache = new WeakMap<object, string | undefined>();
  /** Per hosted zone: until when (virtual ms) its last change batch is being processed. */
  private readonly zoneBusyUntil = new Map<string, number>();
  private readonly addressIndex = new Map<string, number>();

  constructor(
    private readonly ctx: SimContext,
    private readonly options: Route53Options,
  ) {
    options.arc?.onStateChange((change) => this.routingControlChanged(change));
  }

  /**
   * Creates the plan's hosted zone (zones are shared between plans), its failover alias records
   * (`SetIdentifier` = region; PRIMARY for the first region, SECONDARY for the second) and its
   * health checks. Idempotent: existing records and health checks are left as they are.
   */
  provision(plan: Plan): void {
    const traffic = plan.traffic.route53;
    if (!traffic) return;
    const arc = plan.traffic.arc;
    if (arc && !this.options.arc)
      throw new Error(`plan ${plan.name}: traffic.arc needs the ARC model (Route53Options.arc)`);
    const zoneId = stripPrefix(traffic.hostedZoneId, '/hostedzone/');
    let zone = this.zones.get(zoneId);
    if (!zone) {
      zone = { id: zoneId, records: new Map(), published: new Map(), publishedSeq: 0 };
      this.zones.set(zoneId, zone);
    }
    const checks = this.planChecks.get(plan.name) ?? {};
    this.planChecks.set(plan.name, checks);

    for (const record of traffic.records) {
      plan.regions.forEach((region, i) => {
        const target = record.targets[region];
        if (!target) return;
        const dnsName = normalizeName(target.dnsName);
        this.ensureProbe(dnsName, region, plan.name);

        const endpointId = target.healthCheckId ?? uuidFrom(`https:${plan.name}:${region}:${dnsName}`);
        this.ensureHealthCheck(endpointId, `switchyard-${plan.name}-${region}-https`, {
          Type: 'HTTPS',
          FullyQualifiedDomainName: dnsName.replace(/\.$/, ''),
          Port: 443,
          ResourcePath: '/',
          RequestInterval: Math.max(1, Math.round(this.ctx.latency.route53.healthCheckIntervalMs / 1000)),
          FailureThreshold: this.ctx.latency.route53.healthCheckFailureThreshold,
          MeasureLatency: false,
          Inverted: false,
          Disabled: false,
          EnableSNI: true,
        });
        const regionChecks: { endpoint?: string; recoveryControl?: string } = { endpoint: endpointId };

        const routingControlArn = arc?.routingControls[region];
        if (routingControlArn) {
          const rcId = uuidFrom(`recovery-control:${routingControlArn}`);
          this.ensureHealthCheck(rcId, `switchyard-${plan.name}-${region}-routing-control`, {
            Type: 'RECOVERY_CONTROL',
            RoutingControlArn: routingControlArn,
            Inverted: false,
            Disabled: false,
          });
          if (!this.routingHealth.has(routingControlArn))
            this.routingHealth.set(routingControlArn, { state: undefined });
          regionChecks.recoveryControl = rcId;
        }
        checks[region] = regionChecks;

        // Failover has two roles: the first two regions hold them.
        if (i > 1) return;
        const healthCheckId = routingControlArn ? regionChecks.recoveryControl : target.healthCheckId;
        const rrs: ResourceRecordSet = {
          Name: normalizeName(record.name),
          Type: record.type,
          SetIdentifier: region,
          Failover: i === 0 ? 'PRIMARY' : 'SECONDARY',
          AliasTarget: { HostedZoneId: target.hostedZoneId, DNSName: dnsName, EvaluateTargetHealth: true },
          ...(healthCheckId ? { HealthCheckId: healthCheckId } : {}),
        };
        const key = recordKey(rrs);
        if (!zone.records.has(key)) zone.records.set(key, rrs);
        this.apexCache.delete(zone.records);
        if (!zone.published.has(key)) zone.published.set(key, rrs);
      });
    }
    // What provisioning creates is the world before the run: answered and cached already.
    this.recomputeAnswers(true);
  }

  // --- views ------------------------------------------------------------------------------------

  /**
   * What resolvers answer users now for `name`/`type`: the authoritative answer as of `dnsTtlMs`
   * ago (see the class comment). `{ region: undefined }` when no answer is visible.
   */
  resolve(name: string, type: string): DnsAnswer {
    const history = this.historyFor(name, type);
    if (!history) return { region: undefined };
    const visibleAt = this.ctx.clock.now() - this.ctx.latency.route53.dnsTtlMs;
    let visible: DnsAnswer | undefined;
    for (const entry of history.entries) {
      if (entry.at > visibleAt) break;
      visible = entry.answer;
    }
    return visible ?? { region: undefined };
  }

  /** What Route 53's name servers answer now (before resolver caching). */
  authoritativeAnswer(name: string, type: string): DnsAnswer {
    const entries = this.historyFor(name, type)?.entries;
    return entries?.[entries.length - 1]?.answer ?? { region: undefined };
  }

  /**
   * Answers a DNS question as Route 53's data plane does. A zone's apex has four name servers
   * (Route 53 assigns every hosted zone a delegation set of four); asked at those servers, a
   * record's answer is the authoritative one now; asked through a resolver, it is what users'
   * resolvers hold ({@link resolve}). An alias to a load balancer answers the balancer's
   * addresses, which its own name resolves to as well. Addresses come from the benchmarking
   * range 198.18.0.0/15 (RFC 2544) and 2001:db8::/32 (RFC 3849): no traffic is ever sent to them.
   */
  answerDns(question: { name: string; type: string; servers?: readonly string[] }): string[] {
    const name = normalizeName(question.name);
    const zone = [...this.zones.values()].find((z) => this.apexOf(z) === name);
    if (question.type === 'NS') return zone ? nameServersOf(zone.id) : [];
    if (question.type === 'A' && NAME_SERVER.test(name)) return [nameServerAddress(name)];
    const history = this.historyFor(name, question.type === 'CNAME' ? 'CNAME' : question.type);
    if (history) {
      const authoritative =
        question.servers !== undefined &&
        question.servers.length > 0 &&
        question.servers.every((ip) => ip.startsWith(NAME_SERVER_PREFIX));
      const answer = authoritative
        ? this.authoritativeAnswer(name, history.type)
        : this.resolve(name, history.type);
      if (!answer.dnsName) return [];
      if (question.type === 'CNAME') return [answer.dnsName.replace(/\.$/, '')];
      return this.addressesOf(answer.dnsName, question.type);
    }
    if (this.probes.has(name) && (question.type === 'A' || question.type === 'AAAA'))
      return this.addressesOf(name, question.type);
    return [];
  }

  /** Hears every change of what users are answered, at the instant it becomes visible. */
  onVisibleChange(listener: () => void): void {
    this.visibleListeners.push(listener);
  }

  /** Whether a health check is Healthy now, as DNS uses it; undefined for an unknown id. */
  healthCheckHealthy(id: string): boolean | undefined {
    const check = this.healthChecks.get(id);
    return check ? this.isHealthy(check) : undefined;
  }

  /** The plan's health check ids, per region: endpoint (HTTPS) and, with ARC, recovery control. */
  healthCheckIds(planName: string): Record<string, { endpoint?: string; recoveryControl?: string }> {
    return structuredClone(this.planChecks.get(planName) ?? {});
  }

  /** The record sets of a zone as the API shows them now (pending changes included). */
  recordSets(hostedZoneId: string): ResourceRecordSet[] {
    const zone = this.zones.get(stripPrefix(hostedZoneId, '/hostedzone/'));
    return zone ? sortRecords([...zone.records.values()]).map((r) => structuredClone(r)) : [];
  }

  /** Every change submitted so far, oldest first, with its status now. */
  changes(): { id: string; status: 'PENDING' | 'INSYNC'; submittedAt: number; insyncAt: number }[] {
    return [...this.changeLog.values()].map((c) => ({
      id: `/change/${c.id}`,
      status: this.statusOf(c),
      submittedAt: c.submittedAt,
      insyncAt: c.insyncAt,
    }));
  }

  // --- SimulatedService -------------------------------------------------------------------------

  handle(operation: string, input: Record<string, unknown>, _target: CallTarget): unknown {
    switch (operation) {
      case 'ChangeResourceRecordSets':
        return this.changeResourceRecordSets(input);
      case 'GetChange':
        return this.getChange(input);
      case 'ListResourceRecordSets':
        return this.listResourceRecordSets(input);
      case 'GetHealthCheck':
        return this.getHealthCheck(input);
      case 'GetHealthCheckStatus':
        return this.getHealthCheckStatus(input);
      case 'ListHealthChecks':
        return this.listHealthChecks(input);
      default:
        throw new UnsupportedOperationError('route53', operation);
    }
  }

  // --- operations -------------------------------------------------------------------------------

  private changeResourceRecordSets(
    input: Record<string, unknown>,
  ): Omit<ChangeResourceRecordSetsResponse, '$metadata'> {
    const zone = this.requireZone(input.HostedZoneId);
    // Route 53 takes one change batch per zone at a time; a `route53-change-stuck` fault keeps a
    // change PENDING, and the zone busy, for its seconds (ROUTE53_CHANGE_PROCESSING_MS cites AWS).
    const arrived = this.ctx.clock.now();
    if (arrived < (this.zoneBusyUntil.get(zone.id) ?? 0))
      throw awsError(
        'route53',
        'PriorRequestNotComplete',
        'The request was rejected because Route 53 was still processing a prior request.',
      );
    const batch = asObject(input.ChangeBatch);
    const rawChanges = batch?.Changes;
    if (!Array.isArray(rawChanges) || rawChanges.length === 0)
      throw invalidInput('Invalid request: ChangeBatch must contain at least one Change');
    const changes = rawChanges.map((raw) => parseChange(raw));

    // Validate every change against the state the batch builds up, then apply all or nothing.
    const working = new Map(zone.records);
    const messages: string[] = [];
    const touched = new Set<string>();
    for (const { action, rrs } of changes) {
      const key = recordKey(rrs);
      touched.add(groupKey(rrs));
      const existing = working.get(key);
      if (rrs.HealthCheckId && !this.healthChecks.has(rrs.HealthCheckId) && action !== 'DELETE')
        messages.push(`${describe(rrs)} refers to health check ${rrs.HealthCheckId}, which does not exist`);
      if (action === 'CREATE') {
        if (existing)
          messages.push(`Tried to create resource record set ${describe(rrs)} but it already exists`);
        else working.set(key, rrs);
      } else if (action === 'DELETE') {
        if (!existing)
          messages.push(`Tried to delete resource record set ${describe(rrs)} but it was not found`);
        else if (canonical(existing) !== canonical(rrs))
          messages.push(
            `Tried to delete resource record set ${describe(rrs)} but the values provided do not match the current values`,
          );
        else working.delete(key);
      } else {
        working.set(key, rrs);
      }
    }
    for (const group of touched) messages.push(...groupProblems(group, [...working.values()]));
    if (messages.length > 0) {
      throw awsError('route53', 'InvalidChangeBatch', `[${messages.join(', ')}]`, { messages });
    }

    zone.records = working;
    const now = this.ctx.clock.now();
    const stuckMs = this.ctx.faults.route53ChangeStuckMs();
    const propagationMs = this.ctx.latency.route53.propagationMs + stuckMs;
    this.zoneBusyUntil.set(
      zone.id,
      now + ROUTE53_CHANGE_PROCESSING_MS * this.ctx.latency.timeScale + stuckMs,
    );
    const change: ChangeRecord = {
      id: `C${(++this.changeSeq).toString(36).toUpperCase().padStart(13, '0')}`,
      zoneId: zone.id,
      seq: this.changeSeq,
      submittedAt: now,
      insyncAt: now + propagationMs,
      comment: typeof batch?.Comment === 'string' ? batch.Comment : undefined,
      snapshot: new Map(working),
    };
    this.changeLog.set(change.id, change);
    const end = beginOperation(this.ctx, 'route53:change');
    this.ctx.clock.setTimer(propagationMs, () => {
      end();
      this.publish(change);
    });
    return { ChangeInfo: this.changeInfo(change) };
  }

  private getChange(input: Record<string, unknown>): Omit<GetChangeResponse, '$metadata'> {
    if (typeof input.Id !== 'string' || !input.Id) throw invalidInput('Invalid request: Id is required');
    const id = stripPrefix(input.Id, '/change/');
    const change = this.changeLog.get(id);
    if (!change) throw awsError('route53', 'NoSuchChange', `A change with ID ${id} does not exist.`);
    return { ChangeInfo: this.changeInfo(change) };
  }

  private listResourceRecordSets(
    input: Record<string, unknown>,
  ): Omit<ListResourceRecordSetsResponse, '$metadata'> {
    const zone = this.requireZone(input.HostedZoneId);
    const startName =
      typeof input.StartRecordName === 'string' ? normalizeName(input.StartRecordName) : undefined;
    const startType = typeof input.StartRecordType === 'string' ? input.StartRecordType : undefined;
    const startId = typeof input.StartRecordIdentifier === 'string' ? input.StartRecordIdentifier : undefined;
    if (startType && !startName)
      throw invalidInput('Invalid request: StartRecordType requires StartRecordName');
    if (startId && !startType)
      throw invalidInput(
        'Invalid request: StartRecordIdentifier requires StartRecordName and StartRecordType',
      );
    const requested = input.MaxItems === undefined ? 300 : Number(input.MaxItems);
    if (!Number.isInteger(requested) || requested < 1)
      throw invalidInput(
        `Invalid request: MaxItems must be a positive integer, got ${String(input.MaxItems)}`,
      );
    const max = Math.min(requested, 300);

    const sorted = sortRecords([...zone.records.values()]);
    const from = startName
      ? sorted.findIndex(
          (r) => compareTuple(sortTuple(r), [reversedLabels(startName), startType ?? '', startId ?? '']) >= 0,
        )
      : 0;
    const rest = from < 0 ? [] : sorted.slice(from);
    const page = rest.slice(0, max);
    const next = rest[max];
    return {
      ResourceRecordSets: page.map((r) => structuredClone(r)),
      IsTruncated: next !== undefined,
      ...(next
        ? {
            NextRecordName: next.Name,
            NextRecordType: next.Type,
            ...(next.SetIdentifier ? { NextRecordIdentifier: next.SetIdentifier } : {}),
          }
        : {}),
      MaxItems: max,
    };
  }

  private getHealthCheck(input: Record<string, unknown>): Omit<GetHealthCheckResponse, '$metadata'> {
    return { HealthCheck: this.healthCheckOutput(this.requireHealthCheck(input.HealthCheckId)) };
  }

  private getHealthCheckStatus(
    input: Record<string, unknown>,
  ): Omit<GetHealthCheckStatusResponse, '$metadata'> {
    const check = this.requireHealthCheck(input.HealthCheckId);
    let ok: boolean;
    let checkedAt: number;
    let success: string;
    let failure: string;
    if (check.target.kind === 'endpoint') {
      const probe = this.probes.get(check.target.dnsName);
      // Each checker reports its latest observation, not the thresholded status.
      ok = probe?.lastResult ?? true;
      checkedAt = probe?.lastCheckedAt ?? this.ctx.clock.now();
      success = 'Success: HTTP Status Code 200, OK';
      failure =
        'Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.';
    } else {
      ok = this.routingControlVisible(check.target.routingControlArn) === 'On';
      checkedAt = this.ctx.clock.now();
      success = 'Success: Routing control state is On';
      failure = 'Failure: Routing control state is Off';
    }
    if (check.config.Inverted) ok = !ok;
    return {
      HealthCheckObservations: CHECKER_REGIONS.map(
        (region, i): HealthCheckObservation => ({
          Region: region,
          IPAddress: `15.177.${2 + i * 8}.${(i * 37) % 250}`,
          StatusReport: { Status: ok ? success : failure, CheckedTime: new Date(checkedAt) },
        }),
      ),
    };
  }

  private listHealthChecks(input: Record<string, unknown>): Omit<ListHealthChecksResponse, '$metadata'> {
    const requested = input.MaxItems === undefined ? 100 : Number(input.MaxItems);
    if (!Number.isInteger(requested) || requested < 1)
      throw invalidInput(
        `Invalid request: MaxItems must be a positive integer, got ${String(input.MaxItems)}`,
      );
    const max = Math.min(requested, 1000);
    const all = [...this.healthChecks.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const marker = typeof input.Marker === 'string' && input.Marker ? input.Marker : undefined;
    const from = marker ? all.findIndex((c) => c.id >= marker) : 0;
    const rest = from < 0 ? [] : all.slice(from);
    const page = rest.slice(0, max);
    const next = rest[max];
    return {
      HealthChecks: page.map((c) => this.healthCheckOutput(c)),
      Marker: marker ?? '',
      IsTruncated: next !== undefined,
      ...(next ? { NextMarker: next.id } : {}),
      MaxItems: max,
    };
  }

  // --- model ------------------------------------------------------------------------------------

  private publish(change: ChangeRecord): void {
    const zone = this.zones.get(change.zoneId);
    if (!zone || change.seq <= zone.publishedSeq) return;
    zone.published = change.snapshot;
    zone.publishedSeq = change.seq;
    this.recomputeAnswers(false);
    this.ctx.changed();
  }

  private ensureProbe(dnsName: string, region: string, planName: string): void {
    if (this.probes.has(dnsName)) return;
    const probe: Probe = {
      dnsName,
      region,
      planName,
      healthy: true,
      streak: 0,
      lastResult: true,
      lastCheckedAt: this.ctx.clock.now(),
    };
    this.probes.set(dnsName, probe);
    const { healthCheckIntervalMs, healthCheckFailureThreshold } = this.ctx.latency.route53;
    const tick = () => {
      const result = this.options.targetHealthy(probe.region, probe.planName);
      probe.lastResult = result;
      probe.lastCheckedAt = this.ctx.clock.now();
      if (result === probe.healthy) {
        probe.streak = 0;
      } else if (++probe.streak >= healthCheckFailureThreshold) {
        probe.healthy = result;
        probe.streak = 0;
        this.recomputeAnswers(false);
        this.ctx.changed();
      }
      this.ctx.clock.setTimer(healthCheckIntervalMs, tick);
    };
    this.ctx.clock.setTimer(healthCheckIntervalMs, tick);
  }

  private ensureHealthCheck(
    id: string,
    callerReference: string,
    config: HealthCheckConfig & { Type: NonNullable<HealthCheckConfig['Type']> },
  ): void {
    if (this.healthChecks.has(id)) return;
    const target: HealthCheckRecord['target'] =
      config.Type === 'RECOVERY_CONTROL'
        ? { kind: 'recovery-control', routingControlArn: config.RoutingControlArn ?? '' }
        : { kind: 'endpoint', dnsName: normalizeName(config.FullyQualifiedDomainName ?? '') };
    this.healthChecks.set(id, { id, callerReference, config, target });
  }

  private routingControlChanged(change: RoutingControlChange): void {
    const entry = this.routingHealth.get(change.arn) ?? { state: undefined };
    this.routingHealth.set(change.arn, entry);
    // Until now the health check followed ARC directly; from here it lags by the propagation time.
    entry.state ??= change.previous;
    const end = beginOperation(this.ctx, 'arc:propagation');
    this.ctx.clock.setTimer(this.ctx.latency.arc.healthCheckPropagationMs, () => {
      end();
      if (entry.state === change.state) return;
      entry.state = change.state;
      this.recomputeAnswers(false);
      this.ctx.changed();
    });
  }

  private routingControlVisible(arn: string): RoutingControlState | undefined {
    return this.routingHealth.get(arn)?.state ?? this.options.arc?.state(arn);
  }

  private isHealthy(check: HealthCheckRecord): boolean {
    // Route 53 treats a disabled health check as healthy.
    if (check.config.Disabled) return true;
    const healthy =
      check.target.kind === 'endpoint'
        ? (this.probes.get(check.target.dnsName)?.healthy ?? true)
        : this.routingControlVisible(check.target.routingControlArn) === 'On';
    return check.config.Inverted ? !healthy : healthy;
  }

  private recordHealthy(rrs: ResourceRecordSet): boolean {
    if (rrs.HealthCheckId) {
      const check = this.healthChecks.get(rrs.HealthCheckId);
      if (check && !this.isHealthy(check)) return false;
    }
    if (rrs.AliasTarget?.EvaluateTargetHealth) {
      const probe = this.probes.get(normalizeName(rrs.AliasTarget.DNSName ?? ''));
      if (probe && !probe.healthy) return false;
    }
    return true;
  }

  /** Failover evaluation over one name and type's published records. */
  private evaluate(records: ResourceRecordSet[]): DnsAnswer | undefined {
    if (records.length === 0) return undefined;
    const primary = records.find((r) => r.Failover === 'PRIMARY');
    const secondary = records.find((r) => r.Failover === 'SECONDARY');
    let chosen: ResourceRecordSet | undefined;
    if (primary || secondary) {
      if (primary && this.recordHealthy(primary)) chosen = primary;
      else if (secondary && this.recordHealthy(secondary)) chosen = secondary;
      // All unhealthy: Route 53 answers as if all were healthy.
      else chosen = primary ?? secondary;
    } else {
      chosen = records.find((r) => this.recordHealthy(r)) ?? records[0];
    }
    if (!chosen) return undefined;
    const dnsName = chosen.AliasTarget?.DNSName ? normalizeName(chosen.AliasTarget.DNSName) : undefined;
    return {
      region: dnsName ? this.probes.get(dnsName)?.region : undefined,
      ...(chosen.SetIdentifier ? { setIdentifier: chosen.SetIdentifier } : {}),
      ...(dnsName ? { dnsName } : {}),
    };
  }

  /**
   * Re-evaluates every name's authoritative answer; a new answer is recorded with the instant it
   * was made, and a timer fires when resolvers start handing it out (one TTL later).
   */
  private recomputeAnswers(initial: boolean): void {
    const now = this.ctx.clock.now();
    const ttl = this.ctx.latency.route53.dnsTtlMs;
    for (const zone of this.zones.values()) {
      const groups = new Map<string, ResourceRecordSet[]>();
      for (const rrs of zone.published.values()) {
        const key = `${zone.id}|${groupKey(rrs)}`;
        groups.set(key, [...(groups.get(key) ?? []), rrs]);
      }
      for (const [key, history] of this.answers)
        if (history.zoneId === zone.id && !groups.has(key)) groups.set(key, []);
      for (const [key, records] of groups) {
        const answer = this.evaluate(records);
        let history = this.answers.get(key);
        if (!history) {
          const [, name = '', type = ''] = key.split('|');
          history = { zoneId: zone.id, name, type, entries: [] };
          this.answers.set(key, history);
          if (!this.answersByName.has(`${name}|${type}`)) this.answersByName.set(`${name}|${type}`, history);
        }
        const last = history.entries[history.entries.length - 1];
        if (last && sameAnswer(last.answer, answer)) continue;
        if (initial && !last) {
          history.entries.push({ at: Number.NEGATIVE_INFINITY, answer });
          continue;
        }
        history.entries.push({ at: now, answer });
        // Drop answers no resolver can still hold: keep the latest one visible now and newer ones.
        let keepFrom = 0;
        history.entries.forEach((e, i) => {
          if (e.at <= now - ttl) keepFrom = i;
        });
        history.entries.splice(0, keepFrom);
        this.ctx.clock.setTimer(ttl, () => {
          for (const listener of this.visibleListeners) listener();
          this.ctx.changed();
        });
      }
    }
  }

  /** A zone's apex: the longest common suffix of its records' names, below the last label kept. */
  private apexOf(zone: Zone): string | undefined {
    // A zone's records map is replaced by each change: the apex is computed once per version.
    if (this.apexCache.has(zone.records)) return this.apexCache.get(zone.records);
    const apex = this.computeApex(zone);
    this.apexCache.set(zone.records, apex);
    return apex;
  }

  private computeApex(zone: Zone): string | undefined {
    const names = [...zone.records.values()].map((r) =>
      normalizeName(r.Name ?? '')
        .split('.')
        .filter(Boolean),
    );
    if (names.length === 0) return undefined;
    let common = names[0]?.slice(1) ?? [];
    for (const labels of names) {
      while (common.length > 0 && labels.slice(-common.length).join('.') !== common.join('.'))
        common = common.slice(1);
    }
    return common.length >= 2 ? `${common.join('.')}.` : undefined;
  }

  /** A load balancer's addresses: two per name, unique per name, stable for the run. */
  private addressesOf(dnsName: string, type: string): string[] {
    const key = normalizeName(dnsName);
    let index = this.addressIndex.get(key);
    if (index === undefined) {
      index = this.addressIndex.size;
      this.addressIndex.set(key, index);
    }
    if (type === 'AAAA')
      return [`2001:db8::${(2 * index).toString(16)}`, `2001:db8::${(2 * index + 1).toString(16)}`];
    return [`198.18.${index >> 8}.${index & 255}`, `198.19.${index >> 8}.${index & 255}`];
  }

  private historyFor(name: string, type: string): AnswerHistory | undefined {
    return this.answersByName.get(`${normalizeName(name)}|${type}`);
  }

  private statusOf(change: ChangeRecord): 'PENDING' | 'INSYNC' {
    return this.ctx.clock.now() >= change.insyncAt ? 'INSYNC' : 'PENDING';
  }

  private changeInfo(change: ChangeRecord): ChangeInfo {
    return {
      Id: `/change/${change.id}`,
      Status: this.statusOf(change),
      SubmittedAt: new Date(change.submittedAt),
      ...(change.comment !== undefined ? { Comment: change.comment } : {}),
    };
  }

  private healthCheckOutput(check: HealthCheckRecord): HealthCheck {
    return {
      Id: check.id,
      CallerReference: check.callerReference,
      HealthCheckConfig: structuredClone(check.config),
      HealthCheckVersion: 1,
    };
  }

  private requireZone(value: unknown): Zone {
    if (typeof value !== 'string' || !value) throw invalidInput('Invalid request: HostedZoneId is required');
    const id = stripPrefix(value, '/hostedzone/');
    const zone = this.zones.get(id);
    if (!zone) throw awsError('route53', 'NoSuchHostedZone', `No hosted zone found with ID: ${id}`);
    return zone;
  }

  private requireHealthCheck(value: unknown): HealthCheckRecord {
    if (typeof value !== 'string' || !value) throw invalidInput('Invalid request: HealthCheckId is required');
    const check = this.healthChecks.get(value);
    if (!check)
      throw awsError('route53', 'NoSuchHealthCheck', `A health check with id ${value} does not exist.`);
    return check;
  }
}

interface Zone {
  readonly id: string;
  /** The records as the API shows them (latest change applied). */
  records: Map<string, ResourceRecordSet>;
  /** The records the name servers answer from (the latest INSYNC change). */
  published: Map<string, ResourceRecordSet>;
  publishedSeq: number;
}

interface ChangeRecord {
  readonly id: string;
  readonly zoneId: string;
  readonly seq: number;
  readonly submittedAt: number;
  readonly insyncAt: number;
  readonly comment: string | undefined;
  /** The zone's records once this change is applied. */
  readonly snapshot: Map<string, ResourceRecordSet>;
}

interface HealthCheckRecord {
  readonly id: string;
  readonly callerReference: string;
  readonly config: HealthCheckConfig;
  readonly target:
    | { readonly kind: 'endpoint'; readonly dnsName: string }
    | { readonly kind: 'recovery-control'; readonly routingControlArn: string };
}

interface Probe {
  readonly dnsName: string;
  readonly region: string;
  readonly planName: string;
  /** The thresholded status DNS uses. */
  healthy: boolean;
  /** Consecutive observations that disagree with `healthy`. */
  streak: number;
  lastResult: boolean;
  lastCheckedAt: number;
}

interface AnswerHistory {
  readonly zoneId: string;
  readonly name: string;
  readonly type: string;
  readonly entries: { at: number; answer: DnsAnswer | undefined }[];
}

const CHECKER_REGIONS: HealthCheckRegion[] = [
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
];

const RR_TYPES = new Set([
  'A',
  'AAAA',
  'CAA',
  'CNAME',
  'DS',
  'HTTPS',
  'MX',
  'NAPTR',
  'NS',
  'PTR',
  'SOA',
  'SPF',
  'SRV',
  'SSHFP',
  'SVCB',
  'TLSA',
  'TXT',
]);

function invalidInput(message: string): Error {
  return awsError('route53', 'InvalidInput', message);
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stripPrefix(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

/** DNS names compare case-insensitively and with or without the final dot; Route 53 returns them with it. */
function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function recordKey(rrs: ResourceRecordSet): string {
  return `${groupKey(rrs)}|${rrs.SetIdentifier ?? ''}`;
}

function groupKey(rrs: ResourceRecordSet): string {
  return `${rrs.Name}|${rrs.Type}`;
}

function describe(rrs: ResourceRecordSet): string {
  const id = rrs.SetIdentifier ? `, set-identifier='${rrs.SetIdentifier}'` : '';
  return `[name='${rrs.Name}', type='${rrs.Type}'${id}]`;
}

/** Every value of a record set, in a fixed order: DELETE must name all of them as they are. */
function canonical(rrs: ResourceRecordSet): string {
  return JSON.stringify([
    rrs.Name,
    rrs.Type,
    rrs.SetIdentifier ?? null,
    rrs.Failover ?? null,
    rrs.Weight ?? null,
    rrs.Region ?? null,
    rrs.MultiValueAnswer ?? null,
    rrs.TTL ?? null,
    (rrs.ResourceRecords ?? []).map((r) => r.Value),
    rrs.AliasTarget
      ? [rrs.AliasTarget.HostedZoneId, rrs.AliasTarget.DNSName, rrs.AliasTarget.EvaluateTargetHealth]
      : null,
    rrs.HealthCheckId ?? null,
  ]);
}

function sameAnswer(a: DnsAnswer | undefined, b: DnsAnswer | undefined): boolean {
  return (
    a?.region === b?.region && a?.setIdentifier === b?.setIdentifier && a?.dnsName === b?.dnsName && !a === !b
  );
}

/** Problems of the records of one name and type once the batch is applied. */
function groupProblems(group: string, records: ResourceRecordSet[]): string[] {
  const members = records.filter((r) => groupKey(r) === group);
  if (members.length === 0) return [];
  const [name, type] = group.split('|');
  const problems: string[] = [];
  if (members.length > 1 && members.some((r) => !r.SetIdentifier)) {
    problems.push(
      `RRSet with DNS name ${name}, type ${type} cannot have both a record set without a SetIdentifier and others`,
    );
  }
  const failover = members.filter((r) => r.Failover);
  if (failover.length > 0 && failover.length !== members.filter((r) => r.SetIdentifier).length) {
    problems.push(`RRSet with DNS name ${name}, type ${type} mixes failover and other routing policies`);
  }
  for (const role of ['PRIMARY', 'SECONDARY'] as const) {
    const holders = failover.filter((r) => r.Failover === role);
    if (holders.length > 1) {
      problems.push(
        `RRSet with DNS name ${name}, type ${type} has more than one ${role} failover record (${holders
          .map((r) => r.SetIdentifier)
          .join(', ')})`,
      );
    }
  }
  return problems;
}

/** Parses one Change, throwing `InvalidInput` as Route 53 does for a malformed request. */
function parseChange(raw: unknown): { action: 'CREATE' | 'DELETE' | 'UPSERT'; rrs: ResourceRecordSet } {
  const change = asObject(raw);
  const action = change?.Action;
  if (action !== 'CREATE' && action !== 'DELETE' && action !== 'UPSERT')
    throw invalidInput(`Invalid request: Action must be CREATE, DELETE or UPSERT, got ${String(action)}`);
  const source = asObject(change?.ResourceRecordSet);
  if (!source) throw invalidInput('Invalid request: a Change has no ResourceRecordSet');
  const name = source.Name;
  const type = source.Type;
  if (typeof name !== 'string' || !name)
    throw invalidInput('Invalid request: ResourceRecordSet.Name is required');
  if (typeof type !== 'string' || !RR_TYPES.has(type))
    throw invalidInput(
      `Invalid request: ResourceRecordSet.Type must be a DNS record type, got ${String(type)}`,
    );
  const where = `Change with [Action=${action}, Name=${normalizeName(name)}, Type=${type}, SetIdentifier=${
    typeof source.SetIdentifier === 'string' ? source.SetIdentifier : 'null'
  }]`;

  const rrs: ResourceRecordSet = { Name: normalizeName(name), Type: type as RRType };
  if (source.SetIdentifier !== undefined) {
    if (typeof source.SetIdentifier !== 'string' || !source.SetIdentifier)
      throw invalidInput(`Invalid request: SetIdentifier must be a non-empty string in ${where}`);
    rrs.SetIdentifier = source.SetIdentifier;
  }
  if (source.Failover !== undefined) {
    if (source.Failover !== 'PRIMARY' && source.Failover !== 'SECONDARY')
      throw invalidInput(`Invalid request: Failover must be PRIMARY or SECONDARY in ${where}`);
    if (!rrs.SetIdentifier) throw invalidInput(`Invalid request: Missing field 'SetIdentifier' in ${where}`);
    rrs.Failover = source.Failover;
  }
  if (typeof source.Weight === 'number') rrs.Weight = source.Weight;
  if (typeof source.Region === 'string') rrs.Region = source.Region as ResourceRecordSet['Region'];
  if (typeof source.MultiValueAnswer === 'boolean') rrs.MultiValueAnswer = source.MultiValueAnswer;

  const alias = asObject(source.AliasTarget);
  const hasValues = source.TTL !== undefined || source.ResourceRecords !== undefined;
  if (alias && hasValues)
    throw invalidInput(
      `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in ${where}`,
    );
  if (alias) {
    if (typeof alias.HostedZoneId !== 'string' || typeof alias.DNSName !== 'string' || !alias.DNSName)
      throw invalidInput(`Invalid request: AliasTarget needs HostedZoneId and DNSName in ${where}`);
    if (typeof alias.EvaluateTargetHealth !== 'boolean')
      throw invalidInput(`Invalid request: AliasTarget needs EvaluateTargetHealth in ${where}`);
    rrs.AliasTarget = {
      HostedZoneId: alias.HostedZoneId,
      DNSName: normalizeName(alias.DNSName),
      EvaluateTargetHealth: alias.EvaluateTargetHealth,
    };
  } else {
    const values = source.ResourceRecords;
    if (typeof source.TTL !== 'number' || !Array.isArray(values) || values.length === 0)
      throw invalidInput(
        `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in ${where}`,
      );
    rrs.TTL = source.TTL;
    rrs.ResourceRecords = values.map((v: unknown) => {
      const value = asObject(v)?.Value;
      if (typeof value !== 'string')
        throw invalidInput(`Invalid request: a ResourceRecord has no Value in ${where}`);
      return { Value: value };
    });
  }
  if (source.HealthCheckId !== undefined) {
    if (typeof source.HealthCheckId !== 'string' || !source.HealthCheckId)
      throw invalidInput(`Invalid request: HealthCheckId must be a health check id in ${where}`);
    rrs.HealthCheckId = source.HealthCheckId;
  }
  return { action, rrs };
}

/** `api.orders.example.com.` -> `com.example.orders.api.`: Route 53's listing order. */
function reversedLabels(name: string): string {
  return `${name.replace(/\.$/, '').split('.').reverse().join('.')}.`;
}

function sortTuple(rrs: ResourceRecordSet): [string, string, string] {
  return [reversedLabels(rrs.Name ?? ''), rrs.Type ?? '', rrs.SetIdentifier ?? ''];
}

function compareTuple(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function sortRecords(records: ResourceRecordSet[]): ResourceRecordSet[] {
  return [...records].sort((a, b) => compareTuple(sortTuple(a), sortTuple(b)));
}

/** A Route 53-style health check id (a UUID), stable for a seed. */
function uuidFrom(seed: string): string {
  const hex = stableHexId(seed, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The names Route 53's name servers have in the sandbox: `ns-N.awsdns-NN.com.` style. */
const NAME_SERVER = /^ns-\d+\.awsdns-\d+\.(com|net|org|co\.uk)\.$/;
/** Name servers' addresses: TEST-NET-1 (RFC 5737), never contacted. */
const NAME_SERVER_PREFIX = '192.0.2.';

/** A hosted zone's delegation set: four name servers, one per top-level domain, as Route 53 assigns. */
function nameServersOf(zoneId: string): string[] {
  const n = Number.parseInt(stableHexId(zoneId, 4), 16) % 2000;
  return [
    `ns-${n}.awsdns-${n % 64}.com.`,
    `ns-${n + 1}.awsdns-${n % 64}.net.`,
    `ns-${n + 2}.awsdns-${n % 64}.org.`,
    `ns-${n + 3}.awsdns-${n % 64}.co.uk.`,
  ].map((ns) => ns.replace(/\.$/, ''));
}

function nameServerAddress(name: string): string {
  const n = Number.parseInt(/^ns-(\d+)/.exec(name)?.[1] ?? '0', 10);
  return `${NAME_SERVER_PREFIX}${(n % 250) + 1}`;
}

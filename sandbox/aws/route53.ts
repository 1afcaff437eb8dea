import type {
  ChangeInfo,
  ChangeResourceRecordSetsResponse,
  GetChangeResponse,
  GetHealthCheckResponse,
  GetHealthCheckStatusResponse,
  HealthCheck,
  HealthCheckConfig,
  ListHealthChecksResponse,
  ListResourceRecordSetsResponse,
  ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import type { RoutingControlState } from '@aws-sdk/client-route53-recovery-cluster';
import type { Plan } from '../../functions/core/plan.js';
import { healthPath } from '../../functions/traffic/health-endpoint.js';
import { ROUTE53_CHANGE_PROCESSING_MS } from '../quotas.js';
import type { RoutingControlChange } from './arc.js';
import { CHECKER_REGIONS, EndpointProbe } from './route53-health.js';
import {
  asObject,
  canonical,
  compareTuple,
  describe,
  groupKey,
  groupProblems,
  healthEndpointHost,
  invalidInput,
  NAME_SERVER,
  NAME_SERVER_PREFIX,
  nameServerAddress,
  nameServersOf,
  normalizeName,
  parseChange,
  recordKey,
  reversedLabels,
  sortRecords,
  sortTuple,
  stripPrefix,
  uuidFrom,
} from './route53-records.js';
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
  /** Whether a region is down now: its endpoints do not answer, and its checkers do not run. */
  readonly regionDown?: (region: string) => boolean;
  /**
   * Whether checkers in `checkerRegion` reach endpoints in `endpointRegion` now, beyond outages
   * (the `checkers-blocked` fault: a partial impairment in which checkers disagree).
   */
  readonly checkerReaches?: (checkerRegion: string, endpointRegion: string) => boolean;
}

/**
 * A health endpoint of the health-checks traffic method: what region `endpointRegion`'s function
 * URL answers for `path` (HTTP status). Bound by the sandbox once the control planes exist.
 */
export type HealthEndpoint = (endpointRegion: string, path: string) => Promise<number>;

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
  /** Normalised alias DNS name -> the region and plan of that target, and its checkers. */
  private readonly targets = new Map<string, { region: string; planName: string; probe: EndpointProbe }>();
  /** Health check id -> the checkers of a health-checks plan's switch endpoint (one URL and path). */
  private readonly switchProbes = new Map<string, EndpointProbe>();
  private healthEndpoint: HealthEndpoint | undefined;
  /** Routing control ARN -> the state its health checks show (undefined: follow ARC, no change seen yet). */
  private readonly routingHealth = new Map<string, { state: RoutingControlState | undefined }>();
  /** `zone|name|type` -> authoritative answers over time (oldest first). */
  private readonly answers = new Map<string, AnswerHistory>();
  /** Plan name -> region -> its health check ids. */
  private readonly planChecks = new Map<string, Record<string, RegionChecks>>();
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
    const switchChecks = traffic.method === 'health-checks' ? this.provisionSwitch(plan) : undefined;

    for (const record of traffic.records) {
      plan.regions.forEach((region, i) => {
        const target = record.targets[region];
        if (!target) return;
        const dnsName = normalizeName(target.dnsName);
        this.ensureTarget(dnsName, region, plan.name);

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
        const regionChecks: RegionChecks = { endpoint: endpointId };
        const switchCheck = switchChecks?.[region];
        if (switchCheck) regionChecks.switch = switchCheck;

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
        const healthCheckId = routingControlArn
          ? regionChecks.recoveryControl
          : (switchCheck?.calculated ?? target.healthCheckId);
        const rrs: ResourceRecordSet = {
          Name: normalizeName(record.name),
          Type: record.type,
          SetIdentifier: region,
          Failover: i === 0 ? 'PRIMARY' : 'SECONDARY',
          // The health-checks method: the switch alone decides (a target's own health would let
          // both records be unhealthy, and Route 53 then answers the PRIMARY).
          AliasTarget: {
            HostedZoneId: target.hostedZoneId,
            DNSName: dnsName,
            EvaluateTargetHealth: switchCheck === undefined,
          },
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
    if (this.targets.has(name) && (question.type === 'A' || question.type === 'AAAA'))
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

  /**
   * The plan's health check ids, per region: endpoint (HTTPS), with ARC recovery control, and with
   * the health-checks method its switch checks.
   */
  healthCheckIds(planName: string): Record<string, RegionChecks> {
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
      // Route 53 API Reference, ChangeResourceRecordSets, Errors: "NoSuchHealthCheck: No health
      // check exists with the specified ID" (HTTP 404), for a record that names a missing check.
      // https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
      if (rrs.HealthCheckId && !this.healthChecks.has(rrs.HealthCheckId) && action !== 'DELETE')
        throw awsError(
          'route53',
          'NoSuchHealthCheck',
          `No health check exists with the specified ID: ${rrs.HealthCheckId} (named by ${describe(rrs)})`,
        );
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
    const invert = (ok: boolean) => (check.config.Inverted ? !ok : ok);
    if (check.target.kind === 'calculated')
      // API Reference, GetHealthCheckStatus: "You can't use GetHealthCheckStatus to get the status
      // of a calculated health check."
      throw invalidInput(
        `Invalid request: health check ${check.id} is a calculated health check; GetHealthCheckStatus reports endpoint checks only`,
      );
    if (check.target.kind === 'recovery-control') {
      const ok = invert(this.routingControlVisible(check.target.routingControlArn) === 'On');
      return {
        HealthCheckObservations: CHECKER_REGIONS.map((region, i) => ({
          Region: region,
          IPAddress: `15.177.${2 + i * 8}.${(i * 37) % 250}`,
          StatusReport: {
            Status: ok ? 'Success: Routing control state is On' : 'Failure: Routing control state is Off',
            CheckedTime: new Date(this.ctx.clock.now()),
          },
        })),
      };
    }
    const probe = this.probeOf(check);
    const success = 'Success: HTTP Status Code 200, OK';
    const failure =
      'Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.';
    // Each checker reports its own latest observation, not the thresholded status.
    const observations = probe?.observations(success, failure) ?? [];
    return {
      HealthCheckObservations: check.config.Inverted
        ? observations.map((o) => ({
            ...o,
            StatusReport: {
              ...o.StatusReport,
              Status: o.StatusReport?.Status === success ? failure : success,
            },
          }))
        : observations,
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

  /** The checkers of a load balancer target (its HTTPS health check and alias target health). */
  private ensureTarget(dnsName: string, region: string, planName: string): void {
    if (this.targets.has(dnsName)) return;
    const { healthCheckIntervalMs, healthCheckFailureThreshold } = this.ctx.latency.route53;
    const probe = new EndpointProbe(this.ctx, {
      answer: () => this.options.targetHealthy(region, planName),
      reachable: (checker) => !this.down(region) && this.reaches(checker, region),
      checkerUp: (checker) => !this.down(checker),
      intervalMs: healthCheckIntervalMs,
      failureThreshold: healthCheckFailureThreshold,
      onStatusChange: () => {
        this.recomputeAnswers(false);
        this.ctx.changed();
      },
      app: planName,
    });
    this.targets.set(dnsName, { region, planName, probe });
  }

  /**
   * The health-checks traffic method's checks (docs/architecture.md, "Traffic by health checks"):
   * for each plan region S, one HTTPS check per plan region E of E's health endpoint at path
   * `/<app>/S` (healthy while E's replica of the state table names S), and one CALCULATED check
   * of S, healthy when at least one of them is (HealthThreshold 1): any region that can still
   * speak vouches for the active one, so all records are unhealthy only when no endpoint answers.
   */
  private provisionSwitch(plan: Plan): Record<string, { calculated: string; endpoints: string[] }> {
    const route53 = plan.traffic.route53;
    if (!route53) return {};
    // The plan's interval (10 or 30 s), scaled as the profile scales the standard 30 s interval.
    const scale = this.ctx.latency.route53.healthCheckIntervalMs / 30_000;
    const intervalMs = route53.healthChecks.intervalSeconds * 1000 * scale;
    const out: Record<string, { calculated: string; endpoints: string[] }> = {};
    for (const subject of plan.regions) {
      const endpoints: string[] = [];
      for (const endpointRegion of plan.regions) {
        const path = healthPath(plan.name, subject);
        const id = uuidFrom(`switch:${plan.name}:${endpointRegion}:${subject}`);
        this.ensureHealthCheck(id, `switchyard-${plan.name}-${endpointRegion}-says-${subject}`, {
          Type: 'HTTPS',
          FullyQualifiedDomainName: healthEndpointHost(endpointRegion),
          Port: 443,
          ResourcePath: path,
          RequestInterval: route53.healthChecks.intervalSeconds,
          FailureThreshold: route53.healthChecks.failureThreshold,
          MeasureLatency: false,
          Inverted: false,
          Disabled: false,
          EnableSNI: true,
        });
        if (!this.switchProbes.has(id)) {
          this.switchProbes.set(
            id,
            new EndpointProbe(this.ctx, {
              answer: async () => {
                const status = await (this.healthEndpoint?.(endpointRegion, path) ?? Promise.resolve(503));
                return status >= 200 && status < 400;
              },
              reachable: (checker) => !this.down(endpointRegion) && this.reaches(checker, endpointRegion),
              checkerUp: (checker) => !this.down(checker),
              intervalMs,
              failureThreshold: route53.healthChecks.failureThreshold,
              onStatusChange: () => {
                this.recomputeAnswers(false);
                this.ctx.changed();
              },
              app: plan.name,
            }),
          );
        }
        endpoints.push(id);
      }
      const calculated = uuidFrom(`switch-calculated:${plan.name}:${subject}`);
      this.ensureHealthCheck(calculated, `switchyard-${plan.name}-${subject}-active`, {
        Type: 'CALCULATED',
        ChildHealthChecks: endpoints,
        HealthThreshold: 1,
        Inverted: false,
        Disabled: false,
      });
      out[subject] = { calculated, endpoints };
    }
    return out;
  }

  /** Binds the health endpoints that the health-checks method's checkers request. */
  serveHealthEndpoints(endpoint: HealthEndpoint): void {
    this.healthEndpoint = endpoint;
  }

  private down(region: string): boolean {
    return this.options.regionDown?.(region) ?? false;
  }

  private reaches(checker: string, endpointRegion: string): boolean {
    return this.options.checkerReaches?.(checker, endpointRegion) ?? true;
  }

  private probeOf(check: HealthCheckRecord): EndpointProbe | undefined {
    if (check.target.kind !== 'endpoint') return undefined;
    return this.switchProbes.get(check.id) ?? this.targets.get(check.target.dnsName)?.probe;
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
        : config.Type === 'CALCULATED'
          ? {
              kind: 'calculated',
              children: config.ChildHealthChecks ?? [],
              threshold: config.HealthThreshold ?? 1,
            }
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
    let healthy: boolean;
    if (check.target.kind === 'endpoint') healthy = this.probeOf(check)?.healthy ?? true;
    else if (check.target.kind === 'calculated') {
      // API Reference, HealthCheckConfig, HealthThreshold: the number of child health checks
      // that must be healthy for the CALCULATED check to be healthy.
      const children = check.target.children.map((id) => this.healthChecks.get(id));
      healthy = children.filter((c) => c !== undefined && this.isHealthy(c)).length >= check.target.threshold;
    } else healthy = this.routingControlVisible(check.target.routingControlArn) === 'On';
    return check.config.Inverted ? !healthy : healthy;
  }

  private recordHealthy(rrs: ResourceRecordSet): boolean {
    if (rrs.HealthCheckId) {
      const check = this.healthChecks.get(rrs.HealthCheckId);
      if (check && !this.isHealthy(check)) return false;
    }
    if (rrs.AliasTarget?.EvaluateTargetHealth) {
      const target = this.targets.get(normalizeName(rrs.AliasTarget.DNSName ?? ''));
      if (target && !target.probe.healthy) return false;
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
      region: dnsName ? this.targets.get(dnsName)?.region : undefined,
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
    | { readonly kind: 'recovery-control'; readonly routingControlArn: string }
    | { readonly kind: 'calculated'; readonly children: readonly string[]; readonly threshold: number };
}

/** A plan region's health check ids. */
export interface RegionChecks {
  /** The HTTPS check of the region's load balancer. */
  endpoint?: string;
  /** With ARC: the RECOVERY_CONTROL check of the region's routing control. */
  recoveryControl?: string;
  /** The health-checks method: the region's CALCULATED check and its per-endpoint HTTPS checks. */
  switch?: { calculated: string; endpoints: string[] };
}

interface AnswerHistory {
  readonly zoneId: string;
  readonly name: string;
  readonly type: string;
  readonly entries: { at: number; answer: DnsAnswer | undefined }[];
}

function sameAnswer(a: DnsAnswer | undefined, b: DnsAnswer | undefined): boolean {
  return (
    a?.region === b?.region && a?.setIdentifier === b?.setIdentifier && a?.dnsName === b?.dnsName && !a === !b
  );
}

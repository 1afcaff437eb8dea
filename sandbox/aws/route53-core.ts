import type { HealthCheckConfig, ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { RoutingControlState } from '@aws-sdk/client-route53-recovery-cluster';
import type { Plan } from '../../functions/core/plan.js';
import { healthPath } from '../../functions/traffic/health-endpoint.js';
import type { RoutingControlChange } from './arc.js';
import { EndpointProbe } from './route53-health.js';
import {
  type AnswerHistory,
  type ChangeRecord,
  type DnsAnswer,
  type HealthCheckRecord,
  type HealthEndpoint,
  type RegionChecks,
  type Route53Options,
  sameAnswer,
  type Zone,
} from './route53-model.js';
import {
  groupKey,
  healthEndpointHost,
  NAME_SERVER,
  NAME_SERVER_PREFIX,
  nameServerAddress,
  nameServersOf,
  normalizeName,
  recordKey,
  sortRecords,
  stripPrefix,
  uuidFrom,
} from './route53-records.js';
import { beginOperation, type SimContext } from './simulator.js';

/**
 * The state and model of the simulated Route 53 ({@link SimulatedRoute53} in route53.ts documents
 * the behaviour): hosted zones and their change batches' propagation, health checks and their
 * checkers, and the DNS answers users get. The API operations live in the subclass.
 */
export class Route53Core {
  protected readonly zones = new Map<string, Zone>();
  protected readonly changeLog = new Map<string, ChangeRecord>();
  protected readonly healthChecks = new Map<string, HealthCheckRecord>();
  /** A plan record's name (normalized) -> the plan: whose AWS time a change to it is. */
  protected readonly recordApps = new Map<string, string>();
  /** Normalised alias DNS name -> the region and plan of that target, and its checkers. */
  protected readonly targets = new Map<string, { region: string; planName: string; probe: EndpointProbe }>();
  /** Health check id -> the checkers of a health-checks plan's switch endpoint (one URL and path). */
  protected readonly switchProbes = new Map<string, EndpointProbe>();
  protected healthEndpoint: HealthEndpoint | undefined;
  /** Routing control ARN -> the state its health checks show (undefined: follow ARC, no change seen yet). */
  protected readonly routingHealth = new Map<string, { state: RoutingControlState | undefined }>();
  /** `zone|name|type` -> authoritative answers over time (oldest first). */
  protected readonly answers = new Map<string, AnswerHistory>();
  /** Plan name -> region -> its health check ids. */
  protected readonly planChecks = new Map<string, Record<string, RegionChecks>>();
  protected readonly visibleListeners: ((name: string) => void)[] = [];
  protected changeSeq = 0;
  /** `name|type` -> its answer history (the first zone's, as the scan this replaces found it). */
  protected readonly answersByName = new Map<string, AnswerHistory>();
  protected readonly apexCache = new WeakMap<object, string | undefined>();
  /** Per hosted zone: until when (virtual ms) its last change batch is being processed. */
  protected readonly zoneBusyUntil = new Map<string, number>();
  protected readonly addressIndex = new Map<string, number>();

  constructor(
    protected readonly ctx: SimContext,
    protected readonly options: Route53Options,
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
      this.recordApps.set(normalizeName(record.name), plan.name);
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
  onVisibleChange(listener: (name: string) => void): void {
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

  // --- model ------------------------------------------------------------------------------------

  protected publish(change: ChangeRecord): void {
    const zone = this.zones.get(change.zoneId);
    if (!zone || change.seq <= zone.publishedSeq) return;
    zone.published = change.snapshot;
    zone.publishedSeq = change.seq;
    // What users see changes one TTL later (the timers recomputeAnswers sets); the names whose
    // authoritative answer changed are what changed now.
    this.ctx.changed(this.recomputeAnswers(false));
  }

  /** The checkers of a load balancer target (its HTTPS health check and alias target health). */
  protected ensureTarget(dnsName: string, region: string, planName: string): void {
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
        this.ctx.changed([planName]);
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
  protected provisionSwitch(plan: Plan): Record<string, { calculated: string; endpoints: string[] }> {
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
                this.ctx.changed([plan.name]);
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

  protected down(region: string): boolean {
    return this.options.regionDown?.(region) ?? false;
  }

  protected reaches(checker: string, endpointRegion: string): boolean {
    return this.options.checkerReaches?.(checker, endpointRegion) ?? true;
  }

  protected probeOf(check: HealthCheckRecord): EndpointProbe | undefined {
    if (check.target.kind !== 'endpoint') return undefined;
    return this.switchProbes.get(check.id) ?? this.targets.get(check.target.dnsName)?.probe;
  }

  protected ensureHealthCheck(
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

  protected routingControlChanged(change: RoutingControlChange): void {
    const entry = this.routingHealth.get(change.arn) ?? { state: undefined };
    this.routingHealth.set(change.arn, entry);
    // Until now the health check followed ARC directly; from here it lags by the propagation time.
    entry.state ??= change.previous;
    const end = beginOperation(this.ctx, 'arc:propagation', change.app, `${change.arn} ${change.state}`);
    this.ctx.clock.setTimer(this.ctx.latency.arc.healthCheckPropagationMs, () => {
      end();
      if (entry.state === change.state) return;
      entry.state = change.state;
      this.recomputeAnswers(false);
      this.ctx.changed([change.arn]);
    });
  }

  protected routingControlVisible(arn: string): RoutingControlState | undefined {
    return this.routingHealth.get(arn)?.state ?? this.options.arc?.state(arn);
  }

  protected isHealthy(check: HealthCheckRecord): boolean {
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

  protected recordHealthy(rrs: ResourceRecordSet): boolean {
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
  protected evaluate(records: ResourceRecordSet[]): DnsAnswer | undefined {
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
   * was made, and a timer fires when resolvers start handing it out (one TTL later), naming the
   * record to the listeners and the ground truth. Returns the names whose answer changed.
   */
  protected recomputeAnswers(initial: boolean): string[] {
    const now = this.ctx.clock.now();
    const ttl = this.ctx.latency.route53.dnsTtlMs;
    const changed: string[] = [];
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
        changed.push(history.name);
        const name = history.name;
        this.ctx.clock.setTimer(ttl, () => {
          for (const listener of this.visibleListeners) listener(name);
          this.ctx.changed([name]);
        });
      }
    }
    return changed;
  }

  /** A zone's apex: the longest common suffix of its records' names, below the last label kept. */
  protected apexOf(zone: Zone): string | undefined {
    // A zone's records map is replaced by each change: the apex is computed once per version.
    if (this.apexCache.has(zone.records)) return this.apexCache.get(zone.records);
    const apex = this.computeApex(zone);
    this.apexCache.set(zone.records, apex);
    return apex;
  }

  protected computeApex(zone: Zone): string | undefined {
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
  protected addressesOf(dnsName: string, type: string): string[] {
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

  protected historyFor(name: string, type: string): AnswerHistory | undefined {
    return this.answersByName.get(`${normalizeName(name)}|${type}`);
  }

  protected statusOf(change: ChangeRecord): 'PENDING' | 'INSYNC' {
    return this.ctx.clock.now() >= change.insyncAt ? 'INSYNC' : 'PENDING';
  }
}

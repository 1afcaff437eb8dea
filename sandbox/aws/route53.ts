import type {
  ChangeInfo,
  ChangeResourceRecordSetsResponse,
  GetChangeResponse,
  GetHealthCheckResponse,
  GetHealthCheckStatusResponse,
  HealthCheck,
  ListHealthChecksResponse,
  ListResourceRecordSetsResponse,
} from '@aws-sdk/client-route-53';
import { ROUTE53_CHANGE_PROCESSING_MS } from '../quotas.js';
import { Route53Core } from './route53-core.js';
import { CHECKER_REGIONS } from './route53-health.js';
import type { ChangeRecord, HealthCheckRecord, Zone } from './route53-model.js';
import {
  asObject,
  canonical,
  compareTuple,
  describe,
  groupKey,
  groupProblems,
  invalidInput,
  normalizeName,
  parseChange,
  recordKey,
  requestMaximumProblems,
  reversedLabels,
  sortRecords,
  sortTuple,
  stripPrefix,
} from './route53-records.js';
import {
  awsError,
  beginOperation,
  type CallTarget,
  type SimulatedService,
  UnsupportedOperationError,
} from './simulator.js';

export type {
  DnsAnswer,
  HealthEndpoint,
  RegionChecks,
  Route53Options,
  RoutingControlSource,
} from './route53-model.js';

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
export class SimulatedRoute53 extends Route53Core implements SimulatedService {
  readonly service = 'route53' as const;

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
      case 'DeleteHealthCheck':
        return this.deleteHealthCheck(input);
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
    const oversized = requestMaximumProblems(changes);
    if (oversized.length > 0)
      throw awsError('route53', 'InvalidChangeBatch', `[${oversized.join(', ')}]`, { messages: oversized });

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
    // One change batch may carry many apps' records (an evacuation's batch, made for them all):
    // its propagation is each of those apps' AWS time.
    const apps = new Set(changes.map(({ rrs }) => this.recordApps.get(normalizeName(rrs.Name ?? ''))));
    const ends = [...apps].map((app) =>
      beginOperation(this.ctx, 'route53:change', app, `/change/${change.id}`),
    );
    this.ctx.clock.setTimer(propagationMs, () => {
      for (const end of ends) end();
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

  /**
   * DeleteHealthCheck: "Amazon Route 53 does not prevent you from deleting a health check even if
   * the health check is associated with one or more resource record sets. If you delete a health
   * check and you don't update the associated resource record sets, the future status of the
   * health check can't be predicted" (Route 53 API Reference, DeleteHealthCheck,
   * https://docs.aws.amazon.com/Route53/latest/APIReference/API_DeleteHealthCheck.html; its
   * `HealthCheckInUse` error "is not in use"). The sandbox picks one outcome: a record naming a
   * deleted check is evaluated as if it had none (healthy), and a calculated check counts a
   * deleted child as unhealthy. NoSuchHealthCheck for an ID it does not have.
   */
  private deleteHealthCheck(input: Record<string, unknown>): Record<string, never> {
    const check = this.requireHealthCheck(input.HealthCheckId);
    this.healthChecks.delete(check.id);
    this.switchProbes.get(check.id)?.stop();
    this.switchProbes.delete(check.id);
    this.recomputeAnswers(false);
    return {};
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

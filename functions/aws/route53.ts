import {
  type Change,
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHealthCheckCommand,
  type GetHealthCheckCommandOutput,
  GetHealthCheckStatusCommand,
  InvalidChangeBatch,
  InvalidInput,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHealthCheck,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  type ResourceRecordSet,
  type RRType,
} from '@aws-sdk/client-route-53';
import {
  InvalidInputError,
  PreconditionFailedError,
  ResourceNotFoundError,
  ThrottledError,
  TrafficShiftRejectedError,
} from '../core/errors.js';
import type {
  FailoverRecord,
  FailoverRecordSpec,
  HealthCheckView,
  Route53Records,
} from '../runbook/ports/route53.js';
import { type ClientFactory, ROUTE53_CONTROL_PLANE_REGION } from './client-factory.js';
import { ROUTE53_CLIENT } from './sdk-clients/route53.js';
import { type AwsCallContext, awsCall, type ErrorRule } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { FailoverRecord, FailoverRecordSpec, HealthCheckView, Route53Records };

const REGION = ROUTE53_CONTROL_PLANE_REGION;

const NOT_FOUND_RULES: readonly ErrorRule[] = [
  { when: NoSuchHostedZone, as: ResourceNotFoundError, problem: 'hosted zone not found' },
  { when: NoSuchHealthCheck, as: ResourceNotFoundError, problem: 'health check not found' },
  { when: NoSuchChange, as: ResourceNotFoundError, problem: 'change not found' },
];

const CHANGE_RULES: readonly ErrorRule[] = [
  {
    when: InvalidChangeBatch,
    as: TrafficShiftRejectedError,
    problem: 'Route 53 rejected the change batch',
    expected: 'one PRIMARY and one SECONDARY record per name',
    detail: (error) => (error instanceof InvalidChangeBatch ? error.messages?.join('; ') : undefined),
  },
  { when: InvalidInput, as: TrafficShiftRejectedError, problem: 'Route 53 rejected the change input' },
  {
    when: PriorRequestNotComplete,
    as: ThrottledError,
    problem: 'a previous change to the zone is still being applied',
  },
  ...NOT_FOUND_RULES,
];

/** The Route 53 adapter. */
export function route53Records(clients: ClientFactory): Route53Records {
  const route53 = () => clients.client(ROUTE53_CLIENT, REGION);
  const send = <T>(
    context: Omit<AwsCallContext, 'region'>,
    rules: readonly ErrorRule[],
    call: () => Promise<T>,
  ) => awsCall({ ...context, region: REGION }, rules, call);

  // The raw record sets, so that a DELETE names a record exactly as it stands.
  const listFailoverSets = async (hostedZoneId: string, name: string, type: string) => {
    const sets: ResourceRecordSet[] = [];
    let start: { name: string; type: string; identifier?: string } | undefined = { name, type };
    while (start) {
      const from: { name: string; type: string; identifier?: string } = start;
      const page = await send(
        { operation: 'ListResourceRecordSets', resource: `${hostedZoneId} ${name} ${type}` },
        NOT_FOUND_RULES,
        () =>
          route53().send(
            new ListResourceRecordSetsCommand({
              HostedZoneId: hostedZoneId,
              StartRecordName: from.name,
              StartRecordType: from.type as RRType,
              ...(from.identifier ? { StartRecordIdentifier: from.identifier } : {}),
            }),
          ),
      );
      start = undefined;
      let past = false;
      for (const set of page.ResourceRecordSets ?? []) {
        // Records come sorted by name then type: the first other name or type ends ours.
        if (!sameName(set.Name ?? '', name) || set.Type !== type) {
          past = true;
          break;
        }
        if (set.Failover === 'PRIMARY' || set.Failover === 'SECONDARY') sets.push(set);
      }
      if (!past && page.IsTruncated && page.NextRecordName && page.NextRecordType) {
        start = {
          name: page.NextRecordName,
          type: page.NextRecordType,
          ...(page.NextRecordIdentifier ? { identifier: page.NextRecordIdentifier } : {}),
        };
      }
    }
    return sets;
  };

  /** Every failover record set of the zone, from its first name to its last (paged, 300 a page). */
  const listZoneFailoverSets = async (hostedZoneId: string) => {
    const sets: ResourceRecordSet[] = [];
    let start: { name: string; type: string; identifier?: string } | undefined;
    do {
      const from = start;
      const page = await send(
        { operation: 'ListResourceRecordSets', resource: `${hostedZoneId} (every record)` },
        NOT_FOUND_RULES,
        () =>
          route53().send(
            new ListResourceRecordSetsCommand({
              HostedZoneId: hostedZoneId,
              ...(from
                ? {
                    StartRecordName: from.name,
                    StartRecordType: from.type as RRType,
                    ...(from.identifier ? { StartRecordIdentifier: from.identifier } : {}),
                  }
                : {}),
            }),
          ),
      );
      for (const set of page.ResourceRecordSets ?? [])
        if (set.Failover === 'PRIMARY' || set.Failover === 'SECONDARY') sets.push(set);
      start =
        page.IsTruncated && page.NextRecordName && page.NextRecordType
          ? {
              name: page.NextRecordName,
              type: page.NextRecordType,
              ...(page.NextRecordIdentifier ? { identifier: page.NextRecordIdentifier } : {}),
            }
          : undefined;
    } while (start);
    return sets;
  };

  /** One ChangeResourceRecordSets: the change batch is atomic (all of it or none). */
  const submit = async (hostedZoneId: string, changes: Change[], resource: string, comment: string) => {
    const output = await send(
      { operation: 'ChangeResourceRecordSets', resource: `${hostedZoneId} ${resource}` },
      CHANGE_RULES,
      () =>
        route53().send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: hostedZoneId,
            ChangeBatch: { Comment: `Switchyard: ${comment}`, Changes: changes },
          }),
        ),
    );
    return output.ChangeInfo?.Id;
  };

  return {
    async listFailoverRecords(hostedZoneId, name, type) {
      return (await listFailoverSets(hostedZoneId, name, type)).map(toFailoverRecord);
    },

    async setPrimary(hostedZoneId, records, primaryRegion, secondaryRegion, options = {}) {
      assertTwoRegions(hostedZoneId, primaryRegion, secondaryRegion);
      const swap = options.swapFirst ? swapChanges(records, primaryRegion, secondaryRegion) : undefined;
      if (swap) {
        // One call instead of a read and a call: the batch deletes the records exactly as
        // Switchyard writes them with `secondaryRegion` PRIMARY, and creates them swapped. Route
        // 53 deletes a record only when every value matches, and applies a batch whole or not at
        // all, so a record that differs (changed by hand, a health check added, already swapped)
        // refuses the whole batch, changing nothing: then the records are read and changed as
        // they stand, below.
        const swapped = await send(
          { operation: 'ChangeResourceRecordSets', resource: `${hostedZoneId} primary ${primaryRegion}` },
          CHANGE_RULES,
          async () => {
            try {
              return await route53().send(
                new ChangeResourceRecordSetsCommand({
                  HostedZoneId: hostedZoneId,
                  ChangeBatch: {
                    Comment: `Switchyard: ${primaryRegion} PRIMARY, ${secondaryRegion} SECONDARY (swap)`,
                    Changes: swap,
                  },
                }),
              );
            } catch (error: unknown) {
              if (error instanceof InvalidChangeBatch) return undefined;
              throw error;
            }
          },
        );
        if (swapped) return swapped.ChangeInfo?.Id;
      }
      const changes: Change[] = [];
      for (const spec of records) {
        const sets = await listFailoverSets(hostedZoneId, spec.name, spec.type);
        changes.push(...changesFor(hostedZoneId, spec, sets, primaryRegion, secondaryRegion));
      }
      if (changes.length === 0) return undefined;
      return submit(
        hostedZoneId,
        changes,
        `primary ${primaryRegion}`,
        `${primaryRegion} PRIMARY, ${secondaryRegion} SECONDARY`,
      );
    },

    async setPrimaryMany(hostedZoneId, items) {
      // One read of the zone for every item, not one per record of every app.
      const zone = await listZoneFailoverSets(hostedZoneId);
      const changes: Change[] = [];
      const refused: { key: string; error: Error }[] = [];
      const changed: string[] = [];
      const deferred: string[] = [];
      let size: RequestSize = { changes: 0, elements: 0, characters: 0 };
      for (const item of items) {
        if (deferred.length > 0) {
          // Items stay in order: once one waits for the next batch, the ones after it wait too.
          deferred.push(item.key);
          continue;
        }
        let own: Change[];
        try {
          assertTwoRegions(hostedZoneId, item.primaryRegion, item.secondaryRegion);
          own = item.records.flatMap((spec) =>
            changesFor(
              hostedZoneId,
              spec,
              zone.filter((set) => sameName(set.Name ?? '', spec.name) && set.Type === spec.type),
              item.primaryRegion,
              item.secondaryRegion,
            ),
          );
        } catch (error: unknown) {
          refused.push({ key: item.key, error: error instanceof Error ? error : new Error(String(error)) });
          continue;
        }
        const after = addSize(size, own);
        if (changes.length > 0 && !withinRequestMaximums(after)) {
          deferred.push(item.key);
          continue;
        }
        size = after;
        changes.push(...own);
        if (own.length > 0) changed.push(item.key);
      }
      if (changes.length === 0) return { changeId: undefined, changed, refused, deferred };
      const changeId = await submit(
        hostedZoneId,
        changes,
        `for ${changed.length} app(s)`,
        `${changed.length} app(s) of an evacuation`,
      );
      return { changeId, changed, refused, deferred };
    },

    async getChangeStatus(changeId) {
      const output = await send({ operation: 'GetChange', resource: changeId }, NOT_FOUND_RULES, () =>
        route53().send(new GetChangeCommand({ Id: changeId })),
      );
      return output.ChangeInfo?.Status === 'INSYNC' ? 'INSYNC' : 'PENDING';
    },

    async healthCheckStatus(healthCheckId) {
      const output = await send(
        { operation: 'GetHealthCheckStatus', resource: healthCheckId },
        NOT_FOUND_RULES,
        () => route53().send(new GetHealthCheckStatusCommand({ HealthCheckId: healthCheckId })),
      );
      const observations = output.HealthCheckObservations ?? [];
      const healthy = observations.filter((o) => o.StatusReport?.Status?.startsWith('Success')).length;
      // Route 53 counts an endpoint healthy when MORE than 18% of its checkers report it healthy
      // (Route 53 Developer Guide, "How Amazon Route 53 determines whether a health check is
      // healthy"), not a majority: checkers cut off from the endpoint by a partial impairment
      // must not make it unhealthy. No observations yet is not evidence of health.
      return observations.length > 0 && healthy > 0.18 * observations.length ? 'Healthy' : 'Unhealthy';
    },

    async getHealthCheck(healthCheckId) {
      let output: GetHealthCheckCommandOutput;
      try {
        output = await send({ operation: 'GetHealthCheck', resource: healthCheckId }, NOT_FOUND_RULES, () =>
          route53().send(new GetHealthCheckCommand({ HealthCheckId: healthCheckId })),
        );
      } catch (error: unknown) {
        // Missing is an answer (Route 53 said so); any other failure stays unknown to the caller.
        if (error instanceof ResourceNotFoundError) return undefined;
        throw error;
      }
      return toHealthCheckView(healthCheckId, { ...output.HealthCheck?.HealthCheckConfig });
    },
  };
}

function toHealthCheckView(id: string, config: Record<string, unknown>): HealthCheckView {
  const text = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : undefined);
  const number = (key: string) => (typeof config[key] === 'number' ? (config[key] as number) : undefined);
  const children = Array.isArray(config.ChildHealthChecks)
    ? (config.ChildHealthChecks as unknown[]).filter((c): c is string => typeof c === 'string')
    : undefined;
  const [fqdn, port, resourcePath, threshold] = [
    text('FullyQualifiedDomainName'),
    number('Port'),
    text('ResourcePath'),
    number('HealthThreshold'),
  ];
  return {
    id,
    type: text('Type') ?? '',
    ...(fqdn !== undefined ? { fqdn } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(resourcePath !== undefined ? { resourcePath } : {}),
    ...(children ? { childHealthChecks: children } : {}),
    ...(threshold !== undefined ? { healthThreshold: threshold } : {}),
  };
}

/**
 * Route 53's maximums on one ChangeResourceRecordSets request: "A request cannot contain more than
 * 1,000 ResourceRecord elements. When the value of the Action element is UPSERT, each
 * ResourceRecord element is counted twice", and "the sum of the number of characters (including
 * spaces) in all Value elements in a request cannot exceed 32,000 characters. When the value of
 * the Action element is UPSERT, each character in a Value element is counted twice" (Route 53
 * Developer Guide, "Quotas", Maximums on API requests,
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html). Alias records
 * (what Switchyard writes) carry no ResourceRecord nor Value element, so these bind only records
 * with values (a third region's record deleted in the same batch).
 */
export const ROUTE53_MAX_RESOURCE_RECORDS_PER_REQUEST = 1_000;
export const ROUTE53_MAX_VALUE_CHARACTERS_PER_REQUEST = 32_000;
/**
 * Change elements one batch carries at most: our conservative choice, not a published maximum
 * today. Route 53 also meters "the number of individual DNS record changes per second" (Route 53
 * Developer Guide, "Throttling for Amazon Route 53 API requests",
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html), whose
 * bucket sizes could not be read here; a batch bigger than that bucket could never be admitted. 100
 * is the maximum the page published before ("A request cannot contain more than 100 Change
 * elements", Route 53 Developer Guide, "Limits on Route 53 API Requests and Entity Counts", API
 * version 2012-12-12): 50 apps of one record (two UPSERTs each) per batch.
 */
export const ROUTE53_MAX_CHANGES_PER_REQUEST = 100;

/** What a change batch counts against Route 53's maximums per request (UPSERTs twice). */
export interface RequestSize {
  readonly changes: number;
  readonly elements: number;
  readonly characters: number;
}

/** `size` with `changes` added, counted as Route 53 counts them. */
export function addSize(size: RequestSize, changes: readonly Change[]): RequestSize {
  let { elements, characters } = size;
  for (const change of changes) {
    const weight = change.Action === 'UPSERT' ? 2 : 1;
    for (const record of change.ResourceRecordSet?.ResourceRecords ?? []) {
      elements += weight;
      characters += weight * (record.Value?.length ?? 0);
    }
  }
  return { changes: size.changes + changes.length, elements, characters };
}

/** Whether a change batch of `size` is within Route 53's maximums per request. */
export function withinRequestMaximums(size: RequestSize): boolean {
  return (
    size.changes <= ROUTE53_MAX_CHANGES_PER_REQUEST &&
    size.elements <= ROUTE53_MAX_RESOURCE_RECORDS_PER_REQUEST &&
    size.characters <= ROUTE53_MAX_VALUE_CHARACTERS_PER_REQUEST
  );
}

function assertTwoRegions(hostedZoneId: string, primaryRegion: string, secondaryRegion: string): void {
  if (primaryRegion === secondaryRegion) {
    throw new InvalidInputError(
      `route53 ${hostedZoneId}: primary and secondary must differ (got ${primaryRegion} for both; expected two regions)`,
    );
  }
}

/**
 * The changes that make `primaryRegion` the PRIMARY and `secondaryRegion` the SECONDARY of one
 * record, from its failover record sets as they stand (`sets`): an UPSERT per record that differs,
 * and a DELETE of another region's record (a name has one PRIMARY and one SECONDARY).
 * PreconditionFailedError when a record's set identifier is not one of the plan's regions.
 */
function changesFor(
  hostedZoneId: string,
  spec: FailoverRecordSpec,
  sets: readonly ResourceRecordSet[],
  primaryRegion: string,
  secondaryRegion: string,
): Change[] {
  const changes: Change[] = [];
  const current = sets.map(toFailoverRecord);
  const foreign = current.filter((r) => !(r.setIdentifier in spec.targets));
  if (foreign.length > 0) {
    throw new PreconditionFailedError(
      `route53 ${hostedZoneId} ${spec.name} ${spec.type}: failover record not managed by Switchyard (got set identifier(s) ${foreign
        .map((r) => r.setIdentifier)
        .join(', ')}; expected region names ${Object.keys(spec.targets).join(', ')})`,
    );
  }
  for (const [region, role] of [
    [primaryRegion, 'PRIMARY'],
    [secondaryRegion, 'SECONDARY'],
  ] as const) {
    const target = spec.targets[region];
    if (!target) {
      throw new InvalidInputError(
        `route53 ${spec.name} ${spec.type}: no alias target for ${region} (got ${Object.keys(spec.targets).join(', ')}; expected a target for ${region})`,
      );
    }
    const existing = current.find((r) => r.setIdentifier === region);
    const healthCheckId = existing?.healthCheckId ?? target.healthCheckId;
    const desired: FailoverRecord = {
      name: spec.name,
      type: spec.type,
      setIdentifier: region,
      failover: role,
      aliasTarget: {
        dnsName: target.dnsName,
        hostedZoneId: target.hostedZoneId,
        evaluateTargetHealth: existing?.aliasTarget?.evaluateTargetHealth ?? true,
      },
      ...(healthCheckId ? { healthCheckId } : {}),
    };
    if (!existing || !sameRecord(existing, desired)) {
      changes.push({ Action: 'UPSERT', ResourceRecordSet: toRecordSet(desired) });
    }
  }
  // A third region's record would make a second PRIMARY or SECONDARY: it goes in the same batch.
  for (const other of sets) {
    if (other.SetIdentifier !== primaryRegion && other.SetIdentifier !== secondaryRegion) {
      changes.push({ Action: 'DELETE', ResourceRecordSet: other });
    }
  }
  return changes;
}

/**
 * The changes that swap the roles of every record from `secondaryRegion` PRIMARY to
 * `primaryRegion` PRIMARY, as a compare-and-swap: per record, a DELETE of each region's record
 * exactly as Switchyard writes it (the plan's alias target and health check, EvaluateTargetHealth
 * on) in its old role, then a CREATE of it in its new role. "To delete a resource record set, you
 * must specify all the same values that you specified when you created it", and "Route 53
 * validates the changes in the request and then either makes all or none of the changes in the
 * change batch" (Route 53 API Reference, "ChangeResourceRecordSets",
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html): a
 * record that differs refuses the batch (`InvalidChangeBatch`), never writes a wrong one.
 * Undefined when a record has no target for one of the regions (the read path says why).
 */
function swapChanges(
  records: readonly FailoverRecordSpec[],
  primaryRegion: string,
  secondaryRegion: string,
): Change[] | undefined {
  const changes: Change[] = [];
  for (const spec of records) {
    const as = (region: string, failover: 'PRIMARY' | 'SECONDARY'): ResourceRecordSet | undefined => {
      const target = spec.targets[region];
      if (!target) return undefined;
      return toRecordSet({
        name: spec.name,
        type: spec.type,
        setIdentifier: region,
        failover,
        aliasTarget: {
          dnsName: target.dnsName,
          hostedZoneId: target.hostedZoneId,
          evaluateTargetHealth: true,
        },
        ...(target.healthCheckId ? { healthCheckId: target.healthCheckId } : {}),
      });
    };
    const [oldPrimary, oldSecondary, newPrimary, newSecondary] = [
      as(secondaryRegion, 'PRIMARY'),
      as(primaryRegion, 'SECONDARY'),
      as(primaryRegion, 'PRIMARY'),
      as(secondaryRegion, 'SECONDARY'),
    ];
    if (!oldPrimary || !oldSecondary || !newPrimary || !newSecondary) return undefined;
    changes.push(
      { Action: 'DELETE', ResourceRecordSet: oldPrimary },
      { Action: 'DELETE', ResourceRecordSet: oldSecondary },
      { Action: 'CREATE', ResourceRecordSet: newPrimary },
      { Action: 'CREATE', ResourceRecordSet: newSecondary },
    );
  }
  return changes.length > 0 ? changes : undefined;
}

function toFailoverRecord(set: ResourceRecordSet): FailoverRecord {
  return {
    name: set.Name ?? '',
    type: set.Type ?? '',
    setIdentifier: set.SetIdentifier ?? '',
    failover: set.Failover === 'SECONDARY' ? 'SECONDARY' : 'PRIMARY',
    ...(set.AliasTarget
      ? {
          aliasTarget: {
            dnsName: set.AliasTarget.DNSName ?? '',
            hostedZoneId: set.AliasTarget.HostedZoneId ?? '',
            evaluateTargetHealth: set.AliasTarget.EvaluateTargetHealth === true,
          },
        }
      : {}),
    ...(set.HealthCheckId ? { healthCheckId: set.HealthCheckId } : {}),
  };
}

function toRecordSet(record: FailoverRecord): ResourceRecordSet {
  return {
    Name: record.name,
    Type: record.type as RRType,
    SetIdentifier: record.setIdentifier,
    Failover: record.failover,
    ...(record.aliasTarget
      ? {
          AliasTarget: {
            DNSName: record.aliasTarget.dnsName,
            HostedZoneId: record.aliasTarget.hostedZoneId,
            EvaluateTargetHealth: record.aliasTarget.evaluateTargetHealth,
          },
        }
      : {}),
    ...(record.healthCheckId ? { HealthCheckId: record.healthCheckId } : {}),
  };
}

function sameRecord(a: FailoverRecord, b: FailoverRecord): boolean {
  return (
    a.failover === b.failover &&
    a.healthCheckId === b.healthCheckId &&
    sameName(a.aliasTarget?.dnsName ?? '', b.aliasTarget?.dnsName ?? '') &&
    a.aliasTarget?.hostedZoneId === b.aliasTarget?.hostedZoneId &&
    a.aliasTarget?.evaluateTargetHealth === b.aliasTarget?.evaluateTargetHealth
  );
}

/** DNS names compare without case, a trailing dot, or Route 53's octal escape of `*`. */
function sameName(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\\052/g, '*').replace(/\.$/, '').toLowerCase();
  return norm(a) === norm(b);
}

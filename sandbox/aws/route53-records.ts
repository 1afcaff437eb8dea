import type { ResourceRecordSet, RRType } from '@aws-sdk/client-route-53';
import { stableHexId } from './arc.js';
import { awsError } from './simulator.js';

/**
 * Route 53's record sets as the simulator's API checks and lists them: parsing a change as Route
 * 53 validates it, the rules a name's records must keep, listing order, ids and name servers.
 * The model that uses them is `sandbox/aws/route53.ts`.
 */

/**
 * The record types Route 53 accepts in a ResourceRecordSet's `Type` (the SDK's `RRType`; Amazon
 * Route 53 Developer Guide, "Supported DNS record types",
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html).
 */
export const RR_TYPES = new Set([
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

/**
 * Route 53's `InvalidInput` (a client fault, HTTP 400) with `message`, for the simulator to throw on
 * a request Route 53 would refuse.
 */
export function invalidInput(message: string): Error {
  return awsError('route53', 'InvalidInput', message);
}

/** `value` as a plain object, or undefined when it is null, an array or not an object. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `value` without `prefix` when it starts with it (`/hostedzone/Z1` -> `Z1`), else `value`. */
export function stripPrefix(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

/** DNS names compare case-insensitively and with or without the final dot; Route 53 returns them with it. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** The key of one record set in a zone: name, type and set identifier (`name|type|set-id`). */
export function recordKey(rrs: ResourceRecordSet): string {
  return `${groupKey(rrs)}|${rrs.SetIdentifier ?? ''}`;
}

/** The key of the record sets that share a name and type (`name|type`), whose routing policy must agree. */
export function groupKey(rrs: ResourceRecordSet): string {
  return `${rrs.Name}|${rrs.Type}`;
}

/** A record set as Route 53's error messages name it: `[name='...', type='...', set-identifier='...']`. */
export function describe(rrs: ResourceRecordSet): string {
  const id = rrs.SetIdentifier ? `, set-identifier='${rrs.SetIdentifier}'` : '';
  return `[name='${rrs.Name}', type='${rrs.Type}'${id}]`;
}

/** Every value of a record set, in a fixed order: DELETE must name all of them as they are. */
export function canonical(rrs: ResourceRecordSet): string {
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

/**
 * Route 53's maximums on one ChangeResourceRecordSets request: "A request cannot contain more than
 * 1,000 ResourceRecord elements. When the value of the Action element is UPSERT, each
 * ResourceRecord element is counted twice"; "The sum of the number of characters (including
 * spaces) in all Value elements in a request cannot exceed 32,000 characters. When the value of
 * the Action element is UPSERT, each character in a Value element is counted twice" (Route 53
 * Developer Guide, "Quotas", Maximums on API requests,
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html). Stated here
 * apart from the adapter's own copy (`functions/aws/route53.ts`), so that a test can catch either
 * drifting.
 */
export const MAX_RESOURCE_RECORDS_PER_REQUEST = 1_000;
export const MAX_VALUE_CHARACTERS_PER_REQUEST = 32_000;

/**
 * Why a change batch is over Route 53's maximums per request (one message per maximum), or none.
 * AWS refuses such a batch whole with `InvalidChangeBatch`; its exact wording is not documented.
 */
export function requestMaximumProblems(
  changes: readonly { action: 'CREATE' | 'DELETE' | 'UPSERT'; rrs: ResourceRecordSet }[],
): string[] {
  let elements = 0;
  let characters = 0;
  for (const { action, rrs } of changes) {
    const weight = action === 'UPSERT' ? 2 : 1;
    for (const record of rrs.ResourceRecords ?? []) {
      elements += weight;
      characters += weight * (record.Value?.length ?? 0);
    }
  }
  const problems: string[] = [];
  if (elements > MAX_RESOURCE_RECORDS_PER_REQUEST)
    problems.push(
      `Number of records limit of ${MAX_RESOURCE_RECORDS_PER_REQUEST} exceeded: got ${elements} ResourceRecord elements (an UPSERT counting twice)`,
    );
  if (characters > MAX_VALUE_CHARACTERS_PER_REQUEST)
    problems.push(
      `Number of characters limit of ${MAX_VALUE_CHARACTERS_PER_REQUEST} in Value elements exceeded: got ${characters} (an UPSERT counting twice)`,
    );
  return problems;
}

/** Problems of the records of one name and type once the batch is applied. */
export function groupProblems(group: string, records: ResourceRecordSet[]): string[] {
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
export function parseChange(raw: unknown): {
  action: 'CREATE' | 'DELETE' | 'UPSERT';
  rrs: ResourceRecordSet;
} {
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
export function reversedLabels(name: string): string {
  return `${name.replace(/\.$/, '').split('.').reverse().join('.')}.`;
}

/** A record set's listing key: reversed name labels, type, set identifier (see {@link sortRecords}). */
export function sortTuple(rrs: ResourceRecordSet): [string, string, string] {
  return [reversedLabels(rrs.Name ?? ''), rrs.Type ?? '', rrs.SetIdentifier ?? ''];
}

/** Compares two keys of equal length field by field (ordinal string order): -1, 0 or 1. */
export function compareTuple(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Record sets in ListResourceRecordSets order: by name with its labels reversed, then type, then
 * set identifier (a new array; `records` is left as it is).
 */
export function sortRecords(records: ResourceRecordSet[]): ResourceRecordSet[] {
  return [...records].sort((a, b) => compareTuple(sortTuple(a), sortTuple(b)));
}

/** A Route 53-style health check id (a UUID), stable for a seed. */
export function uuidFrom(seed: string): string {
  const hex = stableHexId(seed, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The names Route 53's name servers have in the sandbox: `ns-N.awsdns-NN.com.` style. */
export const NAME_SERVER = /^ns-\d+\.awsdns-\d+\.(com|net|org|co\.uk)\.$/;
/** Name servers' addresses: TEST-NET-1 (RFC 5737), never contacted. */
export const NAME_SERVER_PREFIX = '192.0.2.';

/** A hosted zone's delegation set: four name servers, one per top-level domain, as Route 53 assigns. */
export function nameServersOf(zoneId: string): string[] {
  const n = Number.parseInt(stableHexId(zoneId, 4), 16) % 2000;
  return [
    `ns-${n}.awsdns-${n % 64}.com.`,
    `ns-${n + 1}.awsdns-${n % 64}.net.`,
    `ns-${n + 2}.awsdns-${n % 64}.org.`,
    `ns-${n + 3}.awsdns-${n % 64}.co.uk.`,
  ].map((ns) => ns.replace(/\.$/, ''));
}

/** The sandbox's address of a name server (`ns-N...`): a TEST-NET-1 address, never contacted. */
export function nameServerAddress(name: string): string {
  const n = Number.parseInt(/^ns-(\d+)/.exec(name)?.[1] ?? '0', 10);
  return `${NAME_SERVER_PREFIX}${(n % 250) + 1}`;
}

/**
 * The host of a region's health endpoint in the sandbox: a Lambda function URL's form,
 * `<url-id>.lambda-url.<region>.on.aws` (Lambda Developer Guide, "Creating and managing Lambda
 * function URLs").
 */
export function healthEndpointHost(region: string): string {
  return `${stableHexId(`health-endpoint:${region}`, 32)}.lambda-url.${region}.on.aws`;
}

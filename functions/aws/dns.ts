import { ResourceNotFoundError } from '../core/errors.js';
import type { DnsRecordType, DnsTransport } from './dns-transport.js';

/** A failover record as a plan names it: its name, type and each region's alias target. */
export interface ObservedRecordSpec {
  readonly name: string;
  readonly type: 'A' | 'AAAA' | 'CNAME';
  readonly targets: Readonly<Record<string, { readonly dnsName: string }>>;
}

/**
 * What Route 53's name servers answer for a record, read through its data plane: a DNS query to
 * the hosted zone's authoritative name servers, which answer while Route 53's control plane (in
 * us-east-1) is down. `ListResourceRecordSets`, `TestDNSAnswer` and `GetHealthCheckStatus` are
 * control-plane calls and are never used to decide where traffic goes.
 * Source: Route 53 Developer Guide, "Route 53 control plane and data plane" (the data plane is
 * the authoritative DNS service, spread over many locations, and keeps answering).
 */
export interface DnsAnswers {
  /**
   * The region whose alias target the zone's authoritative servers answer for `record` now, asked
   * from `region`: a region of `record.targets`, or null when the answer is none of them (or
   * empty). Throws `TransientAwsError` when no server answered: unknown is not a region.
   */
  answeredRegion(region: string, record: ObservedRecordSpec): Promise<string | null>;
}

/**
 * The DNS adapter. The authoritative servers are found as a resolver finds them (the NS records
 * of the closest enclosing zone, then their addresses) and remembered: a zone's delegation does
 * not change during a failover. An alias record answers the target's addresses, so the answer is
 * mapped to a region by the target whose own addresses it shares; a CNAME answers the name.
 */
export function dnsAnswers(transport: (region: string) => DnsTransport): DnsAnswers {
  const servers = new Map<string, Promise<string[]>>();

  const authoritative = (region: string, name: string): Promise<string[]> => {
    const key = `${region}|${name}`;
    let found = servers.get(key);
    if (!found) {
      found = findAuthoritative(transport(region), name);
      servers.set(key, found);
      // A failed look-up is not remembered: the next question tries again.
      found.catch(() => servers.delete(key));
    }
    return found;
  };

  return {
    async answeredRegion(region, record) {
      const dns = transport(region);
      const at = await authoritative(region, record.name);
      const answer = await dns.query({ name: record.name, type: record.type, servers: at });
      if (answer.length === 0) return null;
      if (record.type === 'CNAME') {
        const target = normalize(answer[0] ?? '');
        return Object.entries(record.targets).find(([, t]) => normalize(t.dnsName) === target)?.[0] ?? null;
      }
      const answered = new Set(answer);
      const regions = Object.entries(record.targets);
      const addresses = await Promise.all(
        regions.map(([, t]) => dns.query({ name: t.dnsName, type: record.type as DnsRecordType })),
      );
      const index = addresses.findIndex((list) => list.some((ip) => answered.has(ip)));
      return index < 0 ? null : (regions[index]?.[0] ?? null);
    },
  };
}

/** The addresses of the name servers of the closest zone enclosing `name` (its NS records). */
async function findAuthoritative(dns: DnsTransport, name: string): Promise<string[]> {
  const labels = normalize(name).split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const zone = labels.slice(i).join('.');
    const nameServers = await dns.query({ name: zone, type: 'NS' });
    if (nameServers.length === 0) continue;
    const addresses = await Promise.all(nameServers.map((ns) => dns.query({ name: ns, type: 'A' })));
    const flat = addresses.flat();
    if (flat.length > 0) return flat;
  }
  throw new ResourceNotFoundError(
    `DNS: no name servers for any zone enclosing ${name} (got no NS records; expected the hosted zone's delegation)`,
  );
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

import { PreconditionFailedError, ResourceNotFoundError, TransientAwsError } from '../core/errors.js';
import type { DnsAnswers, DnsSample, ObservedRecordSpec } from '../runbook/ports/dns.js';
import type { DnsRecordType, DnsTransport } from './dns-transport.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { DnsAnswers, DnsSample, ObservedRecordSpec };

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
    async answeredRegion(region, record, sample) {
      const dns = transport(region);
      const servers = await authoritative(region, record.name);
      // Each name server on its own: a change reaches them one by one (it is INSYNC when all have
      // it), and a resolver would ask any of them. The answer counts only when all agree, or, with a
      // sample, when the one asked names the expected region (ports/dns.ts, DnsSample).
      const ask = (server: string) => dns.query({ name: record.name, type: record.type, servers: [server] });
      const addresses = targetAddresses(dns, record);
      let first: { readonly server: string; readonly answer: Promise<string[]> } | undefined;
      if (sample && servers.length > 1) {
        const server = servers[((sample.turn % servers.length) + servers.length) % servers.length] as string;
        first = { server, answer: ask(server) };
        first.answer.catch(() => undefined); // its error is the pass's when every server is asked
        const [expected, answer] = await Promise.all([
          Promise.resolve(sample.expect).catch(() => undefined),
          first.answer.catch(() => undefined),
        ]);
        if (answer !== undefined && expected !== undefined) {
          const named = await regionOf(record, answer, addresses, expected).catch(() => undefined);
          if (named === expected) return expected;
        }
      }
      const asked = first;
      const answers = await Promise.all(
        servers.map((server) => (server === asked?.server ? asked.answer : ask(server))),
      );
      const regions = await Promise.all(answers.map((answer) => regionOf(record, answer, addresses)));
      const distinct = [...new Set(regions)];
      if (distinct.length !== 1) {
        throw new TransientAwsError(
          `DNS ${record.type} ${record.name}: the zone's name servers disagree (got ${regions.map((r) => r ?? 'none').join(', ')}; expected one answer)`,
        );
      }
      return distinct[0] ?? null;
    },
  };
}

/** Each target's own addresses (by region), asked at most once per answer, when first needed. */
type TargetAddresses = (target: string) => Promise<string[]>;

function targetAddresses(dns: DnsTransport, record: ObservedRecordSpec): TargetAddresses {
  const asked = new Map<string, Promise<string[]>>();
  return (target) => {
    let addresses = asked.get(target);
    if (!addresses) {
      const dnsName = record.targets[target]?.dnsName ?? '';
      addresses = dns.query({ name: dnsName, type: record.type as DnsRecordType });
      asked.set(target, addresses);
    }
    return addresses;
  };
}

/**
 * The region whose target an answer names: null for an empty answer (no record), the target's
 * region when it shares an address (alias) or is the name (CNAME). An answer that names none of
 * the plan's targets is not "nowhere" but unknown: {@link PreconditionFailedError}. With
 * `expected`, that target's addresses are asked first and the others only when they do not match.
 */
async function regionOf(
  record: ObservedRecordSpec,
  answer: string[],
  addressesOf: TargetAddresses,
  expected?: string | null,
): Promise<string | null> {
  if (answer.length === 0) return null;
  const targets = Object.entries(record.targets);
  if (record.type === 'CNAME') {
    const name = normalize(answer[0] ?? '');
    const match = targets.find(([, t]) => normalize(t.dnsName) === name);
    if (match) return match[0];
  } else {
    const answered = new Set(answer);
    const shares = (list: readonly string[]) => list.some((ip) => answered.has(ip));
    if (expected && record.targets[expected] && shares(await addressesOf(expected))) return expected;
    const others = targets.map(([region]) => region).filter((region) => region !== expected);
    const lists = await Promise.all(others.map(addressesOf));
    const index = lists.findIndex(shares);
    if (index >= 0) return others[index] ?? null;
  }
  throw new PreconditionFailedError(
    `DNS ${record.type} ${record.name}: the answer (${answer.join(', ')}) names none of the plan's targets (${targets.map(([, t]) => t.dnsName).join(', ')})`,
  );
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

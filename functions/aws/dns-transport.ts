import { TransientAwsError } from '../core/errors.js';

/** The record types Switchyard asks about. */
export type DnsRecordType = 'A' | 'AAAA' | 'CNAME' | 'NS';

/** One DNS question, as a stub resolver asks it. */
export interface DnsQuestion {
  /** The region whose control plane asks (the sandbox fails questions from a region that is down). */
  readonly region: string;
  readonly name: string;
  readonly type: DnsRecordType;
  /**
   * IP addresses of the name servers to ask (e.g. a hosted zone's authoritative servers); absent:
   * the resolver the function runs with.
   */
  readonly servers?: readonly string[];
}

/**
 * Sends DNS questions. `query` answers the record values (addresses, or names for CNAME and NS),
 * `[]` when the name has no such record (NODATA or NXDOMAIN), and throws {@link TransientAwsError}
 * when no server answered.
 */
export interface DnsTransport {
  query(question: Omit<DnsQuestion, 'region'>): Promise<string[]>;
}

/** How long one DNS question may take, in real ms, per try (two tries). */
const DNS_TIMEOUT_MS = 2_000;

/** DNS answers "no such record" with these codes; anything else means nobody answered. */
const NO_RECORD = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/**
 * Node's resolver: the network's DNS, or the servers named in the question. `node:dns` is loaded at
 * the first question, not at import: every function's bundle holds the client factory, and only
 * the functions that read DNS answers pay for the module (about 4 ms of CPU at a cold start,
 * README "Bundles and cold start").
 */
export function systemDnsTransport(): DnsTransport {
  return {
    async query({ name, type, servers }) {
      const { Resolver } = await import('node:dns/promises');
      const resolver = new Resolver({ timeout: DNS_TIMEOUT_MS, tries: 2 });
      if (servers && servers.length > 0) resolver.setServers([...servers]);
      try {
        if (type === 'A') return await resolver.resolve4(name);
        if (type === 'AAAA') return await resolver.resolve6(name);
        if (type === 'CNAME') return await resolver.resolveCname(name);
        return await resolver.resolveNs(name);
      } catch (error: unknown) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && NO_RECORD.has(code)) return [];
        throw new TransientAwsError(
          `DNS ${type} ${name}${servers ? ` at ${servers.join(', ')}` : ''}: no answer (got ${String(code ?? error)}; expected an answer or NXDOMAIN)`,
          { cause: error },
        );
      }
    },
  };
}

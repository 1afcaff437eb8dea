import { describe, expect, it } from 'vitest';
import { dnsAnswers } from '../../functions/aws/dns.js';
import type { DnsTransport } from '../../functions/aws/dns-transport.js';
import {
  PreconditionFailedError,
  ResourceNotFoundError,
  TransientAwsError,
} from '../../functions/core/errors.js';

// The DNS adapter reads Route 53's data plane: the zone's authoritative servers, found by their NS
// records, asked for the record; an alias answer is mapped to the region whose target shares it.

const record = {
  name: 'api.orders.example.com',
  type: 'A' as const,
  targets: {
    'us-east-1': { dnsName: 'orders-use1.elb.amazonaws.com' },
    'us-west-2': { dnsName: 'orders-usw2.elb.amazonaws.com' },
  },
};

/** A transport answering from a table: `name type [at servers]` -> values. */
function transport(table: Record<string, string[]>, asked: string[] = []): DnsTransport {
  return {
    async query({ name, type, servers }) {
      const key = `${name} ${type}${servers ? ` @${servers.join(',')}` : ''}`;
      asked.push(key);
      const answer = table[key];
      if (answer === undefined) return [];
      if (answer[0] === 'TIMEOUT') throw new TransientAwsError(`DNS ${type} ${name}: no answer`);
      return answer;
    },
  };
}

const zone = {
  'orders.example.com NS': ['ns-1.awsdns-01.com', 'ns-2.awsdns-02.net'],
  'ns-1.awsdns-01.com A': ['192.0.2.1'],
  'ns-2.awsdns-02.net A': ['192.0.2.2'],
  'orders-use1.elb.amazonaws.com A': ['198.18.0.1', '198.19.0.1'],
  'orders-usw2.elb.amazonaws.com A': ['198.18.0.2', '198.19.0.2'],
};

describe('dnsAnswers', () => {
  it("names the region whose load balancer's addresses the authoritative servers answer", async () => {
    const asked: string[] = [];
    const dns = dnsAnswers(() =>
      transport(
        {
          ...zone,
          'api.orders.example.com A @192.0.2.1': ['198.19.0.2'],
          'api.orders.example.com A @192.0.2.2': ['198.18.0.2'],
        },
        asked,
      ),
    );
    expect(await dns.answeredRegion('us-west-2', record)).toBe('us-west-2');
    // The record was asked of the zone's own servers, after the closest enclosing NS was found.
    expect(asked).toContain('api.orders.example.com A @192.0.2.1');
    expect(asked).toContain('api.orders.example.com A @192.0.2.2');
    expect(asked.indexOf('api.orders.example.com NS')).toBeLessThan(asked.indexOf('orders.example.com NS'));
  });

  it('answers null when the zone has no such record, and refuses an answer that names none of the targets', async () => {
    expect(await dnsAnswers(() => transport(zone)).answeredRegion('us-west-2', record)).toBeNull();
    const stranger = dnsAnswers(() =>
      transport({
        ...zone,
        'api.orders.example.com A @192.0.2.1': ['203.0.113.9'],
        'api.orders.example.com A @192.0.2.2': ['203.0.113.9'],
      }),
    );
    await expect(stranger.answeredRegion('us-west-2', record)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
  });

  it('refuses to name a region while the name servers disagree (a change still reaching them)', async () => {
    const dns = dnsAnswers(() =>
      transport({
        ...zone,
        'api.orders.example.com A @192.0.2.1': ['198.18.0.1'],
        'api.orders.example.com A @192.0.2.2': ['198.18.0.2'],
      }),
    );
    await expect(dns.answeredRegion('us-west-2', record)).rejects.toThrow(/disagree/);
  });

  it('remembers the delegation, and asks again after a failed look-up', async () => {
    const asked: string[] = [];
    const table: Record<string, string[]> = { ...zone, 'orders.example.com NS': ['TIMEOUT'] };
    const dns = dnsAnswers(() => transport(table, asked));
    await expect(dns.answeredRegion('us-west-2', record)).rejects.toBeInstanceOf(TransientAwsError);
    table['orders.example.com NS'] = zone['orders.example.com NS'];
    table['api.orders.example.com A @192.0.2.1'] = ['198.18.0.1'];
    table['api.orders.example.com A @192.0.2.2'] = ['198.19.0.1'];
    expect(await dns.answeredRegion('us-west-2', record)).toBe('us-east-1');
    const before = asked.filter((q) => q.endsWith(' NS')).length;
    expect(await dns.answeredRegion('us-west-2', record)).toBe('us-east-1');
    expect(asked.filter((q) => q.endsWith(' NS')).length).toBe(before);
  });

  it('throws ResourceNotFoundError when no enclosing zone has name servers', async () => {
    const dns = dnsAnswers(() => transport({}));
    await expect(dns.answeredRegion('us-west-2', record)).rejects.toBeInstanceOf(ResourceNotFoundError);
  });

  it('maps a CNAME answer by the target name', async () => {
    const cname = { ...record, type: 'CNAME' as const };
    const dns = dnsAnswers(() =>
      transport({
        ...zone,
        'api.orders.example.com CNAME @192.0.2.1': ['orders-usw2.elb.amazonaws.com.'],
        'api.orders.example.com CNAME @192.0.2.2': ['orders-usw2.elb.amazonaws.com'],
      }),
    );
    expect(await dns.answeredRegion('us-west-2', cname)).toBe('us-west-2');
  });
});

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

  describe('with a sample (a scheduled pass expecting the recorded region)', () => {
    const fourServers = {
      ...zone,
      'orders.example.com NS': [
        'ns-1.awsdns-01.com',
        'ns-2.awsdns-02.net',
        'ns-3.awsdns-03.org',
        'ns-4.awsdns-04.co.uk',
      ],
      'ns-3.awsdns-03.org A': ['192.0.2.3'],
      'ns-4.awsdns-04.co.uk A': ['192.0.2.4'],
    };
    const servers = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'];
    const answering = (byServer: readonly string[]) =>
      Object.fromEntries(byServer.map((ip, i) => [`api.orders.example.com A @${servers[i]}`, [ip]]));
    const questions = (asked: readonly string[]) =>
      asked.filter((q) => !q.endsWith(' NS') && !q.startsWith('ns-'));

    it("asks one name server, the turn's, and the expected target only, when it names the expected region", async () => {
      // Arrange
      const asked: string[] = [];
      const dns = dnsAnswers(() =>
        transport(
          { ...fourServers, ...answering(['198.18.0.1', '198.18.0.1', '198.18.0.1', '198.18.0.1']) },
          asked,
        ),
      );
      await dns.answeredRegion('us-west-2', record); // the delegation, found once

      // Act
      asked.length = 0;
      const region = await dns.answeredRegion('us-west-2', record, { expect: 'us-east-1', turn: 6 });

      // Assert: server 6 mod 4 = 2, and us-east-1's load balancer: two questions, not six.
      expect(region).toBe('us-east-1');
      expect(questions(asked)).toEqual([
        'api.orders.example.com A @192.0.2.3',
        'orders-use1.elb.amazonaws.com A',
      ]);
    });

    it('asks every server when the one asked names another region, and counts the answer only when all agree', async () => {
      // Arrange: the record moved to us-west-2 on every server but the second.
      const asked: string[] = [];
      const table = {
        ...fourServers,
        ...answering(['198.18.0.2', '198.18.0.1', '198.18.0.2', '198.18.0.2']),
      };
      const dns = dnsAnswers(() => transport(table, asked));

      // Act + Assert: the turn's server (the first) names us-west-2, not the expected us-east-1:
      // every server is asked, and the second disagrees.
      await expect(dns.answeredRegion('us-west-2', record, { expect: 'us-east-1', turn: 0 })).rejects.toThrow(
        /disagree \(got us-west-2, us-east-1, us-west-2, us-west-2/,
      );
      expect(
        questions(asked)
          .filter((q) => q.startsWith('api.'))
          .toSorted(),
      ).toEqual(servers.map((ip) => `api.orders.example.com A @${ip}`));

      // Once all agree, the moved answer counts; the first server was asked once per pass.
      Object.assign(table, answering(['198.18.0.2', '198.18.0.2', '198.18.0.2', '198.18.0.2']));
      asked.length = 0;
      expect(await dns.answeredRegion('us-west-2', record, { expect: 'us-east-1', turn: 0 })).toBe(
        'us-west-2',
      );
      expect(questions(asked).filter((q) => q.startsWith('api.'))).toHaveLength(4);
    });

    it('finds a server that answers otherwise within as many turns as there are servers', async () => {
      // Arrange: the fourth server still answers the old region.
      const dns = dnsAnswers(() =>
        transport({ ...fourServers, ...answering(['198.18.0.2', '198.18.0.2', '198.18.0.2', '198.18.0.1']) }),
      );

      // Act: four consecutive passes, each expecting us-west-2.
      const outcomes = await Promise.all(
        [8, 9, 10, 11].map((turn) =>
          dns.answeredRegion('us-west-2', record, { expect: 'us-west-2', turn }).then(
            (region) => region,
            (error: unknown) => (error instanceof Error ? error.message : String(error)),
          ),
        ),
      );

      // Assert: three passes take their server's answer, the fourth's asks all and finds them apart.
      expect(outcomes.slice(0, 3)).toEqual(['us-west-2', 'us-west-2', 'us-west-2']);
      expect(outcomes[3]).toMatch(/disagree/);
    });

    it('asks every server when the expectation could not be read or the one asked did not answer', async () => {
      // Arrange
      const asked: string[] = [];
      const table: Record<string, string[]> = {
        ...fourServers,
        ...answering(['198.18.0.1', '198.18.0.1', '198.18.0.1', '198.18.0.1']),
      };
      const dns = dnsAnswers(() => transport(table, asked));
      const unread = Promise.reject(new Error('state table did not answer'));

      // Act + Assert: no expectation, every server.
      expect(await dns.answeredRegion('us-west-2', record, { expect: unread, turn: 1 })).toBe('us-east-1');
      expect(questions(asked).filter((q) => q.startsWith('api.'))).toHaveLength(4);

      // The turn's server times out: every server is asked, and its silence is the pass's error.
      table['api.orders.example.com A @192.0.2.2'] = ['TIMEOUT'];
      await expect(
        dns.answeredRegion('us-west-2', record, { expect: 'us-east-1', turn: 1 }),
      ).rejects.toBeInstanceOf(TransientAwsError);
    });
  });
});

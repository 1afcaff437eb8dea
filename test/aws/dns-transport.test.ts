import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemDnsTransport } from '../../functions/aws/dns-transport.js';

// Node's resolver, loaded at the first question (not at import: README "Bundles and cold start"),
// asked of a name server on loopback that answers every A question with 192.0.2.7 and every other
// question with NXDOMAIN.

let server: Socket;
let port = 0;

/** A DNS response to `query` (RFC 1035 4.1): the question echoed, and one A record or NXDOMAIN. */
function answer(query: Buffer): Buffer {
  let end = 12;
  while (query[end] !== 0) end += (query[end] ?? 0) + 1;
  const question = query.subarray(12, end + 5); // name, its 0 byte, QTYPE and QCLASS
  const isA = query.readUInt16BE(end + 1) === 1;
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // the query's ID
  header.writeUInt16BE(isA ? 0x8180 : 0x8183, 2); // a response, recursion available; NXDOMAIN unless A
  header.writeUInt16BE(1, 4); // QDCOUNT
  header.writeUInt16BE(isA ? 1 : 0, 6); // ANCOUNT
  if (!isA) return Buffer.concat([header, question]);
  // Name: a pointer to the question's name at offset 12; A, IN, TTL 60, 4 bytes of address.
  const record = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]);
  return Buffer.concat([header, question, record]);
}

beforeAll(async () => {
  server = createSocket('udp4');
  server.on('message', (message, remote) => server.send(answer(message), remote.port, remote.address));
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  port = server.address().port;
});

afterAll(() => server.close());

describe('systemDnsTransport', () => {
  it("answers through Node's resolver, asking the servers named in the question", async () => {
    // Arrange
    const dns = systemDnsTransport();

    // Act
    const values = await dns.query({ name: 'api.example.com', type: 'A', servers: [`127.0.0.1:${port}`] });

    // Assert
    expect(values).toEqual(['192.0.2.7']);
  });

  it('answers [] for a name with no such record (NXDOMAIN)', async () => {
    // Arrange
    const dns = systemDnsTransport();

    // Act
    const values = await dns.query({ name: 'nope.example.com', type: 'NS', servers: [`127.0.0.1:${port}`] });

    // Assert
    expect(values).toEqual([]);
  });
});

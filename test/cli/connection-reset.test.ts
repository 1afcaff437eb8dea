import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiUnreachableError } from '../../cli/client.js';

/**
 * A connection the API's server closes as a request goes out (its keep-alive timeout and the
 * client's reuse crossing, seen in a new user's trial: `failover` following its run stopped with
 * "no Switchyard API ... (ECONNRESET): is `npm start` running?" while it was). A read is asked
 * again once on a new connection; a change is not (it may have been received).
 */
describe('the CLI client and a connection reset under a request', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  /** A server that resets the connection of its first `resets` requests and answers the others. */
  async function serve(resets: number): Promise<{ api: string; requests: () => number }> {
    let requests = 0;
    server = createServer((request, response) => {
      requests++;
      if (requests <= resets) {
        request.socket.destroy();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: true, method: request.method }));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { api: `http://127.0.0.1:${port}`, requests: () => requests };
  }

  it('asks a GET again once, and answers', async () => {
    // Arrange
    const { api, requests } = await serve(1);
    const client = ApiClient.create({ api, token: 'a.b.c' }, 'victor');

    // Act
    const answer = await client.get<{ ok: boolean }>('/apps');

    // Assert
    expect(answer).toEqual({ ok: true, method: 'GET' });
    expect(requests()).toBe(2);
  });

  it('asks a GET at most twice: a second reset is the API unreachable', async () => {
    // Arrange
    const { api, requests } = await serve(2);
    const client = ApiClient.create({ api, token: 'a.b.c' }, 'victor');

    // Act
    const error = await client.get('/apps').catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(ApiUnreachableError);
    expect(String((error as Error).message)).toMatch(/^no Switchyard API at .*: is `npm start` running\?/);
    expect(requests()).toBe(2);
  });

  it('never asks a POST again: it may have been received', async () => {
    // Arrange
    const { api, requests } = await serve(1);
    const client = ApiClient.create({ api, token: 'a.b.c' }, 'alice');

    // Act
    const error = await client.post('/apps/orders/failovers', { to: 'us-west-2' }).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(ApiUnreachableError);
    expect(requests()).toBe(1);
  });
});

import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { HttpRequest, HttpResponse, RequestHandler } from '@smithy/types';
import dynalite from 'dynalite';

/** Credentials the sandbox's clients sign with: dynalite checks their shape, nothing else. */
export const SANDBOX_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

export const STATE_TABLE = 'switchyard-state';

/** The SDK's HTTP request handler, as a client's `requestHandler` option takes it. */
export type DynamoRequestHandler = RequestHandler<HttpRequest, HttpResponse>;

/**
 * A running dynalite (DynamoDB on LevelDB, in memory) on a loopback port, which tests and the
 * bundles' fixture reach over the wire, and the same dynalite answering in process.
 */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  /**
   * The same dynalite without the loopback connection: an SDK request handler that gives each
   * signed HTTP request to dynalite's own request listener in this process and answers with its
   * HTTP response (status, headers, JSON body), so the client's serialisation, signing and error
   * parsing run as over the wire, and dynalite's header, authorisation and input checks too. What
   * it leaves out is the socket: the HTTP/1.1 framing, the agent's connection pool and the kernel's
   * loopback, which cost the sandbox more than dynalite itself (docs/performance.md).
   */
  readonly requestHandler: DynamoRequestHandler;
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1 (a free port) and creates the state table (`pk`/`sk` strings,
 * on-demand, as the CDK stack does). Every region's DynamoDB client points here: one table that is
 * strongly consistent everywhere, as the production MRSC global table is while a majority of its
 * regions answers; the simulator refuses a replica's requests when it cannot reach one
 * (`sandbox/aws/dynamodb-mrsc.ts`).
 */
export async function startLocalDynamo(tableName = STATE_TABLE): Promise<LocalDynamo> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const requestHandler = inProcessHandler(server);
  const admin = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: SANDBOX_CREDENTIALS });
  try {
    await admin.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    await waitUntilTableExists(
      { client: admin, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.2 },
      { TableName: tableName },
    );
  } finally {
    admin.destroy();
  }
  return {
    endpoint,
    tableName,
    requestHandler,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

/** What dynalite's request listener uses of Node's `ServerResponse`. */
interface ListenerResponse {
  statusCode: number;
  setHeader(name: string, value: string | number): void;
  end(body?: string): void;
}

/**
 * An SDK request handler that answers through `server`'s own request listener, in this process
 * (see {@link LocalDynamo.requestHandler}). The request's body is emitted as one `data` chunk and
 * `end`, as Node's `IncomingMessage` would; the response is taken at `end`, with the headers the
 * listener set (lower-cased, as Node's HTTP client gives them).
 */
function inProcessHandler(server: Server): DynamoRequestHandler {
  const listener = server.listeners('request')[0] as
    | ((req: IncomingMessage, res: ServerResponse) => void)
    | undefined;
  if (!listener) throw new Error('dynalite: the server has no request listener (expected its HTTP handler)');
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    handle: (request) =>
      new Promise((resolve) => {
        const query = new URLSearchParams(
          Object.entries(request.query ?? {}).flatMap(([k, v]) =>
            (Array.isArray(v) ? v : v === null ? [''] : [v]).map((each): [string, string] => [k, each]),
          ),
        ).toString();
        const req = Object.assign(new EventEmitter(), {
          method: request.method,
          url: `${request.path}${query ? `?${query}` : ''}`,
          headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
        });
        const headers: Record<string, string> = {};
        const res: ListenerResponse = {
          statusCode: 200,
          setHeader: (name, value) => {
            headers[name.toLowerCase()] = String(value);
          },
          end: (body = '') =>
            resolve({ response: { statusCode: res.statusCode, headers, body: Buffer.from(body, 'utf8') } }),
        };
        listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
        // The SDK's JSON serialiser gives its bytes as a Uint8Array whose valueOf() is a string
        // (Buffer.from(body) would ask for it, and the SDK warns): the bytes are taken as they are.
        const body = request.body as string | Uint8Array | undefined;
        if (body !== undefined && body.length > 0)
          req.emit(
            'data',
            typeof body === 'string'
              ? Buffer.from(body, 'utf8')
              : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          );
        req.emit('end');
      }),
  };
}

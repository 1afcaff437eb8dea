import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, maxHeaderSize, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ConsoleBundle, consoleBundle, consoleCsp } from '../console/build.js';
import type { DrillReport } from '../functions/aws/state-store.js';
import {
  MethodNotAllowedError,
  PayloadTooLargeError,
  RequestValidationError,
  RouteNotFoundError,
} from '../functions/operator-api/http-errors.js';
import { MAX_HEADER_BYTES } from '../functions/operator-api/validation.js';
import {
  type ApiGatewayRequest,
  type Authorizer,
  apiGatewayEvent,
  invokeOperatorApi,
  jwtAuthorizer,
  regionDown,
} from './api-gateway.js';
import { drillGroundTruth } from './drill-evidence.js';
import { SANDBOX_CREDENTIALS } from './dynamo.js';
import { authenticate, type Reply, refusal, unauthorized } from './http-reply.js';
import { JwtError } from './jwt.js';
import type { Sandbox } from './sandbox.js';
import { sandboxRoutes } from './sandbox-routes.js';
import { isSigV4, parseSigV4, verifySigV4 } from './sigv4.js';

/** Bodies above this are refused with 413 (the operator API's requests are a few hundred bytes). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** A body this far past the limit is not drained any longer: the connection is dropped. */
const DRAIN_LIMIT_BYTES = 16 * BODY_LIMIT_BYTES;
/** The header (or `?region=`) that picks which region's operator API answers. */
export const REGION_HEADER = 'x-switchyard-region';

export interface SandboxServerOptions {
  readonly sandbox: Sandbox;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /**
   * The HS256 key tokens are signed and checked with. Default: 32 random bytes per process, so a
   * sandbox token is never accepted by anything else, a later sandbox included. Nothing needs a
   * stable key: the CLI and the console fetch fresh tokens from `GET /sandbox/tokens`.
   */
  readonly secret?: Uint8Array | string;
  /** Hears every request once answered (the `sandbox` command prints the mutating ones). */
  readonly onRequest?: (entry: RequestLogEntry) => void;
}

export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The region whose operator API answered, for API requests. */
  readonly region?: string;
  /** The caller's `sub`, when the token was valid. */
  readonly caller?: string;
  /** Virtual epoch ms when the answer was sent. */
  readonly at: number;
  /** Why a 4xx/5xx happened, when known. */
  readonly detail?: string;
}

export interface SandboxServer {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

/** `GET /apps/{app}/drills/{id}`: a drill's evidence. */
const DRILL_EVIDENCE_PATH = /^\/apps\/[^/]+\/drills\/[^/]+$/;

/**
 * The sandbox's HTTP front door: it plays API Gateway (HTTP API, payload 2.0) and its JWT
 * authorizer in front of every region's operator API function, and serves the sandbox-only routes
 * (faults, alarms, ground truth, demo tokens) that have no AWS equivalent.
 *
 * - `ANY /{proxy+}`: the bearer JWT is checked with jose as API Gateway's JWT authorizer checks
 *   it (HS256 signature, exp/nbf/iat, iss `switchyard-sandbox`, aud `switchyard`); a bad or
 *   missing one gets 401 with API Gateway's `{"message":"Unauthorized"}` plus why and where the
 *   sandbox's tokens are. The request goes to the region named by the
 *   `X-Switchyard-Region` header or `?region=` (default: the first region, sorted, that is up) as
 *   an `APIGatewayProxyEventV2WithJWTAuthorizer`, invoked through the sandbox's Lambda runtime
 *   (invoke cost in virtual time, `lambda-crash` faults). A region that is down answers 503.
 * - Break-glass: a request signed with SigV4 (`Authorization: AWS4-HMAC-SHA256 ...`) instead is
 *   checked as API Gateway's `AWS_IAM` authorizer checks it, against the sandbox's dummy
 *   credentials (sigv4.ts); a bad signature gets 403. It goes to the region it was signed for
 *   (unless one is asked for, which must agree) as a session of the sandbox's break-glass role in
 *   `requestContext.authorizer.iam`, which the handler maps to roles by `SANDBOX_IAM_ROLES`.
 * - `/sandbox/...`: faults, alarms, truth (any valid token to read, role operator to change);
 *   `GET /sandbox/tokens` (no token: it is how a token is got); `GET /healthz`.
 *
 * It never crashes on a request: every failure is an HTTP answer.
 */
export async function startSandboxServer(options: SandboxServerOptions): Promise<SandboxServer> {
  const { sandbox } = options;
  if (sandbox.clock.mode.kind !== 'paced')
    throw new Error('the sandbox server needs a paced clock: a discrete one never moves by itself');
  const secret = options.secret ?? randomBytes(32);
  const regions = [...sandbox.regions.keys()].sort();
  const routes = sandboxRoutes(sandbox, secret);
  let requestSeq = 0;

  const server = createServer((req, res) => {
    const started = { method: req.method ?? 'GET', url: req.url ?? '/' };
    handle(req)
      .catch((error: unknown): Reply => {
        // A defect of the server itself: answer as API Gateway does when its integration fails.
        return {
          status: 500,
          body: { message: 'Internal Server Error' },
          detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        };
      })
      .then((reply) => {
        send(res, reply);
        options.onRequest?.({
          method: started.method,
          path: started.url.split('?')[0] ?? '/',
          status: reply.status,
          at: sandbox.clock.now(),
          ...(reply.region ? { region: reply.region } : {}),
          ...(reply.caller ? { caller: reply.caller } : {}),
          ...(reply.detail ? { detail: reply.detail } : {}),
        });
      })
      .catch(() => {
        // The client went away mid-answer: nothing to do.
        res.destroy();
      });
  });
  // A request Node cannot parse (bad request line, headers past Node's 16 KiB): 400 or 431 in the
  // API's refusal shape, saying what was got and expected, never a crash.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify(
      tooLarge
        ? {
            error: 'HeadersTooLargeError',
            message: `request too large: request line and headers too large (got more than Node's limit of ${maxHeaderSize} bytes; expected at most ${MAX_HEADER_BYTES} bytes (API Gateway's HTTP API quota))`,
          }
        : {
            error: 'InvalidInputError',
            message: `malformed HTTP request (${error.code ?? error.message}); expected an HTTP/1.1 request with a standard method, request line and headers`,
          },
    );
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });

  async function handle(req: IncomingMessage): Promise<Reply> {
    const method = (req.method ?? 'GET').toUpperCase();
    const target = splitTarget(req.url ?? '/');
    if (!target) {
      req.resume();
      return { status: 400, body: { message: 'Bad Request' }, detail: 'unparseable request target' };
    }
    const body = await readBody(req);
    if (typeof body === 'number') {
      // The same refusal shape as the operator API's own 413 (`{ error, message, problems }`).
      const problem = {
        path: 'body',
        message: 'body too large',
        got: `${body} bytes${body > DRAIN_LIMIT_BYTES ? ' or more' : ''}`,
        expected: `at most ${BODY_LIMIT_BYTES} bytes (a request body is a small JSON object)`,
      };
      const refused = refusal(
        new PayloadTooLargeError(
          `invalid body: ${problem.message} (got ${problem.got}; expected ${problem.expected})`,
          [problem],
        ),
      );
      return { ...refused, headers: { ...refused.headers, connection: 'close' } };
    }

    if (target.path === '/healthz' && method === 'GET') {
      return {
        status: 200,
        body: { ok: true, regions, virtualTime: new Date(sandbox.clock.now()).toISOString() },
      };
    }
    if (target.path === '/sandbox' || target.path.startsWith('/sandbox/')) {
      return routes(method, target.path, body, req.headers.authorization);
    }
    if (target.path === '/' || target.path.startsWith('/assets/')) {
      return consoleFile(method, target.path, headerValue(req.headers['if-none-match']));
    }
    return operatorApi(req, method, target, body);
  }

  async function operatorApi(
    req: IncomingMessage,
    method: string,
    target: { path: string; query: string },
    body: Buffer,
  ): Promise<Reply> {
    const params = new URLSearchParams(target.query);
    // A SigV4-signed request (break-glass) goes, like one to a regional endpoint, to the region it
    // was signed for unless a region is asked for (then the two must agree).
    const authorization = headerValue(req.headers.authorization);
    const signedFor = isSigV4(authorization) ? parseSigV4(authorization ?? '')?.region : undefined;
    const asked = headerValue(req.headers[REGION_HEADER]) ?? params.get('region') ?? signedFor ?? undefined;
    const down = new Set(sandbox.aws.faults.downRegions());
    const region = asked ?? regions.find((r) => !down.has(r)) ?? regions[0];
    if (!region || !regions.includes(region)) {
      // A bad value of the request, in the operator API's error shape (400, what was got and expected).
      const where = headerValue(req.headers[REGION_HEADER])
        ? `header ${REGION_HEADER}`
        : params.get('region')
          ? 'query.region'
          : 'the SigV4 credential scope';
      return refusal(
        new RequestValidationError(
          `no operator API in ${asked}: ${where} names a region the sandbox does not run (got ${JSON.stringify(asked)}; expected one of ${regions.join(', ')})`,
          [
            {
              path: where,
              message: 'unknown region',
              got: JSON.stringify(asked),
              expected: `one of ${regions.join(', ')}`,
            },
          ],
        ),
      );
    }
    // A region that is down has no API Gateway to answer: the client sees it unreachable.
    if (down.has(region)) return { ...lambdaReply(regionDown(region)), region };
    // `/{proxy+}` matches every path but the root.
    if (target.path === '/') return { status: 404, body: { message: 'Not Found' }, region };

    let authorizer: Authorizer;
    let callerName: string;
    if (isSigV4(authorization)) {
      // API Gateway's AWS_IAM authorizer: 403 with its message for a signature it refuses.
      const outcome = await verifySigV4(
        { method, path: target.path, query: target.query, headers: req.headers, body },
        Date.now(),
        region,
      );
      if (!outcome.ok)
        return {
          status: 403,
          body: { message: outcome.message, error: outcome.error },
          region,
          detail: `SigV4 refused: ${outcome.error}`,
        };
      authorizer = {
        iam: {
          accessKey: SANDBOX_CREDENTIALS.accessKeyId,
          accountId: outcome.principal.accountId,
          callerId: outcome.principal.userId,
          cognitoIdentity: null,
          principalOrgId: '',
          userArn: outcome.principal.userArn,
          userId: outcome.principal.userId,
        },
      };
      callerName = outcome.principal.userArn;
    } else {
      const caller = await authenticate(req.headers.authorization, secret);
      if (caller instanceof JwtError) return { ...unauthorized(caller), region };
      authorizer = jwtAuthorizer(caller.claims);
      callerName = caller.sub;
    }

    // `region` picks the sandbox's API endpoint (a hostname in AWS): the handler never sees it.
    const rawQuery = target.query
      .split('&')
      .filter((pair) => pair !== '' && decodeQueryKey(pair) !== 'region')
      .join('&');
    const request: ApiGatewayRequest = {
      method,
      path: target.path,
      rawQueryString: rawQuery,
      headers: req.headers,
      body: body.toString('utf8'),
      region,
      requestId: `${randomBytes(6).toString('base64url')}${(++requestSeq).toString(36)}=`,
      at: sandbox.clock.now(),
      protocol: `HTTP/${req.httpVersion}`,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    };
    const result = await invokeOperatorApi(sandbox, region, apiGatewayEvent({ ...request, authorizer }));
    const reply = { ...lambdaReply(result), region, caller: callerName };
    return method === 'GET' && DRILL_EVIDENCE_PATH.test(target.path) ? withGroundTruth(reply) : reply;
  }

  /**
   * A drill's evidence, answered by the operator API, with what only the sandbox knows added: the
   * ground truth's outages of the app during the drill (`groundTruth`, absent in AWS).
   */
  function withGroundTruth(reply: Reply): Reply {
    if (reply.status !== 200 || reply.raw === undefined) return reply;
    try {
      const evidence = JSON.parse(reply.raw.toString()) as { report?: DrillReport };
      if (!evidence.report) return reply;
      const groundTruth = drillGroundTruth(sandbox.aws.truth, evidence.report, sandbox.clock.now());
      return { ...reply, raw: JSON.stringify({ ...evidence, groundTruth }) };
    } catch {
      return reply;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections (a browser, a polling CLI) would hold close() open.
        server.closeAllConnections();
      }),
  };
}

// --- the console ---------------------------------------------------------------------------------

const SANDBOX_CONSOLE = { auth: { mode: 'sandbox' } } as const;

/**
 * The console's static files: `/` (the page) and `/assets/*` (the bundle, built in memory on the
 * first request). No token is needed to load them; every call the page makes is authenticated.
 */
async function consoleFile(method: string, path: string, ifNoneMatch: string | undefined): Promise<Reply> {
  if (method !== 'GET' && method !== 'HEAD')
    return refusal(
      new MethodNotAllowedError(`${method} ${path}: method not allowed; the console's files answer GET`, [
        'GET',
        'HEAD',
      ]),
    );
  let bundle: ConsoleBundle;
  try {
    bundle = await consoleBundle();
  } catch (error: unknown) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      status: 500,
      body: { error: 'ConsoleBuildFailed', message: `the console could not be built: ${detail}` },
      detail,
    };
  }
  if (path === '/') {
    return {
      status: 200,
      body: undefined,
      raw: bundle.page(SANDBOX_CONSOLE),
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': consoleCsp(SANDBOX_CONSOLE),
        'x-content-type-options': 'nosniff',
      },
    };
  }
  const asset = bundle.assets.get(path);
  if (!asset) {
    const routes = ['GET /', ...[...bundle.assets.keys()].map((asset) => `GET ${asset}`)];
    return refusal(
      new RouteNotFoundError(
        `no console asset ${path}; expected one of ${[...bundle.assets.keys()].join(', ')}`,
        routes,
      ),
    );
  }
  const headers = {
    'content-type': asset.contentType,
    etag: asset.etag,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  };
  if (ifNoneMatch === asset.etag) return { status: 304, body: undefined, raw: '', headers };
  return { status: 200, body: undefined, raw: asset.body, headers };
}

// --- HTTP plumbing -----------------------------------------------------------------------------

/**
 * Reads the body up to {@link BODY_LIMIT_BYTES}; past it, drains (so the 413 reaches the client)
 * and answers the number of bytes seen (at least {@link DRAIN_LIMIT_BYTES} when it stopped draining).
 */
function readBody(req: IncomingMessage): Promise<Buffer | number> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (value: Buffer | number) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) {
        finish(size);
        req.destroy();
      }
    });
    req.on('end', () => finish(size > BODY_LIMIT_BYTES ? size : Buffer.concat(chunks)));
    req.on('error', () => finish(size > BODY_LIMIT_BYTES ? size : Buffer.concat(chunks)));
    req.on('close', () => finish(size > BODY_LIMIT_BYTES ? size : Buffer.concat(chunks)));
  });
}

/** Splits a request target into its path and raw query; undefined when it is not one. */
function splitTarget(url: string): { path: string; query: string } | undefined {
  let target = url;
  if (!target.startsWith('/')) {
    // absolute-form (`http://host/path`), as a proxy would send it
    try {
      const parsed = new URL(target);
      target = `${parsed.pathname}${parsed.search}`;
    } catch {
      return undefined;
    }
  }
  const index = target.indexOf('?');
  const path = index < 0 ? target : target.slice(0, index);
  const query = index < 0 ? '' : target.slice(index + 1);
  return { path: path || '/', query };
}

function decodeQueryKey(pair: string): string {
  const key = pair.split('=')[0] ?? '';
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() || undefined;
}

/** The HTTP answer for what API Gateway answered (`invokeOperatorApi`), read as it reads payload 2.0. */
function lambdaReply(result: APIGatewayProxyStructuredResultV2 & { readonly error?: string }): Reply {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const text = result.body ?? '';
  const raw = result.isBase64Encoded ? Buffer.from(text, 'base64') : text;
  const status = result.statusCode ?? 200;
  let detail = result.error;
  if (status >= 400 && detail === undefined) {
    try {
      const parsed = JSON.parse(raw.toString()) as { error?: unknown; message?: unknown };
      detail = [parsed.error, parsed.message].filter((x) => typeof x === 'string').join(': ') || undefined;
    } catch {
      detail = undefined;
    }
  }
  return { status, body: undefined, raw, headers, ...(detail ? { detail } : {}) };
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) return;
  const raw = reply.raw ?? JSON.stringify(reply.body ?? null);
  const headers: Record<string, string | string[]> = {
    ...(reply.raw === undefined ? { 'content-type': 'application/json' } : {}),
    ...reply.headers,
    'apigw-requestid': randomBytes(6).toString('base64url'),
    'content-length': String(Buffer.byteLength(raw)),
  };
  res.writeHead(reply.status, headers);
  res.end(raw);
}

/** Where a caller without a good token gets one (re-exported: server.ts's public surface is unchanged). */
export { TOKENS_PATH } from './http-reply.js';

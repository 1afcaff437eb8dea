import type {
  APIGatewayEventRequestContextIAMAuthorizer,
  APIGatewayEventRequestContextJWTAuthorizer,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { makeHandler as makeOperatorApi, type OperatorApiEvent } from '../functions/handlers/operator-api.js';
import type { FunctionName } from '../functions/handlers/registry.js';
import { ROLES_CLAIM } from './identities.js';
import { flattenClaims, type JwtClaims, SANDBOX_AUDIENCE, SANDBOX_ISSUER } from './jwt.js';
import { SANDBOX_ACCOUNT } from './runtime/lambda.js';
import type { Sandbox } from './sandbox.js';
import { SANDBOX_IAM_ROLES } from './sigv4.js';

export type { JwtClaims } from './jwt.js';

/**
 * The sandbox's API Gateway (HTTP API, payload format 2.0) in front of each region's operator API
 * function: the one place that builds the event the function receives and invokes it through the
 * sandbox's Lambda runtime. The HTTP server (`npm start`) and scenario operator requests
 * (`simulate`) both come through here, so a request reaches the handler the same way whichever
 * way it was made.
 *
 * The event follows "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway", Payload
 * format version 2.0 (Amazon API Gateway developer guide,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
 * header names lower-case, duplicate headers and duplicate query parameters combined with commas,
 * cookies in their own `cookies` field, `rawQueryString` as the client sent it, and
 * `requestContext.time` as `12/Mar/2020:19:03:58 +0000`. A JWT authorizer's claims reach the
 * function as strings (`flattenClaims` in jwt.ts).
 */

/** The name of the operator API function in the sandbox's Lambda runtime (functions/handlers/registry.ts). */
export const OPERATOR_API_FUNCTION: FunctionName = 'OperatorApi';

/** The API Gateway route every operator request matches (infra/constructs/operator-api.ts). */
export const PROXY_ROUTE_KEY = 'ANY /{proxy+}';

/** The authorizer part of an event: a JWT authorizer's claims, or an `AWS_IAM` one's principal (break-glass). */
export type Authorizer =
  | APIGatewayEventRequestContextJWTAuthorizer
  | APIGatewayEventRequestContextIAMAuthorizer;

/** One HTTP request as API Gateway received it, after its authorizer admitted the caller. */
export interface ApiGatewayRequest {
  readonly method: string;
  /** The path as sent (percent-encoded), without the query. */
  readonly path: string;
  /** The query as sent (`a=1&a=2`); or give `query`. */
  readonly rawQueryString?: string;
  /** The query as pairs, when there is no raw one (it is encoded into `rawQueryString`). */
  readonly query?: Readonly<Record<string, string>>;
  /** Headers in any case; an array is a repeated header (Node's `IncomingHttpHeaders` fits). */
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body as UTF-8 text; absent or empty for none. */
  readonly body?: string;
  /** The region whose API endpoint answered (it names the domain). Default us-east-1. */
  readonly region?: string;
  readonly requestId: string;
  /** When API Gateway received it: epoch ms on the sandbox's (virtual) clock. */
  readonly at: number;
  /** Default `HTTP/1.1`. */
  readonly protocol?: string;
  /** Default `127.0.0.1`. */
  readonly sourceIp?: string;
}

/** The authorizer part of an event whose bearer JWT the JWT authorizer admitted with these claims. */
export function jwtAuthorizer(claims: JwtClaims): APIGatewayEventRequestContextJWTAuthorizer {
  const scope = claims.scope;
  return {
    principalId: '',
    integrationLatency: 0,
    jwt: {
      claims: flattenClaims(claims),
      // API Gateway passes the token's `scope` claim as a list; a token without one has none.
      scopes: (typeof scope === 'string' ? scope.split(' ') : null) as unknown as string[],
    },
  };
}

/**
 * The claims of a token the sandbox's JWT authorizer admits for `sub` with `roles`, issued at
 * `atMs` (epoch ms) for an hour: what a scenario's operator presents (its requests carry no
 * token, but their events carry the same claims as one from `GET /sandbox/tokens`).
 */
export function sandboxClaims(sub: string, roles: readonly string[], atMs: number): JwtClaims {
  const iat = Math.floor(atMs / 1000);
  return { iss: SANDBOX_ISSUER, aud: SANDBOX_AUDIENCE, sub, [ROLES_CLAIM]: [...roles], iat, exp: iat + 3600 };
}

/**
 * Builds the event API Gateway (HTTP API, payload 2.0, route `ANY /{proxy+}`) gives the operator
 * API function for `request`: with `claims`, as its JWT authorizer admitted them; with
 * `authorizer`, as given (the break-glass API's `AWS_IAM` one).
 */
export function apiGatewayEvent(
  request: ApiGatewayRequest & { readonly claims: JwtClaims },
): APIGatewayProxyEventV2WithJWTAuthorizer;
export function apiGatewayEvent(
  request: ApiGatewayRequest & { readonly authorizer: Authorizer },
): OperatorApiEvent;
export function apiGatewayEvent(
  request: ApiGatewayRequest & { readonly claims?: JwtClaims; readonly authorizer?: Authorizer },
): OperatorApiEvent {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const joined = typeof value === 'string' ? value : value.join(',');
    // Payload 2.0 moves cookies to their own field and joins repeated headers with commas.
    if (key === 'cookie') cookies = [...(cookies ?? []), ...joined.split(/;\s*/).filter(Boolean)];
    else headers[key] = key in headers ? `${headers[key]},${joined}` : joined;
  }
  const rawQueryString = request.rawQueryString ?? new URLSearchParams(request.query ?? {}).toString();
  const query: Record<string, string> = {};
  // Payload 2.0 joins repeated parameters with commas; rawQueryString stays as the client sent it.
  for (const [key, value] of new URLSearchParams(rawQueryString))
    query[key] = key in query ? `${query[key]},${value}` : value;
  const region = request.region ?? 'us-east-1';
  const authorizer = request.authorizer ?? jwtAuthorizer(request.claims ?? {});
  return {
    version: '2.0',
    routeKey: PROXY_ROUTE_KEY,
    rawPath: request.path,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    pathParameters: { proxy: decodePath(request.path.slice(1)) },
    requestContext: {
      accountId: SANDBOX_ACCOUNT,
      apiId: 'sandbox',
      authorizer,
      domainName: `sandbox.execute-api.${region}.amazonaws.com`,
      domainPrefix: 'sandbox',
      http: {
        method: request.method.toUpperCase(),
        path: request.path,
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      routeKey: PROXY_ROUTE_KEY,
      stage: '$default',
      time: apiGatewayTime(request.at),
      timeEpoch: request.at,
    },
    ...(request.body ? { body: request.body } : {}),
    isBase64Encoded: false,
  } as OperatorApiEvent;
}

/**
 * Deploys the operator API function in every region of the sandbox's Lambda runtime, as CDK
 * deploys it (the break-glass IAM role mapped by `SANDBOX_IAM_ROLES`). The keep-warm rule leaves
 * it out (`KEEP_WARM_FUNCTIONS`), as in AWS: its first request in a region pays a cold start. A
 * function already registered (a test's wrapper) is kept.
 */
export function deployOperatorApi(sandbox: Pick<Sandbox, 'lambda' | 'regions'>): void {
  for (const [region, plane] of sandbox.regions) {
    if (sandbox.lambda.has(region, OPERATOR_API_FUNCTION)) continue;
    const handler = makeOperatorApi(plane.deps, undefined, { iamRoles: SANDBOX_IAM_ROLES });
    sandbox.lambda.register(region, OPERATOR_API_FUNCTION, (event: unknown, context: Context) =>
      handler(event as OperatorApiEvent, context),
    );
  }
}

/**
 * Invokes `region`'s operator API function with `event` through the sandbox's Lambda runtime
 * (invoke cost in virtual time, cold starts, concurrency, `lambda-crash` faults) and answers as
 * API Gateway answers the client: a region that is down has no API to answer (503); a function
 * that failed is API Gateway's `500 {"message":"Internal Server Error"}`; a result without
 * `statusCode` is a 200 with the value as JSON (payload 2.0's inferred response format, same
 * developer guide page). `error` says why a 5xx happened (for the server's log).
 */
export async function invokeOperatorApi(
  sandbox: Pick<Sandbox, 'lambda' | 'aws'>,
  region: string,
  event: OperatorApiEvent,
): Promise<APIGatewayProxyStructuredResultV2 & { readonly error?: string }> {
  if (sandbox.aws.faults.isRegionDown(region)) return regionDown(region);
  let result: unknown;
  try {
    result = await sandbox.lambda.invoke(region, OPERATOR_API_FUNCTION, event);
  } catch (error: unknown) {
    return {
      statusCode: 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Internal Server Error' }),
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
  if (
    result !== null &&
    typeof result === 'object' &&
    typeof (result as { statusCode?: unknown }).statusCode === 'number'
  )
    return result as APIGatewayProxyStructuredResultV2;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: typeof result === 'string' ? result : JSON.stringify(result ?? null),
  };
}

let scenarioRequests = 0;

/** A request of a scenario's operator (`simulate`): who, to which region's API, what. */
export interface OperatorRequest {
  readonly region: string;
  /** The operator's name: the token's `sub` (and `name`). */
  readonly by: string;
  readonly roles: readonly string[];
  readonly method: string;
  readonly path: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly idempotencyKey?: string;
}

/**
 * Sends a scenario operator's request as the CLI sends it (JSON, `Idempotency-Key` when given)
 * through the sandbox's API Gateway: the same event builder, authorizer claims and Lambda runtime
 * as a request to the HTTP server, with the claims of a token the JWT authorizer admitted.
 */
export function callOperatorApi(
  sandbox: Pick<Sandbox, 'lambda' | 'aws' | 'clock'>,
  request: OperatorRequest,
): Promise<APIGatewayProxyStructuredResultV2 & { readonly error?: string }> {
  const at = sandbox.clock.now();
  const event = apiGatewayEvent({
    method: request.method,
    path: request.path,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'switchyard-scenario',
      ...(request.idempotencyKey !== undefined ? { 'Idempotency-Key': request.idempotencyKey } : {}),
    },
    ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
    region: request.region,
    requestId: `scenario-${++scenarioRequests}`,
    at,
    claims: { ...sandboxClaims(request.by, request.roles, at), name: request.by },
  });
  return invokeOperatorApi(sandbox, request.region, event);
}

/** A region that is down has no API Gateway to answer: the client sees it unavailable. */
export function regionDown(region: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 503,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: `region ${region} is down (sandbox fault)` }),
  };
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** API Gateway's `requestContext.time` format: `12/Mar/2020:19:03:58 +0000` (UTC). */
export function apiGatewayTime(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { flattenClaims } from './jwt.js';

/** A token's claims, before API Gateway's JWT authorizer flattens them (`flattenClaims` in jwt.ts). */
export type JwtClaims = Record<string, string | number | boolean | string[]>;

/**
 * Builds the event API Gateway (HTTP API, payload 2.0) gives a Lambda after its JWT authorizer
 * accepted a token: the sandbox's server and scenario runner call the operator API handler with
 * exactly what it receives in AWS.
 */
export function apiGatewayEvent(request: {
  readonly method: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly claims: JwtClaims;
  readonly requestId: string;
  readonly at: number;
}): APIGatewayProxyEventV2WithJWTAuthorizer {
  const query = request.query ?? {};
  const rawQueryString = new URLSearchParams(query).toString();
  const headers = Object.fromEntries(
    Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString,
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: { ...query } } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '111111111111',
      apiId: 'sandbox',
      domainName: 'sandbox.local',
      domainPrefix: 'sandbox',
      http: {
        method: request.method.toUpperCase(),
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? 'switchyard',
      },
      requestId: request.requestId,
      routeKey: '$default',
      stage: '$default',
      time: new Date(request.at).toISOString(),
      timeEpoch: request.at,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: flattenClaims(request.claims), scopes: [] },
      },
    },
  };
}

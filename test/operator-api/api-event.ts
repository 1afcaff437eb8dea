import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

/** The Lambda context the operator API's handler is called with in these tests. */
export const API_CONTEXT = { functionName: 'switchyard-OperatorApi', awsRequestId: 'test' } as Context;

let requestSeq = 0;

/**
 * An HTTP API (payload 2.0) event with a verified JWT's `claims`, as API Gateway hands it to the
 * operator API at `at` (epoch ms, the sandbox's virtual clock). A `path` with `?` carries its
 * query string (raw, and parsed as API Gateway passes it).
 */
export function apiEvent(
  at: number,
  method: string,
  path: string,
  claims: Record<string, string>,
  body?: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const [rawPath = path, rawQuery = ''] = path.split('?');
  return {
    version: '2.0',
    routeKey: 'ANY /{proxy+}',
    rawPath,
    rawQueryString: rawQuery,
    headers: { 'content-type': 'application/json', ...headers },
    ...(rawQuery ? { queryStringParameters: Object.fromEntries(new URLSearchParams(rawQuery)) } : {}),
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '111111111111',
      apiId: 'test',
      domainName: 'api.test',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: `req-${++requestSeq}`,
      routeKey: 'ANY /{proxy+}',
      stage: '$default',
      time: new Date(at).toISOString(),
      timeEpoch: at,
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } },
    },
  };
}

/** The handler's answer: its status and parsed JSON body. */
export function answerOf(result: unknown): { readonly status: number; readonly body: any } {
  const r = result as APIGatewayProxyStructuredResultV2;
  return { status: r.statusCode ?? 0, body: JSON.parse(String(r.body)) };
}

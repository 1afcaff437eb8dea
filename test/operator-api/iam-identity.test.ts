import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/handlers/operator-api.js';
import {
  canonicalRoleArn,
  type IamRoleMap,
  iamRoleMapFromEnv,
  identityOf,
} from '../../functions/operator-api/identity.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { useSandbox } from '../use-sandbox.js';

// Break-glass: the operator API behind API Gateway's AWS_IAM authorizer, whose verified principal
// arrives in requestContext.authorizer.iam and is mapped to roles by its IAM role.

const ACCOUNT = '123456789012';
const OPS = `arn:aws:iam::${ACCOUNT}:role/ops/SwitchyardBreakGlassOperator`;
const AUDIT = `arn:aws:iam::${ACCOUNT}:role/SwitchyardBreakGlassViewer`;
const ROLES: IamRoleMap = { [OPS]: ['operator', 'approver'], [AUDIT]: ['viewer'] };

const CONTEXT = {
  functionName: 'switchyard-OperatorApi',
  awsRequestId: 'test',
  callbackWaitsForEmptyEventLoop: false,
} as Context;

let sandbox: Sandbox;
let api: ReturnType<typeof makeHandler>;

useSandbox({ latency: 'fast', seed: 11 }, (started) => {
  sandbox = started;
  api = makeHandler(sandbox.region('us-east-1').deps, undefined, { iamRoles: ROLES });
});

function session(role: string, name = 'jane'): string {
  return `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${name}`;
}

function event(
  method: string,
  path: string,
  userArn: string,
  body?: unknown,
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const at = sandbox.clock.now();
  return {
    version: '2.0',
    routeKey: 'ANY /{proxy+}',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'breakglass',
      domainName: 'api.test',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: `req-${at}-${Math.random()}`,
      routeKey: 'ANY /{proxy+}',
      stage: '$default',
      time: new Date(at).toISOString(),
      timeEpoch: at,
      authorizer: {
        iam: {
          accessKey: 'ASIAEXAMPLE',
          accountId: ACCOUNT,
          callerId: 'AROAEXAMPLE:jane',
          cognitoIdentity: null,
          principalOrgId: '',
          userArn,
          userId: 'AROAEXAMPLE:jane',
        },
      },
    },
  };
}

async function send(e: APIGatewayProxyEventV2WithIAMAuthorizer) {
  const result = (await sandbox.run(api(e, CONTEXT))) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode ?? 0, body: JSON.parse(result.body ?? 'null') };
}

describe('the operator API with an IAM principal (break-glass)', () => {
  it('maps a configured role session to its roles: an operator reads and is refused nothing it may do', async () => {
    const apps = await send(event('GET', '/apps', session('SwitchyardBreakGlassOperator')));
    expect(apps.status).toBe(200);
    expect(apps.body.apps.map((a: { app: string }) => a.app).sort()).toEqual(['billing', 'orders']);
    // Its permission reached the use case: an unknown app is the use case's 404, not a 403.
    const failover = await send(
      event('POST', '/apps/nope/failovers', session('SwitchyardBreakGlassOperator'), {
        to: 'us-west-2',
        reason: 'idp down',
      }),
    );
    expect(failover.status).toBe(404);
    expect(failover.body.error).toBe('UnknownAppError');
  });

  it('gives a viewer role only reads: a failover is refused with 403 naming the role needed', async () => {
    const refused = await send(
      event('POST', '/apps/orders/failovers', session('SwitchyardBreakGlassViewer'), {
        to: 'us-west-2',
        reason: 'x',
      }),
    );
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'ForbiddenError' });
    expect(refused.body.message).toContain('needs role operator');
    expect(refused.body.message).toContain(session('SwitchyardBreakGlassViewer'));
  });

  it('refuses a role that is not configured with 403 naming the role got and the roles configured', async () => {
    const refused = await send(event('GET', '/apps', session('SomeOtherRole')));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('ForbiddenError');
    expect(refused.body.message).toContain(`got role arn:aws:iam::${ACCOUNT}:role/SomeOtherRole`);
    expect(refused.body.message).toContain(OPS);
    expect(refused.body.message).toContain(AUDIT);
  });

  it('refuses an IAM user (not a role session) and a role of another account with 403', async () => {
    const user = await send(event('GET', '/apps', `arn:aws:iam::${ACCOUNT}:user/jane`));
    expect(user.status).toBe(403);
    expect(user.body.message).toContain('not an IAM role session');
    const other = await send(
      event('GET', '/apps', 'arn:aws:sts::999999999999:assumed-role/SwitchyardBreakGlassOperator/jane'),
    );
    expect(other.status).toBe(403);
  });
});

describe('identityOf and the role map', () => {
  it('compares roles without their path, as an assumed-role session names them', () => {
    expect(canonicalRoleArn(OPS)).toBe(`arn:aws:iam::${ACCOUNT}:role/SwitchyardBreakGlassOperator`);
    expect(canonicalRoleArn(session('SwitchyardBreakGlassOperator'))).toBe(canonicalRoleArn(OPS));
    expect(canonicalRoleArn(`arn:aws:iam::${ACCOUNT}:user/jane`)).toBeUndefined();
  });

  it('takes JWT claims when there are, an IAM principal otherwise, and nothing from neither', () => {
    expect(identityOf({ jwt: { claims: { sub: 'alice', 'switchyard:roles': 'operator' } } }, ROLES)).toEqual({
      name: 'alice',
      roles: ['operator'],
    });
    expect(identityOf({ iam: { userArn: session('SwitchyardBreakGlassViewer') } }, ROLES)).toEqual({
      name: session('SwitchyardBreakGlassViewer'),
      roles: ['viewer'],
    });
    expect(identityOf(undefined, ROLES)).toBeUndefined();
  });

  it('reads the map from SWITCHYARD_IAM_ROLES and refuses a malformed one', () => {
    expect(iamRoleMapFromEnv(JSON.stringify({ [AUDIT]: ['viewer'] }))).toEqual({ [AUDIT]: ['viewer'] });
    expect(iamRoleMapFromEnv(undefined)).toEqual({});
    expect(() => iamRoleMapFromEnv(JSON.stringify({ [AUDIT]: ['admin'] }))).toThrow(/SWITCHYARD_IAM_ROLES/);
    expect(() => iamRoleMapFromEnv(JSON.stringify({ 'not-an-arn': ['viewer'] }))).toThrow(/IAM role ARN/);
  });
});

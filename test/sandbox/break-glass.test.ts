import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../sandbox/dynamo.js';
import { useSandboxServer } from '../cli/sandbox-server.js';

// Break-glass against the sandbox server: requests signed with SigV4 (the sandbox's dummy
// credentials) instead of a bearer token, checked as API Gateway's AWS_IAM authorizer checks them.

const env = useSandboxServer();
const { cli } = env;

const ENV_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_REGION',
];
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

/** A request signed as the CLI signs it, sent with fetch; `tamper` changes it after signing. */
async function signedFetch(
  method: string,
  path: string,
  options: {
    body?: string;
    region?: string;
    secretAccessKey?: string;
    tamper?: (
      headers: Record<string, string>,
      body: string | undefined,
    ) => { headers: Record<string, string>; body: string | undefined; path?: string };
  } = {},
) {
  const url = new URL(`${env.server.url}${path}`);
  const signer = new SignatureV4({
    credentials: {
      ...SANDBOX_CREDENTIALS,
      ...(options.secretAccessKey ? { secretAccessKey: options.secretAccessKey } : {}),
    },
    region: options.region ?? 'us-east-1',
    service: 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, 'content-type': 'application/json', accept: 'application/json' },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const { host: _host, ...headers } = signed.headers as Record<string, string>;
  const sent = options.tamper ? options.tamper(headers, options.body) : { headers, body: options.body };
  const response = await fetch(`${env.server.url}${sent.path ?? path}`, {
    method,
    headers: sent.headers,
    ...(sent.body !== undefined ? { body: sent.body } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('the sandbox server with SigV4 (break-glass)', () => {
  it('accepts a correctly signed request as the break-glass role, in the region it was signed for', async () => {
    const apps = await signedFetch('GET', '/apps');
    expect(apps.status).toBe(200);
    expect(apps.body.apps.map((a: { app: string }) => a.app).sort()).toEqual(['billing', 'orders']);

    // A signed body reaches the use case: the unknown app is its 404, not a signature refusal.
    const failover = await signedFetch('POST', '/apps/nope/failovers', {
      body: JSON.stringify({ to: 'us-west-2', reason: 'the IdP region is down' }),
      region: 'us-west-2',
    });
    expect(failover.status).toBe(404);
    expect(failover.body.error).toBe('UnknownAppError');
  });

  it('refuses a tampered request with 403: a changed body, path, or signature, or the wrong secret', async () => {
    const body = JSON.stringify({ to: 'us-west-2', reason: 'drill' });
    const changedBody = await signedFetch('POST', '/apps/nope/failovers', {
      body,
      tamper: (headers) => ({ headers, body: body.replace('drill', 'other') }),
    });
    expect(changedBody.status).toBe(403);
    expect(changedBody.body.error).toBe('SignatureDoesNotMatch');

    const changedPath = await signedFetch('GET', '/apps/orders', {
      tamper: (headers, b) => ({ headers, body: b, path: '/apps/billing' }),
    });
    expect(changedPath.status).toBe(403);

    const changedSignature = await signedFetch('GET', '/apps', {
      tamper: (headers, b) => ({
        headers: {
          ...headers,
          authorization: String(headers.authorization).replace(
            /Signature=(.)/,
            (_m, c) => `Signature=${c === 'a' ? 'b' : 'a'}`,
          ),
        },
        body: b,
      }),
    });
    expect(changedSignature.status).toBe(403);
    expect(changedSignature.body.message).toMatch(/signature we calculated does not match/);

    const wrongSecret = await signedFetch('GET', '/apps', { secretAccessKey: 'not-the-sandbox-secret' });
    expect(wrongSecret.status).toBe(403);
  });

  it('refuses a signature for another region than the one asked for, naming both', async () => {
    const answer = await signedFetch('GET', '/apps', {
      region: 'us-west-2',
      tamper: (headers, b) => ({ headers: { ...headers, 'x-switchyard-region': 'us-east-1' }, body: b }),
    });
    expect(answer.status).toBe(403);
    expect(answer.body.message).toContain('region us-west-2; expected us-east-1');
  });
});

describe('switchyard --auth iam against the sandbox', () => {
  it('reaches the API with credentials from the standard chain (environment), signed for --region', async () => {
    process.env.AWS_ACCESS_KEY_ID = SANDBOX_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = SANDBOX_CREDENTIALS.secretAccessKey;
    delete process.env.AWS_PROFILE;
    const { code, out, err } = await cli('status', '--auth', 'iam', '--region', 'us-west-2');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^orders {2}warm-standby {2}active us-east-1 {2}ACTIVE/m);

    const audit = await cli('status', '--app', 'orders', '--json', '--auth', 'iam', '--region', 'us-east-1');
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.out)).toMatchObject({ app: 'orders' });
  });

  it('is refused with 403 when the credentials are not the sandbox break-glass ones', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAOTHEREXAMPLE0000';
    process.env.AWS_SECRET_ACCESS_KEY = 'other';
    const { code, out } = await cli('status', '--auth', 'iam', '--region', 'us-east-1', '--json');
    expect(code).toBe(1);
    expect(JSON.parse(out).error).toMatchObject({
      message: expect.stringContaining('unknown access key AKIAOTHEREXAMPLE0000'),
    });
  });

  it('needs a region and refuses --as with --auth iam (exit 2)', async () => {
    delete process.env.AWS_REGION;
    const saveDefault = process.env.AWS_DEFAULT_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      const noRegion = await cli('status', '--auth', 'iam');
      expect(noRegion.code).toBe(2);
      expect(noRegion.err).toContain('--region');
    } finally {
      if (saveDefault !== undefined) process.env.AWS_DEFAULT_REGION = saveDefault;
    }
    const withAs = await cli('status', '--auth', 'iam', '--region', 'us-east-1', '--as', 'bob');
    expect(withAs.code).toBe(2);
  });
});

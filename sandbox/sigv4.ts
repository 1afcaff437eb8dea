import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { IamRoleMap } from '../functions/operator-api/identity.js';
import { SANDBOX_CREDENTIALS } from './dynamo.js';
import { SANDBOX_ACCOUNT } from './runtime/lambda.js';

/**
 * The sandbox's break-glass IAM role: a request signed with SigV4 by {@link SANDBOX_CREDENTIALS}
 * is taken as a session of this role (as API Gateway's `AWS_IAM` authorizer would pass on a
 * session of an assumed role), which {@link SANDBOX_IAM_ROLES} maps to Switchyard roles.
 */
export const SANDBOX_BREAK_GLASS_ROLE_ARN = `arn:aws:iam::${SANDBOX_ACCOUNT}:role/switchyard-break-glass`;

/** The session ARN the sandbox's credentials sign as. */
export const SANDBOX_BREAK_GLASS_SESSION_ARN = `arn:aws:sts::${SANDBOX_ACCOUNT}:assumed-role/switchyard-break-glass/sandbox`;

/** The sandbox's break-glass mapping: its one role operates and approves (and so reads). */
export const SANDBOX_IAM_ROLES: IamRoleMap = { [SANDBOX_BREAK_GLASS_ROLE_ARN]: ['operator', 'approver'] };

/** The only service a signature to the operator API may be scoped to. */
const SERVICE = 'execute-api';
/** How far a signature's `X-Amz-Date` may be from now, in ms, before it is refused as expired. */
const MAX_SKEW_MS = 5 * 60_000;

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})\s*$/;

/** A SigV4 `Authorization` header's parts. */
export interface SigV4Authorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** Whether an `Authorization` header is a SigV4 one (so not a bearer token). */
export function isSigV4(authorization: string | undefined): boolean {
  return /^AWS4-HMAC-SHA256\s/.test(authorization ?? '');
}

/** The parts of a SigV4 `Authorization` header, or undefined when it is malformed. */
export function parseSigV4(authorization: string): SigV4Authorization | undefined {
  const match = AUTHORIZATION.exec(authorization);
  if (!match) return undefined;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  return {
    accessKeyId: accessKeyId as string,
    date: date as string,
    region: region as string,
    service: service as string,
    signedHeaders: (signedHeaders as string).split(';'),
    signature: signature as string,
  };
}

/** A request as received, for {@link verifySigV4}. */
export interface SignedRequest {
  readonly method: string;
  /** The path as sent (percent-encoded), without the query string. */
  readonly path: string;
  /** The query string as sent, without `?`. */
  readonly query: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** The outcome of a check: the principal, or why the signature was refused. */
export type SigV4Outcome =
  | {
      readonly ok: true;
      readonly region: string;
      readonly principal: { readonly accountId: string; readonly userArn: string; readonly userId: string };
    }
  | { readonly ok: false; readonly error: string; readonly message: string };

/**
 * Verifies a SigV4-signed request as API Gateway's `AWS_IAM` authorizer does, with the sandbox's
 * dummy credentials as the only known key: the `Authorization` header's form, the access key,
 * the scope (service `execute-api`, the date of `X-Amz-Date`, `expectedRegion` when given),
 * `X-Amz-Date` within 5 minutes of `now`, and the signature itself, recomputed with
 * `@smithy/signature-v4` over the signed headers, method, path, query and body. The signature is
 * compared in constant time.
 */
export async function verifySigV4(
  request: SignedRequest,
  now: number,
  expectedRegion?: string,
): Promise<SigV4Outcome> {
  const header = single(request.headers.authorization) ?? '';
  const auth = parseSigV4(header);
  if (!auth)
    return refuse(
      'IncompleteSignatureException',
      'malformed Authorization header: expected AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/execute-api/aws4_request, SignedHeaders=..., Signature=...',
    );
  if (auth.accessKeyId !== SANDBOX_CREDENTIALS.accessKeyId)
    return refuse(
      'InvalidClientTokenId',
      `unknown access key ${auth.accessKeyId}: the sandbox knows only ${SANDBOX_CREDENTIALS.accessKeyId} (its dummy credentials)`,
    );
  if (auth.service !== SERVICE)
    return refuse(
      'InvalidSignatureException',
      `credential scope names service ${auth.service}; expected ${SERVICE}`,
    );
  if (expectedRegion !== undefined && auth.region !== expectedRegion)
    return refuse(
      'InvalidSignatureException',
      `credential scope names region ${auth.region}; expected ${expectedRegion}, the region of this API`,
    );
  const amzDate = single(request.headers['x-amz-date']);
  const signedAt = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!amzDate || signedAt === undefined || !auth.signedHeaders.includes('x-amz-date'))
    return refuse('IncompleteSignatureException', 'no signed X-Amz-Date header (expected YYYYMMDDTHHMMSSZ)');
  if (amzDate.slice(0, 8) !== auth.date)
    return refuse(
      'InvalidSignatureException',
      `credential scope date ${auth.date} is not the date of X-Amz-Date ${amzDate}`,
    );
  if (Math.abs(now - signedAt) > MAX_SKEW_MS)
    return refuse(
      'InvalidSignatureException',
      `signature expired: signed at ${amzDate}, more than 5 minutes from now`,
    );
  if (!auth.signedHeaders.includes('host'))
    return refuse('IncompleteSignatureException', 'the Host header is not signed');

  // The signer takes a signed X-Amz-Content-SHA256 as the payload's hash without hashing the body:
  // the body must be checked against it here, or a changed body would pass.
  const contentHash = single(request.headers['x-amz-content-sha256']);
  if (contentHash !== undefined && contentHash !== 'UNSIGNED-PAYLOAD') {
    const actual = createHash('sha256').update(request.body).digest('hex');
    if (contentHash.toLowerCase() !== actual)
      return refuse(
        'SignatureDoesNotMatch',
        `the body's SHA-256 is ${actual}; X-Amz-Content-SHA256 says ${contentHash} (the body changed after signing)`,
      );
  }
  if (contentHash === 'UNSIGNED-PAYLOAD')
    return refuse(
      'InvalidSignatureException',
      'X-Amz-Content-SHA256 is UNSIGNED-PAYLOAD; expected the hash of the body',
    );

  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined)
      return refuse('IncompleteSignatureException', `signed header ${name} is missing from the request`);
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signer = new SignatureV4({
    credentials: SANDBOX_CREDENTIALS,
    region: auth.region,
    service: SERVICE,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: (headers.host as string).replace(/:\d+$/, ''),
      path: request.path,
      query: queryOf(request.query),
      headers,
      ...(request.body.length > 0 ? { body: request.body } : {}),
    },
    { signingDate: new Date(signedAt), signingRegion: auth.region, signingService: SERVICE },
  );
  const expected = parseSigV4(String(signed.headers.authorization ?? ''));
  const matches =
    expected !== undefined &&
    expected.signedHeaders.join(';') === auth.signedHeaders.join(';') &&
    timingSafeEqual(Buffer.from(expected.signature, 'hex'), Buffer.from(auth.signature, 'hex'));
  if (!matches)
    return refuse(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  return {
    ok: true,
    region: auth.region,
    principal: {
      accountId: SANDBOX_ACCOUNT,
      userArn: SANDBOX_BREAK_GLASS_SESSION_ARN,
      userId: `AROASANDBOXBREAKGLASS:sandbox`,
    },
  };
}

function refuse(error: string, message: string): SigV4Outcome {
  return { ok: false, error, message };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `20261130T012345Z` as epoch ms, or undefined. */
function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const ms = Date.UTC(y as number, (mo as number) - 1, d as number, h as number, mi as number, s as number);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A raw query string as the signer takes it: repeated keys as arrays, decoded. */
function queryOf(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const had = query[key];
    query[key] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return query;
}

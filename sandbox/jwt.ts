import { createHmac, timingSafeEqual } from 'node:crypto';

/** What the sandbox's JWT authorizer requires, as the CDK `HttpJwtAuthorizer` is configured in AWS. */
export const SANDBOX_ISSUER = 'switchyard-sandbox';
export const SANDBOX_AUDIENCE = 'switchyard';

/** A JWT's payload: registered claims plus any others (roles, name). */
export type JwtClaims = Readonly<Record<string, unknown>>;

/** Why a token was refused. The server answers 401 `{"message":"Unauthorized"}` whatever the reason. */
export class JwtError extends Error {
  override readonly name = 'JwtError';
}

const HEADER = { alg: 'HS256', typ: 'JWT' } as const;

/** Signs `claims` as a compact HS256 JWT. */
export function signJwt(claims: JwtClaims, secret: Uint8Array | string): string {
  const head = base64url(JSON.stringify(HEADER));
  const body = base64url(JSON.stringify(claims));
  return `${head}.${body}.${mac(`${head}.${body}`, secret)}`;
}

export interface VerifyOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Epoch seconds; defaults to real time (tokens are for people, not for the virtual clock). */
  readonly nowSeconds?: number;
}

/**
 * Verifies a compact JWT the way API Gateway's JWT authorizer does: the algorithm (HS256 only: a
 * token naming `none` or another algorithm is refused, never trusted), the signature, `exp` (must
 * be in the future), `nbf` and `iat` (must not be), `iss` and `aud` (a string or an array that
 * contains the audience). Returns the claims, or throws {@link JwtError} saying what was wrong.
 */
export function verifyJwt(token: string, secret: Uint8Array | string, options: VerifyOptions): JwtClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError(`malformed token: ${parts.length} part(s), expected 3`);
  const [head, body, signature] = parts as [string, string, string];
  const header = decodePart(head, 'header');
  if (header.alg !== HEADER.alg)
    throw new JwtError(`algorithm ${String(header.alg)} refused, expected HS256`);
  const expected = Buffer.from(mac(`${head}.${body}`, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new JwtError('bad signature');

  const claims = decodePart(body, 'payload');
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number') throw new JwtError('no exp claim');
  if (claims.exp <= now) throw new JwtError(`expired at ${new Date(claims.exp * 1000).toISOString()}`);
  if (typeof claims.nbf === 'number' && claims.nbf > now) throw new JwtError('not valid yet (nbf)');
  if (typeof claims.iat === 'number' && claims.iat > now) throw new JwtError('issued in the future (iat)');
  if (claims.iss !== options.issuer)
    throw new JwtError(`issuer ${String(claims.iss)} refused, expected ${options.issuer}`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(options.audience))
    throw new JwtError(`audience ${JSON.stringify(claims.aud)} refused, expected ${options.audience}`);
  return claims;
}

/**
 * The claims as API Gateway hands them to a Lambda (HTTP API, payload 2.0): every value a string;
 * arrays flattened to `[a b]` (so `switchyard:roles: ["operator","approver"]` arrives as
 * `"[operator approver]"`), objects as JSON.
 */
export function flattenClaims(claims: JwtClaims): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(claims)) {
    if (Array.isArray(value)) out[key] = `[${value.map(String).join(' ')}]`;
    else if (value !== null && typeof value === 'object') out[key] = JSON.stringify(value);
    else out[key] = String(value);
  }
  return out;
}

function mac(input: string, secret: Uint8Array | string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function decodePart(part: string, what: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new JwtError(`malformed ${what}: not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError(`malformed ${what}: not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new JwtError(`malformed ${what}: not a JSON object`);
  return value as Record<string, unknown>;
}

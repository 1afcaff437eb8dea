import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';

/** What the sandbox's JWT authorizer requires, as the CDK `HttpJwtAuthorizer` is configured in AWS. */
export const SANDBOX_ISSUER = 'switchyard-sandbox';
export const SANDBOX_AUDIENCE = 'switchyard';

/** The one algorithm the sandbox signs with and accepts (a shared per-process key). */
const ALGORITHM = 'HS256';

/** A JWT's payload: registered claims plus any others (roles, name). */
export type JwtClaims = Readonly<Record<string, unknown>>;

/** Why a token was refused: the server answers 401 and gives this message as the reason. */
export class JwtError extends Error {
  override readonly name = 'JwtError';
}

/** The HMAC key as jose takes it. */
function keyOf(secret: Uint8Array | string): Uint8Array {
  return typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
}

/** Signs `claims` as a compact HS256 JWT (jose's `SignJWT`; the claims are taken as given). */
export function signJwt(claims: JwtClaims, secret: Uint8Array | string): Promise<string> {
  return new SignJWT({ ...claims } as JWTPayload)
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .sign(keyOf(secret));
}

export interface VerifyOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Epoch seconds; defaults to real time (tokens are for people, not for the virtual clock). */
  readonly nowSeconds?: number;
}

/**
 * Verifies a compact JWT with jose the way API Gateway's HTTP API JWT authorizer does ("Control
 * access to HTTP APIs with JWT authorizers", Amazon API Gateway developer guide): the algorithm
 * (HS256 here: `none` or any other is refused, never trusted) and the signature; `iss` must be
 * the issuer; `aud` (a string or an array) must contain the audience, or, without `aud`,
 * `client_id` must be it; `exp` is required and must be in the future; `nbf` and `iat`, when
 * present, must not be. Returns the claims, or rejects with {@link JwtError} saying what was
 * wrong, what was got and what was expected.
 *
 * API Gateway itself verifies RSA signatures with keys from the issuer's `jwks_uri`; the sandbox
 * signs with a per-process HMAC key instead, as it is both the issuer and the authorizer.
 */
export async function verifyJwt(
  token: string,
  secret: Uint8Array | string,
  options: VerifyOptions,
): Promise<JwtClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError(`malformed token: ${parts.length} part(s), expected 3`);
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch (error: unknown) {
    throw new JwtError(`malformed header: ${reason(error)}`);
  }
  if (alg !== ALGORITHM) throw new JwtError(`algorithm ${String(alg)} refused, expected ${ALGORITHM}`);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, keyOf(secret), {
      algorithms: [ALGORITHM],
      issuer: options.issuer,
      requiredClaims: ['exp'],
      currentDate: new Date(now * 1000),
    }));
  } catch (error: unknown) {
    throw refusal(error, options);
  }
  // jose checks `aud` only when asked to require it; API Gateway accepts `client_id` in its stead.
  const audience = claims.aud ?? claims.client_id;
  const audiences = Array.isArray(audience) ? audience : [audience];
  if (!audiences.includes(options.audience))
    throw new JwtError(`audience ${JSON.stringify(audience ?? null)} refused, expected ${options.audience}`);
  // jose checks `iat` against the clock only together with a maximum age; `exp` bounds the age here.
  if (typeof claims.iat === 'number' && claims.iat > now)
    throw new JwtError(`issued in the future (iat ${new Date(claims.iat * 1000).toISOString()})`);
  return claims;
}

/** A jose error as a {@link JwtError} naming the claim or check that failed. */
function refusal(error: unknown, options: VerifyOptions): JwtError {
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp;
    return new JwtError(
      `expired${typeof exp === 'number' ? ` at ${new Date(exp * 1000).toISOString()}` : ''}`,
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const got = error.payload[error.claim];
    if (error.reason === 'missing') return new JwtError(`no ${error.claim} claim`);
    if (error.claim === 'iss')
      return new JwtError(`issuer ${JSON.stringify(got ?? null)} refused, expected ${options.issuer}`);
    if (error.claim === 'nbf')
      return new JwtError(
        `not valid yet (nbf ${typeof got === 'number' ? new Date(got * 1000).toISOString() : String(got)})`,
      );
    return new JwtError(`${error.claim} claim refused: ${error.message} (got ${JSON.stringify(got)})`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new JwtError('bad signature');
  if (error instanceof errors.JOSEError) return new JwtError(`malformed token: ${error.message}`);
  return new JwtError(`unreadable token: ${reason(error)}`);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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

import type * as z from 'zod';
import { errorResponse, type RequestProblem } from '../functions/operator-api/http-errors.js';
import { parseJsonBody, parseRequestPart, refuseProblems } from '../functions/operator-api/validation.js';
import { ROLES_CLAIM } from './identities.js';
import { type JwtClaims, JwtError, SANDBOX_AUDIENCE, SANDBOX_ISSUER, verifyJwt } from './jwt.js';

/**
 * What the sandbox's HTTP server and its `/sandbox/*` routes share: the reply shape, the JWT
 * authorizer's check of a bearer token and its 401, the operator API's error shape for every other
 * refusal, and JSON body parsing with every problem listed.
 */

/** A route's answer. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string | string[]>;
  /** Already-serialised body (the operator API's own). */
  readonly raw?: string | Buffer;
  readonly region?: string;
  readonly caller?: string;
  readonly detail?: string;
}

export type Caller = { readonly claims: JwtClaims; readonly sub: string; readonly roles: readonly string[] };

/** Where a caller without a good token gets one: the path, named in every 401. */
export const TOKENS_PATH = '/sandbox/tokens';

/**
 * The 401 of a missing or refused token. `message` is API Gateway's own (`Unauthorized`), so a
 * client written against AWS reads it unchanged; the sandbox adds `error`, `reason` (why this
 * token was refused) and `hint` (where the sandbox's tokens are), and a `WWW-Authenticate`
 * challenge as RFC 6750 words it.
 */
export function unauthorized(refusal: JwtError): Reply {
  const missing = refusal.message === NO_TOKEN;
  const quoted = refusal.message.replace(/["\\]/g, "'");
  return {
    status: 401,
    body: {
      message: 'Unauthorized',
      error: 'Unauthorized',
      reason: refusal.message,
      hint: `send a bearer token: Authorization: Bearer <JWT>. This sandbox's tokens (one per demo identity) are at GET ${TOKENS_PATH}; the switchyard CLI fetches them itself (--as NAME)`,
    },
    headers: {
      'www-authenticate': missing
        ? `Bearer realm="${SANDBOX_ISSUER}"`
        : `Bearer realm="${SANDBOX_ISSUER}", error="invalid_token", error_description="${quoted}"`,
    },
    detail: refusal.message,
  };
}

const NO_TOKEN = 'no bearer token in the Authorization header';

/** The caller of a request, as the JWT authorizer admits it; a {@link JwtError} says why not. */
export async function authenticate(
  authorization: string | undefined,
  secret: Uint8Array | string,
): Promise<Caller | JwtError> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return new JwtError(NO_TOKEN);
  try {
    const claims = await verifyJwt(match[1], secret, {
      issuer: SANDBOX_ISSUER,
      audience: SANDBOX_AUDIENCE,
    });
    const roles = claims[ROLES_CLAIM];
    return { claims, sub: String(claims.sub ?? ''), roles: Array.isArray(roles) ? roles.map(String) : [] };
  } catch (error: unknown) {
    if (error instanceof JwtError) return error;
    throw error;
  }
}

/**
 * A refusal in the operator API's one error shape (`{ error, message }`, plus `problems` or
 * `routes`; functions/operator-api/http-errors.ts), from the error it throws for it. Anything
 * without a status of its own is a 500 whose message is not sent (the detail keeps it).
 */
export function refusal(error: unknown, caller?: string): Reply {
  const { unexpected, status, body, headers } = errorResponse(error);
  return {
    status,
    body,
    ...(headers ? { headers } : {}),
    ...(caller ? { caller } : {}),
    detail: unexpected || !(error instanceof Error) ? String(error) : error.message,
  };
}

/**
 * A JSON body parsed with `schema`, as the operator API parses its own (its size was bounded by
 * the server): malformed JSON, a missing body or a value the schema refuses throws a
 * `RequestValidationError` (400) listing every problem with its path, what was got and what was
 * expected. `before` may refuse the JSON first with problems of its own (e.g. an unknown fault kind).
 */
export function parseBody<T extends z.core.$ZodType>(
  schema: T,
  body: Buffer,
  before?: (json: unknown) => RequestProblem[],
): z.infer<T> {
  const json = parseJsonBody(body.toString('utf8'));
  if (json === undefined)
    refuseProblems('body', [
      { path: 'body', message: 'a JSON body is required', got: 'nothing', expected: 'a JSON object' },
    ]);
  refuseProblems('body', before?.(json) ?? []);
  return parseRequestPart(schema, json, 'body');
}

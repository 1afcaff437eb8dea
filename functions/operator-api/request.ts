/**
 * The operator API's request and response, independent of how they arrived: API Gateway (the
 * Lambda handler adapts its event) or the sandbox's local HTTP server.
 */

/** The roles a JWT may carry (claim `switchyard:roles` or `cognito:groups`). */
export const ROLES = ['viewer', 'operator', 'approver'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as the verified token says. */
export interface Identity {
  /** The claim `sub` (or `username`): recorded as requester, approver and audit actor. */
  readonly name: string;
  /** Every role claimed, known or not (unknown ones grant nothing but show in refusals). */
  readonly roles: readonly string[];
}

export interface ApiRequest {
  readonly method: string;
  /** The path without query string or stage, e.g. `/apps/orders/failovers`; percent-encoded. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body parsed from JSON, or undefined when there was none (or it could not be parsed). */
  readonly body: unknown;
  /**
   * Why the body could not be parsed (malformed or too deeply nested JSON: a 400), kept to be
   * thrown once the caller, the permission and the app in the path were judged, so that a bad
   * body never hides a 401, 403 or 404.
   */
  readonly bodyError?: Error;
  /** Undefined when the request carried no verified identity: every route then answers 401. */
  readonly identity: Identity | undefined;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** JWT claims as API Gateway's JWT authorizer passes them on. */
export type Claims = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/**
 * The caller's identity from verified JWT claims, or undefined when there are none (or no
 * subject). Roles come from `switchyard:roles`, else `cognito:groups`, in any of the forms they
 * arrive in: an array, API Gateway's rendering of an array claim (`[operator approver]`), a JSON
 * array string, or a space- or comma-separated string.
 */
export function identityFromClaims(claims: Claims | undefined): Identity | undefined {
  if (!claims) return undefined;
  const name = [claims.sub, claims.username].find(
    (value): value is string => typeof value === 'string' && value.trim() !== '',
  );
  if (!name) return undefined;
  const roleClaim = claims['switchyard:roles'] ?? claims['cognito:groups'];
  return { name: name.trim(), roles: parseRoles(roleClaim) };
}

/** Role names from a claim value in any of the forms of {@link identityFromClaims}. */
export function parseRoles(value: Claims[string]): string[] {
  if (value === undefined || typeof value === 'boolean' || typeof value === 'number') return [];
  if (Array.isArray(value)) return unique(value.map((v) => String(v).trim()));
  const text = String(value).trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return unique(parsed.map((v) => String(v).trim()));
    } catch {
      // Not JSON: API Gateway renders an array claim as `[a b]`, unquoted.
    }
  }
  return unique(text.replace(/^\[|\]$/g, '').split(/[\s,]+/));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}

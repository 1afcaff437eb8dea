/**
 * The console's client of the operator API (and, in the sandbox, of its `/sandbox/...` routes):
 * same origin, bearer token, JSON. A refusal becomes an {@link ApiError} worded as the API words it.
 */

/** A refusal or failure from the API: its status and `{ error, message }` as sent. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Supplies the bearer token of the person signed in, or undefined when nobody is. */
export type TokenSource = () => string | undefined;

let tokenSource: TokenSource = () => undefined;

/** Sets where requests get their bearer token. */
export function useTokenSource(source: TokenSource): void {
  tokenSource = source;
}

/** Sends one request; resolves with the parsed JSON body, or rejects with an {@link ApiError}. */
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const token = tokenSource();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      cache: 'no-store',
    });
  } catch (error: unknown) {
    throw new ApiError(
      0,
      'NetworkError',
      `the API did not answer: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const shaped = (parsed ?? {}) as { error?: unknown; message?: unknown };
    const code = typeof shaped.error === 'string' ? shaped.error : `HTTP ${response.status}`;
    const message =
      typeof shaped.message === 'string'
        ? shaped.message
        : response.status === 401
          ? 'not signed in, or the sign-in has expired: pick an identity or sign in again'
          : `${method} ${path} answered ${response.status} ${response.statusText}`;
    throw new ApiError(response.status, code, message);
  }
  return parsed as T;
}

/** GET `path`. */
export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
/** POST `body` to `path`. */
export const post = <T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> =>
  request<T>('POST', path, body, headers);

/** Encodes one path segment. */
export const seg = (value: string): string => encodeURIComponent(value);

/** `Name: message` of anything thrown, for showing to a person. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

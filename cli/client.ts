import { STATUS_CODES } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { type CliIo, line, UsageError } from './io.js';

/** Where `npm start` serves the sandbox's operator API. */
export const DEFAULT_API = 'http://127.0.0.1:8080';
/** The header that picks a region's operator API in the sandbox (sandbox/server.ts). */
const REGION_HEADER = 'X-Switchyard-Region';
/** One request may take this long before the API counts as unreachable. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The common options of every API command, short, for usage lines: `--help` lists them all. */
export const CLIENT_USAGE = '[--api URL] [--as NAME] [--auth iam] [--json]';

/** How requests authenticate: a bearer JWT (the default), or SigV4 with IAM credentials (break-glass). */
export const AUTH_MODES = ['jwt', 'iam'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** The service a break-glass request is signed for: API Gateway's `AWS_IAM` authorizer checks it. */
const SIGNING_SERVICE = 'execute-api';

/** The API answered with an error status: `error` is its error name, `message` what it said. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
    readonly body: unknown,
    /** The answer's `Retry-After` header (seconds), when it had one (a 503). */
    readonly retryAfter?: string,
  ) {
    super(message);
  }
}

/** Nothing answered at the API's URL. */
export class ApiUnreachableError extends Error {
  override readonly name = 'ApiUnreachableError';
}

export interface ClientSettings {
  readonly api?: string | undefined;
  /** A sandbox identity whose token is fetched from `GET /sandbox/tokens`. */
  readonly as?: string | undefined;
  /** A bearer token (a real deployment); wins over everything. */
  readonly token?: string | undefined;
  readonly region?: string | undefined;
  /** `iam`: sign with SigV4 using the standard credential chain instead of a bearer token. */
  readonly auth?: AuthMode | undefined;
}

/**
 * A small client of the operator API. The token is, in order: `--token`; the sandbox identity
 * named by `--as`; `SWITCHYARD_TOKEN`; the command's default sandbox identity, for commands that
 * have one (`approve` has none: an approval names its approver).
 */
export class ApiClient {
  readonly api: string;
  private token: string | undefined;
  private signer: SignatureV4 | undefined;

  private constructor(
    api: string,
    private readonly settings: ClientSettings,
    private readonly defaultAs: string,
  ) {
    this.api = api;
  }

  /**
   * A client for `settings`. `defaultAs` is the sandbox identity used when the command line and
   * the environment name none; `{ none: why }` for a command that must not assume one, which then
   * refuses (a {@link UsageError} saying `why` and how to name one) unless `--as`, `--token`,
   * `SWITCHYARD_TOKEN` or `--auth iam` names the caller.
   *
   * @throws UsageError for a bad `--api`, exclusive options together, or no identity where needed.
   */
  static create(settings: ClientSettings, defaultAs: string | { readonly none: string }): ApiClient {
    const api = (settings.api ?? DEFAULT_API).replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(api);
    } catch {
      throw new UsageError(`--api: not a URL: ${api} (expected e.g. ${DEFAULT_API})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError(`--api: expected an http(s) URL, got ${api}`);
    if (settings.token !== undefined && settings.as !== undefined)
      throw new UsageError(
        '--as and --token are exclusive: --as picks a sandbox identity, --token brings your own',
      );
    if (settings.auth === 'iam') {
      if (settings.token !== undefined || settings.as !== undefined)
        throw new UsageError(
          '--auth iam signs with your IAM credentials: it takes neither --as nor --token (those are bearer tokens)',
        );
      if (!signingRegion(settings))
        throw new UsageError(
          "--auth iam signs for one region's API: pass --region R (or set AWS_REGION), e.g. --region us-east-1",
        );
    }
    if (typeof defaultAs !== 'string') {
      const named =
        settings.auth === 'iam' ||
        settings.token !== undefined ||
        settings.as !== undefined ||
        Boolean(process.env.SWITCHYARD_TOKEN);
      if (!named)
        throw new UsageError(
          `${defaultAs.none}: got no identity (no --as, --token or SWITCHYARD_TOKEN), expected one: --as NAME in the sandbox (bob or carol approve), --token JWT or SWITCHYARD_TOKEN against AWS, or --auth iam`,
        );
    }
    return new ApiClient(api, settings, typeof defaultAs === 'string' ? defaultAs : '');
  }

  /** Who the requests are made as, for messages: the sandbox identity, or "your token". */
  get who(): string {
    if (this.settings.auth === 'iam') return 'your IAM credentials';
    if (this.settings.token !== undefined) return 'the --token identity';
    if (this.settings.as !== undefined) return this.settings.as;
    if (process.env.SWITCHYARD_TOKEN) return 'the SWITCHYARD_TOKEN identity';
    return this.defaultAs;
  }

  /**
   * How the caller is identified: a sandbox identity (`--as`, or the command's default), a bearer
   * token (`--token`, `SWITCHYARD_TOKEN`) or IAM (`--auth iam`): hints name the same kind.
   */
  get identity(): 'sandbox' | 'token' | 'iam' {
    if (this.settings.auth === 'iam') return 'iam';
    if (this.settings.token !== undefined) return 'token';
    if (this.settings.as === undefined && process.env.SWITCHYARD_TOKEN) return 'token';
    return 'sandbox';
  }

  /** The region requests are signed for under `--auth iam` (`--region`, else the environment's). */
  get signingRegion(): string | undefined {
    return signingRegion(this.settings);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    return this.request<T>('POST', path, body, headers);
  }

  delete<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('DELETE', path, body);
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const iam = this.settings.auth === 'iam';
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(iam ? {} : { authorization: `Bearer ${await this.bearer()}` }),
      ...extraHeaders,
    };
    if (this.settings.region) headers[REGION_HEADER] = this.settings.region;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const text = body === undefined ? undefined : JSON.stringify(body);
    return this.fetchJson<T>(
      method,
      path,
      iam ? await this.sign(method, path, headers, text) : headers,
      text,
    );
  }

  /**
   * The headers of a request signed with SigV4 for `execute-api` in the signing region, with
   * credentials from the standard chain (environment, SSO, shared files, web identity, container,
   * instance), whose STS calls go to that region's endpoint: break-glass needs no identity provider
   * and nothing in another region.
   */
  private async sign(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<Record<string, string>> {
    const region = signingRegion(this.settings) as string;
    this.signer ??= new SignatureV4({
      credentials: fromNodeProviderChain({ clientConfig: { region } }),
      region,
      service: SIGNING_SERVICE,
      sha256: Sha256,
    });
    const url = new URL(`${this.api}${path}`);
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
      const had = query[key];
      query[key] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
    }
    let signed: { headers: Record<string, string> };
    try {
      signed = await this.signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { ...headers, host: url.host },
        ...(body !== undefined ? { body } : {}),
      });
    } catch (error: unknown) {
      throw new ApiError(
        401,
        'NoCredentials',
        `--auth iam: could not get IAM credentials from the standard chain (${error instanceof Error ? error.message : String(error)}); expected AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO or a role`,
        undefined,
      );
    }
    // fetch sets Host itself, from the URL (the same value).
    const { host: _host, ...sent } = signed.headers;
    return sent;
  }

  private async bearer(): Promise<string> {
    if (this.token) return this.token;
    const explicit = this.settings.token ?? (this.settings.as ? undefined : process.env.SWITCHYARD_TOKEN);
    if (explicit) {
      this.token = explicit;
      return explicit;
    }
    const name = this.settings.as ?? this.defaultAs;
    let answer: SandboxTokens;
    try {
      answer = await this.fetchJson<SandboxTokens>('GET', '/sandbox/tokens', { accept: 'application/json' });
    } catch (error: unknown) {
      if (error instanceof ApiError && error.status === 404)
        throw new ApiError(
          404,
          'NoSandboxIdentities',
          `${this.api} serves no sandbox identities (is it a real deployment?): pass --token or set SWITCHYARD_TOKEN`,
          error.body,
        );
      throw error;
    }
    const identity = answer.identities?.find((i) => i.name === name);
    if (!identity) {
      const names = (answer.identities ?? []).map((i) => `${i.name} (${i.roles.join('+')})`).join(', ');
      throw new UsageError(`--as: no sandbox identity ${name}; the sandbox has ${names}`);
    }
    this.token = identity.token;
    return identity.token;
  }

  private async fetchJson<T>(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetchOnce(`${this.api}${path}`, method, headers, body).catch((error: unknown) => {
        // A kept-alive connection the server closed as the request went out (its idle timeout
        // and our reuse crossing: seen under load, with `npm start` up): a read is asked again,
        // once, on a new connection. A change is not: it may have been received.
        if (method !== 'GET' || !RESET_CODES.has(causeCode(error) ?? '')) throw error;
        return fetchOnce(`${this.api}${path}`, method, headers, body);
      });
    } catch (error: unknown) {
      const code = causeCode(error);
      const why = code === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : code;
      throw new ApiUnreachableError(
        `no Switchyard API at ${this.api}${why ? ` (${why})` : ''}: is \`npm start\` running?`,
        { cause: error },
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const payload = (json ?? {}) as { error?: unknown; message?: unknown };
      const name =
        typeof payload.error === 'string'
          ? payload.error
          : (STATUS_CODES[response.status] ?? `HTTP${response.status}`).replace(/[^A-Za-z]/g, '');
      const message =
        typeof payload.message === 'string' ? payload.message : text.slice(0, 200) || response.statusText;
      const retryAfter = response.headers.get('retry-after') ?? undefined;
      throw new ApiError(response.status, name, `${message} (HTTP ${response.status})`, json, retryAfter);
    }
    if (json === undefined && text)
      throw new ApiError(
        response.status,
        'InvalidResponse',
        `the API answered non-JSON: ${text.slice(0, 120)}`,
        text,
      );
    return json as T;
  }
}

/** The region a break-glass request is signed for: `--region`, else `AWS_REGION` or `AWS_DEFAULT_REGION`. */
function signingRegion(settings: ClientSettings): string | undefined {
  return settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
}

/** The socket errors of a connection closed under a request (undici names the last one). */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** One request, bounded by {@link REQUEST_TIMEOUT_MS}. */
function fetchOnce(url: string, method: string, headers: Record<string, string>, body?: string) {
  return fetch(url, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

interface SandboxTokens {
  readonly identities?: { name: string; roles: string[]; token: string }[];
}

function causeCode(error: unknown): string | undefined {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'TimeoutError';
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause && typeof cause === 'object' && 'code' in cause) return String(cause.code);
  return undefined;
}

/** `value` for a path segment. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Prints `value` as indented JSON. */
export function printJson(io: CliIo, value: unknown): void {
  line(io.out, JSON.stringify(value, null, 2));
}

// --- human output ------------------------------------------------------------------------------

/** Left-aligned columns, two spaces apart; trailing spaces trimmed. */
export function table(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    `${indent}${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd(),
  );
}

const COLOURS = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;

/** `text` in a colour when `io.out` is a terminal (and NO_COLOR is not set); as is otherwise. */
export function paint(io: CliIo, colour: keyof typeof COLOURS, text: string): string {
  const tty = (io.out as { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR;
  return tty ? `\u001b[${COLOURS[colour]}m${text}\u001b[0m` : text;
}

/** The colour of a status word. */
export function statusColour(status: string): keyof typeof COLOURS {
  if (['SUCCEEDED', 'ACTIVE', 'OK', 'On', 'yes'].includes(status)) return 'green';
  if (['FAILED', 'ABORTED', 'ALARM', 'DEGRADED', 'no', 'Off'].includes(status)) return 'red';
  return 'yellow';
}

/** Seconds for people: `96.4 s`, `-` when unknown. */
export function seconds(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${Math.round(value * 10) / 10} s` : '-';
}

/** `HH:MM:SS.s` of an ISO time (virtual time in the sandbox). */
export function clockTime(iso: string | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(11, 21);
}

/** A string value of an unknown record, or '-'. */
export function str(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

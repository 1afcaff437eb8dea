import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * The console in AWS: a Lambda behind the operator API's `GET /` and `GET /assets/{proxy+}`
 * routes (no authorizer: the files hold no data; every API call they make carries a token). It
 * serves the files built into its own package at synth (`site/`), from memory: nothing is fetched
 * from another region, a bucket or a CDN, so the console works whenever its region's API does.
 */

/** One file the function serves. */
export interface SiteFile {
  readonly contentType: string;
  readonly body: string;
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Reads every file under `root` into memory, by URL path (`/` for `index.html`). */
export function readSite(root: string): ReadonlyMap<string, SiteFile> {
  const files = new Map<string, SiteFile>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const body = readFileSync(path, 'utf8');
        const url = `/${relative(root, path).split('\\').join('/')}`;
        files.set(url === '/index.html' ? '/' : url, {
          contentType: TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream',
          body,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        });
      }
    }
  };
  walk(root);
  return files;
}

/** The page's Content-Security-Policy, written next to the page at synth. */
export interface SiteHeaders {
  readonly csp: string;
}

/** A handler answering GET and HEAD for the files of `files`; JSON 404 and 405 otherwise. */
export function consoleHandler(files: ReadonlyMap<string, SiteFile>, headers: SiteHeaders) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = event.rawPath ?? '/';
    if (method !== 'GET' && method !== 'HEAD')
      return json(
        405,
        {
          error: 'MethodNotAllowed',
          message: `${method} ${path}: the console's files answer GET`,
        },
        { allow: 'GET, HEAD' },
      );
    const file = files.get(path);
    if (!file)
      return json(404, {
        error: 'NotFound',
        message: `no console file ${path}; expected / or one of ${[...files.keys()].filter((p) => p !== '/').join(', ')}`,
      });
    const common = {
      'content-type': file.contentType,
      etag: file.etag,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(path === '/' ? { 'content-security-policy': headers.csp } : {}),
    };
    if (event.headers?.['if-none-match'] === file.etag) return { statusCode: 304, headers: common };
    return { statusCode: 200, headers: common, body: method === 'HEAD' ? '' : file.body };
  };
}

function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

let bound: ReturnType<typeof consoleHandler> | undefined;

/** The Lambda entry point: the files under `site/` next to the bundle, read at cold start. */
export const handler = (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  if (!bound) {
    const here = dirname(fileURLToPath(import.meta.url));
    const site = readSite(join(here, 'site'));
    const csp = JSON.parse(readFileSync(join(here, 'headers.json'), 'utf8')) as SiteHeaders;
    bound = consoleHandler(site, csp);
  }
  return bound(event);
};

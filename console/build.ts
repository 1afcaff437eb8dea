import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, type BuildResult, build, buildSync } from 'esbuild';

/** Where the console's browser sources live. */
export const CONSOLE_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'src');
/** The console's entry module. */
export const CONSOLE_ENTRY = join(CONSOLE_SOURCE, 'main.tsx');
/** The browsers the bundle targets (evergreen: ES2022 and CSS nesting are not assumed beyond this). */
export const CONSOLE_TARGET = ['chrome110', 'firefox110', 'safari16'];
/** The budget for all of the console's JavaScript, gzip-compressed (`npm run console-size` checks it). */
export const CONSOLE_JS_BUDGET_GZIP_BYTES = 150 * 1024;

/** How the console signs people in: the sandbox's identity picker, or OIDC with PKCE in AWS. */
export type ConsoleAuthConfig =
  | { readonly mode: 'sandbox' }
  | {
      readonly mode: 'oidc';
      /** The OIDC issuer (the API's JWT authorizer checks tokens it signs). */
      readonly issuer: string;
      /** The public client's id (an audience the JWT authorizer accepts). */
      readonly clientId: string;
      /** Scopes to ask for; `openid` always. */
      readonly scope?: string;
    };

/** What the page is told at load: how to sign in, and which region serves it. */
export interface ConsoleConfig {
  readonly auth: ConsoleAuthConfig;
  /** The region whose stack served the page (shown in the header); absent in the sandbox. */
  readonly region?: string;
}

/** One built file. */
export interface ConsoleAsset {
  readonly contentType: string;
  readonly body: Buffer;
  /** A strong ETag of the body. */
  readonly etag: string;
}

/** The built console: `/assets/...` files by path, and the HTML page for a given config. */
export interface ConsoleBundle {
  readonly assets: ReadonlyMap<string, ConsoleAsset>;
  /** The page served at `/`, with `config` inlined (no extra request, no other origin). */
  page(config: ConsoleConfig): string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The esbuild options of the console bundle (shared by the sandbox's build and the Lambda's). */
function consoleBuildOptions(sourcemap: boolean): BuildOptions & { write: false } {
  return {
    entryPoints: [CONSOLE_ENTRY],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    target: CONSOLE_TARGET,
    outdir: '/assets',
    entryNames: '[name]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: sourcemap ? 'linked' : false,
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  };
}

function bundleOf(result: BuildResult<{ write: false }>): ConsoleBundle {
  const assets = new Map<string, ConsoleAsset>();
  for (const file of result.outputFiles) {
    const path = file.path.replace(/\\/g, '/').replace(/^.*\/assets\//, '/assets/');
    const extension = path.slice(path.lastIndexOf('.'));
    const body = Buffer.from(file.contents);
    assets.set(path, {
      contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    });
  }
  const version = assets.get('/assets/main.js')?.etag.replace(/"/g, '') ?? 'dev';
  return { assets, page: (config) => consolePage(config, version) };
}

/**
 * Builds the console with the project's esbuild, in memory (nothing is written to disk): one
 * minified ES module (`/assets/main.js`) and its stylesheet (`/assets/main.css`).
 */
export async function buildConsole(options: { readonly sourcemap?: boolean } = {}): Promise<ConsoleBundle> {
  return bundleOf(await build(consoleBuildOptions(options.sourcemap ?? false)));
}

/** {@link buildConsole}, synchronously: for CDK's local bundling, which cannot wait. */
export function buildConsoleSync(): ConsoleBundle {
  return bundleOf(buildSync(consoleBuildOptions(false)));
}

/**
 * The console's HTML page. The config is inlined as JSON (with `<` escaped so that no value can
 * close the script element); the assets carry a version query so a new build is never mixed with
 * a cached old one.
 */
export function consolePage(config: ConsoleConfig, version: string): string {
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/main.css?v=${version}">
<script type="application/json" id="switchyard-config">${json}</script>
<script type="module" src="/assets/main.js?v=${version}"></script>
</head>
<body>
<noscript>The Switchyard console needs JavaScript. The CLI (npx switchyard) covers every operation.</noscript>
<div id="app"></div>
</body>
</html>
`;
}

/**
 * The page's Content-Security-Policy: scripts, styles and data from its own origin only (inline
 * styles for the timeline's bar geometry), plus, with OIDC, the issuer's origin for discovery and
 * the token exchange.
 */
export function consoleCsp(config: ConsoleConfig): string {
  const issuer = config.auth.mode === 'oidc' ? ` ${new URL(config.auth.issuer).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self'${issuer}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

let cached: Promise<ConsoleBundle> | undefined;

/** The console bundle, built on first use and kept for the life of the process. */
export function consoleBundle(): Promise<ConsoleBundle> {
  cached ??= buildConsole().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

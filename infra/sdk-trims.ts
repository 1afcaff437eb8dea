import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { Message, OnResolveArgs, Plugin } from 'esbuild';
import { FUNCTIONS_DIR, REPO_ROOT } from './paths.js';

/**
 * What the bundles leave out of the SDK clients' modules, each honestly unused (docs/architecture.md,
 * "Bundles"): the modelled exceptions no code of ours matches, the schemas of the operations no
 * command of ours sends ({@link pureSchemaDefinitions}), the clients' package.json but its version,
 * the document client's paginators no code of ours calls ({@link purePaginators}), and the SDK
 * modules no path of ours reaches, each replaced by a stand-in ({@link SDK_STAND_INS}).
 *
 * **Exceptions.**
 * Each SDK client's `dist-es/schemas/schemas_0.js` registers every modelled exception of its
 * service at load (`n0_registry.registerError(XFault$, XFault)`: RDS 146 of them, Route 53 69), so
 * every bundle that uses the client carries, parses and runs each exception's class and schema,
 * though our code matches a handful. The plugin drops the registrations of the exceptions no code of
 * ours names, and esbuild then drops their classes and schemas as unused. What a dropped exception
 * becomes: the SDK finds no schema for the error code AWS sent and throws the client's base
 * exception (`RDSServiceException`, ...) with that code as its `name`, AWS's message as its
 * `message`, the same `$fault` and `$metadata`, and the body's other fields on it
 * (`ProtocolLib.getErrorSchemaOrThrowBaseException` in @aws-sdk/core). Our error translation
 * (functions/aws/translate-error.ts) reads only those for any exception it has no rule for.
 *
 * Kept, in every bundle that has the client:
 * - every exception class that code under `functions/` imports from the client (our `instanceof`
 *   rules: {@link exceptionsOurCodeImports});
 * - every exception with a retryable trait (its class sets `$retryable`), which the SDK's retry
 *   strategy reads from the instance (`isRetryableByTrait`, `isThrottlingError` of
 *   @smithy/service-error-classification); the others it classifies by `name` and HTTP status,
 *   which the base exception carries;
 * - the service's base exception (its own registry, not touched).
 */

/** The client packages whose schemas module registers their exceptions, as `@aws-sdk/client-x`. */
const SCHEMAS_MODULE =
  /[\\/]node_modules[\\/](@aws-sdk[\\/]client-[^\\/]+)[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js$/;

/** One exception registration line of a schemas module: `n0_registry.registerError(X$, X);`. */
const REGISTRATION = /^\w+_registry\.registerError\((\w+)\$, (\w+)\);$/;

/**
 * The value names (not `import type`) that TypeScript files under `dir` import from each
 * `@aws-sdk/client-*` package: the exception classes our code matches, and clients and commands,
 * which the trim ignores (it only looks up exception names). Keyed by package name. Throws when a
 * file imports a client in another form (`import * as`, a default import, `import()`, `require`),
 * whose names this cannot see: the trim would drop an exception that code matches.
 */
export function exceptionsOurCodeImports(dir: string): Map<string, Set<string>> {
  const imported = new Map<string, Set<string>>();
  const named = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"](@aws-sdk\/client-[^'"]+)['"]/g;
  const anyForm = /(?:from|import|require)\s*\(?\s*['"](@aws-sdk\/client-[^'"]+)['"]/g;
  for (const file of typeScriptFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    let namedCount = 0;
    for (const match of text.matchAll(named)) {
      namedCount++;
      const [, typeOnly, names = '', pkg = ''] = match;
      if (typeOnly) continue;
      const set = imported.get(pkg) ?? new Set<string>();
      for (const part of names.split(',')) {
        const spec = part.trim();
        if (spec === '' || spec.startsWith('type ')) continue;
        // `X as Y`: the package's name is X.
        set.add(spec.split(/\s+as\s+/)[0] ?? spec);
      }
      imported.set(pkg, set);
    }
    const all = [...text.matchAll(anyForm)].length;
    if (all !== namedCount)
      throw new Error(
        `${file}: imports an @aws-sdk/client-* package other than by \`import { ... } from\` (got ${all - namedCount} such import(s)); expected named imports, which the SDK exception trim (infra/sdk-trims.ts) reads to keep the exceptions our code matches`,
      );
  }
  return imported;
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * The exception classes of a client's `models/errors.js` that carry a retryable trait (they set
 * `$retryable`): DynamoDB's `ReplicatedWriteConflictException`, for one.
 */
export function retryableExceptions(errorsModule: string): Set<string> {
  const retryable = new Set<string>();
  const classes = errorsModule.split(/^export class /m).slice(1);
  for (const body of classes) {
    const name = /^(\w+)/.exec(body)?.[1];
    if (name && /^\s+\$retryable\s*=/m.test(body)) retryable.add(name);
  }
  return retryable;
}

/** What the trim did to one client's schemas module (for tests and `npm run bundle-size`). */
export interface TrimmedSchemas {
  readonly contents: string;
  readonly kept: readonly string[];
  readonly dropped: readonly string[];
}

/**
 * A schemas module's text without the registrations of the exceptions not in `keep` (other names in
 * `keep`, a client's or a command's, are ignored). Throws when the module registers no exception
 * (the SDK's layout changed, and the trim would silently do nothing).
 */
export function trimSchemasModule(pkg: string, contents: string, keep: ReadonlySet<string>): TrimmedSchemas {
  const kept: string[] = [];
  const dropped: string[] = [];
  let text = contents
    .split('\n')
    .filter((line) => {
      const match = REGISTRATION.exec(line);
      if (!match || match[2] === undefined || match[1] !== match[2]) return true;
      if (line.startsWith('_s_registry')) return true; // the service's base exception
      if (keep.has(match[2])) {
        kept.push(match[2]);
        return true;
      }
      dropped.push(match[2]);
      return false;
    })
    .join('\n');
  if (kept.length + dropped.length === 0)
    throw new Error(
      `${pkg}: its schemas module registers no exception as expected (\`n0_registry.registerError(X$, X);\`): the SDK's layout changed, update infra/sdk-trims.ts`,
    );
  // A dropped exception's schema (`export var X$ = [-3, ...];`), when nothing else names it: esbuild
  // keeps an unused one, as its traits are computed keys (`{ [_aQE]: ... }`) it cannot prove pure.
  for (const name of dropped) {
    const definition = new RegExp(`^export var ${name}\\$ = \\[-3,[\\s\\S]*?^\\];\\n`, 'm');
    const without = text.replace(definition, '');
    if (without !== text && !new RegExp(`\\b${name}\\$`).test(without)) text = without;
  }
  return { contents: text, kept, dropped };
}

/**
 * A schemas module's text with each schema definition whose traits are computed keys
 * (`export var X$ = [9, n0, _X, { [_ht]: ["POST", "/path", 201] }, ...];`, or a list's
 * `var XList = [1, n0, _XL, 0, [() => X$, { [_xN]: _X }]];`) marked pure:
 * `export var X$ = /* @__PURE__ *\/ (() => [...])();`. esbuild keeps a definition it cannot prove
 * pure, and an object literal with a computed key is one, so every bundle with Route 53 carried all
 * 71 of its operation schemas (each with an HTTP trait) and the structures they name, though we call
 * a handful; and every bundle with RDS carried its 89 lists whose members have an XML name (the
 * module's own `var`s, not exported), each with the structure it lists and the structures that one
 * names: 15 KB of RDS, 2.4 KB of Route 53. Marked pure, a definition that nothing names is dropped,
 * and one that something names is built as before, at the same point of the module's evaluation.
 * Returns the text and how many definitions it marked. Throws when the module has no schema
 * definition (the SDK's layout changed).
 */
export function pureSchemaDefinitions(pkg: string, contents: string): { contents: string; marked: number } {
  let marked = 0;
  let definitions = 0;
  const text = contents.replace(
    /^(export var \w+\$|var \w+) = \[([\s\S]*?)\];$/gm,
    (whole, name: string, body: string) => {
      definitions++;
      if (!body.includes('{ [')) return whole;
      marked++;
      return `${name} = /* @__PURE__ */ (() => [${body}])();`;
    },
  );
  if (definitions === 0)
    throw new Error(
      `${pkg}: its schemas module defines no schema as expected (\`export var X$ = [...];\`): the SDK's layout changed, update infra/sdk-trims.ts`,
    );
  return { contents: text, marked };
}

/** The document client's paginator modules (`paginateQuery`, `paginateScan`). */
const DOCUMENT_PAGINATOR_MODULE =
  /[\\/]node_modules[\\/]@aws-sdk[\\/]lib-dynamodb[\\/]dist-es[\\/]pagination[\\/]\w+Paginator\.js$/;

/**
 * A document-client paginator module's text with its `createPaginator(...)` call marked pure:
 * `export const paginateScan = /* @__PURE__ *\/ createPaginator(...)`. `@aws-sdk/lib-dynamodb`
 * does not declare itself free of side effects, so esbuild keeps every module its index re-exports
 * and, in each, a top-level call it cannot prove pure: every bundle carried `paginateScan` and
 * `paginateQuery`, and through them the document client's and DynamoDB's `ScanCommand` with the
 * Scan operation's schemas, though no code of ours scans or paginates (about 2 KB a bundle).
 * `createPaginator` (@smithy/core) only returns the paginating generator function, so marked pure,
 * an unused paginator is dropped and a used one is built as before. Throws when the module has no
 * such call (the SDK's layout changed).
 */
export function purePaginators(path: string, contents: string): string {
  const call = /^export const (\w+) = createPaginator\(/m;
  if (!call.test(contents))
    throw new Error(
      `${path}: got no \`export const paginateX = createPaginator(...)\`, expected the document client's paginator: the SDK's layout changed, update infra/sdk-trims.ts`,
    );
  return contents.replace(call, 'export const $1 = /* @__PURE__ */ createPaginator(');
}

/** Each client's package.json, which its `runtimeConfig.js` imports whole to read `version`. */
const CLIENT_PACKAGE_JSON = /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/;

/** The module of the stand-ins of {@link SDK_STAND_INS}: what each replaced module exports, and nothing else. */
export const STAND_INS_MODULE = join(FUNCTIONS_DIR, 'aws', 'sdk-stand-ins.ts');

/**
 * One SDK module the bundles replace by a stand-in of functions/aws/sdk-stand-ins.ts, which says
 * why no path of ours reaches the module. `file` matches the module's path; `exports` are the names
 * it exports, each of which the stand-in module exports too.
 */
export interface SdkStandIn {
  readonly file: RegExp;
  readonly exports: readonly string[];
}

/**
 * The SDK modules no path of the functions reaches (why, beside each stand-in in
 * functions/aws/sdk-stand-ins.ts), by minified bytes in every bundle:
 * - `@aws-sdk/endpoint-cache` with the `mnemonist` LRU cache it holds (7.5 KB): DynamoDB's endpoint
 *   discovery, which no DynamoDB command of this SDK version uses;
 * - @smithy/core's `AdaptiveRetryStrategy` with its rate limiter (3.4 KB): the adaptive retry mode,
 *   which the client factory rules out by building every client with `retryMode: 'standard'`;
 * - @smithy/core's `Sha256Js` (3.3 KB): the SHA-256 in JavaScript that `Sha256Node` falls back to
 *   when `node:crypto` has none, which Lambda's Node always has;
 * - @smithy/core's `getInstanceMetadataRegion` (1.2 KB): the region from EC2's instance metadata,
 *   asked only for a client without a region (the factory always names one) or in the `auto`
 *   defaults mode outside Lambda; its stand-in answers no region, as the SDK's does when the
 *   service does not answer;
 * - `@aws-sdk/signature-v4-multi-region` (4 KB where EventBridge is): SigV4a signing, which
 *   EventBridge uses only for a global endpoint (an `EndpointId`, which we never send), and for
 *   which no implementation is bundled anyway; its stand-in signs with SigV4, as the SDK's does;
 * - @aws-sdk/core's `createUserAgentStringParsingProvider` (0 bytes of a bundle, 34.6 KB of every
 *   package without it): the browser's user agent, parsed by `bowser` loaded with `import()`, which
 *   only the SDK's browser builds call (the clients' Node runtime config takes the Node user agent).
 *   Unused, esbuild drops the function, but with code splitting (infra/bundling.ts) it still writes
 *   the chunk of its `import("bowser")` into every package;
 * - @smithy/core's `sdk-stream-mixin.browser.js` and `stream-collector.browser.js` (2.4 KB with the
 *   browser's base64 and UTF-8 where Route 53 is, 0.2 KB elsewhere): the helpers for a web
 *   `ReadableStream` or `Blob` response body, which the Node HTTP handler never answers (it answers
 *   a Node `Readable`, for which the SDK's Node modules use their own code);
 * - @smithy/core's endpoint `service-customizations` (0.8 KB): S3's endpoint parameters and bucket
 *   name rules, called only for a client whose `serviceId` is `s3`, and we have no S3 client.
 */
export const SDK_STAND_INS: readonly SdkStandIn[] = [
  {
    file: /[\\/]node_modules[\\/]@aws-sdk[\\/]endpoint-cache[\\/]dist-es[\\/]index\.js$/,
    exports: ['EndpointCache'],
  },
  {
    file: /[\\/]node_modules[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]retry[\\/]util-retry[\\/]AdaptiveRetryStrategy\.js$/,
    exports: ['AdaptiveRetryStrategy'],
  },
  {
    file: /[\\/]node_modules[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]checksum[\\/]sha256[\\/]Sha256Js\.js$/,
    exports: ['Sha256Js'],
  },
  {
    file: /[\\/]node_modules[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]config[\\/]config-resolver[\\/]regionConfig[\\/]getInstanceMetadataRegion\.js$/,
    exports: ['getInstanceMetadataRegion'],
  },
  {
    file: /[\\/]node_modules[\\/]@aws-sdk[\\/]signature-v4-multi-region[\\/]dist-es[\\/]index\.js$/,
    exports: ['SignatureV4MultiRegion'],
  },
  {
    file: /[\\/]node_modules[\\/]@aws-sdk[\\/]core[\\/]dist-es[\\/]submodules[\\/]client[\\/]util-user-agent-browser[\\/]createUserAgentStringParsingProvider\.js$/,
    exports: ['createUserAgentStringParsingProvider'],
  },
  {
    file: /[\\/]node_modules[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]serde[\\/]util-stream[\\/]sdk-stream-mixin\.browser\.js$/,
    exports: ['sdkStreamMixin'],
  },
  {
    file: /[\\/]node_modules[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]serde[\\/]util-stream[\\/]stream-collector\.browser\.js$/,
    exports: ['collectBlob', 'collectReadableStream'],
  },
  {
    // The module's index: it re-exports S3's names, of which the endpoint middleware imports one.
    file: /[\\/]node_modules[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]endpoints[\\/]middleware-endpoint[\\/]service-customizations[\\/]index\.js$/,
    exports: ['resolveParamsForS3'],
  },
];

/**
 * The text that stands for an SDK module of {@link SDK_STAND_INS}: its exports, re-exported from
 * the stand-ins module. Throws when the SDK's module no longer exports one of them (the SDK's layout
 * changed, and the stand-in would no longer stand for what it replaces).
 */
export function standInModule(path: string, original: string, standIn: SdkStandIn): string {
  for (const name of standIn.exports)
    if (
      !new RegExp(
        `export (class ${name}\\b|const ${name}\\b|(async )?function ${name}\\b|\\{[^}]*\\b${name}\\b[^}]*\\})`,
      ).test(original)
    )
      throw new Error(
        `${path}: got no export ${name}, expected the module the stand-in of infra/sdk-trims.ts replaces: the SDK's layout changed, update SDK_STAND_INS`,
      );
  return `export { ${standIn.exports.join(', ')} } from ${JSON.stringify(STAND_INS_MODULE)};\n`;
}

/**
 * The esbuild plugin of the trims:
 * - each `@aws-sdk/client-*` schemas module through {@link trimSchemasModule}, keeping the
 *   exceptions `imported` names for that package and the retryable ones, then
 *   {@link pureSchemaDefinitions};
 * - each client's `package.json` as `{ "version": ... }`: the client's `runtimeConfig.js` imports
 *   the whole file (2.3 KB) and reads only `packageInfo.version`, for its user agent;
 * - each paginator module of the document client through {@link purePaginators};
 * - each module of {@link SDK_STAND_INS} as its stand-in ({@link standInModule}).
 *
 * `onTrim` is told what each client's exceptions kept and dropped.
 */
export function sdkTrims(
  imported: ReadonlyMap<string, ReadonlySet<string>>,
  onTrim?: (pkg: string, trimmed: TrimmedSchemas) => void,
): Plugin {
  return {
    name: 'switchyard-sdk-trims',
    setup(build) {
      build.onLoad({ filter: SCHEMAS_MODULE }, (args) => {
        const pkg = (SCHEMAS_MODULE.exec(args.path)?.[1] ?? '').replaceAll('\\', '/');
        const contents = readFileSync(args.path, 'utf8');
        const errors = readFileSync(join(dirname(args.path), '..', 'models', 'errors.js'), 'utf8');
        const keep = new Set([...(imported.get(pkg) ?? []), ...retryableExceptions(errors)]);
        const trimmed = trimSchemasModule(pkg, contents, keep);
        onTrim?.(pkg, trimmed);
        const pure = pureSchemaDefinitions(pkg, trimmed.contents);
        return { contents: pure.contents, loader: 'js', resolveDir: dirname(args.path) };
      });
      build.onLoad({ filter: CLIENT_PACKAGE_JSON }, (args) => {
        const { version } = JSON.parse(readFileSync(args.path, 'utf8')) as { version?: unknown };
        if (typeof version !== 'string')
          throw new Error(`${args.path}: got no string "version", expected the client's version`);
        return { contents: JSON.stringify({ version }), loader: 'json' };
      });
      build.onLoad({ filter: DOCUMENT_PAGINATOR_MODULE }, (args) => ({
        contents: purePaginators(args.path, readFileSync(args.path, 'utf8')),
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
      for (const standIn of SDK_STAND_INS)
        build.onLoad({ filter: standIn.file }, (args) => ({
          contents: standInModule(args.path, readFileSync(args.path, 'utf8'), standIn),
          loader: 'js',
          resolveDir: dirname(args.path),
        }));
    },
  };
}

/** The packages whose barrel modules {@link flatSdkBarrels} flattens, as a path inside node_modules. */
const BARREL_PACKAGES =
  /[\\/]node_modules[\\/](@smithy[\\/]core|@aws-sdk[\\/]core|@aws-sdk[\\/]xml-builder)[\\/]/;
/** An import of one of {@link BARREL_PACKAGES} by name (the package, or one of its subpaths). */
const BARREL_PACKAGE_IMPORT = /^(@smithy\/core|@aws-sdk\/core|@aws-sdk\/xml-builder)(\/[\w-]+)?$/;
/**
 * The relative imports that may name a barrel of {@link BARREL_PACKAGES}: those whose last part is
 * the name of a directory with an `index.js` in one of them (`./aws_sdk`, `../service-customizations`).
 */
function relativeBarrelImport(): RegExp {
  const names = new Set<string>();
  for (const pkg of ['@smithy/core', '@aws-sdk/core', '@aws-sdk/xml-builder']) {
    const root = join(REPO_ROOT, 'node_modules', pkg, 'dist-es');
    for (const entry of readdirSync(root, { withFileTypes: true, recursive: true }))
      if (entry.isFile() && entry.name === 'index.js' && entry.parentPath !== root)
        names.add(entry.parentPath.split(sep).at(-1) ?? '');
  }
  const alternatives = [...names].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return new RegExp(`^\\.\\.?\\/(.*\\/)?(${alternatives})$`);
}

/**
 * The directory of the copy of `specifier`'s package that an import from `dir` reaches (Node's
 * lookup: the nearest `node_modules` up the tree that has it).
 */
function packageCopy(dir: string, specifier: string): string {
  const pkg = specifier.split('/').slice(0, 2).join('/');
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', pkg);
    if (existsSync(candidate)) return candidate;
    if (dirname(at) === at) return pkg;
  }
}

/** One re-export line of a barrel: `export { A, B as C } from "./a";` (one line or several). */
const REEXPORT = /^export \{([^}]*)\} from "([^"]+)";$/gm;
/** The namespace of the modules {@link flatSdkBarrels} writes (their paths are absolute). */
export const BARREL_NAMESPACE = 'switchyard-barrel';
/** The specifier, then the path's suffix, of a barrel's own code (its lines but the re-exports). */
const LOCAL_PREFIX = 'switchyard-barrel-local:';
const LOCAL_SUFFIX = '?local';
const NAMES_SUFFIX = '?names=';

/** A barrel module: what it re-exports from where, and its own code without those lines. */
export interface Barrel {
  /** By exported name: the module and the name there (`export { A as B } from "./a"`: B → ./a, A). */
  readonly reexports: ReadonlyMap<string, { readonly from: string; readonly name: string }>;
  /** Its other lines (imports, its own exports), or undefined when it has none. */
  readonly own?: string;
}

/** A barrel module's re-exports and its own code (see {@link Barrel}). */
export function parseBarrel(text: string): Barrel {
  const reexports = new Map<string, { from: string; name: string }>();
  const own = text.replace(REEXPORT, (_line, names: string, from: string) => {
    for (const [name, as] of specifiers(names)) reexports.set(as, { from, name });
    return '';
  });
  return { reexports, ...(own.trim() === '' ? {} : { own }) };
}

/** `A, B as C, ` as [exported-or-imported name, local name] pairs. */
function specifiers(list: string): [string, string][] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const [name = s, as = name] = s.split(/\s+as\s+/);
      return [name, as];
    });
}

/**
 * The names a module's text imports or re-exports from `specifier` (`import { A, B as C } from
 * "x"`, `export { A } from "x"`, in any number of statements), or `all` when it takes the module in a
 * form that names no list (`import * as`, `export * from`, a default or side-effect import,
 * `import("x")`) or names it in none this can read.
 */
export function namesImported(text: string, specifier: string): readonly string[] | 'all' {
  const quoted = `["']${specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}["']`;
  const listed = new RegExp(`(?:^|[;\\s])(?:import|export)\\s*\\{([^}]*)\\}\\s*from\\s*${quoted}`, 'g');
  const any = new RegExp(`(?:from|import)\\s*\\(?\\s*${quoted}`, 'g');
  const names = new Set<string>();
  let count = 0;
  for (const match of text.matchAll(listed)) {
    count++;
    for (const [name] of specifiers(match[1] ?? '')) names.add(name);
  }
  const all = [...text.matchAll(any)].length;
  return count === 0 || all !== count ? 'all' : [...names].sort();
}

/**
 * The text of the module that stands for `barrel` to an importer of `names` (or of all it exports):
 * each name re-exported straight from the module that defines it, and the barrel's own exports from
 * its own code (one module for every importer, {@link LOCAL_PREFIX}). Throws when the barrel exports
 * no such name.
 */
export function flatBarrelModule(path: string, barrel: Barrel, names: readonly string[] | 'all'): string {
  const local = JSON.stringify(`${LOCAL_PREFIX}${path}`);
  if (names === 'all')
    return [
      ...[...barrel.reexports].map(
        ([as, r]) => `export { ${r.name} as ${as} } from ${JSON.stringify(r.from)};`,
      ),
      ...(barrel.own === undefined ? [] : [`export * from ${local};`]),
    ].join('\n');
  return names
    .map((name) => {
      const r = barrel.reexports.get(name);
      if (r) return `export { ${r.name} as ${name} } from ${JSON.stringify(r.from)};`;
      if (barrel.own !== undefined && new RegExp(`\\b${name}\\b`).test(barrel.own))
        return `export { ${name} } from ${local};`;
      throw new Error(
        `${path}: got an import of ${name}, expected one of the names this barrel module exports`,
      );
    })
    .join('\n');
}

/**
 * The esbuild plugin that flattens the SDK core's barrel modules (`@smithy/core/protocols`,
 * `@aws-sdk/core/protocols`, ...: an `index.js` of `export { ... } from "./x"` lines, with a few
 * lines of their own in some): each importer gets a module of its own that re-exports the names it
 * imports straight from the modules that define them. Built as one file, a function's bundle is the
 * same (esbuild drops what no one uses either way), but with code splitting (infra/bundling.ts),
 * esbuild puts a module in the entry's file, read at init, when any module the entry imports
 * statically imports it, and a barrel imports every module it re-exports: in the operator API, whose
 * other clients are lazy chunks (functions/aws/lazy-port.ts), the REST-XML and query protocols with
 * the XML parser (35 KB) came to its init through the DynamoDB client's import of the protocols'
 * barrel, though only the lazy Route 53, RDS, Auto Scaling and ELB clients use them. A barrel's own
 * code is one module for every importer (its classes stay one class). Not flattened: a module
 * another trim stands in for ({@link SDK_STAND_INS}), and any module but an `index.js`.
 */
export function flatSdkBarrels(): Plugin {
  return {
    name: 'switchyard-flat-sdk-barrels',
    setup(build) {
      const barrels = new Map<string, Barrel>();
      const written = new Map<string, string>();
      const barrelAt = (path: string): Barrel => {
        let barrel = barrels.get(path);
        if (!barrel) {
          barrel = parseBarrel(readFileSync(path, 'utf8'));
          barrels.set(path, barrel);
        }
        return barrel;
      };
      // Where each import resolves, by the copy of the package it reaches (a bare name) or by the
      // importer's directory (a relative one): one `build.resolve` for each.
      const resolving = new Map<string, Promise<{ path: string; errors: Message[] } | undefined>>();
      const resolveOnce = (args: OnResolveArgs, key: string) => {
        let pending = resolving.get(key);
        if (!pending) {
          pending = build
            .resolve(args.path, {
              kind: args.kind,
              importer: args.importer,
              resolveDir: args.resolveDir,
              pluginData: BARREL_NAMESPACE,
            })
            .then((r) =>
              r.errors.length > 0 ? { path: '', errors: r.errors } : flattens(r) ? r : undefined,
            );
          resolving.set(key, pending);
        }
        return pending;
      };
      const flattens = (r: { path: string; namespace: string }) =>
        r.namespace === 'file' &&
        r.path.endsWith(`${sep}index.js`) &&
        BARREL_PACKAGES.test(r.path) &&
        !SDK_STAND_INS.some((s) => s.file.test(r.path)) &&
        barrelAt(r.path).reexports.size > 0;
      // The names each importer takes from each specifier, its text read once.
      const texts = new Map<string, string>();
      const importedBy = (args: OnResolveArgs): readonly string[] | 'all' => {
        let text = texts.get(args.importer);
        if (text === undefined) {
          text =
            args.namespace === BARREL_NAMESPACE
              ? (written.get(args.importer) ?? '')
              : readFileSync(args.importer, 'utf8');
          texts.set(args.importer, text);
        }
        return namesImported(text, args.path);
      };
      const onImport = async (args: OnResolveArgs, key: string) => {
        if (args.pluginData === BARREL_NAMESPACE) return undefined;
        const resolved = await resolveOnce(args, key);
        if (!resolved || resolved.errors.length > 0) return resolved && { errors: resolved.errors };
        const names = args.kind === 'dynamic-import' ? 'all' : importedBy(args);
        return {
          path: `${resolved.path}${NAMES_SUFFIX}${names === 'all' ? '*' : names.join(',')}`,
          namespace: BARREL_NAMESPACE,
        };
      };
      build.onResolve({ filter: BARREL_PACKAGE_IMPORT }, (args) =>
        onImport(args, `${packageCopy(args.resolveDir, args.path)}\0${args.path}`),
      );
      // A relative import of a barrel is of a directory (`./aws_sdk`): only names of the directories
      // that hold one in these packages reach the callback.
      build.onResolve({ filter: relativeBarrelImport() }, (args) =>
        BARREL_PACKAGES.test(args.importer) ? onImport(args, join(args.resolveDir, args.path)) : undefined,
      );
      build.onResolve({ filter: new RegExp(`^${LOCAL_PREFIX}`) }, (args) => ({
        path: `${args.path.slice(LOCAL_PREFIX.length)}${LOCAL_SUFFIX}`,
        namespace: BARREL_NAMESPACE,
      }));
      build.onLoad({ filter: /.*/, namespace: BARREL_NAMESPACE }, (args) => {
        const own = args.path.endsWith(LOCAL_SUFFIX);
        const path = own
          ? args.path.slice(0, -LOCAL_SUFFIX.length)
          : (args.path.split(NAMES_SUFFIX)[0] ?? '');
        const barrel = barrelAt(path);
        const list = args.path.split(NAMES_SUFFIX)[1] ?? '';
        const contents = own
          ? (barrel.own ?? '')
          : flatBarrelModule(path, barrel, list === '*' ? 'all' : list === '' ? [] : list.split(','));
        written.set(args.path, contents);
        return { contents, loader: 'js', resolveDir: dirname(path) };
      });
    },
  };
}

import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Sha256 } from '@aws-crypto/sha256-js';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdaptiveRetryStrategy,
  collectBlob,
  collectReadableStream,
  createUserAgentStringParsingProvider,
  EndpointCache,
  getInstanceMetadataRegion,
  resolveParamsForS3,
  Sha256Js,
  SignatureV4MultiRegion,
  sdkStreamMixin,
} from '../../functions/aws/sdk-stand-ins.js';
import { esbuildOptions } from '../../infra/bundling.js';
import { FUNCTIONS_DIR, REPO_ROOT } from '../../infra/paths.js';
import {
  exceptionsOurCodeImports,
  flatBarrelModule,
  namesImported,
  parseBarrel,
  purePaginators,
  pureSchemaDefinitions,
  retryableExceptions,
  SDK_STAND_INS,
  standInModule,
  trimSchemasModule,
} from '../../infra/sdk-trims.js';
import { type LocalDynamo, startLocalDynamo } from '../../sandbox/dynamo.js';

// What the bundles leave out of the SDK clients (infra/sdk-trims.ts): the exceptions no code of ours
// matches, and each client's package.json but its version. Built with the functions' own options.

const outdir = mkdtempSync(join(tmpdir(), 'switchyard-sdk-trims-'));
const FIXTURE = join(REPO_ROOT, 'test/infra/fixtures/bundles/sdk-errors.ts');
const CLIENTS_FIXTURE = join(REPO_ROOT, 'test/infra/fixtures/bundles/sdk-clients.ts');
const trimmed = join(outdir, 'trimmed', 'index.mjs');
const untrimmed = join(outdir, 'untrimmed', 'index.mjs');
const clientsBundle = join(outdir, 'clients', 'index.mjs');
const untrimmedClientsBundle = join(outdir, 'clients-untrimmed', 'index.mjs');
let clientsInputs: string[] = [];
let untrimmedClientsInputs: string[] = [];

/** The input paths that put bytes into a build's package: its entry and its chunks. */
function inputsOf(metafile: Metafile): string[] {
  return Object.entries(metafile.outputs)
    .filter(([path]) => path.endsWith('.mjs'))
    .flatMap(([, output]) =>
      Object.entries(output.inputs).flatMap(([path, input]) => (input.bytesInOutput > 0 ? [path] : [])),
    );
}

beforeAll(async () => {
  await build({ ...esbuildOptions(FIXTURE, trimmed, []), logLevel: 'silent' });
  await build({ ...esbuildOptions(FIXTURE, untrimmed, []), plugins: [], logLevel: 'silent' });
  const clients = await build({
    ...esbuildOptions(CLIENTS_FIXTURE, clientsBundle, []),
    metafile: true,
    logLevel: 'silent',
  });
  clientsInputs = inputsOf(clients.metafile);
  const untrimmedClients = await build({
    ...esbuildOptions(CLIENTS_FIXTURE, untrimmedClientsBundle, []),
    plugins: [],
    metafile: true,
    logLevel: 'silent',
  });
  untrimmedClientsInputs = inputsOf(untrimmedClients.metafile);
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** What the bundled fixture's RDS client throws for an error response with this code and status. */
function thrown(bundle: string, code: string, status: number): Record<string, unknown> {
  const run = spawnSync(process.execPath, [bundle, code, String(status)], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH },
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the fixture printed no RESULT: ${run.stderr}`);
  return JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>;
}

describe('the SDK exception trim', () => {
  it('keeps an exception our code matches: it is thrown as its own class', () => {
    expect(thrown(trimmed, 'GlobalClusterNotFoundFault', 404)).toMatchObject({
      name: 'GlobalClusterNotFoundFault',
      globalClusterNotFound: true,
      base: true,
    });
  });

  it("surfaces an exception no code of ours matches as the service's base exception, with AWS's code as its name and its message", () => {
    // Act
    const untrimmedError = thrown(untrimmed, 'DBProxyNotFoundFault', 404);
    const trimmedError = thrown(trimmed, 'DBProxyNotFoundFault', 404);

    // Assert: only the class differs; our translation passes both through unchanged
    expect(untrimmedError).toMatchObject({ dbProxyNotFound: true });
    expect(trimmedError).toEqual({
      ...untrimmedError,
      dbProxyNotFound: false,
    });
    expect(trimmedError).toMatchObject({
      name: 'DBProxyNotFoundFault',
      message: 'what AWS said about DBProxyNotFoundFault',
      fault: 'client',
      status: 404,
      base: true,
      translated: 'unchanged',
    });
  }, 60_000);

  it('still classifies an unmodelled server fault and throttling by name and status, as the SDK retries do', () => {
    expect(thrown(trimmed, 'InternalFailure', 500)).toMatchObject({
      name: 'InternalFailure',
      fault: 'server',
      translated: 'TransientAwsError',
    });
    expect(thrown(trimmed, 'Throttling', 400)).toMatchObject({
      name: 'Throttling',
      translated: 'ThrottledError',
    });
  }, 60_000);

  it('drops most of the modelled exceptions from the bundle, and every client package.json but its version', () => {
    const trimmedCode = readFileSync(trimmed, 'utf8');
    const untrimmedCode = readFileSync(untrimmed, 'utf8');
    // Checked as booleans: a failure must not print a bundle.
    const has = (code: string, text: string) => code.includes(text);
    expect(has(untrimmedCode, 'DBProxyTargetGroupNotFoundFault')).toBe(true);
    expect(has(trimmedCode, 'DBProxyTargetGroupNotFoundFault')).toBe(false);
    expect(has(untrimmedCode, 'AWS SDK for JavaScript Rds Client')).toBe(true);
    expect(has(trimmedCode, 'AWS SDK for JavaScript Rds Client')).toBe(false);
    const { version } = JSON.parse(
      readFileSync(join(REPO_ROOT, 'node_modules/@aws-sdk/client-rds/package.json'), 'utf8'),
    ) as { version: string };
    expect(has(trimmedCode, `{version:"${version}"}`)).toBe(true);
    expect(trimmedCode.length).toBeLessThan(untrimmedCode.length - 40 * 1024);
  });
});

describe('what the trim keeps', () => {
  it('finds the exception classes our code imports, across lines, and not type-only imports', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-imports-'));
    mkdirSync(join(dir, 'aws'));
    writeFileSync(
      join(dir, 'aws', 'a.ts'),
      `import {\n  DBClusterNotFoundFault,\n  type DBCluster,\n  RDSClient as Client,\n} from '@aws-sdk/client-rds';\nimport type { GlobalCluster } from '@aws-sdk/client-rds';\n`,
    );

    // Act
    const imported = exceptionsOurCodeImports(dir);
    rmSync(dir, { recursive: true, force: true });

    // Assert
    expect([...(imported.get('@aws-sdk/client-rds') ?? [])]).toEqual(['DBClusterNotFoundFault', 'RDSClient']);
  });

  it('refuses a client imported in a form whose names it cannot see (a namespace, a dynamic import)', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-imports-'));
    writeFileSync(
      join(dir, 'a.ts'),
      `import * as rds from '@aws-sdk/client-rds';\nconst sfn = await import('@aws-sdk/client-sfn');\n`,
    );

    // Act
    const scan = () => exceptionsOurCodeImports(dir);

    // Assert
    try {
      expect(scan).toThrow(
        /a\.ts: imports an @aws-sdk\/client-\* package other than by `import \{ \.\.\. \} from` \(got 2 such import\(s\)\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps every exception functions/ matches with instanceof', () => {
    const imported = exceptionsOurCodeImports(FUNCTIONS_DIR);
    expect(imported.get('@aws-sdk/client-rds')).toContain('InvalidGlobalClusterStateFault');
    expect(imported.get('@aws-sdk/client-dynamodb')).toContain('ConditionalCheckFailedException');
    expect(imported.get('@aws-sdk/client-route53-recovery-cluster')).toContain('ConflictException');
  });

  it('keeps the exceptions with a retryable trait, which the SDK reads from the instance', () => {
    const errors = (pkg: string) =>
      readFileSync(join(REPO_ROOT, `node_modules/@aws-sdk/${pkg}/dist-es/models/errors.js`), 'utf8');
    expect([...retryableExceptions(errors('client-dynamodb'))]).toEqual(['ReplicatedWriteConflictException']);
    expect([...retryableExceptions(errors('client-rds'))]).toEqual([]);
  });

  it("marks pure the schema definitions whose traits are computed keys, exported or the module's own lists, and fails when there is none", () => {
    // Arrange
    const module = [
      'export var A$ = [9, n0, _A,',
      '    { [_ht]: ["POST", "/a", 200] }, () => AR$, () => AS$',
      '];',
      'export var AR$ = [3, n0, _AR, 0, [_N], [0]];',
      'var ARList = [1, n0, _ARL,',
      '    0, [() => AR$,',
      '        { [_xN]: _AR }]',
      '];',
      'var Names = 64 | 0;',
    ].join('\n');

    // Act
    const result = pureSchemaDefinitions('@aws-sdk/client-x', module);

    // Assert
    expect(result).toEqual({
      contents: [
        'export var A$ = /* @__PURE__ */ (() => [9, n0, _A,',
        '    { [_ht]: ["POST", "/a", 200] }, () => AR$, () => AS$',
        '])();',
        'export var AR$ = [3, n0, _AR, 0, [_N], [0]];',
        'var ARList = /* @__PURE__ */ (() => [1, n0, _ARL,',
        '    0, [() => AR$,',
        '        { [_xN]: _AR }]',
        '])();',
        'var Names = 64 | 0;',
      ].join('\n'),
      marked: 2,
    });
    expect(() => pureSchemaDefinitions('@aws-sdk/client-x', 'export const x = 1;')).toThrow(
      /@aws-sdk\/client-x: its schemas module defines no schema as expected .* the SDK's layout changed/,
    );
  });

  it("marks pure the document client's paginators, and fails when there is none", () => {
    const module = [
      'import { createPaginator } from "@smithy/core";',
      'export const paginateScan = createPaginator(DynamoDBDocumentClient, ScanCommand, "ExclusiveStartKey", "LastEvaluatedKey", "Limit");',
    ].join('\n');

    expect(purePaginators('ScanPaginator.js', module)).toBe(
      [
        'import { createPaginator } from "@smithy/core";',
        'export const paginateScan = /* @__PURE__ */ createPaginator(DynamoDBDocumentClient, ScanCommand, "ExclusiveStartKey", "LastEvaluatedKey", "Limit");',
      ].join('\n'),
    );
    expect(() => purePaginators('ScanPaginator.js', 'export const x = 1;')).toThrow(
      /ScanPaginator\.js: got no `export const paginateX = createPaginator\(\.\.\.\)`, expected the document client's paginator: the SDK's layout changed/,
    );
  });

  it("keeps the service's base exception, and fails when the SDK's layout changed (nothing to trim)", () => {
    const module = [
      '_s_registry.registerError(XServiceException$, XServiceException);',
      'n0_registry.registerError(AFault$, AFault);',
      'n0_registry.registerError(BFault$, BFault);',
    ].join('\n');
    const result = trimSchemasModule('@aws-sdk/client-x', module, new Set(['BFault']));
    expect(result).toEqual({
      contents:
        '_s_registry.registerError(XServiceException$, XServiceException);\nn0_registry.registerError(BFault$, BFault);',
      kept: ['BFault'],
      dropped: ['AFault'],
    });
    expect(() => trimSchemasModule('@aws-sdk/client-x', 'export const x = 1;', new Set())).toThrow(
      /@aws-sdk\/client-x: its schemas module registers no exception as expected .* the SDK's layout changed/,
    );
  });
});

describe('the SDK modules no path of ours reaches, replaced by stand-ins', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  }, 60_000);
  afterAll(async () => {
    await dynamo?.close();
  });

  it("leaves the endpoint cache (with mnemonist), the adaptive retry strategy, the JavaScript SHA-256, the instance metadata region, the SigV4a signer, the browser's user agent (bowser), the web-stream body helpers and S3's endpoint parameters out of the package", () => {
    const replaced = [
      'node_modules/@aws-sdk/endpoint-cache/dist-es/EndpointCache.js',
      'node_modules/mnemonist/lru-cache.js',
      'node_modules/@smithy/core/dist-es/submodules/retry/util-retry/AdaptiveRetryStrategy.js',
      'node_modules/@smithy/core/dist-es/submodules/retry/util-retry/DefaultRateLimiter.js',
      'node_modules/@smithy/core/dist-es/submodules/checksum/sha256/Sha256Js.js',
      'node_modules/@smithy/core/dist-es/submodules/config/config-resolver/regionConfig/getInstanceMetadataRegion.js',
      'node_modules/@aws-sdk/signature-v4-multi-region/dist-es/SignatureV4MultiRegion.js',
      // Unused, but code splitting writes the chunk of its `import("bowser")` into the package.
      'node_modules/bowser/bowser.mjs',
      // The web-stream body helpers (Route 53's REST protocol reaches the mixin), and S3's endpoint
      // parameters.
      'node_modules/@smithy/core/dist-es/submodules/serde/util-stream/sdk-stream-mixin.browser.js',
      'node_modules/@smithy/core/dist-es/submodules/serde/util-stream/stream-collector.browser.js',
      'node_modules/@smithy/core/dist-es/submodules/serde/util-base64/toBase64.browser.js',
      'node_modules/@smithy/core/dist-es/submodules/endpoints/middleware-endpoint/service-customizations/s3.js',
    ];
    // Without the trims the bundle has each of them; with them, none, and the stand-ins instead.
    expect(replaced.filter((p) => untrimmedClientsInputs.includes(p))).toEqual(replaced);
    expect(replaced.filter((p) => clientsInputs.includes(p))).toEqual([]);
    expect(clientsInputs.some((p) => p.startsWith('node_modules/obliterator/'))).toBe(false);
    expect(clientsInputs).toContain('functions/aws/sdk-stand-ins.ts');
  });

  /** What a bundle of the clients fixture printed, run against this test's dynalite. */
  async function runClients(bundle: string, env: Record<string, string>): Promise<Record<string, unknown>> {
    // Asynchronously: dynalite answers from this process.
    const run = await promisify(execFile)(process.execPath, [bundle, dynamo.endpoint, dynamo.tableName], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, ...env },
    });
    const line =
      run.stdout.split('\n').find((l) => l.startsWith('RESULT ')) ?? `RESULT ${JSON.stringify(run.stderr)}`;
    return JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>;
  }

  it('still signs, retries, serializes and parses: DynamoDB through the client factory over the wire, a throttled RDS call retried, a Route 53 change, an EventBridge event signed with SigV4', async () => {
    // Act: AWS_RETRY_MODE=adaptive would select the stand-in, were the factory not to name 'standard'
    const trimmedRun = await runClients(clientsBundle, { AWS_RETRY_MODE: 'adaptive' });
    const untrimmedRun = await runClients(untrimmedClientsBundle, {});

    // Assert: what the clients sent and parsed is what the untrimmed SDK sends and parses
    expect(trimmedRun).toEqual(untrimmedRun);
    expect(trimmedRun).toMatchObject({
      item: { pk: 'trim', sk: 'check', n: 1 },
      rdsAttempts: 2,
      rdsStatus: 'available',
      rdsMembers: [
        {
          DBClusterArn: 'arn:aws:rds:us-east-1:111111111111:cluster:a',
          Readers: ['arn:aws:rds:us-west-2:111111111111:cluster:b'],
          IsWriter: true,
        },
      ],
      rdsCluster: [
        {
          DBClusterIdentifier: 'b',
          DBClusterArn: 'arn:aws:rds:us-west-2:111111111111:cluster:b',
          Status: 'available',
          GlobalClusterIdentifier: 'g',
          DBClusterMembers: [{ DBInstanceIdentifier: 'b-1', IsClusterWriter: false }],
        },
      ],
      rdsInstances: [{ DBInstanceIdentifier: 'b-1', DBInstanceStatus: 'creating', DBClusterIdentifier: 'b' }],
      route53Request: { method: 'POST', path: '/2013-04-01/hostedzone/Z1/rrset' },
      route53Change: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: '2026-11-30T00:00:00.000Z' },
      eventsAuthorization: expect.stringMatching(
        /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/DATE\/us-east-1\/events\/aws4_request, SignedHeaders=/,
      ),
      eventId: 'e-1',
    });
    expect((trimmedRun.route53Request as { body: string }).body).toContain(
      '<Failover>PRIMARY</Failover><AliasTarget><HostedZoneId>Z2</HostedZoneId><DNSName>lb.example.com</DNSName>',
    );
  }, 60_000);

  // Schema names in the untrimmed bundle and not in the trimmed one, beside one the trims keep.
  it.each([
    {
      what: "the schemas of the operations no command of ours sends, though their traits are computed keys (Route 53's)",
      dropped: 'CreateHostedZoneRequest',
      kept: 'ChangeResourceRecordSetsRequest',
    },
    {
      // DescribeAccountAttributes' quotas, no operation of ours; the members DescribeGlobalClusters
      // answers (their parse is checked above).
      what: "the lists no kept schema names, though their members' XML names are computed keys (RDS's)",
      dropped: 'AccountQuotaList',
      kept: 'GlobalClusterMemberList',
    },
    {
      what: "the document client's paginators no code of ours calls, with the Scan command they named",
      dropped: 'ScanInput',
      kept: 'GetItemInput',
    },
  ])('drops $what, and keeps what a command of ours names', ({ dropped, kept }) => {
    const trimmedCode = readFileSync(clientsBundle, 'utf8');
    const untrimmedCode = readFileSync(untrimmedClientsBundle, 'utf8');
    // Checked as booleans: a failure must not print a bundle.
    expect(untrimmedCode.includes(`"${dropped}"`)).toBe(true);
    expect(trimmedCode.includes(`"${dropped}"`)).toBe(false);
    expect(trimmedCode.includes(`"${kept}"`)).toBe(true);
  });

  it('stands for each module with one that fails saying why it is unreachable, or answers no instance metadata region', async () => {
    expect(() => new EndpointCache().getEndpoint('k')).toThrow(
      /DynamoDB's endpoint discovery \(its endpoint cache\) is not bundled .* expected none/,
    );
    expect(() => new AdaptiveRetryStrategy()).toThrow(
      /the adaptive retry mode is not bundled .* got retryMode 'adaptive', expected 'standard'/,
    );
    expect(() => new Sha256Js()).toThrow(/the JavaScript SHA-256 is not bundled/);
    await expect(getInstanceMetadataRegion()).resolves.toBeUndefined();
    expect(() => createUserAgentStringParsingProvider()).toThrow(
      /the browser's user agent \(bowser\) is not bundled .* expected its Node one/,
    );
    expect(() => sdkStreamMixin({})).toThrow(
      /the SDK's web-stream body helpers is not bundled .* expected the Node HTTP handler's IncomingMessage/,
    );
    await expect(collectBlob(new Blob([]))).rejects.toThrow(/web-stream body collector is not bundled/);
    await expect(collectReadableStream(new ReadableStream())).rejects.toThrow(
      /web-stream body collector is not bundled .* got a Blob or ReadableStream response body/,
    );
    await expect(resolveParamsForS3({ Bucket: 'b' })).rejects.toThrow(
      /S3's endpoint parameters is not bundled .* got a client whose serviceId is s3/,
    );
    expect(SignatureV4MultiRegion.sigv4aDependency()).toBe('none');
    const signer = new SignatureV4MultiRegion({
      credentials: { accessKeyId: 'a', secretAccessKey: 's' },
      region: 'us-east-1',
      service: 'events',
      sha256: Sha256,
    });
    await expect(
      signer.sign(
        {
          method: 'POST',
          protocol: 'https:',
          hostname: 'events.amazonaws.com',
          path: '/',
          headers: {},
          query: {},
        },
        { signingRegion: '*' },
      ),
    ).rejects.toThrow(/SigV4a signing is not bundled .* we send no EndpointId/);
  });

  it("relies on no DynamoDB command discovering endpoints (the endpoint cache's one reader)", () => {
    const commands = join(REPO_ROOT, 'node_modules/@aws-sdk/client-dynamodb/dist-es/commands');
    const discovering = readdirSync(commands).filter((f) =>
      readFileSync(join(commands, f), 'utf8').includes('getEndpointDiscovery'),
    );
    expect(discovering).toEqual([]);
  });

  it("refuses to stand in for a module that no longer exports what it replaces (the SDK's layout changed)", () => {
    const [cache] = SDK_STAND_INS;
    if (!cache) throw new Error('no stand-in');
    expect(standInModule('x/index.js', 'export { EndpointCache } from "./EndpointCache";', cache)).toMatch(
      /^export \{ EndpointCache \} from ".*sdk-stand-ins\.ts";/,
    );
    expect(() => standInModule('x/index.js', 'export { LruCache } from "./LruCache";', cache)).toThrow(
      /x\/index\.js: got no export EndpointCache, expected the module the stand-in of infra\/sdk-trims\.ts replaces/,
    );
    // A module whose exports are functions, async ones too (the web-stream body collector).
    const collector = SDK_STAND_INS.find((s) => s.exports.includes('collectBlob'));
    if (!collector) throw new Error('no collector stand-in');
    const original =
      'export async function collectBlob(blob) {}\nexport async function collectReadableStream(s) {}';
    expect(standInModule('x/c.js', original, collector)).toMatch(
      /^export \{ collectBlob, collectReadableStream \} from/,
    );
    expect(() => standInModule('x/c.js', 'export async function collectBlob(blob) {}', collector)).toThrow(
      /got no export collectReadableStream/,
    );
  });
});

describe("the SDK core's barrel modules, flattened for each importer", () => {
  const barrel = parseBarrel(
    [
      'import { bindV4 } from "./uuid/v4";',
      'export { toBase64, fromBase64 } from "./base64";',
      'export { HttpRequest as Request, } from "@smithy/core/transport";',
      'export const v4 = bindV4(Math.random);',
      '',
    ].join('\n'),
  );

  it('reads what a barrel re-exports from where, and keeps its own code', () => {
    expect(Object.fromEntries(barrel.reexports)).toEqual({
      toBase64: { from: './base64', name: 'toBase64' },
      fromBase64: { from: './base64', name: 'fromBase64' },
      Request: { from: '@smithy/core/transport', name: 'HttpRequest' },
    });
    expect(barrel.own).toContain('export const v4 = bindV4(Math.random);');
    expect(barrel.own).not.toContain('./base64');
    expect(parseBarrel('export { A } from "./a";\n').own).toBeUndefined();
  });

  it('finds the names an importer takes from a barrel, or all of it when it names no list', () => {
    const importer = [
      'import { toBase64, fromBase64 as from64 } from "@smithy/core/serde";',
      'import {',
      '  v4,',
      '} from "@smithy/core/serde";',
      'export { Request } from "@smithy/core/serde";',
      'import { other } from "@smithy/core/serdes";',
    ].join('\n');
    expect(namesImported(importer, '@smithy/core/serde')).toEqual([
      'Request',
      'fromBase64',
      'toBase64',
      'v4',
    ]);
    expect(namesImported('import * as serde from "@smithy/core/serde";', '@smithy/core/serde')).toBe('all');
    expect(namesImported('export * from "./serde";', './serde')).toBe('all');
    expect(
      namesImported('import { v4 } from "./serde";\nconst m = await import("./serde");', './serde'),
    ).toBe('all');
  });

  it("writes for an importer each name straight from its module, and the barrel's own from its own code", () => {
    expect(flatBarrelModule('/p/index.js', barrel, ['Request', 'toBase64', 'v4']).split('\n')).toEqual([
      'export { HttpRequest as Request } from "@smithy/core/transport";',
      'export { toBase64 as toBase64 } from "./base64";',
      'export { v4 } from "switchyard-barrel-local:/p/index.js";',
    ]);
    expect(flatBarrelModule('/p/index.js', barrel, 'all')).toContain(
      'export * from "switchyard-barrel-local:/p/index.js";',
    );
    expect(() => flatBarrelModule('/p/index.js', barrel, ['missing'])).toThrow(
      /\/p\/index\.js: got an import of missing, expected one of the names this barrel module exports/,
    );
  });
});

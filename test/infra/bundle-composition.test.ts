import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTE53_CONTROL_PLANE_REGION } from '../../functions/aws/client-factory.js';
import { EventStreamSerde, eventStreamSerdeProvider } from '../../functions/aws/no-event-streams.js';
import { ROUTE53_CLIENT } from '../../functions/aws/sdk-clients.js';
import { initOutputs, packageOf } from '../../infra/bundle-measure.js';
import { esbuildOptions } from '../../infra/bundling.js';
import { HANDLERS_DIR, REPO_ROOT } from '../../infra/paths.js';

// Each function's bundle carries only the SDK clients of the adapters its use case takes
// (docs/architecture.md, "Bundles"): built with the stacks' own esbuild options.

const outdir = mkdtempSync(join(tmpdir(), 'switchyard-composition-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** A handler entry's package as the stacks build it: esbuild's metafile. */
async function metafileOf(entry: string): Promise<Metafile> {
  const options = esbuildOptions(join(HANDLERS_DIR, entry), join(outdir, entry, 'index.mjs'), []);
  return (await build({ ...options, metafile: true, logLevel: 'silent' })).metafile;
}

/** The entry's own output, `index.mjs` (each chunk behind an `import()` has an `entryPoint` too). */
async function outputOf(entry: string) {
  const outputs = (await metafileOf(entry)).outputs;
  return Object.entries(outputs).find(([path]) => basename(path) === 'index.mjs')?.[1];
}

/**
 * The input files (project paths and node_modules paths) that put bytes into a handler entry's
 * package (`init`: into the files Node reads at init, the entry and its static chunks).
 */
async function inputsOf(entry: string, init = false): Promise<string[]> {
  const metafile = await metafileOf(entry);
  const outputs = init
    ? initOutputs(metafile)
    : Object.keys(metafile.outputs).filter((path) => path.endsWith('.mjs'));
  return outputs.flatMap((output) =>
    Object.entries(metafile.outputs[output]?.inputs ?? {}).flatMap(([path, input]) =>
      input.bytesInOutput > 0 ? [path] : [],
    ),
  );
}

/** The npm packages that put bytes into the bundle of a handler entry. */
async function packagesIn(entry: string): Promise<Set<string>> {
  return new Set((await inputsOf(entry)).map(packageOf));
}

const CLIENTS = [
  '@aws-sdk/client-auto-scaling',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-elastic-load-balancing-v2',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-rds',
  '@aws-sdk/client-route-53',
  '@aws-sdk/client-route53-recovery-cluster',
  '@aws-sdk/client-sfn',
];

describe('bundle composition', () => {
  it.each([
    // It scales the target's groups out while the approver decides: the update only, no ELB.
    ['request-approval.ts', ['@aws-sdk/client-auto-scaling', '@aws-sdk/client-dynamodb']],
    // The health endpoint reads the traffic switch (one GetItem), nothing else.
    ['traffic-health.ts', ['@aws-sdk/client-dynamodb']],
    // It updates the group and reads none (CheckCapacity reads it, with its target health): no ELB.
    ['scale-capacity.ts', ['@aws-sdk/client-auto-scaling', '@aws-sdk/client-dynamodb']],
    // Its success path observes nothing: no Aurora, Route 53 or ARC client (RecordFailure has them),
    // and it only scales the old region down: no load balancer client.
    [
      'finish-execution.ts',
      ['@aws-sdk/client-auto-scaling', '@aws-sdk/client-dynamodb', '@aws-sdk/client-eventbridge'],
    ],
    [
      'evaluate-alarm.ts',
      [
        '@aws-sdk/client-cloudwatch',
        '@aws-sdk/client-dynamodb',
        '@aws-sdk/client-eventbridge',
        '@aws-sdk/client-sfn',
      ],
    ],
    // Aurora without its lag: the lag reader is a port of its own (aurora-lag.ts), so no CloudWatch
    // (AwaitEvent and WakeOnEvent, which continue a promotion, read its lag: they keep CloudWatch).
    ['prepare-database.ts', ['@aws-sdk/client-dynamodb', '@aws-sdk/client-rds']],
    ['check-prepare.ts', ['@aws-sdk/client-dynamodb', '@aws-sdk/client-rds']],
    // CheckDatabase reads the lag at promotion (the run's RPO), so it keeps CloudWatch, and moves
    // the run's traffic when its own read sees the promotion done (Route 53, ARC).
    [
      'check-database.ts',
      [
        '@aws-sdk/client-auto-scaling',
        '@aws-sdk/client-cloudwatch',
        '@aws-sdk/client-dynamodb',
        '@aws-sdk/client-elastic-load-balancing-v2',
        '@aws-sdk/client-rds',
        '@aws-sdk/client-route-53',
        '@aws-sdk/client-route53-recovery-cluster',
      ],
    ],
  ])(
    '%s bundles exactly the clients of its adapters',
    async (entry, expected) => {
      // Arrange: the entry as the stacks bundle it

      // Act
      const packages = await packagesIn(entry);

      // Assert
      expect(CLIENTS.filter((c) => packages.has(c))).toEqual(expected);
    },
    60_000,
  );

  it("loads the operator API's clients but DynamoDB's at the first request that calls their port, not at init", async () => {
    // Arrange: the operator API composes its ports over other clients lazily (operator-api-deps.ts)

    // Act
    const packaged = new Set((await inputsOf('operator-api.ts')).map(packageOf));
    const atInit = new Set((await inputsOf('operator-api.ts', true)).map(packageOf));

    // Assert: every client is in the package, only DynamoDB's in what Node reads at init
    expect(CLIENTS.filter((c) => packaged.has(c))).toEqual(CLIENTS);
    expect(CLIENTS.filter((c) => atInit.has(c))).toEqual(['@aws-sdk/client-dynamodb']);
  }, 60_000);

  it('reads the protocols only its lazy clients speak (REST-XML, query, the XML parser) with their chunks, not at init', async () => {
    // Arrange: the DynamoDB client at init imports the protocols' barrel modules, which re-export
    // every protocol (flatSdkBarrels, infra/sdk-trims.ts)
    const lazyOnly = [
      'node_modules/@smithy/core/dist-es/submodules/protocols/HttpBindingProtocol.js',
      'node_modules/@aws-sdk/core/dist-es/submodules/protocols/xml/AwsRestXmlProtocol.js',
      'node_modules/@aws-sdk/core/dist-es/submodules/protocols/query/AwsQueryProtocol.js',
      'node_modules/@aws-sdk/xml-builder/dist-es/xml-parser.js',
    ];

    // Act
    const packaged = await inputsOf('operator-api.ts');
    const atInit = await inputsOf('operator-api.ts', true);

    // Assert: in the package, not in what Node reads at init; DynamoDB's JSON protocol at init
    expect(lazyOnly.filter((p) => packaged.includes(p))).toEqual(lazyOnly);
    expect(lazyOnly.filter((p) => atInit.includes(p))).toEqual([]);
    expect(atInit).toContain(
      'node_modules/@aws-sdk/core/dist-es/submodules/protocols/json/AwsJson1_0Protocol.js',
    );
  }, 60_000);

  it("reads a lazy port's chunk at its first call, and the bundled adapter answers through it", async () => {
    // Arrange: a lazy Aurora port built as the functions are (code splitting)
    const fixture = join(REPO_ROOT, 'test/infra/fixtures/bundles/lazy-port.ts');
    const bundle = join(outdir, 'lazy-port', 'index.mjs');
    const result = await build({
      ...esbuildOptions(fixture, bundle, []),
      metafile: true,
      logLevel: 'silent',
    });

    // Act
    const run = spawnSync(process.execPath, [bundle], { encoding: 'utf8', timeout: 60_000 });
    const line =
      run.stdout.split('\n').find((l) => l.startsWith('RESULT ')) ?? `RESULT ${JSON.stringify(run.stderr)}`;

    // Assert: the RDS client is in a chunk the entry does not read at init, and it answered
    const atInit = initOutputs(result.metafile).flatMap((o) =>
      Object.keys(result.metafile.outputs[o]?.inputs ?? {}),
    );
    const packaged = Object.values(result.metafile.outputs).flatMap((o) => Object.keys(o.inputs));
    expect(atInit.some((p) => p.includes('@aws-sdk/client-rds/'))).toBe(false);
    expect(packaged.some((p) => p.includes('@aws-sdk/client-rds/'))).toBe(true);
    expect(JSON.parse(line.slice('RESULT '.length))).toMatchObject({
      operations: ['rds:DescribeGlobalClusters'],
      view: { id: 'g', status: 'available', writerRegion: 'us-east-1' },
    });
  }, 60_000);

  it("replaces the SDK's default credential chain by the environment provider (Lambda's role credentials)", async () => {
    // Arrange: a function with one client

    // Act
    const packages = await packagesIn('request-approval.ts');

    // Assert: none of the chain's providers, nor the SSO/STS clients they carry
    expect(packages).toContain('@aws-sdk/credential-provider-env');
    for (const chained of [
      '@aws-sdk/credential-provider-node',
      '@aws-sdk/credential-provider-ini',
      '@aws-sdk/credential-provider-sso',
      '@aws-sdk/nested-clients',
      '@smithy/credential-provider-imds',
    ])
      expect(packages, chained).not.toContain(chained);
  }, 60_000);

  it.each(['begin-execution.ts', 'operator-api.ts'])(
    '%s carries neither the plan schema nor what only it needs (zod chained API, croner)',
    async (entry) => {
      // Arrange: the plans are validated at synth and embedded as data (environment.ts)

      // Act
      const inputs = await inputsOf(entry);

      // Assert: zod/mini only, no plan validation
      expect(
        inputs.filter((p) => /zod\/v4\/classic\/|node_modules\/croner\/|core\/plan-schema\.ts/.test(p)),
      ).toEqual([]);
      expect(inputs.some((p) => p.includes('zod/v4/mini/'))).toBe(true);
    },
    60_000,
  );

  it('carries no event-stream support, which the SDK loads only for an event-stream operation (we call none)', async () => {
    // Arrange: a function whose clients speak JSON (DynamoDB) and one whose clients speak query (RDS)

    // Act
    const inputs = [...(await inputsOf('begin-execution.ts')), ...(await inputsOf('check-database.ts'))];

    // Assert: the SDK's module is replaced by one that fails saying why
    expect(inputs.filter((p) => p.includes('submodules/event-streams/'))).toEqual([]);
    expect(inputs).toContain('functions/aws/no-event-streams.ts');
    expect(() => new EventStreamSerde()).toThrow(/event streams are not bundled .* expected none/);
    expect(() => eventStreamSerdeProvider()).toThrow(/event streams are not bundled/);
  }, 60_000);

  it('loads node:dns at the first DNS question, not at import, even where the function reads DNS', async () => {
    // Arrange: CheckTraffic reads DNS answers (records mode)

    // Act
    const output = await outputOf('check-traffic.ts');

    // Assert
    const dns = (output?.imports ?? []).filter((i) => i.path.startsWith('node:dns'));
    expect(dns.map((i) => i.kind)).toEqual(['dynamic-import']);
  }, 60_000);

  it("names Route 53's control-plane region in its client spec as a literal (kept tree-shakable)", () => {
    expect(ROUTE53_CLIENT.fixedRegion).toBe(ROUTE53_CONTROL_PLANE_REGION);
  });
});

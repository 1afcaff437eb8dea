import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type PlanProblem, PlanValidationError } from '../../functions/core/errors.js';
import { MAX_PLAN_SECONDS, RegionName, show, validatePlan } from '../../functions/core/plan.js';
import { loadPlans, MAX_PLAN_FILE_BYTES, parsePlans } from '../../functions/core/plan-loader.js';
import { planRegistry } from '../../functions/core/plan-registry.js';
import { validatePlanDocuments } from '../../functions/core/plan-set.js';
import { AWS_REGIONS, KNOWN_REGIONS } from '../../functions/core/regions.js';

// Plans that must be refused, each with the usual problem (file, path, got, expected), and
// never with anything thrown but PlanValidationError.

const ordersYaml = await readFile('plans/orders.yaml', 'utf8');
const billingYaml = await readFile('plans/billing.yaml', 'utf8');

type Doc = Record<string, any>;
const edit = (text: string, change: (d: Doc) => void): string => {
  const doc = parse(text) as Doc;
  change(doc);
  return stringify(doc);
};

/** The problems `parsePlans` throws for these sources ([] when it accepts them). */
function problemsOf(sources: { file: string; text: string }[]): PlanProblem[] {
  try {
    parsePlans(sources);
    return [];
  } catch (error: unknown) {
    if (!(error instanceof PlanValidationError)) throw error;
    return [...error.problems];
  }
}

async function loadProblems(dir: string): Promise<PlanProblem[]> {
  try {
    await loadPlans(dir);
    return [];
  } catch (error: unknown) {
    if (!(error instanceof PlanValidationError)) throw error;
    return [...error.problems];
  }
}

/** Every problem names its file, a path (possibly the whole file), what was got and what was expected. */
function expectComplete(problems: readonly PlanProblem[]) {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(p.file).toEqual(expect.any(String));
    expect(typeof p.path).toBe('string');
    expect(p.got, JSON.stringify(p)).toEqual(expect.any(String));
    expect(p.expected, JSON.stringify(p)).toEqual(expect.any(String));
    expect(p.message.length).toBeLessThan(400);
    expect((p.got ?? '').length).toBeLessThanOrEqual(120);
  }
}

describe('plans that share an AWS resource', () => {
  // billing renamed so that only the shared resource conflicts.
  const other = (change: (d: Doc) => void) =>
    edit(billingYaml, (d) => {
      change(d);
    });

  it.each<[string, (d: Doc) => void, RegExp, string]>([
    [
      'a routing control ARN',
      (d) => {
        const orders = parse(ordersYaml) as Doc;
        d.traffic.arc = orders.traffic.arc;
      },
      /routing control is also in orders\.yaml \(plan orders\)/,
      'traffic.arc.routingControls.us-east-1',
    ],
    [
      'a Route 53 record (same zone, name and type; case and final dot aside)',
      (d) => {
        d.traffic.route53.records[0].name = 'API.Orders.example.com.';
      },
      /Route 53 record is also in orders\.yaml \(plan orders\)/,
      'traffic.route53.records[0]',
    ],
    [
      'an Aurora cluster ARN',
      (d) => {
        d.database.auroraGlobalClusters[0].members['us-west-2'] =
          'arn:aws:rds:us-west-2:111111111111:cluster:orders-usw2';
      },
      /Aurora cluster is also in orders\.yaml \(plan orders\)/,
      'database.auroraGlobalClusters[0].members.us-west-2',
    ],
    [
      'a global cluster id',
      (d) => {
        d.database.auroraGlobalClusters[0].globalClusterId = 'orders-global';
      },
      /global cluster is also in orders\.yaml \(plan orders\)/,
      'database.auroraGlobalClusters[0].globalClusterId',
    ],
    [
      'an Auto Scaling group in the same region',
      (d) => {
        d.compute.autoScalingGroups[1].members['us-east-1'] = 'orders-web-use1';
      },
      /Auto Scaling group is also in orders\.yaml \(plan orders\)/,
      'compute.autoScalingGroups[1].members.us-east-1',
    ],
  ])('refuses two plans sharing %s, naming both plans and files', (_what, change, message, path) => {
    const problems = problemsOf([
      { file: 'orders.yaml', text: ordersYaml },
      { file: 'billing.yaml', text: other(change) },
    ]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: 'billing.yaml', path, message: expect.stringMatching(message) }),
      ]),
    );
    for (const p of problems) {
      expect(p).toMatchObject({ file: 'billing.yaml', message: expect.stringMatching(message) });
      expect(p.message).toMatch(/plan billing would move plan orders/);
    }
    expectComplete(problems);
  });

  it('accepts the same record name with another type, and a group of the same name in another region', () => {
    const billing = other((d) => {
      d.traffic.route53.records[0].name = 'api.orders.example.com';
      d.traffic.route53.records[0].type = 'AAAA';
    });
    expect(
      problemsOf([
        { file: 'orders.yaml', text: ordersYaml },
        { file: 'billing.yaml', text: billing },
      ]),
    ).toEqual([]);
  });
});

describe('regions', () => {
  it('refuses a region that does not exist even when the plan uses it everywhere', () => {
    const text = ordersYaml.replaceAll('us-east-1', 'us-east-9');
    const problems = problemsOf([{ file: 'orders.yaml', text }]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'regions[0]',
          message: 'not an AWS region',
          got: 'us-east-9',
          expected: expect.stringMatching(/us-east-1, eu-west-1.*us-gov-west-1 or cn-north-1/),
        }),
      ]),
    );
    expectComplete(problems.filter((p) => p.message === 'not an AWS region'));
  });

  it('knows the commercial, GovCloud and China regions and no others', () => {
    for (const region of ['us-east-1', 'eu-central-2', 'ap-southeast-7', 'us-gov-west-1', 'cn-northwest-1'])
      expect(RegionName.safeParse(region).success, region).toBe(true);
    for (const region of ['us-east-9', 'US-EAST-1', 'us-iso-east-1', 'mars-north-1', '', 'us-east-1 '])
      expect(RegionName.safeParse(region).success, region).toBe(false);
  });

  it("matches the installed AWS SDK's partitions model", async () => {
    // The SDK ships the regions of each partition; a region added there must be added here.
    const path =
      '../../node_modules/@aws-sdk/core/dist-es/submodules/client/util-endpoints/lib/aws/partitions.js';
    const { partitionsInfo } = (await import(path)) as {
      partitionsInfo: { partitions: { id: string; regions: Record<string, unknown> }[] };
    };
    for (const [id, regions] of Object.entries(AWS_REGIONS)) {
      const sdk = partitionsInfo.partitions.find((p) => p.id === id);
      const listed = Object.keys(sdk?.regions ?? {}).filter((r) => !r.endsWith('-global'));
      expect([...regions].sort(), id).toEqual(listed.sort());
    }
    expect(KNOWN_REGIONS.size).toBe(Object.values(AWS_REGIONS).flat().length);
  });
});

describe('seconds fields', () => {
  it.each<[string, (d: Doc, v: number) => void]>([
    ['approvals.timeoutSeconds', (d, v) => (d.approvals.timeoutSeconds = v)],
    ['objectives.rtoSeconds', (d, v) => (d.objectives.rtoSeconds = v)],
    ['objectives.rpoSeconds', (d, v) => (d.objectives.rpoSeconds = v)],
    ['detection.sustainSeconds', (d, v) => (d.detection.sustainSeconds = v)],
    ['detection.cooldownSeconds', (d, v) => (d.detection.cooldownSeconds = v)],
    ['drills.soakSeconds', (d, v) => (d.drills.soakSeconds = v)],
  ])('bounds %s to one year (a Step Functions execution)', (path, set) => {
    const at = (v: number) => {
      const doc = parse(ordersYaml) as Doc;
      set(doc, v);
      return validatePlan(doc, 'orders.yaml').problems;
    };
    expect(at(MAX_PLAN_SECONDS)).toEqual([]);
    for (const v of [MAX_PLAN_SECONDS + 1, 1e12]) {
      const problems = at(v);
      expect(problems).toEqual([
        expect.objectContaining({ path, got: String(v), expected: `<= ${MAX_PLAN_SECONDS}` }),
      ]);
    }
  });
});

describe('files that are not plans', () => {
  const bomb = [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`),
  ].join('\n');

  it.each<[string, string, { path: RegExp; message: RegExp; got: RegExp }]>([
    [
      'an alias bomb',
      bomb,
      { path: /^line 2:\d+$/, message: /aliases expand too much/, got: /more than 100 alias/ },
    ],
    ['an undefined alias', 'name: *nope\n', { path: /^line 1:7$/, message: /not defined/, got: /^\*nope$/ }],
    ['an empty file', '', { path: /^$/, message: /one YAML mapping/, got: /^an empty file$/ }],
    ['a list', '- name: orders\n', { path: /^$/, message: /one YAML mapping/, got: /a list of 1 item/ }],
    ['a scalar', 'orders\n', { path: /^$/, message: /one YAML mapping/, got: /a string: orders/ }],
    [
      'flow nesting 100,000 deep',
      `name: ${'['.repeat(100_000)}`,
      { path: /^line 1:\d+$/, message: /nested too deeply/, got: /more than 32/ },
    ],
    [
      'block nesting 200 deep',
      Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'),
      { path: /^line \d+:\d+$/, message: /nested too deeply/, got: /more than 32/ },
    ],
    [
      'aliases nesting deep',
      'a: &a [[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]\nb: &b [[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]\n',
      { path: /^$/, message: /once its aliases are expanded/, got: /more than 32/ },
    ],
    [
      'two documents',
      `${ordersYaml}\n---\n${ordersYaml}`,
      { path: /^line \d+:\d+$/, message: /multiple documents/, got: /---/ },
    ],
    [
      'a huge file',
      `description: ${'x'.repeat(MAX_PLAN_FILE_BYTES)}\n`,
      { path: /^$/, message: /too large/, got: /^\d+ bytes$/ },
    ],
  ])('refuses %s with one problem naming file, path, got and expected', (_what, text, want) => {
    const problems = problemsOf([{ file: 'x.yaml', text }]);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'x.yaml',
        path: expect.stringMatching(want.path),
        message: expect.stringMatching(want.message),
        got: expect.stringMatching(want.got),
      }),
    ]);
    expectComplete(problems);
  });

  it('refuses a directory named *.yaml, an unreadable file, a huge file and a non-UTF-8 one, listing them all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-plans-'));
    await writeFile(join(dir, 'orders.yaml'), ordersYaml);
    await mkdir(join(dir, 'folder.yaml'));
    await symlink(join(dir, 'no-such-target'), join(dir, 'dangling.yaml'));
    await writeFile(join(dir, 'huge.yaml'), `description: ${'x'.repeat(2 * MAX_PLAN_FILE_BYTES)}\n`);
    await writeFile(join(dir, 'latin1.yaml'), Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    const problems = await loadProblems(dir);
    const byFile = Object.fromEntries(problems.map((p) => [p.file.split('/').pop(), p]));
    expect(Object.keys(byFile).sort()).toEqual([
      'dangling.yaml',
      'fifo.yaml',
      'folder.yaml',
      'huge.yaml',
      'latin1.yaml',
    ]);
    expect(byFile['folder.yaml']).toMatchObject({ message: 'not a regular file', got: 'a directory' });
    expect(byFile['fifo.yaml']).toMatchObject({
      message: 'not a regular file',
      got: expect.stringMatching(/FIFO/),
    });
    expect(byFile['dangling.yaml']).toMatchObject({
      message: 'cannot read the plan file',
      got: expect.stringMatching(/^ENOENT/),
    });
    expect(byFile['huge.yaml']).toMatchObject({ message: 'plan file too large' });
    expect(byFile['latin1.yaml']).toMatchObject({ message: 'not UTF-8 text' });
    expectComplete(problems);
  });
});

describe('documents that never went through YAML', () => {
  it('refuses a JSON plan document nested 100,000 deep (as a Lambda bundle embeds plans) with a problem', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = { name: deep };
    const error = (() => {
      try {
        validatePlanDocuments([{ file: 'bundle.json', document: deep }]);
      } catch (e: unknown) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PlanValidationError);
    expect((error as PlanValidationError).problems).toEqual([
      expect.objectContaining({
        file: 'bundle.json',
        message: 'plan nested too deeply',
        got: 'more than 32 levels',
      }),
    ]);
  });

  it('cuts a long app or region name in the refusals of the plan registry', () => {
    const plans = parsePlans([{ file: 'orders.yaml', text: ordersYaml }]);
    expect(() => planRegistry(plans).get('a'.repeat(5000))).toThrow(
      /^unknown app: got 'a{77}\.\.\.', expected one of orders$/,
    );
  });
});

describe('plan loader fuzzing (fast-check, fixed seed)', () => {
  /** Valid plans mutated: a value replaced at a random path, by random data. */
  const ordersDoc = parse(ordersYaml) as Doc;
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (value !== null && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(v, [...path, Array.isArray(value) ? Number(k) : k]);
  };
  walk(ordersDoc, []);

  const mutated = fc
    .tuple(
      fc.constantFrom(...paths),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(1e12, -1, '', 'us-east-9', null)),
    )
    .map(([path, value]) => {
      const doc = structuredClone(ordersDoc);
      if (path.length === 0) return stringify(value);
      let holder: any = doc;
      for (const key of path.slice(0, -1)) holder = holder[key];
      holder[path.at(-1) as string] = value;
      return stringify(doc);
    });

  /** Text edits of a valid plan: a slice cut out, a slice repeated, a YAML token inserted. */
  const edited = fc
    .tuple(
      fc.nat({ max: ordersYaml.length }),
      fc.nat({ max: 200 }),
      fc.constantFrom(
        '',
        '[',
        '{',
        '&a ',
        '*a',
        '*b ',
        '- ',
        ': ',
        '\t',
        '"',
        '!!binary ',
        '<<: *a\n',
        '---\n',
        '%YAML 1.2\n',
        '\u0000',
        ' #',
      ),
    )
    .map(([at, length, token]) => ordersYaml.slice(0, at) + token + ordersYaml.slice(at + length));

  const random = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v)),
  );

  it('never throws anything but the problem list, and every problem names file, got and expected', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, edited, random), (text) => {
        let problems: PlanProblem[];
        try {
          parsePlans([{ file: 'fuzz.yaml', text }]);
          return;
        } catch (error: unknown) {
          if (!(error instanceof PlanValidationError)) throw error;
          problems = [...error.problems];
        }
        expect(problems.length).toBeGreaterThan(0);
        for (const p of problems) {
          expect(p.file).toBe('fuzz.yaml');
          expect(typeof p.path).toBe('string');
          expect(typeof p.message).toBe('string');
          if (p.got !== undefined) expect(p.got.length).toBeLessThanOrEqual(120);
        }
      }),
      { seed: 20261130, numRuns: 100 },
    );
  });

  it('never throws anything but the problem list for any data given as a document (JSON in a bundle)', () => {
    const anything = fc.anything({
      maxDepth: 4,
      withBigInt: true,
      withDate: true,
      withNullPrototype: true,
      withSparseArray: true,
    });
    const mutatedData = fc
      .tuple(fc.constantFrom(...paths.filter((p) => p.length > 0)), anything)
      .map(([path, value]) => {
        const doc = structuredClone(ordersDoc);
        let holder: any = doc;
        for (const key of path.slice(0, -1)) holder = holder[key];
        holder[path.at(-1) as string] = value;
        return doc;
      });
    fc.assert(
      fc.property(fc.oneof(anything, mutatedData), (document) => {
        try {
          validatePlanDocuments([{ file: 'bundle.json', document }]);
        } catch (error: unknown) {
          if (!(error instanceof PlanValidationError)) throw error;
          for (const p of error.problems)
            if (p.got !== undefined) expect(p.got.length).toBeLessThanOrEqual(120);
        }
      }),
      { seed: 20261130, numRuns: 200 },
    );
  });

  it('shows any value as a bounded `got`, even one JSON cannot render', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const cyclic: Doc = {};
    cyclic.self = cyclic;
    for (const value of [deep, cyclic, 10n, undefined, 'x'.repeat(500)])
      expect(show(value).length).toBeLessThanOrEqual(120);
  });
});

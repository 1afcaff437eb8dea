import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlans, MAX_PLAN_FILE_BYTES, MAX_PLAN_NESTING } from '../../functions/core/plan-loader.js';
import { FAULT_KINDS } from '../../sandbox/faults.js';
import { loadScenario, parseScenario, scenarioProblems } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

const plans = await loadPlans('plans');

describe('a scenario naming what the plans do not have', () => {
  it('is refused, every problem listed with what was got and what was expected', () => {
    // Prepare: ap-northeast-1 is an AWS region, but no plan runs there and the state table has no
    // replica or witness there: an outage of it tests nothing. us-east-2, the table's witness, is
    // sound (its outage takes the table's majority from a replica cut off from the other).
    const scenario = parseScenario({
      events: [
        { at: 0, fault: { kind: 'region-outage', region: 'ap-northeast-1' } },
        { at: 0, fault: { kind: 'capacity-shortage', group: 'orders-wbe-usw2', maxInService: 0 } },
        { at: 0, fault: { kind: 'aurora-failover-fails', globalClusterId: 'nope' } },
        { at: 0, fault: { kind: 'lambda-crash', step: 'LaunchMissiles' } },
        { at: 0, fault: { kind: 'api-errors', service: 'rds', region: 'eu-west-1' } },
        { at: 1, clear: { kind: 'region-outage', region: 'ap-south-1' } },
        { at: 1, failover: { app: 'ordres', to: 'us-west-2' } },
        { at: 1, failover: { app: 'orders', to: 'eu-west-1' } },
        { at: 2, approve: { app: 'nobody', by: 'bob' } },
        { at: 2, alarm: { name: 'no-such-alarm', state: 'ALARM' } },
        { at: 3, fault: { kind: 'region-outage', region: 'us-west-2' } },
        { at: 3, fault: { kind: 'region-outage', region: 'us-east-2' } },
      ],
    });

    // Act
    const problems = scenarioProblems(scenario, plans);

    // Assess: one line per problem, the sound last events not among them.
    expect(problems).toHaveLength(10);
    expect(problems[0]).toMatch(
      /events\[0\]\.fault\.region: no region ap-northeast-1 .*expected one of us-east-1, us-east-2, us-west-2/,
    );
    expect(problems[1]).toMatch(
      /events\[1\]\.fault\.group: no Auto Scaling group orders-wbe-usw2 .*orders-web-usw2/,
    );
    expect(problems[2]).toMatch(/events\[2\]\.fault\.globalClusterId: no global cluster nope/);
    expect(problems[3]).toMatch(/events\[3\]\.fault\.step: no function LaunchMissiles .*BeginExecution/);
    expect(problems[4]).toMatch(/events\[4\]\.fault\.region: no region eu-west-1/);
    expect(problems[5]).toMatch(/events\[5\]\.clear\.region: no region ap-south-1/);
    expect(problems[6]).toMatch(
      /events\[6\]\.failover\.app: names app 'ordres', expected one of billing, orders/,
    );
    expect(problems[7]).toMatch(
      /events\[7\]\.failover\.to: orders does not run in that region .*us-east-1, us-west-2/,
    );
    expect(problems[8]).toMatch(/events\[8\]\.approve\.app: names app 'nobody'/);
    expect(problems[9]).toMatch(/events\[9\]\.alarm: no plan watches that alarm/);
  });

  it('is refused by simulate before anything runs', async () => {
    const scenario = parseScenario({
      events: [{ at: 0, fault: { kind: 'region-outage', region: 'ap-northeast-1' } }],
    });
    await expect(simulate(plans, scenario)).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringMatching(/1 problem\(s\).*\n.*no region ap-northeast-1/),
    });
  });
});

describe('a scenario that does not parse', () => {
  it('lists every problem inside each event, and the valid kinds for an unknown fault kind', () => {
    // Act
    const refusal = (() => {
      try {
        parseScenario({
          events: [
            { at: 1, fault: { kind: 'region-outag', region: 'us-east-1' } },
            { at: 2, fault: { kind: 'region-outage', region: 'us-east-9' } },
            { at: 3, failover: { app: 'orders' } },
            { at: 4, bogus: {} },
            { at: -1, approve: { app: 'orders', by: 'bob', extra: true } },
          ],
        });
      } catch (error: unknown) {
        return error as Error;
      }
      return undefined;
    })();

    // Assess
    expect(refusal?.name).toBe('InvalidInputError');
    const lines = refusal?.message.split('\n').slice(1) ?? [];
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `events\\[0\\]\\.fault\\.kind: unknown fault kind \\(got "region-outag"; expected one of ${FAULT_KINDS.join(', ')}\\)`,
        ),
      ),
      expect.stringMatching(
        /events\[1\]\.fault\.region: not an AWS region \(got us-east-9; expected an AWS region/,
      ),
      expect.stringMatching(/events\[2\]\.failover\.to: .*expected string/),
      expect.stringMatching(
        /events\[3\]: an event is `at` and exactly one of fault, clear, failover, .* \(got bogus\)/,
      ),
      expect.stringMatching(/events\[4\]\.at: .*expected >= 0/),
      expect.stringMatching(/events\[4\]\.approve\.extra: unknown key/),
    ]);
  });
});

describe('a scenario with numbers out of bounds', () => {
  it('refuses a timeout over a week (1e308 never ended) and shows an infinite `at` as Infinity', () => {
    const refusal = (() => {
      try {
        parseScenario({ timeout: 1e308, events: [{ at: Number.POSITIVE_INFINITY, clear: 'all' }] });
      } catch (error: unknown) {
        return error as Error;
      }
      return undefined;
    })();
    expect(refusal?.name).toBe('InvalidInputError');
    expect(refusal?.message.split('\n').slice(1)).toEqual([
      expect.stringMatching(/timeout: .*\(got 1e\+308; expected <= 604800\)/),
      expect.stringMatching(/events\[0\]\.at: .*\(got Infinity; expected number\)/),
    ]);
    expect(parseScenario({ timeout: 604_800, events: [] }).timeout).toBe(604_800);
  });
});

describe('a scenario with both malformed events and names the plans do not have', () => {
  it('lists every problem in one refusal, event by event', () => {
    // Prepare: event 0 is malformed (schema); events 1 and 3 are well formed but name what the
    // plans do not have (references); event 2 is sound.
    const document = {
      quotas: { 'rds-apii': { burst: 1, refillPerSecond: 1 } },
      events: [
        { at: 0, fault: { kind: 'region-outage', region: 'us-east-9' } },
        { at: 1, failover: { app: 'ordres', to: 'us-west-2' } },
        { at: 2, fault: { kind: 'region-outage', region: 'us-west-2' } },
        { at: 3, approve: { app: 'nobody', by: 'bob' } },
      ],
    };

    // Act
    const refusal = (() => {
      try {
        parseScenario(document, 'scenario', plans);
      } catch (error: unknown) {
        return error as Error;
      }
      return undefined;
    })();

    // Assess: the schema's problem and the references' problems together, in the scenario's order
    expect(refusal?.name).toBe('InvalidInputError');
    expect(refusal?.message.split('\n')).toEqual([
      'scenario: 4 problem(s):',
      expect.stringMatching(/^ {2}- quotas\.rds-apii: names no modelled quota/),
      expect.stringMatching(/^ {2}- events\[0\]\.fault\.region: not an AWS region/),
      expect.stringMatching(/^ {2}- events\[1\]\.failover\.app: names app 'ordres'/),
      expect.stringMatching(/^ {2}- events\[3\]\.approve\.app: names app 'nobody'/),
    ]);
  });

  it('is accepted when sound, with or without the plans', () => {
    const document = { events: [{ at: 2, fault: { kind: 'region-outage', region: 'us-west-2' } }] };
    expect(parseScenario(document, 'scenario', plans).events).toHaveLength(1);
    expect(parseScenario({ events: [{ at: 1, failover: { app: 'ordres', to: 'x' } }] }).events).toHaveLength(
      1,
    );
  });
});

describe('a scenario file', () => {
  async function refusalOf(text: string | Buffer, plansToo = false): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'scenario-'));
    const file = join(dir, 's.yaml');
    await writeFile(file, text);
    return loadScenario(file, plansToo ? plans : undefined).then(
      () => 'accepted',
      (error: Error) => `${error.name}: ${error.message.replace(file, 'FILE')}`,
    );
  }

  it('that is not YAML says where and what was expected', async () => {
    expect(await refusalOf('events: [\n')).toMatch(
      /^InvalidInputError: scenario FILE: 1 problem\(s\):\n {2}- line 2:1: YAML: .* \(got the end of the file, expected enough indentation, and every \[ and \{ closed\)$/,
    );
  });

  it("is held to the plan files' bounds: size, nesting and aliases", async () => {
    // Too large: refused unread.
    expect(await refusalOf(`description: ${'x'.repeat(MAX_PLAN_FILE_BYTES)}\n`)).toMatch(
      /scenario file too large \(got \d+ bytes, expected at most 262144 bytes \(a scenario is a few KB\)\)/,
    );
    // Nested deeper than any scenario needs: refused before the parser recurses.
    expect(
      await refusalOf(`events: ${'['.repeat(MAX_PLAN_NESTING + 1)}${']'.repeat(MAX_PLAN_NESTING + 1)}\n`),
    ).toMatch(/line 1:\d+: YAML nested too deeply \(got more than 32 levels/);
    // A "billion laughs": refused instead of expanded.
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
      .concat(
        ['b', 'c', 'd', 'e', 'f'].map(
          (k, i) =>
            `${k}: &${k} [${Array(10)
              .fill(`*${String.fromCharCode(97 + i)}`)
              .join(', ')}]`,
        ),
      )
      .join('\n');
    expect(await refusalOf(`${bomb}\nevents: []\n`)).toMatch(/YAML aliases expand too much/);
    // Not a mapping.
    expect(await refusalOf('- at: 1\n')).toMatch(
      /a scenario file must be one YAML mapping of scenario keys \(got a list of 1 item\(s\)/,
    );
  });

  it('with the plans, lists what it names that they do not have beside its schema problems', async () => {
    const text = [
      'events:',
      '  - { at: 1, failover: { app: ordres, to: us-west-2 } }',
      '  - { at: 2, failover: { app: orders } }',
    ].join('\n');
    const refusal = await refusalOf(text, true);
    expect(refusal).toMatch(/^InvalidInputError: scenario FILE: 2 problem\(s\):/);
    expect(refusal).toMatch(/events\[0\]\.failover\.app: names app 'ordres'/);
    expect(refusal).toMatch(/events\[1\]\.failover\.to: /);
  });
});

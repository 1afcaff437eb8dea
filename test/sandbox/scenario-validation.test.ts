import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlans } from '../../functions/core/plan-loader.js';
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

describe('a scenario file that is not YAML', () => {
  it('says where and what was expected, not a sentence cut at its colon', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scenario-'));
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'events: [\n');
    await expect(loadScenario(file)).rejects.toThrow(
      /not YAML: .* at line 2, column 1 \(expected a YAML mapping of scenario keys: name, latency, seed, timeout, events, \.\.\.\)$/,
    );
  });
});

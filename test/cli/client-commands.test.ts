import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useSandboxServer } from './sandbox-server.js';

const env = useSandboxServer();
const { cli } = env;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('switchyard CLI against the sandbox server', () => {
  it('status shows every app with its active region and a row per region', async () => {
    const { code, out, err } = await cli('status');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^billing {2}pilot-light {2}active us-east-1 {2}ACTIVE/m);
    expect(out).toMatch(/^orders {2}warm-standby {2}active us-east-1 {2}ACTIVE/m);
    expect(out).toMatch(/REGION +WRITER +CAPACITY +ROUTING +LAG +REACHABLE/);
    // orders keeps a Stopped warm pool: empty beside the active 6, 5 instances beside the standby 1.
    expect(out).toMatch(/\* +us-east-1 +yes +6\/6 \+0 stopped +On +- +yes/);
    expect(out).toMatch(/ +us-west-2 +no +1\/1 \+5 stopped +Off +0\.8 s +yes/);
    // Not a terminal: no colour codes.
    expect(out).not.toContain('\u001b[');

    const json = await cli('status', '--app', 'orders', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ app: 'orders', activeRegion: 'us-east-1' });
  });

  it('failover follows the runbook step by step to SUCCEEDED (exit 0)', async () => {
    // Act
    const { code, out, err } = await cli(
      'failover',
      '--app',
      'billing',
      '--to',
      'us-west-2',
      '--reason',
      'cli test',
      '--interval',
      '0.1',
      '--timeout',
      '25',
    );

    // Assess
    expect(err, out).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^accepted: graceful failover of billing to us-west-2 as alice, execution \S+$/m);
    expect(out).toMatch(/^ {2}\d\d:\d\d:\d\d\.\d +\+\d+\.\ds {2}BeginExecution +started$/m);
    expect(out).toMatch(
      /^ {2}\d\d:\d\d:\d\d\.\d +\+\d+\.\ds {2}PromoteDatabase +billing-global +SUCCEEDED {2}\d/m,
    );
    expect(out).toMatch(/^ {2}.*ScaleCapacity +billing-api +started$/m);
    expect(out).toMatch(
      /^SUCCEEDED {2}billing is active in us-west-2 {2}RTO \d+(\.\d)? s {2}RPO \d+(\.\d)? s$/m,
    );
    // Every step that started also finished, each line once.
    const starts = out.match(/ started$/gm) ?? [];
    const ends = out.match(/^ {2}\S.* (SUCCEEDED|FAILED|SKIPPED)( |$)/gm) ?? [];
    expect(starts.length).toBeGreaterThan(5);
    expect(ends.length).toBe(starts.length);
    const lines = out.split('\n');
    const stepLines = lines.filter((l) => /^ {2}\d\d:/.test(l));
    expect(new Set(stepLines).size).toBe(stepLines.length);

    const status = await cli('status', '--app', 'billing');
    expect(status.out).toMatch(/^billing {2}pilot-light {2}active us-west-2/m);

    // The same failover again is refused by the API: exit 1 with its error name.
    const again = await cli('failover', '--app', 'billing', '--to', 'us-west-2', '--no-wait');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^error: PreconditionFailedError: billing: already active in us-west-2/);
  });

  it('runs the approval flow: alice requests, alice cannot approve, bob approves, it succeeds', async () => {
    // Prepare
    const requested = await cli(
      'failover',
      '--app',
      'orders',
      '--to',
      'us-west-2',
      '--no-wait',
      '--reason',
      'drill',
    );
    expect(requested.err).toBe('');
    expect(requested.code).toBe(0);
    const id = /execution (\S+)/.exec(requested.out)?.[1] ?? '';
    expect(requested.out).toContain(
      `npx switchyard executions --app orders --execution ${id} --follow --api`,
    );

    let status = '';
    const deadline = Date.now() + 15_000;
    while (status !== 'WAITING_APPROVAL' && Date.now() < deadline) {
      const shown = await cli('executions', '--app', 'orders', '--execution', id, '--json');
      if (shown.code === 0) status = JSON.parse(shown.out).status;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('WAITING_APPROVAL');

    // Act / Assess: an operator cannot approve; the requester cannot either (carol asks, carol refused).
    const byAlice = await cli('approve', '--app', 'orders', '--execution', id, '--as', 'alice');
    expect(byAlice.code).toBe(1);
    expect(byAlice.err).toMatch(/^error: ForbiddenError: .*needs role approver; alice has role operator/);

    // Without a named approver it refuses (exit 2) and approves nothing: no default identity.
    const unnamed = await cli('approve', '--app', 'orders', '--execution', id);
    expect(unnamed.code).toBe(2);
    expect(unnamed.err).toMatch(
      /^switchyard approve: approve records who approved, so it needs the approver named: got no identity \(no --as, --token or SWITCHYARD_TOKEN\), expected one: --as NAME in the sandbox \(bob or carol approve\)/,
    );
    const still = await cli('executions', '--app', 'orders', '--execution', id, '--json');
    expect(JSON.parse(still.out).status).toBe('WAITING_APPROVAL');

    const approved = await cli('approve', '--app', 'orders', '--execution', id, '--as', 'bob');
    expect(approved.err).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.out).toMatch(/^approved: execution \S+ of orders, as bob/);

    const followed = await cli(
      'executions',
      '--app',
      'orders',
      '--execution',
      id,
      '--follow',
      '--interval',
      '0.1',
      '--timeout',
      '25',
    );
    expect(followed.err).toBe('');
    expect(followed.code).toBe(0);
    expect(followed.out).toMatch(/RequestApproval +SUCCEEDED/);
    expect(followed.out).toMatch(/^SUCCEEDED {2}orders is active in us-west-2/m);

    const executions = await cli('executions', '--app', 'orders');
    expect(executions.out).toMatch(
      new RegExp(`^${id} +SUCCEEDED +graceful +us-east-1 -> us-west-2 +operator +alice`, 'm'),
    );
    const audit = await cli('audit', '--app', 'orders');
    expect(audit.code).toBe(0);
    expect(audit.out).toMatch(/ bob +\S*approv/);
  });

  it('a failover that waits for approval says so and how to approve', async () => {
    // orders is now in us-west-2: ask to go back, and give up waiting quickly.
    const { code, out, err } = await cli(
      'failover',
      '--app',
      'orders',
      '--to',
      'us-east-1',
      '--as',
      'carol',
      '--interval',
      '0.1',
      '--timeout',
      '3',
    );
    expect(code).toBe(1);
    expect(out).toMatch(/waiting for approval: orders needs an approver other than carol/);
    expect(out).toMatch(/npx switchyard approve --app orders --execution \S+ --as bob --api/);
    expect(err).toMatch(/^error: still WAITING_APPROVAL after 3 s; follow it:/m);
    const id = /execution (\S+)/.exec(out)?.[1] ?? '';

    // carol may not approve her own request; an operator aborts it.
    const self = await cli('approve', '--app', 'orders', '--execution', id, '--as', 'carol');
    expect(self.code).toBe(1);
    expect(self.err).toMatch(/^error: ForbiddenError: /);
    const aborted = await cli('abort', '--app', 'orders', '--execution', id, '--reason', 'not today');
    expect(aborted.err).toBe('');
    expect(aborted.code).toBe(0);
    const followed = await cli(
      'executions',
      '--app',
      'orders',
      '--execution',
      id,
      '--follow',
      '--interval',
      '0.1',
      '--timeout',
      '20',
    );
    expect(followed.code).toBe(1);
    expect(followed.out).toMatch(/^ABORTED {2}orders failover to us-east-1/m);

    // status shows the newest run and how it ended, and the older success the active region is from.
    const status = await cli('status', '--app', 'orders');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(
      new RegExp(
        `^ {2}last execution: ${id} ABORTED \\(graceful us-west-2 -> us-east-1, by carol, ended \\S+\\): \\w+: .*not today`,
        'm',
      ),
    );
    expect(status.out).toMatch(/^ {2}last success: orders-\S+ \(the run that made us-west-2 active\)$/m);
    expect(status.out).not.toContain(`last success: ${id}`);
  });

  it('fault sets, lists and clears sandbox faults; alarm sets an alarm', async () => {
    const set = await cli(
      'fault',
      '--kind',
      'capacity-shortage',
      '--group',
      'orders-web-use1',
      '--max-in-service',
      '2',
    );
    expect(set.err).toBe('');
    expect(set.code).toBe(0);
    expect(set.out).toBe('fault set: capacity-shortage group=orders-web-use1 maxInService=2; 1 in force\n');
    expect(env.sandbox.aws.faults.capacityLimit('orders-web-use1')).toBe(2);

    const throttle = await cli('fault', '--kind', 'api-errors', '--service', 'rds', '--rate', '0.5');
    expect(throttle.out).toMatch(/api-errors service=rds error=ThrottlingException rate=0.5; 2 in force/);
    const listed = await cli('fault', '--list');
    expect(listed.out.trim().split('\n')).toHaveLength(2);

    const one = await cli('fault', '--clear', '--kind', 'api-errors');
    expect(one.out).toBe('cleared 1 fault(s); 1 in force\n');
    const all = await cli('fault', '--clear', 'all');
    expect(all.out).toBe('cleared 1 fault(s); no faults in force\n');
    expect((await cli('fault', '--list')).out).toBe('no faults\n');

    const alarm = await cli('alarm', '--name', 'billing-primary-canary', '--state', 'INSUFFICIENT_DATA');
    expect(alarm.err).toBe('');
    expect(alarm.out).toBe('alarm billing-primary-canary (us-west-2) is INSUFFICIENT_DATA\n');
    expect(env.sandbox.aws.cloudWatch.alarmState('billing-primary-canary', 'us-west-2')).toBe(
      'INSUFFICIENT_DATA',
    );
    await cli('alarm', '--name', 'billing-primary-canary', '--region', 'us-west-2', '--state', 'OK');
    expect(env.sandbox.aws.cloudWatch.alarmState('billing-primary-canary', 'us-west-2')).toBe('OK');

    // A region outage: its API answers 503; the other region's shows it unreachable.
    await cli('fault', '--kind', 'region-outage', '--region', 'us-east-1');
    try {
      const down = await cli('status', '--region', 'us-east-1');
      expect(down.code).toBe(1);
      expect(down.err).toBe(
        'error: ServiceUnavailable: region us-east-1 is down (sandbox fault) (HTTP 503)\n',
      );
      // billing is active in us-west-2 since the failover test.
      const seen = await cli('status', '--app', 'billing');
      expect(seen.err).toBe('');
      // Routing is read from Route 53's data plane (the zone's name servers answer us-west-2), so it
      // is known although Route 53's control plane is in the region that is down.
      expect(seen.out).toMatch(
        /^ {5}us-east-1 +- +billing-api \?\/\?, billing-workers \?\/\? +SECONDARY +- +NO +((STALE )?(READY|NOT_READY)( \([A-Z_, ]+\))? \d+[smhd] ago|-)$/m,
      );
      expect(seen.out).toMatch(/^ {2}\* {2}us-west-2 +yes +.* +PRIMARY +/m);
      expect(seen.out).not.toMatch(/routing|DNS answer/);
    } finally {
      await cli('fault', '--clear', 'all');
    }

    // A viewer may not set faults: the API refuses, exit 1.
    const viewer = await cli('fault', '--kind', 'route53-control-plane-down', '--as', 'victor');
    expect(viewer.code).toBe(1);
    expect(viewer.err).toMatch(
      /^error: ForbiddenError: POST \/sandbox\/faults needs role operator; victor has viewer/,
    );
  });

  it('says clearly when no API answers (exit 1)', async () => {
    const port = await freePort();
    const { code, out, err } = await cli('status', '--api', `http://127.0.0.1:${port}`);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe(
      `no Switchyard API at http://127.0.0.1:${port} (ECONNREFUSED): is \`npm start\` running?\n`,
    );
  });

  it('against a real deployment: uses --token or SWITCHYARD_TOKEN, and says when there are no sandbox identities', async () => {
    // Prepare: an API with no /sandbox/tokens that records who called.
    const seen: (string | undefined)[] = [];
    const api = createHttpServer((req, res) => {
      seen.push(req.headers.authorization);
      const found = req.url === '/apps' && req.headers.authorization === 'Bearer real-token';
      res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(found ? { apps: [] } : { message: 'Not Found' }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const address = api.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      // Act / Assess
      const none = await cli('status', '--api', url);
      expect(none.code).toBe(1);
      expect(none.err).toMatch(
        /^error: NoSandboxIdentities: .* serves no sandbox identities .*pass --token or set SWITCHYARD_TOKEN/,
      );

      const withToken = await cli('status', '--api', url, '--token', 'real-token');
      expect(withToken.code).toBe(0);
      expect(withToken.out).toBe('no apps\n');

      process.env.SWITCHYARD_TOKEN = 'real-token';
      const fromEnv = await cli('status', '--api', url);
      expect(fromEnv.code).toBe(0);
      expect(seen.slice(-1)).toEqual(['Bearer real-token']);
    } finally {
      delete process.env.SWITCHYARD_TOKEN;
      await new Promise<void>((resolve) => api.close(() => resolve()));
    }
  });

  it('exits 2 on usage errors, before calling anything', async () => {
    const cases: [string[], RegExp][] = [
      [['failover', '--app', 'orders'], /--to is required/],
      [
        ['failover', '--app', 'orders', '--to', 'us-west-2', '--mode', 'fast'],
        /--mode: expected graceful or ungraceful/,
      ],
      [['status', '--bogus'], /Unknown option '--bogus'/],
      [['status', '--api', 'not a url'], /--api: not a URL/],
      [['status', '--as', 'dave'], /no sandbox identity dave; the sandbox has alice \(operator\)/],
      [['status', '--as', 'bob', '--token', 'x'], /--as and --token are exclusive/],
      [['approve', '--app', 'orders'], /--execution is required/],
      [['abort', '--app', 'orders', '--execution', 'x'], /--reason is required/],
      [['fault'], /give one of --kind K/],
      [['fault', '--kind', 'region-outage'], /fault region-outage: --region is required \(got none/],
      [
        ['fault', '--kind', 'region-outge', '--region', 'us-east-1'],
        /--kind: unknown fault kind \(got region-outge, expected one of region-outage, /,
      ],
      [['fault', '--kind', 'arc-endpoints-down', '--count', '7'], /--count: .*\(got 7, expected <= 2\)/],
      [
        ['fault', '--kind', 'region-outage', '--region', 'us-east-1', '--count', '2'],
        /--count not an option of region-outage/,
      ],
      [['fault', '--kind', 'arc-endpoints-down', '--count', 'two'], /--count: expected a number, got two/],
      [['fault', '--clear'], /--clear takes 'all', or --kind K/],
      [['alarm', '--name', 'x', '--state', 'RED'], /--state: expected one of OK, ALARM, INSUFFICIENT_DATA/],
      [['sandbox', '--speed', '0'], /--speed: expected a number/],
      [['executions', '--app', 'orders', '--follow'], /--follow needs --execution ID/],
    ];
    for (const [argv, message] of cases) {
      const { code, out, err } = await cli(...argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(err, argv.join(' ')).toMatch(message);
      expect(err, argv.join(' ')).toMatch(/\nusage: switchyard /);
      expect(out).toBe('');
    }
  });

  it("prints each command's help with --help (exit 0), without calling the API", async () => {
    const commands = ['status', 'failover', 'approve', 'abort', 'executions', 'audit', 'fault', 'alarm'];
    for (const command of commands) {
      // An API that is not there: --help must not call it.
      const { code, out, err } = await cli(command, '--help', '--api', 'http://127.0.0.1:1');
      expect(err, command).toBe('');
      expect(code, command).toBe(0);
      expect(out).toMatch(new RegExp(`^usage: switchyard ${command} `));
      expect(out).toContain('--as NAME');
    }
    const sandboxHelp = await cli('sandbox', '-h');
    expect(sandboxHelp.code).toBe(0);
    expect(sandboxHelp.out).toMatch(/--speed N +virtual seconds per real second \(default 10, at most 100\)/);
  });

  it('prints the API error name and message for a refused request (exit 1)', async () => {
    const unknown = await cli('failover', '--app', 'nosuch', '--to', 'us-west-2');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^error: UnknownAppError: .*nosuch/);
    const invalid = await cli('failover', '--app', 'orders', '--to', 'mars-1', '--no-wait');
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/^error: \w+Error: /);
    const badToken = await cli('status', '--token', 'not-a-token');
    expect(badToken.code).toBe(1);
    expect(badToken.err).toMatch(
      /^error: Unauthorized: Unauthorized \(HTTP 401\)\n {2}\(the token is missing/,
    );
  });

  it('a 401 says a bearer token is needed and where the sandbox keeps them; --json words it as JSON', async () => {
    const human = await cli('status', '--token', 'not-a-token');
    expect(human.code).toBe(1);
    expect(human.err).toMatch(/^error: Unauthorized: Unauthorized \(HTTP 401\)\n/);
    expect(human.err).toMatch(/from another sandbox: malformed/);
    expect(human.err).toMatch(/needs a bearer token, Authorization: Bearer <JWT>/);
    expect(human.err).toMatch(/the sandbox's are at GET \/sandbox\/tokens/);

    const json = await cli('status', '--token', 'not-a-token', '--json');
    expect(json.code).toBe(1);
    expect(json.err).toBe('');
    expect(JSON.parse(json.out)).toEqual({
      error: {
        name: 'Unauthorized',
        message: 'Unauthorized (HTTP 401)',
        status: 401,
        hint: expect.stringMatching(/GET \/sandbox\/tokens/),
      },
    });

    const refused = await cli('failover', '--app', 'nosuch', '--to', 'us-west-2', '--json');
    expect(refused.code).toBe(1);
    expect(refused.err).toBe('');
    expect(JSON.parse(refused.out)).toMatchObject({
      error: { name: 'UnknownAppError', status: 404, message: expect.stringMatching(/nosuch/) },
    });
  });
});

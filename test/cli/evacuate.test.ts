import { describe, expect, it } from 'vitest';
import { useSandboxServer } from './sandbox-server.js';

const env = useSandboxServer();
const { cli } = env;

describe('switchyard evacuate', () => {
  it('exits 2 on a wrong command line, before calling anything', async () => {
    const missing = await cli('evacuate', '--to', 'us-west-2');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--from/);
    const mode = await cli('evacuate', '--from', 'us-east-1', '--mode', 'fast');
    expect(mode.code).toBe(2);
  });

  it("refuses, with the API's words, an evacuation sent to the evacuated region itself (exit 1)", async () => {
    const refused = await cli('evacuate', '--from', 'us-east-1', '--region', 'us-east-1', '--app', 'billing');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/PreconditionFailedError: .*expected another region's operator API/);
  });

  it('evacuates the listed app and follows it to SUCCEEDED (exit 0)', async () => {
    const run = await cli(
      'evacuate',
      '--from',
      'us-east-1',
      '--to',
      'us-west-2',
      '--app',
      'billing',
      '--reason',
      'test',
    );

    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^accepted: graceful evacuation of us-east-1 as alice, evacuation \S+$/m);
    expect(run.out).toMatch(/^ {2}wave 100: billing$/m);
    expect(run.out).toMatch(/^ {2}billing -> us-west-2: SUCCEEDED \(RTO [\d.]+ s\)$/m);
    expect(run.out).toMatch(/^evacuation \S+ SUCCEEDED: 1 succeeded, 0 failed$/m);
    const state = await env.sandbox.region('us-west-2').deps.store.getState('billing');
    expect(state?.activeRegion).toBe('us-west-2');
  });

  it('--json prints the final record; an app not active in --from is skipped and said so', async () => {
    const run = await cli(
      'evacuate',
      '--from',
      'us-east-1',
      '--to',
      'us-west-2',
      '--app',
      'billing',
      '--json',
    );
    // billing is in us-west-2 now: nothing to fail over, a refusal worded as JSON.
    expect(run.code).toBe(1);
    const answer = JSON.parse(run.out) as { error: { name: string; message: string } };
    expect(answer.error.name).toBe('PreconditionFailedError');
    expect(answer.error.message).toMatch(/billing: active in us-west-2, not us-east-1/);
  });

  it('says which app waits for an approver, with the command that approves it, and follows it on', async () => {
    // orders' plan requires an approver: its run parks, and the evacuation's wave with it.
    const running = cli(
      'evacuate',
      '--from',
      'us-east-1',
      '--to',
      'us-west-2',
      '--app',
      'orders',
      '--mode',
      'ungraceful',
      '--reason',
      'test',
      '--interval',
      '0.2',
    );
    const tokens = (await (await fetch(`${env.server.url}/sandbox/tokens`)).json()) as {
      identities: { name: string; token: string }[];
    };
    const bob = tokens.identities.find((i) => i.name === 'bob')?.token;
    let waiting: string | undefined;
    await expect
      .poll(
        async () => {
          const queue = (await (
            await fetch(`${env.server.url}/approvals`, { headers: { authorization: `Bearer ${bob}` } })
          ).json()) as { approvals: { id: string; app: string }[] };
          waiting = queue.approvals.find((e) => e.app === 'orders')?.id;
          return waiting;
        },
        { timeout: 60_000, interval: 200 },
      )
      .toBeDefined();
    // While it runs, a second evacuation of us-east-1 is refused, naming the running one.
    const second = await cli(
      'evacuate',
      '--from',
      'us-east-1',
      '--to',
      'us-west-2',
      '--app',
      'orders',
      '--reason',
      'again',
      '--no-wait',
    );
    // Give the CLI a poll or two to see the wait before the approval ends it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const approved = await fetch(`${env.server.url}/apps/orders/executions/${waiting}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(approved.status).toBe(200);
    const run = await running;

    expect(run.out).toMatch(
      /^ {2}orders waits for an approver other than alice \(its plan requires one; its wave waits too\)\. In another shell:$/m,
    );
    expect(run.out).toContain(`npx switchyard approve --app orders --execution ${waiting} --as bob --api`);
    expect(run.out).toMatch(/^ {2}orders -> us-west-2: SUCCEEDED/m);
    expect(run.code).toBe(0);
    expect(second.code).toBe(1);
    expect(second.out).toBe('');
    expect(second.err).toMatch(
      /^error: ConflictError: evacuation of us-east-1: got a new request while evacuation evac-\S+ of us-east-1 is running \(requested by alice at \S+\); expected it to end first/,
    );
  });
});

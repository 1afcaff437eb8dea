import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run.js';
import { sandboxCommand } from '../../cli/sandbox.js';

function buffers() {
  const io = { outText: '', errText: '' };
  return {
    io,
    cli: {
      out: {
        write: (text: string) => {
          io.outText += text;
        },
      },
      err: {
        write: (text: string) => {
          io.errText += text;
        },
      },
    },
  };
}

/**
 * Polls `check` until it holds. No real-time deadline of its own: starting a sandbox is CPU work
 * whose real time grows with the machine's load (it took over 10 s with both cores busy), and the
 * test's timeout already guards against a hang.
 */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

describe('switchyard sandbox', () => {
  it('serves the plans, prints a banner, logs changes, and stops cleanly (exit 0)', async () => {
    // Prepare
    const { io, cli } = buffers();
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let url = '';

    // Act
    const running = sandboxCommand(
      ['--port', '0', '--latency', 'fast', '--speed', '50', '--seed', '7', '--start', '2026-04-01T00:00:00Z'],
      cli,
      {
        until: stopped,
        onListening: (u) => {
          url = u;
        },
      },
    );
    await until(() => io.outText.includes('Ctrl-C stops the sandbox'));

    // Assess: the banner
    expect(io.errText).toBe('');
    expect(io.outText).toContain(`Switchyard sandbox: operator API on ${url}`);
    expect(io.outText).toMatch(
      /fast latency, seed 7; virtual time runs 50x real time from 2026-04-01T00:00:00\.000Z/,
    );
    expect(io.outText).toContain('regions: us-east-1, us-west-2');
    expect(io.outText).toMatch(/^ {4}billing +pilot-light +active us-east-1 +regions us-east-1, us-west-2$/m);
    expect(io.outText).toMatch(/^ {4}orders +warm-standby +active us-east-1 .*failover needs an approver$/m);
    expect(io.outText).toMatch(/^ {4}bob +approver +/m);
    expect(io.outText).toContain(`npx switchyard failover --app orders --to us-west-2 --api ${url}`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    // A client command against it; the change is logged by the sandbox.
    const client = buffers();
    const code = await runCli(['fault', '--kind', 'route53-control-plane-down', '--api', url], client.cli);
    expect(client.io.errText).toBe('');
    expect(code).toBe(0);
    await until(() => io.outText.includes('POST /sandbox/faults'));
    expect(io.outText).toMatch(/^\d\d:\d\d:\d\d\.\d {2}alice {3}POST \/sandbox\/faults -> 201$/m);

    stop();
    expect(await running).toBe(0);
    expect(io.outText).toMatch(/stopping the sandbox\.\.\.\nstopped\.\n$/);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('refuses to start on bad plans, listing every problem (exit 1)', async () => {
    const { io, cli } = buffers();
    const code = await sandboxCommand(['--plans', 'test/fixtures/bad-plans', '--port', '0'], cli, {
      until: Promise.resolve(),
    });
    expect(code).toBe(1);
    expect(io.outText).toBe('');
    expect(io.errText).toMatch(
      /^switchyard sandbox: refusing to start: \d+ problem\(s\) in test\/fixtures\/bad-plans:/,
    );
    const problems = io.errText.split('\n').filter((l) => l.startsWith('  - '));
    expect(problems.length).toBeGreaterThan(2);
    expect(io.errText).toContain('broken-orders.yaml');
    expect(io.errText).toContain('not-yaml.yaml');
  });

  it('says when the port is taken (exit 1)', async () => {
    const first = buffers();
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let url = '';
    const running = sandboxCommand(['--port', '0', '--latency', 'fast'], first.cli, {
      until: stopped,
      onListening: (u) => {
        url = u;
      },
    });
    await until(() => url !== '');
    const port = new URL(url).port;

    const second = buffers();
    const code = await sandboxCommand(['--port', port, '--latency', 'fast'], second.cli, {
      until: Promise.resolve(),
    });
    expect(code).toBe(1);
    expect(second.io.errText).toBe(
      `switchyard sandbox: 127.0.0.1:${port} is in use (another sandbox?); stop it, or pick another port: npm start -- --port ${Number(port) + 1} (0 picks a free one)\n`,
    );
    stop();
    expect(await running).toBe(0);
  });

  it('rejects a bad command line with exit 2', async () => {
    for (const argv of [
      ['sandbox', '--speed', '1000'],
      ['sandbox', '--latency', 'slow'],
      ['sandbox', '--port', '99999'],
      ['sandbox', '--seed', '1.5'],
      ['sandbox', '--start', 'tomorrow'],
      ['sandbox', '--start', '2026-04-01T00:00:00+02:00'],
      ['sandbox', 'extra'],
    ]) {
      const { io, cli } = buffers();
      expect(await runCli(argv, cli), argv.join(' ')).toBe(2);
      expect(io.errText).toMatch(/^switchyard sandbox: .*\nusage: switchyard sandbox /);
    }
  });
});

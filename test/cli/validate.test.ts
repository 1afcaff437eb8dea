import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run.js';

function buffers() {
  let out = '';
  let err = '';
  return {
    io: { out: { write: (t: string) => (out += t) }, err: { write: (t: string) => (err += t) } },
    out: () => out,
    err: () => err,
  };
}

const ordersYaml = await readFile('plans/orders.yaml', 'utf8');

/** A plans directory with one valid plan and every kind of file the loader must refuse. */
async function hostileDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-validate-'));
  await writeFile(join(dir, 'orders.yaml'), ordersYaml);
  const bomb = [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`),
  ].join('\n');
  await writeFile(join(dir, 'bomb.yaml'), bomb);
  await writeFile(join(dir, 'alias.yaml'), 'name: *nowhere\n');
  await writeFile(join(dir, 'empty.yaml'), '');
  await writeFile(join(dir, 'list.yaml'), '- a\n- b\n');
  await writeFile(join(dir, 'deep.yaml'), `name: ${'['.repeat(50_000)}`);
  await writeFile(
    join(dir, 'nine.yaml'),
    ordersYaml.replace('name: orders', 'name: nine').replaceAll('us-east-1', 'us-east-9'),
  );
  await mkdir(join(dir, 'folder.yaml'));
  return dir;
}

describe('switchyard validate on hostile input', () => {
  it('lists one problem per bad file with file, path, got and expected, exits 1, and prints no stack trace', async () => {
    const dir = await hostileDir();
    const b = buffers();
    const code = await runCli(['validate', '--plans', dir], b.io);
    expect(code).toBe(1);
    const lines = b.err().trim().split('\n');
    expect(lines[0]).toMatch(/^\d+ problem\(s\) in /);
    const problems = lines.slice(1);
    for (const file of ['bomb', 'alias', 'empty', 'list', 'deep', 'nine', 'folder'])
      expect(
        problems.some((l) => l.includes(`${file}.yaml`)),
        file,
      ).toBe(true);
    for (const line of problems) expect(line).toMatch(/^ {2}- .+\.yaml: .*\(got .+, expected .+\)$/);
    expect(b.err()).not.toMatch(/^\s+at /m);
    expect(b.out()).toBe('');
  });

  it('gives the same problems as JSON with --json', async () => {
    const dir = await hostileDir();
    const b = buffers();
    expect(await runCli(['validate', '--plans', dir, '--json'], b.io)).toBe(1);
    const report = JSON.parse(b.out());
    expect(report.valid).toBe(false);
    expect(report.problems.length).toBeGreaterThanOrEqual(7);
    for (const p of report.problems) {
      expect(Object.keys(p)).toEqual(expect.arrayContaining(['file', 'path', 'message', 'got', 'expected']));
    }
  });

  it('refuses a path that is a file, not a directory, the same way', async () => {
    const b = buffers();
    expect(await runCli(['validate', '--plans', 'plans/orders.yaml'], b.io)).toBe(1);
    expect(b.err()).toMatch(
      /plans directory not found \(got a file that is not a directory, expected a directory/,
    );
  });
});

describe('switchyard validate: the us-east-1 warning', () => {
  const billingYaml = readFile('plans/billing.yaml', 'utf8');

  async function validateBilling(edit: (text: string) => string): Promise<{ code: number; err: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-validate-method-'));
    await writeFile(join(dir, 'billing.yaml'), edit(await billingYaml));
    const b = buffers();
    const code = await runCli(['validate', '--plans', dir], b.io);
    return { code, err: b.err() };
  }

  it('warns for a records plan in us-east-1 (its Route 53 API is there), and not for a health-checks plan', async () => {
    const records = await validateBilling((t) => t);
    expect(records.code).toBe(0);
    expect(records.err).toMatch(/warning: billing: traffic: .*us-east-1 is down this plan cannot fail over/);

    const healthChecks = await validateBilling((t) =>
      t.replace(
        '    hostedZoneId: Z0123456789ABCDEFGHIJ\n',
        '    hostedZoneId: Z0123456789ABCDEFGHIJ\n    method: health-checks\n',
      ),
    );
    expect(healthChecks.code).toBe(0);
    expect(healthChecks.err).not.toMatch(/warning/);
  });
});

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/paths.js';

// `npm run bundle-size`: its options, and the health endpoint measured beside FUNCTIONS.

function bundleSize(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'infra/bundle-size.ts', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('npm run bundle-size', () => {
  it('measures the functions --only names, the health endpoint included', () => {
    // Act
    const result = bundleSize('--only', 'TrafficHealth', '--no-init');

    // Assert
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ {2}TrafficHealth +\d+\.\d KB/m);
    expect(result.stdout).not.toContain('BeginExecution');
  }, 120_000);

  it('refuses an unknown function and a bad run count, saying what it expected', () => {
    // Act
    const unknown = bundleSize('--only', 'Nope');
    const runs = bundleSize('--runs', '0');

    // Assert
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--only: no function Nope (expected one of BeginExecution,');
    expect(runs.status).toBe(2);
    expect(runs.stderr).toContain('--runs: got 0, expected a whole number >= 1');
  }, 120_000);
});

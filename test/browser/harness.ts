import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { loadPlans } from '../../functions/core/plan-loader.js';
import { VirtualClock } from '../../sandbox/clock.js';
import { Sandbox } from '../../sandbox/sandbox.js';
import { type SandboxServer, startSandboxServer } from '../../sandbox/server.js';

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH overrides it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Flags for a headless Chromium in a container, without a GPU, with no traffic of its own. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Where screenshots go (git-ignored). */
export const SCREENSHOTS = join('test-results', 'console');

/** A real sandbox (fast latency, paced clock) and its HTTP server on a free port. */
export async function startConsoleSandbox(
  speed: number,
): Promise<{ sandbox: Sandbox; server: SandboxServer }> {
  const plans = await loadPlans('plans');
  const sandbox = await Sandbox.start({
    plans,
    latency: 'fast',
    clock: new VirtualClock({ kind: 'paced', speed }),
  });
  const server = await startSandboxServer({ sandbox, port: 0 });
  return { sandbox, server };
}

/** Launches Debian's Chromium headless. */
export async function launchChromium(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Saves a full-page screenshot as `test-results/console/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The axe-core violations of impact serious or critical on the page as it is, in words. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Signs the page in as a sandbox identity with the picker. */
export async function actAs(page: Page, name: string): Promise<void> {
  await page.getByLabel('Acting as').selectOption(name);
}

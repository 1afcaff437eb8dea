import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateReadiness } from '../../functions/readiness/scheduled.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import type { SandboxServer } from '../../sandbox/server.js';
import { actAs, launchChromium, screenshot, seriousViolations, startConsoleSandbox } from './harness.js';

// Fast latency at 5x: a warm standby failover takes several real seconds, long enough to see its
// steps advance and to abort one mid-run. Not faster: on a paced clock this machine's compute time
// counts as virtual time too (times the speed), and a loaded two-core machine must still fit a
// Lambda's 30 s timeout.
const SPEED = 5;

let sandbox: Sandbox;
let server: SandboxServer;
let browser: Browser;
/** One browser context per person: each has its own tab session (identity). */
const people = new Map<string, { context: BrowserContext; page: Page }>();
const tokens = new Map<string, string>();

beforeAll(async () => {
  ({ sandbox, server } = await startConsoleSandbox(SPEED));
  browser = await launchChromium();
  const answer = (await (await fetch(`${server.url}/sandbox/tokens`)).json()) as {
    identities: { name: string; token: string }[];
  };
  for (const i of answer.identities) tokens.set(i.name, i.token);
});

afterAll(async () => {
  for (const { context } of people.values()) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
  await sandbox?.close();
});

/** The page of `name`, signed in through the identity picker (a new browser context per person). */
async function as(name: string): Promise<Page> {
  const known = people.get(name);
  if (known) return known.page;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await actAs(page, name);
  people.set(name, { context, page });
  return page;
}

async function api(name: string, path: string): Promise<any> {
  const response = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${tokens.get(name)}` },
  });
  return response.json();
}

async function expectAccessible(page: Page, what: string): Promise<void> {
  expect(await seriousViolations(page), `${what}: axe-core serious or critical violations`).toEqual([]);
}

/** Fills the failover confirmation of `app` and submits it; resolves with the execution id. */
async function requestFailover(page: Page, app: string, reason: string): Promise<string> {
  await page.goto(`${server.url}/#/`);
  await page.getByRole('button', { name: `Fail over ${app}…` }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Reason (recorded in the audit trail)').fill(reason);
  const submit = dialog.getByRole('button', { name: new RegExp(`^Fail over ${app} to`) });
  await dialog.getByLabel(`Type ${app} to confirm`).fill(`${app}x`);
  expect(await submit.isDisabled(), 'the wrong name does not confirm').toBe(true);
  await dialog.getByLabel(`Type ${app} to confirm`).fill(app);
  await submit.click();
  // Either the execution view, or the refusal as the API words it (which the assertion then shows).
  const refusal = dialog.getByRole('alert');
  await Promise.race([page.waitForURL(new RegExp(`#/executions/${app}/`)), refusal.waitFor()]);
  expect(await refusal.count(), (await refusal.allTextContents()).join('; ')).toBe(0);
  return decodeURIComponent(page.url().split('/').at(-1) ?? '');
}

/**
 * Runs in the page: records, for every timeline bar (`data-step`), when each of its statuses
 * first appeared on screen (real epoch ms), in `window.stepsSeen`. A string, as it runs in the
 * browser and not under this file's Node types.
 */
const STEP_RECORDER = `(() => {
  const seen = [];
  window.stepsSeen = seen;
  const record = (el) => {
    const key = el.getAttribute('data-step');
    const status = el.getAttribute('data-status');
    if (key && status && !seen.some((s) => s.key === key && s.status === status))
      seen.push({ key, status, at: Date.now() });
  };
  document.querySelectorAll('[data-step]').forEach(record);
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === 'attributes' && m.target.hasAttribute && m.target.hasAttribute('data-step')) record(m.target);
      for (const node of m.addedNodes) {
        if (!node.querySelectorAll) continue;
        if (node.hasAttribute('data-step')) record(node);
        node.querySelectorAll('[data-step]').forEach(record);
      }
    }
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
})()`;

describe('the operator console in Chromium', () => {
  it('serves the page and its bundle from the sandbox, and asks who you are', async () => {
    const page = await (await browser.newContext()).newPage();
    const response = await page.goto(`${server.url}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Act as Alice' }).isVisible()).toBe(true);
    await screenshot(page, '00-sign-in');
    await expectAccessible(page, 'sign-in');
    await page.context().close();
  });

  it('says so when an execution or a drill does not exist, instead of loading forever', async () => {
    const page = await as('victor');
    for (const [hash, refusal, path] of [
      [
        '#/executions/orders/no-such-run',
        'ResourceNotFoundError: orders: no execution no-such-run',
        '/apps/orders/executions/no-such-run/timeline',
      ],
      ['#/evidence/billing/no-such-drill', 'no-such-drill', '/apps/billing/drills/no-such-drill'],
    ] as const) {
      const asked: string[] = [];
      const count = (request: { url(): string }) => {
        if (new URL(request.url()).pathname === path) asked.push(request.url());
      };
      page.on('request', count);
      await page.goto(`${server.url}/${hash}`);
      await expect.poll(() => page.getByRole('alert').textContent()).toContain(refusal);
      expect(await page.getByText('Loading…').count(), `${hash}: Loading beside the refusal`).toBe(0);
      // A 404 is not asked again: the execution page polls every second, and 3 s pass.
      await page.waitForTimeout(3_000);
      page.off('request', count);
      expect(asked, `${hash}: ${path} asked after its 404`).toHaveLength(1);
    }
  });

  it('shows every app on the overview, per region, for an operator', async () => {
    // The scheduled readiness evaluation, run once now (it runs every 5 virtual minutes).
    await evaluateReadiness({}, sandbox.region('us-east-1').deps);
    const page = await as('alice');
    const orders = page.locator('[data-app="orders"]');
    await orders.locator('tr[data-region="us-west-2"]').waitFor();
    expect(await orders.locator('[data-active-region]').textContent()).toBe('us-east-1');
    expect(await orders.locator('tr[data-region="us-east-1"]').textContent()).toContain('✔ writer');
    // The readiness verdict toward the standby region (none toward the active one).
    expect(await orders.locator('tr[data-region="us-west-2"] .readiness').textContent()).toBe('READY');
    expect(await orders.locator('tr[data-region="us-east-1"] .readiness').count()).toBe(0);
    // What the observer sees, per cluster, and where traffic goes: GET /apps's writers and trafficRegion.
    expect(await orders.locator('[data-traffic-region]').textContent()).toBe('us-east-1');
    expect(await orders.locator('[data-cluster="orders-global"] [data-writer]').textContent()).toBe(
      'us-east-1',
    );
    const billing = page.locator('[data-app="billing"]');
    expect(await billing.locator('[data-cluster="billing-global"] [data-writer]').textContent()).toBe(
      'us-east-1',
    );
    expect(await billing.locator('[data-traffic-region]').textContent()).toBe('us-east-1');
    // Detection and its cooldown: no failover has run yet, so none is in force.
    expect(await orders.locator('.detection').textContent()).toBe(
      'Automatic detection: automatic (an alarm starts an ungraceful failover by itself) · no cooldown in force',
    );
    expect(await page.locator('[data-app="billing"]').isVisible()).toBe(true);
    await screenshot(page, '01-overview');
    await expectAccessible(page, 'overview');

    // Keyboard only: Tab reaches Fail over, Enter opens the confirmation with focus in it, Escape closes it.
    await page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement?.textContent')) === 'Fail over orders…';
    }
    expect(reached, 'Tab reaches the Fail over button').toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await page.evaluate("!!document.activeElement?.closest('dialog')")).toBe(true);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  let waiting = '';
  it('explains the failover before it starts, and refuses self-approval in the UI', async () => {
    const carol = await as('carol');
    await carol.getByRole('button', { name: 'Fail over orders…' }).click();
    const dialog = carol.getByRole('dialog');
    await dialog.getByText('Approval needed').waitFor();
    expect(await dialog.textContent()).toContain('PromoteDatabase');
    expect(await dialog.textContent()).toContain('Switchover: the source must be healthy');
    await screenshot(carol, '02-failover-confirmation');
    await expectAccessible(carol, 'failover confirmation');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    waiting = await requestFailover(carol, 'orders', 'browser test: move orders west');
    await carol.locator('[data-execution-status="WAITING_APPROVAL"]').waitFor();
    const approve = carol.getByRole('button', { name: 'Approve', exact: true });
    expect(await approve.isDisabled()).toBe(true);
    expect(await carol.locator('[data-why]').textContent()).toContain(
      'you requested this failover (carol): another approver must approve it',
    );
    await screenshot(carol, '03-execution-waiting-approval');
    await expectAccessible(carol, 'execution view (waiting)');
  });

  it('lets another person approve from the queue; the steps advance to SUCCEEDED with an RTO', async () => {
    const carol = await as('carol');
    // Each step's status, as the page shows it and when (real ms).
    await carol.evaluate(STEP_RECORDER);

    const bob = await as('bob');
    await bob.goto(`${server.url}/#/approvals`);
    const item = bob.locator(`[data-approval="${waiting}"]`);
    await item.waitFor();
    await screenshot(bob, '04-approvals');
    await expectAccessible(bob, 'approvals');

    // Meanwhile, when the API first shows each step's status (polled every 50 ms).
    // Changes already there at the first read are not timed: when they happened is not known.
    const apiSeen = new Map<string, number | undefined>();
    let polling = true;
    let first = true;
    const poller = (async () => {
      while (polling) {
        const execution = await api('carol', `/apps/orders/executions/${waiting}`);
        for (const [key, step] of Object.entries(execution.steps ?? {}) as [string, { status: string }][]) {
          const id = `${key}=${step.status}`;
          if (!apiSeen.has(id)) apiSeen.set(id, first ? undefined : Date.now());
        }
        first = false;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    await item.getByLabel('Comment (required to reject)').fill('checked with the orders team');
    await item.getByRole('button', { name: 'Approve', exact: true }).click();
    await item.waitFor({ state: 'detached' });

    await carol.locator('[data-execution-status="SUCCEEDED"]').waitFor({ timeout: 90_000 });
    polling = false;
    await poller;
    const rto = Number(await carol.locator('[data-rto]').getAttribute('data-rto'));
    expect(rto).toBeGreaterThan(0);
    expect(await carol.locator('.outcome').textContent()).toContain(`RTO`);
    expect(await carol.locator('.approval').textContent()).toContain('APPROVED by bob');

    const seen = (await carol.evaluate('window.stepsSeen')) as {
      key: string;
      status: string;
      at: number;
    }[];
    // The steps advanced on screen: steps were seen running and then done, one after another.
    const running = seen.filter((s) => s.status === 'RUNNING').map((s) => s.key);
    const done = seen.filter((s) => s.status === 'SUCCEEDED').map((s) => s.key);
    expect(running.length).toBeGreaterThanOrEqual(2);
    expect(done).toEqual(
      expect.arrayContaining(['PromoteDatabase#orders-global', 'ShiftTraffic', 'FinishExecution']),
    );
    // The delay from a step change (first seen in the API) to the screen.
    const delays = seen.flatMap((s) => {
      const at = apiSeen.get(`${s.key}=${s.status}`);
      return at === undefined ? [] : [s.at - at];
    });
    expect(delays.length).toBeGreaterThanOrEqual(3);
    const max = Math.max(...delays);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    console.log(
      `update delay, step change in the API -> on screen: ${delays.length} changes, mean ${mean.toFixed(0)} ms, max ${max} ms`,
    );
    // Polling every second, plus the request and the render.
    expect(max).toBeLessThan(1600);
    await screenshot(carol, '05-execution-succeeded');
    // The README's picture (docs/console-execution.png): summary, RTO clock, outcome and timeline.
    const box = await carol.locator('.timeline').boundingBox();
    await carol.screenshot({
      path: 'test-results/console/readme-execution.png',
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: Math.ceil((box?.y ?? 800) + (box?.height ?? 400) + 16) },
    });
    await expectAccessible(carol, 'execution view (succeeded)');
  });

  it('rejects a waiting failover with a comment: it ends ABORTED', async () => {
    const carol = await as('carol');
    const id = await requestFailover(carol, 'orders', 'browser test: back east');
    await carol.locator('[data-execution-status="WAITING_APPROVAL"]').waitFor();
    const bob = await as('bob');
    await bob.goto(`${server.url}/#/executions/orders/${id}`);
    await bob.getByLabel('Comment (required to reject)').fill('not during the sale');
    await bob.getByRole('button', { name: 'Reject' }).click();
    await bob.locator('[data-execution-status="ABORTED"]').waitFor({ timeout: 30_000 });
    expect(await bob.locator('.outcome').textContent()).toContain('rejected by bob: not during the sale');
    // The overview names the newest run and how it ended, not the older success.
    await bob.goto(`${server.url}/#/`);
    const latest = bob.locator('[data-app="orders"] .latest-execution');
    await expect.poll(() => latest.textContent()).toContain(`Last execution: ${id}`);
    expect(await latest.locator('[data-status]').getAttribute('data-status')).toBe('ABORTED');
  });

  it('aborts a running failover with a reason', async () => {
    const alice = await as('alice');
    await requestFailover(alice, 'billing', 'browser test: abort me');
    await alice.locator('.bar[data-status="RUNNING"]').first().waitFor();
    await alice.getByLabel('Abort reason').fill('changed my mind');
    await alice.getByRole('button', { name: 'Abort' }).click();
    await alice.locator('[data-execution-status="ABORTED"]').waitFor({ timeout: 30_000 });
    expect(await alice.locator('.outcome').textContent()).toContain('aborted by alice: changed my mind');
    await screenshot(alice, '06-execution-aborted');
  });

  it("stops a failover's reason at the API's 1,024 characters, so nobody types what it refuses", async () => {
    const alice = await as('alice');
    await alice.goto(`${server.url}/#/`);
    await alice.getByRole('button', { name: 'Fail over billing…' }).click();
    const dialog = alice.getByRole('dialog');
    const reason = dialog.getByLabel('Reason (recorded in the audit trail)');
    await reason.fill('r'.repeat(2000));
    expect((await reason.inputValue()).length).toBe(1024);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('runs a drill and shows its printable evidence', async () => {
    const alice = await as('alice');
    await alice.goto(`${server.url}/#/`);
    const orders = alice.locator('[data-app="orders"]');
    await orders.getByRole('button', { name: 'Start a DR drill' }).waitFor();
    await orders.getByLabel("soak (s, blank: the plan's)").fill('5');
    await orders.getByRole('button', { name: 'Start a DR drill' }).click();
    await alice.waitForURL(/#\/history\/orders/);
    const row = alice.locator('[data-drill]').first();
    await row.locator('[data-status="PASSED"]').waitFor({ timeout: 110_000 });
    expect(await row.textContent()).toContain('alice');
    await alice.locator('.chart canvas').waitFor();
    await screenshot(alice, '07-history');
    await expectAccessible(alice, 'history');

    await row.getByRole('link').click();
    await alice.locator('[data-drill-outcome="PASSED"]').waitFor();
    const text = (await alice.locator('.evidence').textContent()) ?? '';
    expect(text).toContain('Plan version');
    expect(await alice.locator('[data-plan-sha256]').textContent()).toMatch(/^[0-9a-f]{64}$/);
    expect(await alice.locator('[data-started-by="operator"]').textContent()).toContain('alice, a person');
    // orders is active in us-west-2 since 'move orders west' ('back east' was rejected): the drill
    // goes from there to us-east-1, and readiness before it is its target's.
    expect(text).toContain('us-west-2 → us-east-1');
    expect(await alice.locator('[data-readiness-before="READY"]').textContent()).toContain('us-east-1');
    expect(await alice.locator('[data-time-basis="virtual"]').textContent()).toContain('virtual time');
    expect(text).toContain('no approver needed');
    expect(text).toContain('✔ within');
    expect(text).toContain('Ground truth (sandbox)');
    expect(await alice.locator('.leg .timeline').count()).toBe(2);
    await alice.emulateMedia({ media: 'print' });
    await screenshot(alice, '08-drill-evidence-print');
    await alice.emulateMedia({ media: 'screen' });
    await expectAccessible(alice, 'drill evidence');
  });

  it('injects a fault from the sandbox panel and the overview shows it', async () => {
    const alice = await as('alice');
    await alice.goto(`${server.url}/#/sandbox`);
    // A label around a select names it with the options' text too: pick the fields by name.
    await alice.locator('select[name="kind"]').selectOption('region-outage');
    // The regions come from GET /apps, which reads every region: on a loaded machine, over 1 s.
    await expect
      .poll(() => alice.locator('select[name="region"]').textContent(), { timeout: 15_000 })
      .toContain('us-east-1');
    await alice.locator('select[name="region"]').selectOption('us-east-1');
    await alice.getByRole('button', { name: 'Inject fault' }).click();
    await alice.locator('[data-fault="region-outage"]').waitFor();
    await alice.locator('[data-truth-app="billing"]').waitFor();
    await screenshot(alice, '09-sandbox-panel');
    await expectAccessible(alice, 'sandbox panel');

    await alice.goto(`${server.url}/#/`);
    const east = alice.locator('[data-app="orders"] tr[data-region="us-east-1"]');
    await expect.poll(() => east.textContent(), { timeout: 15_000 }).toContain('✖ unreachable');
    await screenshot(alice, '10-overview-region-outage');

    await alice.goto(`${server.url}/#/sandbox`);
    await alice.getByRole('button', { name: 'Clear all faults' }).click();
    await alice.locator('[data-fault]').first().waitFor({ state: 'detached' });
    expect(sandbox.aws.faults.list()).toEqual([]);
  });

  it('shows the audit trail, filtered by app', async () => {
    const victor = await as('victor');
    await victor.goto(`${server.url}/#/audit`);
    await victor.locator('[data-audit-app="billing"]').first().waitFor();
    await victor.getByLabel('Filter by app').selectOption('orders');
    await victor.waitForURL(/#\/audit\/orders/);
    await expect.poll(() => victor.locator('[data-audit-app="billing"]').count()).toBe(0);
    await expect.poll(() => victor.locator('[data-audit-app="orders"]').count()).toBeGreaterThan(3);
    expect(await victor.locator('.audit').textContent()).toContain('approval.granted');
    await screenshot(victor, '11-audit');
    await expectAccessible(victor, 'audit');
    // A viewer's buttons say why they are disabled.
    await victor.goto(`${server.url}/#/`);
    await victor.locator('[data-app="orders"]').waitFor();
    expect(await victor.getByRole('button', { name: 'Fail over orders…' }).isDisabled()).toBe(true);
    expect(await victor.locator('#why-orders').textContent()).toContain(
      'needs role operator; victor has viewer',
    );
  });

  it('shows when the RPO is the replication lag last seen (the metric had stopped)', async () => {
    // Prepare: an ungraceful billing execution as FinishExecution records one started long into an
    // outage of the writer's region (test/scenarios/rpo-last-seen.test.ts runs that for real): the
    // RPO is the lag last seen before the metric stopped, with the time it was seen.
    const { store } = sandbox.region('us-east-1').deps;
    const startedAt = new Date(sandbox.clock.now()).toISOString();
    const { record } = await store.createExecution({
      id: 'rpo-last-seen-1',
      app: 'billing',
      runbook: 'pilot-light',
      mode: 'ungraceful',
      trigger: 'operator',
      from: 'us-east-1',
      to: 'us-west-2',
      requestedBy: 'alice',
      reason: 'us-east-1 out for 10 minutes',
      startedAt,
    });
    const lastSeen = new Date(sandbox.clock.now() - 600_000).toISOString();
    await store.finishExecution('billing', record.key, {
      status: 'SUCCEEDED',
      rtoSeconds: 95,
      rpoSeconds: 0.8,
      rpoLastSeenAt: lastSeen,
    });
    const shown = lastSeen.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

    // Act / Assess: the execution view's RTO clock and outcome, and the history's RPO column
    const victor = await as('victor');
    await victor.goto(`${server.url}/#/executions/billing/rpo-last-seen-1`);
    await victor.locator('[data-execution-status="SUCCEEDED"]').waitFor();
    const expected = `RPO 0.8 s (lag last seen ${shown}: the metric had stopped)`;
    expect(await victor.locator('[aria-label="RTO clock"]').textContent()).toContain(expected);
    expect(await victor.locator('.outcome').textContent()).toContain(expected);
    await victor.goto(`${server.url}/#/history/billing`);
    const cell = victor.locator(`[data-rpo-last-seen="${lastSeen}"]`);
    await cell.waitFor();
    expect(await cell.textContent()).toBe(`0.8 s (lag last seen ${shown}: the metric had stopped)`);
    await expectAccessible(victor, 'history (RPO last seen)');
  });
});

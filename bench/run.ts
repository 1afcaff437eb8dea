/**
 * `npm run bench`: failover figures for both strategies in the realistic latency profile, from
 * the sandbox's virtual clock (so they do not depend on this machine), plus how long each
 * simulation took in real time on this machine.
 *
 * - RTO: request to verified service in the target region (approval wait excluded).
 * - AWS busy: the union of the AWS calls and operations the execution started.
 * - Control plane: RTO minus AWS busy: the time Switchyard itself was the bottleneck (Lambda
 *   invokes, state transitions, polling cadence, sequencing). Target: at most 2 s in every case.
 * - Capacity: how long the ScaleCapacity step took (from its PrepareCapacity when the group scaled
 *   out while the approval waited) to the group's capacity serving.
 *
 * The warm standby cases run `orders` twice: without a warm pool (every instance launched from
 * nothing) and with the Stopped warm pool its plan declares (instances started from the pool).
 * `npm run bench -- --cases "warm pool"` runs only the cases whose name contains one of the
 * comma-separated words given, or that a full case name names (bench/case-filter.ts).
 *
 * Then evacuations (bench/evacuation.ts): 1, 10 and 100 warm-standby ARC apps after a region
 * outage, and 50 Route 53-records apps switched over gracefully; `--evacuations arc100
 * --skip-failovers --apps-scale ''` runs one case on its own.
 *
 * Then "apps scale": the simulator's own cost as the number of apps grows. For each count (default
 * 1, 10, 100 and 200; `npm run bench -- --apps-scale 1,10` picks others) a scenario fails every app
 * of that many generated warm-standby plans over at once, and the real and CPU time of the whole
 * `simulate` on this machine are reported (CPU time moves less with the machine's load), with the
 * ratio of 200 apps to 100 (target <= 2.2) and 100 apps standing by one virtual hour with no
 * failover (`--hour-apps N`, '' or 0 for none; target <= 10 s of CPU on one core), with the simulator's work per app
 * in operations (calls, timers, ground-truth re-reads). The hour runs `--hour-runs` times (default
 * 3), each in a fresh Node process whose V8 runs no background threads (`--single-threaded`, so the
 * process's CPU is one core's), and its figure is the median run (bench/apps.ts, `idleHourOnOneCore`).
 */
import '../functions/core/polyfills.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadPlans } from '../functions/core/plan-loader.js';
import { simulate } from '../sandbox/simulate.js';
import { idleHourOnOneCore, type ScaleRun, scaleRun } from './apps.js';
import { selectCases } from './case-filter.js';
import { CASES, caseScenario, withoutWarmPools } from './cases.js';
import { allServedAgainstOneApp, EVACUATION_CASES, type QuotaUse, runEvacuationCase } from './evacuation.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Issue 10: the control plane adds at most 2 s to a failover, in every case. */
const CONTROL_PLANE_TARGET_SECONDS = 2;
/** Issue 14's goal for a warm standby with a warm pool, ungraceful, realistic profile. */
const WARM_POOL_RTO_GOAL_SECONDS = 90;

const { values: options } = parseArgs({
  options: {
    'apps-scale': { type: 'string', default: '1,10,100,200' },
    'hour-apps': { type: 'string', default: '100' },
    /** How many fresh processes play the idle hour; the median's CPU is the figure. */
    'hour-runs': { type: 'string', default: '3' },
    cases: { type: 'string', default: '' },
    /** Evacuation cases to run (arc1, arc10, arc100, records50), comma-separated; '' for none. */
    evacuations: { type: 'string', default: EVACUATION_CASES.map((c) => c.key).join(',') },
    /** Leave out the single-app failover cases (to run one evacuation case on its own). */
    'skip-failovers': { type: 'boolean', default: false },
  },
  strict: true,
});
// `npm run bench --cases x` (no `--`) gives the flag to npm, which leaves it in the environment.
if (!options.cases && process.env.npm_config_cases)
  throw new Error(
    `--cases reached npm, not the bench (got npm_config_cases=${process.env.npm_config_cases}); expected npm run bench -- --cases "..."`,
  );
const SELECTED = selectCases(
  CASES.map((c) => c.name),
  options.cases ?? '',
);
const EVACUATIONS = (options.evacuations ?? '')
  .split(',')
  .filter((k) => k.trim() !== '')
  .map((key) => {
    const found = EVACUATION_CASES.find((c) => c.key === key.trim());
    if (!found)
      throw new Error(
        `--evacuations: got ${key}, expected some of ${EVACUATION_CASES.map((c) => c.key).join(',')}`,
      );
    return found;
  });
const APP_COUNTS = (options['apps-scale'] ?? '')
  .split(',')
  .filter((n) => n.trim() !== '')
  .map((n) => {
    const count = Number(n);
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`--apps-scale: expected counts of apps such as 1,10,100, got ${n}`);
    return count;
  });

// Checked before any run, so that a bad count does not end a long bench at its last case.
const HOUR_APPS = hourApps(options['hour-apps'] ?? '');
const HOUR_RUNS = Number(options['hour-runs']);
if (!Number.isInteger(HOUR_RUNS) || HOUR_RUNS < 1)
  throw new Error(`--hour-runs: expected a count of runs such as 3, got ${options['hour-runs']}`);

/** `--hour-apps`: a count of apps, or none for '' and 0. */
function hourApps(flag: string): number | undefined {
  const count = flag.trim() === '' ? 0 : Number(flag);
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`--hour-apps: expected a count of apps such as 100 (or '' or 0 for none), got ${flag}`);
  return count === 0 ? undefined : count;
}

const plans = await loadPlans('plans');
const plansWithoutPools = withoutWarmPools(plans);
const rows: Record<string, unknown>[] = [];
for (const c of options['skip-failovers'] ? [] : CASES) {
  if (!SELECTED.includes(c.name)) continue;
  const scenario = caseScenario(c);
  const started = performance.now();
  const report = await simulate(c.warmPool ? plans : plansWithoutPools, scenario);
  const realMs = performance.now() - started;
  const execution = report.executions.find((e) => e.status === 'SUCCEEDED') ?? report.executions[0];
  const outage = report.outages
    .filter((o) => o.app === execution?.app)
    .reduce((sum, o) => sum + o.seconds, 0);
  rows.push({
    case: c.name,
    strategy: c.strategy,
    status: execution?.status ?? 'NO EXECUTION',
    rtoSeconds: execution?.rtoSeconds ?? null,
    rpoSeconds: execution?.rpoSeconds ?? null,
    awsBusySeconds: execution?.awsBusySeconds ?? null,
    controlPlaneSeconds: execution?.controlPlaneSeconds ?? null,
    capacitySeconds: capacitySeconds(execution?.steps ?? []),
    userOutageSeconds: Math.round(outage * 10) / 10,
    controlPlaneShare: execution?.rtoSeconds
      ? `${(((execution.controlPlaneSeconds ?? 0) / execution.rtoSeconds) * 100).toFixed(1)}%`
      : null,
    realMsToSimulate: Math.round(realMs),
    virtualToRealRatio: execution?.rtoSeconds ? Math.round((report.endedAt * 1000) / realMs) : null,
  });
}

if (rows.length > 0) {
  console.log('Switchyard failover benchmark (realistic latency, virtual seconds; seed 1)\n');
  console.table(rows.map(({ strategy: _s, ...r }) => r));
  const worst = Math.max(...rows.map((r) => Number(r.controlPlaneSeconds ?? Number.POSITIVE_INFINITY)));
  console.log(
    `\ncontrol-plane time: worst ${worst} s, target <= ${CONTROL_PLANE_TARGET_SECONDS} s: ${worst <= CONTROL_PLANE_TARGET_SECONDS ? 'MET' : 'MISSED'}`,
  );
}

// Evacuations, one case after another (each is one simulate of N apps).
const evacuations: Record<string, unknown>[] = [];
for (const c of EVACUATIONS) {
  const row = await runEvacuationCase(c);
  evacuations.push(row);
  console.log(`\nevacuation: ${c.name}`);
  console.table([
    {
      apps: row.apps,
      succeeded: row.succeeded,
      failed: row.failed,
      'RTO min/med/max': triple(row.rto),
      'all served (s)': row.allServedSeconds,
      'control plane min/med/max': triple(row.controlPlane),
      realMs: row.realMs,
    },
  ]);
  console.log('  busiest APIs (calls started in one second):');
  for (const p of row.peakApiRates as { api: string; peakPerSecond: number }[])
    console.log(`    ${p.api}: ${p.peakPerSecond}/s`);
  console.log('  quotas (busiest second admitted against the sustained limit; calls throttled):');
  for (const q of row.quotas as QuotaUse[])
    console.log(
      `    ${q.quota} ${q.scope}: ${q.peakPerSecond}/s of ${q.limitPerSecond}/s, ${q.throttled} throttled`,
    );
}

// latest.json keeps the cases not run this time, so that cases can be run one at a time.
await mkdir('bench/results', { recursive: true });
const pooled = rows.find((r) => r.case === 'warm standby with a Stopped warm pool, ungraceful');
if (pooled)
  console.log(
    `warm standby with a warm pool, ungraceful RTO: ${pooled.rtoSeconds} s, goal <= ${WARM_POOL_RTO_GOAL_SECONDS} s: ${Number(pooled.rtoSeconds) <= WARM_POOL_RTO_GOAL_SECONDS ? 'MET' : 'MISSED'}`,
  );
type Row = Record<string, unknown>;
const previous = await readFile('bench/results/latest.json', 'utf8')
  .then((text) => JSON.parse(text) as { failovers?: Row[]; evacuations?: Row[] } | Row[])
  .catch(() => ({}) as { failovers?: Row[]; evacuations?: Row[] });
/** The previous figures of the cases not run this time, then this run's, by case name. */
const merged = (before: readonly Row[], now: readonly Row[]): Row[] =>
  [...before.filter((e) => !now.some((n) => n.case === e.case)), ...now].sort((a, b) =>
    String(a.case).localeCompare(String(b.case)),
  );
for (const line of allServedAgainstOneApp(
  evacuations,
  Array.isArray(previous) ? [] : (previous.evacuations ?? []),
))
  console.log(line);
await writeFile(
  'bench/results/latest.json',
  `${JSON.stringify(
    {
      failovers: merged(Array.isArray(previous) ? previous : (previous.failovers ?? []), rows),
      evacuations: merged(Array.isArray(previous) ? [] : (previous.evacuations ?? []), evacuations),
    },
    null,
    2,
  )}\n`,
);
console.log('figures written to bench/results/latest.json');

/**
 * The longest capacity step of a run, in virtual seconds (null when it had none): each group's
 * ScaleCapacity until it finished, from the group's PrepareCapacity when the launch began as the
 * approval wait did (`approvals.capacity: before-approval`).
 */
function capacitySeconds(
  steps: readonly {
    name: string;
    resource?: string;
    status?: string;
    startedAt: number;
    finishedAt: number | null;
  }[],
): number | null {
  const began = (s: { resource?: string; startedAt: number }) =>
    steps.find((p) => p.name === 'PrepareCapacity' && p.status === 'SUCCEEDED' && p.resource === s.resource)
      ?.startedAt ?? s.startedAt;
  const spans = steps
    .filter((s) => s.name === 'ScaleCapacity' && s.finishedAt !== null)
    .map((s) => (s.finishedAt ?? s.startedAt) - began(s));
  return spans.length > 0 ? Math.round(Math.max(...spans) * 10) / 10 : null;
}

function triple(value: unknown): string {
  const v = value as { min: number; median: number; max: number } | null;
  return v ? `${v.min} / ${v.median} / ${v.max}` : '-';
}
const scale: ScaleRun[] = [];
if (APP_COUNTS.length > 0) {
  for (const count of APP_COUNTS) {
    scale.push(await scaleRun(count));
    console.log(`apps scale: ${count} apps done (${scale.at(-1)?.cpuMs} CPU ms)`);
  }
  // The simulator's cost must grow linearly with the apps: 200 apps at most 2.2 x 100 apps (CPU).
  const at = (n: number) => scale.find((r) => r.apps === n)?.cpuMs;
  const [hundred, twoHundred] = [at(100), at(200)];
  if (hundred && twoHundred)
    console.log(
      `\nlinearity: 200 apps cost ${(twoHundred / hundred).toFixed(2)} x 100 apps (CPU), target <= 2.2: ${twoHundred / hundred <= 2.2 ? 'MET' : 'MISSED'}`,
    );
}
// N apps standing by for one virtual hour (no failover): what an idle hour of the control plane and
// the simulated AWS costs, on one core, the median of fresh processes. Runs with or without the
// failover counts above.
const hours = HOUR_APPS ? await idleHourOnOneCore(HOUR_APPS, HOUR_RUNS) : undefined;
const hour = hours?.median;
if (hours && hour) {
  console.log(
    `\n${hour.apps} apps standing by 1 virtual hour: ${hour.cpuMs} CPU ms on one core (median of ${hours.runs.length} runs: ${hours.runs.map((r) => r.cpuMs).join(', ')}; start-up ${hour.startupCpuMs}), target <= 10000: ${hour.cpuMs <= 10_000 ? 'MET' : 'MISSED'}`,
  );
}
const scaleRows = [...scale, ...(hour ? [hour] : [])];
if (scaleRows.length > 0) {
  console.log(
    '\napps scale: every app of N generated warm-standby plans fails over at once (real time, this machine)\n',
  );
  console.table(
    scaleRows.map(
      ({ perApp, throttled, throttledBy: _t, quotaCalls: _q, failures: _f, retried: _r, ...row }) => ({
        ...row,
        ...perApp,
        throttled: JSON.stringify(throttled),
      }),
    ),
  );
  for (const row of scaleRows) {
    if (row.run !== 'failover') continue;
    const why = Object.entries(row.failures ?? {});
    console.log(
      `${row.apps} apps: ${why.length === 0 ? 'none failed' : `failed: ${why.map(([w, n]) => `${n} ${w}`).join(', ')}`}; ` +
        `${row.retried?.requests ?? 0} request(s) asked again after a 503 ThrottledError (at most ${row.retried?.maxAttempts ?? 1} attempts)`,
    );
    const by = Object.entries(row.throttledBy ?? {});
    if (by.length > 0) console.log(`  throttled by caller: ${by.map(([w, n]) => `${w} ${n}`).join(', ')}`);
    const spent = Object.entries(row.quotaCalls ?? {});
    if (spent.length > 0)
      console.log(
        `  RDS and Auto Scaling calls (throttled) by region and caller: ${spent.map(([w, { calls, throttled }]) => `${w} ${calls} (${throttled})`).join(', ')}`,
      );
  }
  // Like latest.json, the file keeps the rows not run this time (one count can be run at a time).
  const before = await readFile('bench/results/apps-scale.json', 'utf8')
    .then((text) => JSON.parse(text) as ScaleRun[])
    .catch(() => [] as ScaleRun[]);
  const rows = [
    ...before.filter((b) => !scaleRows.some((r) => r.apps === b.apps && r.run === (b.run ?? 'failover'))),
    ...scaleRows,
  ].sort((a, b) => (a.run ?? '').localeCompare(b.run ?? '') || a.apps - b.apps);
  await writeFile('bench/results/apps-scale.json', `${JSON.stringify(rows, null, 2)}\n`);
  console.log('figures written to bench/results/apps-scale.json');
}

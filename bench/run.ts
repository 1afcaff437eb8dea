/**
 * `npm run bench`: failover figures for both strategies in the realistic latency profile, from
 * the sandbox's virtual clock (so they do not depend on this machine), plus how long each
 * simulation took in real time on this machine.
 *
 * - RTO: request to verified service in the target region (approval wait excluded).
 * - AWS busy: the union of the AWS calls and operations the execution started.
 * - Control plane: RTO minus AWS busy: the time Switchyard itself was the bottleneck (Lambda
 *   invokes, state transitions, polling cadence, sequencing). Target: at most 5 s for warm standby.
 *
 * Then "apps scale": the simulator's own cost as the number of apps grows. For each count (default
 * 1, 10, 100 and 200; `npm run bench -- --apps-scale 1,10` picks others) a scenario fails every app
 * of that many generated warm-standby plans over at once, and the real and CPU time of the whole
 * `simulate` on this machine are reported (CPU time moves less with the machine's load), with the
 * ratio of 200 apps to 100 (target <= 2.2) and 100 apps held one virtual hour (`--hour-apps N`,
 * target <= 10 s of CPU).
 */
import '../functions/core/polyfills.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadPlans } from '../functions/core/plan-loader.js';
import { parseScenario } from '../sandbox/scenario.js';
import { simulate } from '../sandbox/simulate.js';
import { type ScaleRun, scaleRun } from './apps.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const CONTROL_PLANE_TARGET_SECONDS = 5;

interface Case {
  readonly name: string;
  readonly strategy: string;
  readonly events: unknown[];
}

const CASES: Case[] = [
  {
    name: 'warm standby, graceful switchover',
    strategy: 'warm-standby',
    events: [
      { at: 0, failover: { app: 'orders', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'bench' } },
      { at: 5, approve: { app: 'orders', by: 'bob' } },
    ],
  },
  {
    name: 'warm standby, ungraceful after a region outage',
    strategy: 'warm-standby',
    events: [
      { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
      {
        at: 0,
        failover: { app: 'orders', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'bench' },
      },
      { at: 5, approve: { app: 'orders', by: 'bob' } },
    ],
  },
  {
    name: 'pilot light, graceful switchover',
    strategy: 'pilot-light',
    events: [
      {
        at: 0,
        failover: { app: 'billing', to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'bench' },
      },
    ],
  },
  {
    // billing moves traffic with Route 53 records, whose API lives in us-east-1: with us-east-1 down
    // it cannot fail over (a scenario test shows it). Here the source is impaired, not gone.
    name: 'pilot light, ungraceful',
    strategy: 'pilot-light',
    events: [
      {
        at: 0,
        failover: { app: 'billing', to: 'us-west-2', mode: 'ungraceful', by: 'alice', reason: 'bench' },
      },
    ],
  },
];

const { values: options } = parseArgs({
  options: {
    'apps-scale': { type: 'string', default: '1,10,100,200' },
    'hour-apps': { type: 'string', default: '100' },
  },
  strict: true,
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

const plans = await loadPlans('plans');
const rows: Record<string, unknown>[] = [];
for (const c of CASES) {
  const scenario = parseScenario({
    name: c.name,
    latency: 'realistic',
    seed: 1,
    timeout: 3600,
    events: c.events,
  });
  const started = performance.now();
  const report = await simulate(plans, scenario);
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
    userOutageSeconds: Math.round(outage * 10) / 10,
    controlPlaneShare: execution?.rtoSeconds
      ? `${(((execution.controlPlaneSeconds ?? 0) / execution.rtoSeconds) * 100).toFixed(1)}%`
      : null,
    realMsToSimulate: Math.round(realMs),
    virtualToRealRatio: execution?.rtoSeconds ? Math.round((report.endedAt * 1000) / realMs) : null,
  });
}

console.log('Switchyard failover benchmark (realistic latency, virtual seconds; seed 1)\n');
console.table(rows.map(({ strategy: _s, ...r }) => r));
const warm = rows.filter((r) => r.strategy === 'warm-standby');
const worst = Math.max(...warm.map((r) => Number(r.controlPlaneSeconds ?? Number.POSITIVE_INFINITY)));
console.log(
  `\nwarm standby control-plane overhead: worst ${worst} s, target <= ${CONTROL_PLANE_TARGET_SECONDS} s: ${worst <= CONTROL_PLANE_TARGET_SECONDS ? 'MET' : 'MISSED'}`,
);
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/latest.json', `${JSON.stringify(rows, null, 2)}\n`);
console.log('figures written to bench/results/latest.json');

if (APP_COUNTS.length > 0) {
  const scale: ScaleRun[] = [];
  for (const count of APP_COUNTS) scale.push(await scaleRun(count));
  // The simulator's cost must grow linearly with the apps: 200 apps at most 2.2 x 100 apps (CPU).
  const at = (n: number) => scale.find((r) => r.apps === n)?.cpuMs;
  const [hundred, twoHundred] = [at(100), at(200)];
  if (hundred && twoHundred)
    console.log(
      `\nlinearity: 200 apps cost ${(twoHundred / hundred).toFixed(2)} x 100 apps (CPU), target <= 2.2: ${twoHundred / hundred <= 2.2 ? 'MET' : 'MISSED'}`,
    );
  const hour = options['hour-apps'] ? await scaleRun(Number(options['hour-apps']), 3600) : undefined;
  if (hour) {
    scale.push(hour);
    console.log(
      `${hour.apps} apps x 1 virtual hour: ${hour.cpuMs} CPU ms, target <= 10000 on one core: ${hour.cpuMs <= 10_000 ? 'MET' : 'MISSED'}`,
    );
  }
  console.log(
    '\napps scale: every app of N generated warm-standby plans fails over at once (real time, this machine)\n',
  );
  console.table(scale);
  await writeFile('bench/results/apps-scale.json', `${JSON.stringify(scale, null, 2)}\n`);
  console.log('figures written to bench/results/apps-scale.json');
}

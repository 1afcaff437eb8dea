/**
 * `npx tsx bench/timeline.ts "CASE"`: where one failover bench case spends its control-plane time.
 * It runs the case (CASE: a substring of exactly one case name in bench/cases.ts) and prints, from
 * the simulator's call log, every stretch of the RTO window in which none of the execution's AWS
 * calls or long-running operations was under way: what `controlPlaneSeconds` sums. Each gap shows
 * the call that ended before it and the one that started after it (virtual seconds from the
 * request). Its calls are the run's own and those made outside any execution (the request and its
 * dry run). `--all` also prints every call; `--seed N` runs the case's scenario with seed N (the
 * bench's is 1).
 */
import '../functions/core/polyfills.js';
import { parseArgs } from 'node:util';
import { loadPlans } from '../functions/core/plan-loader.js';
import { isPollerExecution } from '../functions/evacuation/region-poller-start.js';
import type { CallRecord, OperationRecord } from '../sandbox/aws/simulator.js';
import { simulate } from '../sandbox/simulate.js';
import { CASES, caseScenario, withoutWarmPools } from './cases.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values, positionals } = parseArgs({
  options: { all: { type: 'boolean', default: false }, seed: { type: 'string' } },
  allowPositionals: true,
});
const wanted = positionals[0] ?? '';
const matching = CASES.filter((c) => c.name.includes(wanted));
if (matching.length !== 1) {
  console.error(
    `bench/timeline.ts: expected a substring of exactly one case name, got "${wanted}" (matches ${matching.length}); cases:\n  ${CASES.map((c) => c.name).join('\n  ')}`,
  );
  process.exit(2);
}
const c = matching[0] as (typeof CASES)[number];
const plans = await loadPlans('plans');
const seed = values.seed === undefined ? undefined : Number(values.seed);
if (seed !== undefined && !Number.isInteger(seed)) {
  console.error(`bench/timeline.ts: --seed expects an integer, got "${values.seed}"`);
  process.exit(2);
}
const scenario = { ...caseScenario(c), ...(seed === undefined ? {} : { seed }) };
let calls: CallRecord[] = [];
let operations: OperationRecord[] = [];
const report = await simulate(c.warmPool ? plans : withoutWarmPools(plans), scenario, {
  inspect: (sandbox) => {
    calls = [...sandbox.aws.simulator.log];
    operations = [...sandbox.aws.simulator.operations];
  },
});
const execution = report.executions.find((e) => e.status === 'SUCCEEDED') ?? report.executions[0];
const verifiedAt = execution?.steps.find((s) => s.name === 'VerifyService')?.finishedAt;
if (!execution || execution.rtoSeconds === null || verifiedAt === undefined || verifiedAt === null) {
  console.error(`${c.name}: no verified execution (${execution?.status ?? 'none'})`);
  process.exit(1);
}
const t0 = Date.parse(scenario.start);
const from = t0 + execution.startedAt * 1000;
const end = t0 + verifiedAt * 1000;
const rel = (at: number) => ((at - t0) / 1000).toFixed(3);
// The run's own calls (its steps') and those made outside any execution (the operator API's
// request and dry run before the runbook starts): another execution's calls are not this run's.
// The region poller's calls too (its own execution, `poller-<region>-<epoch>`): it reads and wakes
// for this run.
const poller = isPollerExecution;
const windowCalls = calls.filter(
  (call) =>
    (call.executionId === undefined || call.executionId === execution.id || poller(call.executionId)) &&
    call.finishedAt >= from &&
    call.startedAt <= end,
);
const busy = operations
  // As the report counts them (sandbox/simulate-report.ts): the run's own, or its app's whoever started them.
  .filter((o) => o.executionId === execution.id || o.app === execution.app)
  .map(
    (o) =>
      [
        o.startedAt,
        o.finishedAt ?? end,
        `${o.name} [${rel(o.startedAt)}-${rel(o.finishedAt ?? end)}]`,
      ] as const,
  )
  .sort((a, b) => a[0] - b[0]);
console.log(
  `${c.name}: RTO ${execution.rtoSeconds} s, AWS busy ${execution.awsBusySeconds} s, control plane ${execution.controlPlaneSeconds} s`,
);
console.log(
  `request at ${execution.startedAt} s, verified at ${verifiedAt} s (virtual seconds from the scenario start)\n`,
);
const printCalls = (a: number, b: number) => {
  for (const call of windowCalls)
    if (call.startedAt >= a && call.startedAt < b)
      console.log(
        `    ${rel(call.startedAt)} +${call.finishedAt - call.startedAt} ms ${call.service}.${call.operation}@${call.region}${call.ok ? '' : ` (${call.error ?? 'failed'})`}${call.executionId ? (poller(call.executionId) ? ' (region poller)' : '') : ' (outside any execution)'}`,
      );
};
let reach = from;
let last = 'the request';
let total = 0;
const gap = (a: number, b: number, next: string) => {
  total += b - a;
  console.log(
    `gap ${((b - a) / 1000).toFixed(3)} s from ${rel(a)} to ${rel(b)}: after ${last}, before ${next}`,
  );
  if (b - a < 20_000 || values.all) printCalls(a, b);
};
for (const [start, finish, what] of busy) {
  if (start > end) break;
  if (start > reach) gap(reach, start, what);
  if (finish > reach) {
    reach = finish;
    last = what;
  }
}
if (end > reach) gap(reach, end, 'verified');
console.log(`\ngaps in the window (approval wait included): ${(total / 1000).toFixed(3)} s`);
console.log('steps:');
for (const s of execution.steps)
  console.log(
    `  ${s.name}${'resource' in s && s.resource ? `#${s.resource}` : ''} ${s.startedAt}-${s.finishedAt}`,
  );

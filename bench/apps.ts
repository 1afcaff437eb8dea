import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Plan } from '../functions/core/plan.js';
import { parsePlans } from '../functions/core/plan-loader.js';
import { targetGroupArn } from '../sandbox/aws/autoscaling-support.js';
import { parseScenario } from '../sandbox/scenario.js';
import { simulate } from '../sandbox/simulate.js';

/** The plans generated apps copy: warm standby with ARC routing controls, or pilot light with Route 53 records. */
const TEMPLATES = { orders: 'plans/orders.yaml', billing: 'plans/billing.yaml' } as const;

/**
 * `count` plans copied from `plans/orders.yaml` (or `plans/billing.yaml`: its records share the
 * one hosted zone) as apps `app1`..`appN`: every name and AWS
 * resource (clusters, groups and their target groups, records, alarms, routing controls) made unique, as the plan rules
 * require, and operator failovers without an approver so that a scenario needs no approvals.
 * Validated by the same rules as the plans directory.
 */
export function generatedPlans(count: number, from: keyof typeof TEMPLATES = 'orders'): Plan[] {
  const template = readFileSync(TEMPLATES[from], 'utf8');
  const sources = Array.from({ length: count }, (_, index) => {
    const app = `app${index + 1}`;
    const hex = (index + 1).toString(16).padStart(16, '0');
    const text = template
      .replaceAll(from, app)
      .replace(/routingcontrol\/a1b2c3d4e5f6a7b8/, `routingcontrol/a${hex.slice(1)}`)
      .replace(/routingcontrol\/b2c3d4e5f6a7b8c9/, `routingcontrol/b${hex.slice(1)}`)
      .replace('operatorFailover: required', 'operatorFailover: none')
      // The copied groups' target groups: the sandbox names each group's after the group.
      .replace(
        /arn:aws:elasticloadbalancing:([a-z0-9-]+):(\d{12}):targetgroup\/([a-zA-Z0-9-]+)\/[0-9a-f]{16}/g,
        (_arn, region: string, account: string, group: string) => targetGroupArn(region, account, group),
      );
    return { file: `generated/${app}.yaml`, text };
  });
  return parsePlans(sources, 'generated');
}

/** The services whose calls `quotaCalls` attributes: those whose quotas a mass failover throttles. */
const QUOTA_CALL_SERVICES: ReadonlySet<string> = new Set(['rds', 'autoscaling']);

/** One measured run of the simulator itself: what it played, and what it cost on this machine. */
export interface ScaleRun {
  readonly apps: number;
  /** What was played: every app failing over at once, or the apps standing by (an idle hold). */
  readonly run: 'failover' | 'idle';
  /** `succeeded/apps` executions (`-` for an idle run). */
  readonly succeeded: string;
  /** Virtual seconds the run played. */
  readonly virtualSeconds: number;
  /** Real and CPU ms of the whole `simulate` (CPU time moves less with the machine's load). */
  readonly realMs: number;
  readonly cpuMs: number;
  readonly cpuMsPerApp: number;
  /**
   * CPU ms of `cpuMs` spent starting the sandbox, before the scenario's first instant (dynalite
   * and its table, the simulated resources of every plan, each app's state, the Step Functions
   * interpreter): what does not grow with the virtual time played.
   */
  readonly startupCpuMs: number;
  /** Calls the quotas throttled, per quota (attempts answered with a throttling error). */
  readonly throttled: Record<string, number>;
  /**
   * The same throttled attempts by who made them and what they called (`<function> <operation>`,
   * the function `-` outside any Lambda invoke), the ten most first.
   */
  readonly throttledBy: Record<string, number>;
  /**
   * Every attempt at a throttled service (RDS, Auto Scaling) by who made it, where and what it
   * called (`<region> <function> <operation>`): `calls` attempts, `throttled` of them throttled,
   * busiest first. What each caller spends of a region's bucket, not only what it lost.
   */
  readonly quotaCalls: Record<string, { calls: number; throttled: number }>;
  /**
   * Why apps did not succeed, counted: `request: <error>` for a request refused (after the CLI's
   * own asking again), `<step>: <error>` for a run that failed in that step. Empty when all did.
   */
  readonly failures: Record<string, number>;
  /** Failover requests made more than once (asked again after a 503 ThrottledError), and the most attempts. */
  readonly retried: { readonly requests: number; readonly maxAttempts: number };
  /**
   * The simulator's work per app, in operations (they do not depend on this machine): API call
   * attempts answered, virtual-clock timers fired, and apps the ground truth re-read.
   */
  readonly perApp: { readonly calls: number; readonly timers: number; readonly truthReads: number };
}

/**
 * Plays `count` generated warm-standby apps failing over to us-west-2 at once, and measures the
 * simulator's cost. With `idleSeconds`, no app fails over: the apps stand by for that many virtual
 * seconds (a last event then) while the reconciler, readiness, keep-warm and health checks run.
 */
export async function scaleRun(count: number, idleSeconds?: number): Promise<ScaleRun> {
  const generated = generatedPlans(count);
  const scenario = parseScenario({
    name: idleSeconds ? `${count} apps standing by ${idleSeconds} s` : `${count} apps fail over at once`,
    latency: 'realistic',
    seed: 1,
    timeout: Math.max(3600, idleSeconds ?? 0),
    events: idleSeconds
      ? [{ at: idleSeconds, clear: 'all' }]
      : generated.map((plan) => ({
          at: 0,
          failover: { app: plan.name, to: 'us-west-2', mode: 'graceful', by: 'alice', reason: 'bench' },
        })),
  });
  const throttled: Record<string, number> = {};
  const throttledBy: Record<string, number> = {};
  const quotaCalls: Record<string, { calls: number; throttled: number }> = {};
  let work = { calls: 0, timers: 0, truthReads: 0 };
  const cpu = process.cpuUsage();
  const started = performance.now();
  let startup = { user: 0, system: 0 };
  const report = await simulate(generated, scenario, {
    started: () => {
      startup = process.cpuUsage(cpu);
    },
    inspect: (sandbox) => {
      for (const use of sandbox.aws.simulator.quotas.usage())
        if (use.throttled > 0) throttled[use.quota] = (throttled[use.quota] ?? 0) + use.throttled;
      for (const call of sandbox.aws.simulator.log) {
        if (call.throttled) {
          const key = `${call.caller ?? '-'} ${call.operation}`;
          throttledBy[key] = (throttledBy[key] ?? 0) + 1;
        }
        if (QUOTA_CALL_SERVICES.has(call.service)) {
          const key = `${call.region} ${call.caller ?? '-'} ${call.operation}`;
          const seen = quotaCalls[key] ?? { calls: 0, throttled: 0 };
          seen.calls++;
          if (call.throttled) seen.throttled++;
          quotaCalls[key] = seen;
        }
      }
      work = {
        calls: sandbox.aws.simulator.log.length,
        timers: sandbox.clock.firedTimers(),
        truthReads: sandbox.aws.truth.evaluations().appsEvaluated,
      };
    },
  });
  const realMs = performance.now() - started;
  const failures: Record<string, number> = {};
  const tally = (why: string) => {
    failures[why] = (failures[why] ?? 0) + 1;
  };
  for (const request of report.requests)
    if (request.kind === 'failover' && !request.accepted)
      tally(`request: ${(request.error ?? '?').split(':')[0]}`);
  for (const execution of report.executions) {
    if (execution.status === 'SUCCEEDED') continue;
    const step = execution.steps.find((s) => s.status === 'FAILED');
    tally(`${step?.name ?? execution.status}: ${(step?.error ?? execution.error ?? '?').split(':')[0]}`);
  }
  const attempts = report.requests.map((r) => r.attempts ?? 1);
  const { user, system } = process.cpuUsage(cpu);
  const cpuMs = (user + system) / 1000;
  const perApp = (n: number) => Math.round(n / count);
  return {
    apps: count,
    run: idleSeconds ? 'idle' : 'failover',
    succeeded: idleSeconds
      ? '-'
      : `${report.executions.filter((e) => e.status === 'SUCCEEDED').length}/${count}`,
    virtualSeconds: report.endedAt,
    realMs: Math.round(realMs),
    cpuMs: Math.round(cpuMs),
    cpuMsPerApp: Math.round(cpuMs / count),
    startupCpuMs: Math.round((startup.user + startup.system) / 1000),
    throttled,
    throttledBy: Object.fromEntries(
      Object.entries(throttledBy)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10),
    ),
    quotaCalls: Object.fromEntries(Object.entries(quotaCalls).sort((a, b) => b[1].calls - a[1].calls)),
    failures,
    retried: { requests: attempts.filter((a) => a > 1).length, maxAttempts: Math.max(1, ...attempts) },
    perApp: { calls: perApp(work.calls), timers: perApp(work.timers), truthReads: perApp(work.truthReads) },
  };
}

/**
 * The V8 flag the idle hour is measured under, so that its CPU is one core's: "disable the use of
 * background tasks" (`node --v8-options`). Without it, V8 runs its optimising compiler and most of
 * its garbage collection (concurrent marking, parallel scavenges) on a pool of helper threads, on
 * the machine's other cores when they are free: measured on the 2-core development machine, about
 * 5 to 6 s of the hour's CPU ran on those threads beside 9 to 10 s on the main one, and how much
 * depended on whether the second core was free (docs/performance.md, "The idle hour, round 7").
 * With it, the same work runs on the one thread, in the order it is needed, and the process's CPU
 * is the time one core spends.
 */
export const ONE_CORE_NODE_FLAGS: readonly string[] = ['--single-threaded'];

/** The idle hour measured in fresh processes: each run's figures, and the run of median CPU. */
export interface IdleHour {
  readonly runs: readonly ScaleRun[];
  readonly median: ScaleRun;
}

/**
 * `count` apps standing by one virtual hour ({@link scaleRun}), `runs` times, each in a fresh Node
 * process on one core ({@link ONE_CORE_NODE_FLAGS}; `bench/hour.ts`), one after the other: nothing
 * that ran before in the bench (its JIT-compiled code, its heap) changes what the hour costs, and
 * the median of the runs is the figure, since another process on a shared machine can slow any
 * one of them. Module loading and compiling the TypeScript are not counted: `scaleRun` measures
 * the `simulate` only.
 *
 * @throws Error when `runs` is not a positive integer, or a run's process fails (its stderr
 *   attached).
 */
export async function idleHourOnOneCore(count: number, runs: number): Promise<IdleHour> {
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`idle hour: expected a positive count of runs, got ${runs}`);
  const script = fileURLToPath(new URL('./hour.ts', import.meta.url));
  const root = fileURLToPath(new URL('..', import.meta.url));
  const measured: ScaleRun[] = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...ONE_CORE_NODE_FLAGS, '--import', 'tsx', script, String(count)],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: unknown) => {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`idle hour run ${i + 1}: ${(error as Error).message}${stderr ? `\n${stderr}` : ''}`);
    });
    measured.push(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ScaleRun);
  }
  return { runs: measured, median: medianByCpu(measured) };
}

/**
 * The run of median CPU (of an even count, the lower of the two middle runs: the figure is one
 * measured run, never an average of two).
 *
 * @throws Error when `runs` is empty.
 */
export function medianByCpu<R extends { readonly cpuMs: number }>(runs: readonly R[]): R {
  const byCpu = [...runs].sort((a, b) => a.cpuMs - b.cpuMs);
  const median = byCpu[Math.floor((byCpu.length - 1) / 2)];
  if (!median) throw new Error('median of the idle hour: expected at least one run, got none');
  return median;
}

/**
 * The evacuation cases of `npm run bench`: many apps leave a region at once through
 * `POST /evacuations`, played by `simulate` (virtual seconds, seed 1).
 */
import type { Plan } from '../functions/core/plan.js';
import type { QuotaUsage } from '../sandbox/quotas.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { parseScenario } from '../sandbox/scenario.js';
import { simulate } from '../sandbox/simulate.js';
import { generatedPlans } from './apps.js';

export interface EvacuationCase {
  readonly key: string;
  readonly name: string;
  readonly plans: () => Plan[];
  readonly events: unknown[];
}

const evacuate = (mode: 'graceful' | 'ungraceful') => ({
  at: 0,
  evacuate: { from: 'us-east-1', to: 'us-west-2', mode, by: 'alice', reason: 'bench' },
});
const OUTAGE = { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } };

export const EVACUATION_CASES: readonly EvacuationCase[] = [
  ...[1, 10, 100].map((n) => ({
    key: `arc${n}`,
    name: `${n} warm-standby ARC app(s), ungraceful after a region outage`,
    plans: () => generatedPlans(n),
    events: [OUTAGE, evacuate('ungraceful')],
  })),
  {
    key: 'records50',
    name: '50 Route 53-records apps, graceful, us-east-1 up',
    plans: () => generatedPlans(50, 'billing'),
    events: [evacuate('graceful')],
  },
];

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0
    ? null
    : sorted.length % 2
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const spread = (values: readonly number[]) =>
  values.length === 0 ? null : { min: Math.min(...values), median: median(values), max: Math.max(...values) };

/**
 * The busiest second of each API operation: the most calls (attempts) that started within any
 * one second, per service, region and operation, from the simulator's call log.
 */
function peakRates(sandbox: Sandbox): { api: string; peakPerSecond: number }[] {
  const byApi = new Map<string, number[]>();
  for (const call of sandbox.aws.simulator.log) {
    const key = `${call.service} ${call.region} ${call.operation}`;
    byApi.set(key, [...(byApi.get(key) ?? []), call.startedAt]);
  }
  const peaks = [...byApi].map(([api, starts]) => {
    starts.sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while ((starts[i] as number) - (starts[j] as number) >= 1000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    return { api, peakPerSecond: peak };
  });
  return peaks.sort((a, b) => b.peakPerSecond - a.peakPerSecond).slice(0, 8);
}

/** One quota's use in a case: its busiest second against its sustained limit, and what it refused. */
export type QuotaUse = Pick<
  QuotaUsage,
  'quota' | 'scope' | 'peakPerSecond' | 'limitPerSecond' | 'admitted' | 'throttled'
>;

/** Plays one evacuation case and measures it. */
export async function runEvacuationCase(c: EvacuationCase): Promise<Record<string, unknown>> {
  const plans = c.plans();
  const scenario = parseScenario({
    name: c.name,
    latency: 'realistic',
    seed: 1,
    timeout: 7200,
    events: c.events,
  });
  let peaks: ReturnType<typeof peakRates> = [];
  let quotas: QuotaUsage[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await simulate(plans, scenario, {
    inspect: (sandbox) => {
      peaks = peakRates(sandbox);
      quotas = sandbox.aws.simulator.quotas.usage();
    },
  });
  const realMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const evacuation = report.evacuations[0];
  const succeeded = report.executions.filter((e) => e.status === 'SUCCEEDED');
  const round = (n: number | null | undefined) =>
    n === null || n === undefined ? null : Math.round(n * 10) / 10;
  const rto = spread(succeeded.map((e) => e.rtoSeconds ?? 0));
  const cp = spread(succeeded.map((e) => e.controlPlaneSeconds ?? 0));
  return {
    case: c.key,
    name: c.name,
    apps: plans.length,
    succeeded: evacuation?.succeeded ?? 0,
    failed: evacuation?.failed ?? plans.length,
    rto: rto && { min: round(rto.min), median: round(rto.median), max: round(rto.max) },
    allServedSeconds:
      evacuation?.allServedAt !== null && evacuation?.allServedAt !== undefined
        ? round(evacuation.allServedAt - evacuation.startedAt)
        : null,
    controlPlane: cp && { min: round(cp.min), median: round(cp.median), max: round(cp.max) },
    peakApiRates: peaks,
    quotas: quotas.map(
      (q): QuotaUse => ({
        quota: q.quota,
        scope: q.scope,
        peakPerSecond: q.peakPerSecond,
        limitPerSecond: q.limitPerSecond,
        admitted: q.admitted,
        throttled: q.throttled,
      }),
    ),
    refused: report.requests.filter((r) => !r.accepted).map((r) => r.error),
    realMs: Math.round(realMs),
    cpuMs: Math.round((user + system) / 1000),
  };
}

/** Issue 10's goal: N apps all served within this many times one app's time (plus the quotas' bound). */
export const ALL_SERVED_GOAL_RATIO = 1.2;

/**
 * The goal line of each evacuation case against one app's (`arc1`, from this run or else the
 * previous figures): its all-served time as a multiple of one app's, or why it has none.
 */
export function allServedAgainstOneApp(
  rows: readonly Record<string, unknown>[],
  previous: readonly Record<string, unknown>[],
): string[] {
  const one = [...rows, ...previous].find((r) => r.case === 'arc1')?.allServedSeconds;
  if (typeof one !== 'number') return ['all served against one app: no arc1 figure to compare with'];
  return rows
    .filter((r) => r.case !== 'arc1')
    .map((r) =>
      typeof r.allServedSeconds === 'number'
        ? `${r.case}: all served in ${r.allServedSeconds} s, ${(r.allServedSeconds / one).toFixed(2)} x one app (${one} s; goal <= ${ALL_SERVED_GOAL_RATIO} x plus the quotas' bound), ${r.succeeded} succeeded, ${r.failed} failed`
        : `${r.case}: never all served (${r.failed} failed)`,
    );
}

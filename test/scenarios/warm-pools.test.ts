import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/core/plan.js';
import { loadPlans, parsePlans } from '../../functions/core/plan-loader.js';
import { POLL_SECONDS } from '../../functions/runbook/context.js';
import { FAST, REALISTIC } from '../../sandbox/latency.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { type ExecutionReport, type SimulationReport, simulate } from '../../sandbox/simulate.js';

/**
 * Issue 14 (warm pools) and issue 8's capacity items, played end to end: `orders` keeps a Stopped
 * warm pool (plans/orders.yaml: prepared capacity 6, reuse on scale-in).
 */

const plans = await loadPlans('plans');

/** The example plans with orders' warm pool line replaced by `pool` (a YAML flow map), or removed. */
async function ordersWithPool(pool: string | undefined): Promise<Plan[]> {
  const sources = await Promise.all(
    ['orders.yaml', 'billing.yaml'].map(async (file) => {
      let text = await readFile(`plans/${file}`, 'utf8');
      if (file === 'orders.yaml') {
        const line = /^ {6}warmPool: .*$/m;
        expect(text).toMatch(line);
        text = pool === undefined ? text.replace(line, '') : text.replace(line, `      warmPool: ${pool}`);
      }
      return { file, text };
    }),
  );
  return parsePlans(sources);
}

async function play(
  events: Record<string, unknown>[],
  options: {
    plans?: readonly Plan[];
    latency?: 'realistic' | 'fast';
    inspect?: (sandbox: Sandbox) => void | Promise<void>;
  } = {},
): Promise<SimulationReport> {
  const scenario = parseScenario({ latency: options.latency ?? 'fast', seed: 1, timeout: 3600, events });
  return simulate(options.plans ?? plans, scenario, options.inspect ? { inspect: options.inspect } : {});
}

// The group scales out as the approval wait begins (approvals.capacity: before-approval) and its
// readiness is polled once the run is approved: in the fast profile the approver answers within a
// second, before a warm start is done; the realistic request path (about 1.2 s) needs longer.
const failover = (at: number, to: string, mode: 'graceful' | 'ungraceful', approveAfter = 1) => [
  { at, failover: { app: 'orders', to, mode, by: 'alice', reason: 'test' } },
  { at: at + approveAfter, approve: { app: 'orders', by: 'bob' } },
];

function capacityStep(execution: ExecutionReport | undefined) {
  const step = execution?.steps.find((s) => s.name === 'ScaleCapacity');
  expect(step?.finishedAt).not.toBeNull();
  // The launch begins as the approval wait does (PrepareCapacity, approvals.capacity: before-approval).
  const began = execution?.steps.find((s) => s.name === 'PrepareCapacity' && s.status === 'SUCCEEDED');
  const startedAt = began?.startedAt ?? step?.startedAt ?? 0;
  return { ...step, seconds: (step?.finishedAt ?? 0) - startedAt };
}

/** The slowest warm start that serves: a Stopped instance's start (+10%), then one health check interval. */
const warmServeSeconds = (p: typeof REALISTIC) =>
  (p.autoscaling.warmStartMs.Stopped * 1.1 + p.elb.healthCheckIntervalMs) / 1000;
/** The quickest launch from nothing: launchMs - 10%. */
const coldLaunchSeconds = (p: typeof REALISTIC) => (p.autoscaling.launchMs * 0.9) / 1000;

describe('warm pools in a failover', () => {
  // Two realistic runs, one test each (each is most of a minute of CPU on a loaded machine): the
  // pooled run's capacity is a warm start, the one without a pool is a launch from nothing.
  const outage = { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } };

  it('ungraceful, realistic: capacity comes from the pool, ready well before a launch from nothing; the Aurora failover (minutes) is then the long pole of the RTO', async () => {
    const withPool = await play([outage, ...failover(0, 'us-west-2', 'ungraceful', 5)], {
      latency: 'realistic',
    });

    const pooled = withPool.executions[0];
    expect(pooled?.status).toBe('SUCCEEDED');
    // Poll cadence aside, the capacity step lasts a warm start and one health check, which is
    // shorter than the quickest launch from nothing (the next test's run).
    expect(capacityStep(pooled).seconds).toBeLessThanOrEqual(warmServeSeconds(REALISTIC) + 10);
    expect(warmServeSeconds(REALISTIC) + 10).toBeLessThan(coldLaunchSeconds(REALISTIC));
    // Capacity is off the critical path: the RTO follows the promotion, not the launch.
    const promote = pooled?.steps.find((s) => s.name === 'PromoteDatabase');
    expect(capacityStep(pooled).finishedAt ?? 0).toBeLessThan(promote?.finishedAt ?? 0);
    expect(pooled?.rtoSeconds).toBeLessThanOrEqual((promote?.finishedAt ?? 0) + 20);
  });

  it('ungraceful, realistic, without the pool: capacity is a launch from nothing', async () => {
    const withoutPool = await play([outage, ...failover(0, 'us-west-2', 'ungraceful', 5)], {
      latency: 'realistic',
      plans: await ordersWithPool(undefined),
    });

    const cold = withoutPool.executions[0];
    expect(cold?.status).toBe('SUCCEEDED');
    expect(capacityStep(cold).seconds).toBeGreaterThanOrEqual(coldLaunchSeconds(REALISTIC));
  });

  it('graceful failover and failback: the old region scales back to standby into its pool (reuse on scale-in), so the failback is as fast as the failover', async () => {
    const served: Record<string, string[]> = {};
    const report = await play(
      [...failover(0, 'us-west-2', 'graceful'), ...failover(400, 'us-east-1', 'graceful')],
      {
        inspect: (sandbox) => {
          for (const [region, name] of [
            ['us-east-1', 'orders-web-use1'],
            ['us-west-2', 'orders-web-usw2'],
          ] as const) {
            const group = sandbox.aws.autoScaling.group(region, name);
            served[region] = group?.warmPool?.instances.map((i) => i.lifecycleState) ?? [];
          }
        },
      },
    );

    const [there, back] = report.executions;
    expect(there?.status).toBe('SUCCEEDED');
    expect(back?.status).toBe('SUCCEEDED');
    expect(there).toMatchObject({ from: 'us-east-1', to: 'us-west-2' });
    expect(back).toMatchObject({ from: 'us-west-2', to: 'us-east-1' });
    // Both capacity steps are warm starts: a warm serve plus at most one capacity poll (1 s, which
    // the fast profile does not scale, so it is not always under a fast launch from nothing).
    for (const execution of [there, back])
      expect(capacityStep(execution).seconds).toBeLessThan(
        warmServeSeconds(FAST) + POLL_SECONDS.capacity + 0.2,
      );
    // us-west-2, back on standby, holds its 5 instances again, warmed; us-east-1 (active) none.
    expect(served['us-west-2']).toEqual(Array(5).fill('Warmed:Stopped'));
    expect(served['us-east-1']).toEqual([]);
    expect(report.final.orders).toMatchObject({ activeRegion: 'us-east-1', trafficRegion: 'us-east-1' });
    expect(report.invariants.every((i) => i.held)).toBe(true);
  });

  it('a pool too small for the active profile: the rest launches from nothing, and the capacity step (and RTO) says so', async () => {
    // Prepared capacity 3: 2 in the pool beside the standby's 1, the other 3 launched from nothing.
    const small = await ordersWithPool('{ maxGroupPreparedCapacity: 3, poolState: Stopped }');
    const report = await play(failover(0, 'us-west-2', 'graceful'), { plans: small });
    const full = await play(failover(0, 'us-west-2', 'graceful'));

    const execution = report.executions[0];
    expect(execution?.status).toBe('SUCCEEDED');
    expect(capacityStep(execution).seconds).toBeGreaterThanOrEqual(coldLaunchSeconds(FAST));
    expect(capacityStep(full.executions[0]).seconds).toBeLessThan(
      warmServeSeconds(FAST) + POLL_SECONDS.capacity + 0.2,
    );
    expect(execution?.rtoSeconds).toBeGreaterThan(full.executions[0]?.rtoSeconds ?? Number.POSITIVE_INFINITY);
  });

  it('a lifecycle hook that never completes: the pool instances stop at Pending:Wait and the capacity gate fails clearly', async () => {
    const report = await play([
      { at: 0, fault: { kind: 'instances-unhealthy', group: 'orders-web-usw2', cause: 'lifecycle-hook' } },
      ...failover(1, 'us-west-2', 'graceful'),
    ]);

    const execution = report.executions[0];
    expect(execution?.status).toBe('FAILED');
    expect(execution?.error).toMatch(/orders-web in us-west-2: 1\/6 InService and healthy/);
    expect(execution?.error).toMatch(/5 held at Pending:Wait by a lifecycle hook not completed/);
    // Traffic never moved to the unready region.
    expect(report.final.orders).toMatchObject({ trafficRegion: 'us-east-1', writerRegion: 'us-east-1' });
  });

  it('InService but never healthy in the target group is not counted: the gate fails naming the load balancer reason', async () => {
    const report = await play([
      { at: 0, fault: { kind: 'instances-unhealthy', group: 'orders-web-usw2' } },
      ...failover(1, 'us-west-2', 'graceful'),
    ]);

    const execution = report.executions[0];
    expect(execution?.status).toBe('FAILED');
    expect(execution?.error).toMatch(/1\/6 InService and healthy in the load balancer/);
    expect(execution?.error).toMatch(
      /5 InService but not healthy in the target group \(Target\.FailedHealthChecks\)/,
    );
    expect(report.final.orders).toMatchObject({ trafficRegion: 'us-east-1' });
  });
});

describe('capacity in the ground truth', () => {
  it('an ungraceful failover short of capacity reports degraded intervals (served under healthyPercent), not outages', async () => {
    const report = await play([
      { at: 0, fault: { kind: 'region-outage', region: 'us-east-1' } },
      { at: 0, fault: { kind: 'capacity-shortage', group: 'orders-web-usw2', maxInService: 3 } },
      ...failover(0, 'us-west-2', 'ungraceful'),
      { at: 600, clear: { kind: 'capacity-shortage' } },
    ]);

    const execution = report.executions[0];
    expect(execution).toMatchObject({ status: 'SUCCEEDED', underCapacity: true });
    const degraded = report.degraded.filter((d) => d.app === 'orders');
    expect(degraded).toHaveLength(1);
    const [span] = degraded;
    // Degraded from when users reach the new region until capacity returns (launch + health check).
    const lastOutage = report.outages.filter((o) => o.app === 'orders').at(-1);
    expect(span?.from).toBe(lastOutage?.to);
    expect(span?.to).toBeGreaterThan(600);
    expect(span?.to).toBeLessThanOrEqual(
      600 + (FAST.autoscaling.launchMs * 1.1 + FAST.elb.healthCheckIntervalMs) / 1000 + 0.1,
    );
  });

  it('a failover with enough capacity has no degraded interval', async () => {
    const report = await play(failover(0, 'us-west-2', 'graceful'));
    expect(report.executions[0]?.status).toBe('SUCCEEDED');
    expect(report.degraded.filter((d) => d.app === 'orders')).toEqual([]);
  });
});

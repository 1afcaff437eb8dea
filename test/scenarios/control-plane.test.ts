import { describe, expect, it } from 'vitest';
import { CASES, caseScenario, withoutWarmPools } from '../../bench/cases.js';
import { loadPlans } from '../../functions/core/plan-loader.js';
import type { CallRecord } from '../../sandbox/aws/simulator.js';
import { parseScenario } from '../../sandbox/scenario.js';
import { simulate } from '../../sandbox/simulate.js';

// The control plane's own time in a failover (issue 10: README, Benchmarks, "controlPlaneSeconds"),
// on the bench's warm-standby ungraceful case: the request's dry run is read once (Preflight
// decides on it, Begin records that), beside the reservation, and the runbook starts sooner.
// Virtual seconds, realistic profile, seed 1 as the bench.

const plans = await loadPlans('plans');
const bench = CASES.find((c) => c.name === 'warm standby, ungraceful after a region outage');

/**
 * The bench's pooled graceful case (a Stopped warm pool, graceful) simulated at `seed`: its
 * execution, and the execution's own calls (the simulator's log).
 */
async function pooledGraceful(seed: number) {
  const pooled = CASES.find((c) => c.name === 'warm standby with a Stopped warm pool, graceful');
  if (!pooled) throw new Error('bench case missing from bench/cases.ts');
  let calls: CallRecord[] = [];
  const report = await simulate(
    plans,
    { ...caseScenario(pooled), seed },
    {
      inspect: (sandbox) => {
        calls = [...sandbox.aws.simulator.log];
      },
    },
  );
  const execution = report.executions[0];
  return { execution, own: calls.filter((c) => c.executionId === execution?.id) };
}

/**
 * A run's one SwitchoverGlobalCluster (asserted: exactly one), the last capacity read that
 * finished before it (the read that saw the group ready) and the calls started between the two.
 */
function switchoverAfterReadyRead(own: readonly CallRecord[]) {
  const switchovers = own.filter((c) => c.operation === 'SwitchoverGlobalCluster');
  expect(switchovers).toHaveLength(1);
  const switchover = switchovers[0];
  if (!switchover) throw new Error('no SwitchoverGlobalCluster in the run');
  const readyRead = own
    .filter((c) => c.operation === 'DescribeTargetHealth' && c.finishedAt <= switchover.startedAt)
    .at(-1);
  if (!readyRead) throw new Error('no capacity read before the switchover');
  const between = own.filter(
    (c) => c.startedAt >= readyRead.finishedAt && c.startedAt < switchover.startedAt,
  );
  return { switchover, readyRead, between };
}

describe('control plane', () => {
  it('warm standby, ungraceful: the dry run is read once, the runbook starts within 0.8 s, traffic moves as the promotion is seen done, control plane under 3 s', async () => {
    if (!bench) throw new Error('bench case missing from bench/cases.ts');
    const scenario = parseScenario({
      name: bench.name,
      latency: 'realistic',
      seed: 1,
      timeout: 3600,
      events: bench.events,
    });
    let calls: CallRecord[] = [];
    const report = await simulate(withoutWarmPools(plans), scenario, {
      inspect: (sandbox) => {
        calls = [...sandbox.aws.simulator.log];
      },
    });
    const execution = report.executions[0];
    expect(execution?.status).toBe('SUCCEEDED');
    const t0 = Date.parse(scenario.start);
    const requestedAt = t0 + (execution?.startedAt ?? Number.NaN) * 1000;
    const first = (operation: string) =>
      calls.find((c) => c.operation === operation && c.startedAt >= requestedAt);
    const started = first('StartExecution');
    if (!started) throw new Error('no StartExecution in the call log');
    // The run waits for an approver until 5 s (the case's approve event): nothing moves before.
    const approvedAt = t0 + 5_000;

    // The runbook starts sooner: the dry run's reads run beside the reservation's writes, and the
    // audit entry beside the record (it started 0.93 s after the request before).
    expect((started.startedAt - requestedAt) / 1000).toBeLessThan(0.8);
    // One round of readiness reads: the dry run's, before the start; Preflight (decided by Begin)
    // reads nothing again before the approval (before, a second DescribeGlobalClusters).
    const describes = calls.filter(
      (c) =>
        c.operation === 'DescribeGlobalClusters' && c.startedAt >= requestedAt && c.startedAt < approvedAt,
    );
    expect(describes.filter((c) => c.startedAt < started.startedAt)).toHaveLength(1);
    expect(describes.filter((c) => c.startedAt > started.startedAt)).toHaveLength(0);
    // One ARC update in the run: whoever moved traffic (the waker, when capacity was recorded
    // ready as the promotion ended; else ShiftTraffic), nobody made it twice.
    const updates = calls.filter((c) => c.operation === 'UpdateRoutingControlStates' && c.ok);
    expect(updates).toHaveLength(1);
    // What it adds up to (4.3 s two rounds before; target 2 s: see the README for what remains).
    expect(execution?.controlPlaneSeconds).toBeLessThan(4);
  });

  it('warm standby with a warm pool, ungraceful: the dry run reads in one round, traffic moves as the promotion is seen done, control plane under 2.5 s', async () => {
    const pooled = CASES.find((c) => c.name === 'warm standby with a Stopped warm pool, ungraceful');
    if (!pooled) throw new Error('bench case missing from bench/cases.ts');
    const scenario = caseScenario(pooled);
    let calls: CallRecord[] = [];
    const report = await simulate(plans, scenario, {
      inspect: (sandbox) => {
        calls = [...sandbox.aws.simulator.log];
      },
    });
    const execution = report.executions[0];
    expect(execution?.status).toBe('SUCCEEDED');
    // The dry run's reads are one round: the lag, the warm pool and the target health (the plan's
    // target groups) start with the cluster and the group they used to follow (0.55 s -> 0.25 s).
    const requestedAt = Date.parse(scenario.start) + (execution?.startedAt ?? Number.NaN) * 1000;
    const dryRun = calls.filter((c) => c.executionId === undefined && c.startedAt < requestedAt + 1_000);
    const startOf = (operation: string) => dryRun.find((c) => c.operation === operation)?.startedAt;
    const first = startOf('DescribeAutoScalingGroups');
    expect(first).toBeDefined();
    for (const operation of [
      'DescribeDBClusters',
      'GetMetricData',
      'DescribeWarmPool',
      'DescribeTargetHealth',
    ])
      expect(startOf(operation), operation).toBe(first);
    // Capacity (from the pool) is ready long before the failover ends: the step that saw the
    // promotion done (the region's poller, at its budget's pace, before RDS's event) set the
    // routing controls before the database branch recorded its outcome, and ShiftTraffic followed
    // that change.
    const step = (name: string) => execution?.steps.find((s) => s.name === name);
    expect(step('ShiftTraffic')?.startedAt).toBeLessThan(step('PromoteDatabase')?.finishedAt ?? 0);
    const moved = calls.find((c) => c.operation === 'UpdateRoutingControlStates' && c.ok);
    expect(moved?.executionId).toMatch(/^poller-/);
    // 3.41 s three rounds before, 2.84 s two before, 2.30 s before the poller read it (1.79 s).
    expect(execution?.controlPlaneSeconds).toBeLessThan(2);
  });

  it('warm standby with a warm pool, graceful: the switchover starts where the last group is read ready, not after a hand-off', async () => {
    // Seed 3: the database branch's parked wait is live when the groups turn ready. Where it would
    // end within SWITCHOVER_WAIT_MARGIN_MS (seed 1, below), CheckCapacity hands the switchover to
    // the woken branch instead, so that two switchovers never race.
    const { execution, own } = await pooledGraceful(3);
    expect(execution?.status).toBe('SUCCEEDED');
    const switchover = own.find((c) => c.operation === 'SwitchoverGlobalCluster');
    if (!switchover) throw new Error('no SwitchoverGlobalCluster in the run');
    const readyRead = own
      .filter((c) => c.operation === 'DescribeTargetHealth' && c.finishedAt <= switchover.startedAt)
      .at(-1);
    if (!readyRead) throw new Error('no capacity read before the switchover');
    // CheckCapacity's ready read -> switchover started: its fence beside the global cluster's
    // read (0.25 s); 0.47 s when the woken database branch read and called (a SendTaskSuccess, a
    // Lambda and its read later), 0.25 s since it calls on the read carried in the wake (seed 1).
    expect((switchover.startedAt - readyRead.finishedAt) / 1000).toBeLessThan(0.35);
    expect(switchover.ok).toBe(true);
    expect(own.filter((c) => c.operation === 'SwitchoverGlobalCluster')).toHaveLength(1);
  });

  it('warm standby with a warm pool, graceful, seed 1: the switchover handed to the woken branch is called on the read beside the ready read, within 0.35 s of it', async () => {
    // Seed 1: the database branch's wait ends within SWITCHOVER_WAIT_MARGIN_MS of the ready read,
    // so the woken branch calls: on CheckCapacity's global cluster read and the wait's token it
    // read, carried in the wake (round 8: 0.57 s from the ready read before, the branch's own
    // DescribeGlobalClusters and a second read of the wait among them).
    const { execution, own } = await pooledGraceful(1);
    expect(execution?.status).toBe('SUCCEEDED');
    const { switchover, readyRead, between } = switchoverAfterReadyRead(own);
    expect(switchover.caller).toBe('CheckDatabase');
    expect(switchover.ok).toBe(true);
    expect(between.filter((c) => c.operation === 'DescribeGlobalClusters')).toHaveLength(0);
    // The wake (SendTaskSuccess), the transition and the branch's invoke, its fence.
    expect((switchover.startedAt - readyRead.finishedAt) / 1000).toBeLessThan(0.35);
    expect(execution?.controlPlaneSeconds).toBeLessThan(1.8);
  });

  it('warm standby with a warm pool, graceful, seed 5: a watch that spent its budget is followed at once, so the group is seen ready within the watch interval and switched over without a read in series', async () => {
    // Seed 5: CheckCapacity's 20 s watch ran out 0.86 s before the group turned ready. Before
    // round 9 the poll's 1 s Wait and invoke followed, the next poll's first read saw the group
    // ready and only then read the global cluster (0.92 s ready -> switchover, control plane
    // 2.245 s). Now the check follows at once (`again`) and watches, and its first read carries
    // the global cluster and the fence.
    const { execution, own } = await pooledGraceful(5);
    expect(execution?.status).toBe('SUCCEEDED');
    const { switchover, readyRead, between } = switchoverAfterReadyRead(own);
    // No DescribeGlobalClusters between the ready read and the switchover: it was read beside.
    expect(between.filter((c) => c.operation === 'DescribeGlobalClusters')).toHaveLength(0);
    expect((switchover.startedAt - readyRead.finishedAt) / 1000).toBeLessThan(0.35);
    expect(execution?.controlPlaneSeconds).toBeLessThan(1.8);
  });

  it('warm standby with a warm pool, graceful, seeds 2 and 4: one switchover per run, whoever makes it', async () => {
    for (const seed of [2, 4]) {
      const { execution, own } = await pooledGraceful(seed);
      expect(execution?.status, `seed ${seed}`).toBe('SUCCEEDED');
      const switchovers = own.filter((c) => c.operation === 'SwitchoverGlobalCluster');
      expect(switchovers, `seed ${seed}`).toHaveLength(1);
      expect(switchovers[0]?.ok, `seed ${seed}`).toBe(true);
      // Issue 10: within 2 s at every seed (seed 2 was 2.066 s in round 8: the carried read aged
      // out in the hand-off and was read again).
      expect(execution?.controlPlaneSeconds, `seed ${seed}`).toBeLessThan(1.9);
    }
  });

  it("pilot light, graceful, seed 2: the promotion follows the poller's sight of the reader within 0.1 s, and the control plane stays within 2 s", async () => {
    // Seed 2 is pilot light's worst seed (1.966 s; issue 10 asks for 2 s): the poller's pass after
    // the reader turned available came 0.15 s later. Its kept capacity read (two groups) is one
    // round now (the target groups beside DescribeAutoScalingGroups), so that the promotion never
    // waits on it after the reader is seen, even in an invocation's first pass.
    const pilot = CASES.find((c) => c.name === 'pilot light, graceful switchover');
    if (!pilot) throw new Error('bench case missing from bench/cases.ts');
    let calls: CallRecord[] = [];
    const report = await simulate(
      withoutWarmPools(plans),
      { ...caseScenario(pilot), seed: 2 },
      {
        inspect: (sandbox) => {
          calls = [...sandbox.aws.simulator.log];
        },
      },
    );
    const execution = report.executions[0];
    expect(execution?.status).toBe('SUCCEEDED');
    const switchovers = calls.filter(
      (c) => c.operation === 'SwitchoverGlobalCluster' && c.startedAt > 0 && c.ok,
    );
    expect(switchovers).toHaveLength(1);
    const switchover = switchovers[0];
    if (!switchover) throw new Error('no SwitchoverGlobalCluster in the run');
    // The poller's sight of the reader available -> switchover called: the fence (70 ms) and the
    // promotion's kept reads (the capacity read in one round now, 0.2 s, under the reader's 0.25 s).
    const sight = calls
      .filter(
        (c) =>
          c.operation === 'DescribeDBInstances' &&
          c.executionId?.startsWith('poller-') &&
          c.finishedAt <= switchover.startedAt,
      )
      .at(-1);
    if (!sight) throw new Error("no poller's DescribeDBInstances before the switchover");
    expect((switchover.startedAt - sight.finishedAt) / 1000).toBeLessThanOrEqual(0.1);
    expect(execution?.controlPlaneSeconds).toBeLessThan(2);
  });
});

import { describe, expect, it } from 'vitest';
import { batchedReads, type ReadPorts, WARM_POOL_PACE } from '../../functions/observer/batched-reads.js';
import type { RunbookDeps } from '../../functions/runbook/context.js';

/**
 * DescribeWarmPool takes one group, so batched reads pace it per region (WARM_POOL_PACE): counted
 * in the waits asked of the clock, not timed.
 */
describe('warm pool reads are paced per region', () => {
  /** Ports that answer at once, and a clock whose waits are recorded (and take no time). */
  function world() {
    let now = 0;
    const waits: number[] = [];
    const asked: string[] = [];
    const clock: RunbookDeps['clock'] = {
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
      },
    };
    const autoScaling = {
      warmPool: async (region: string, name: string) => {
        asked.push(`${region}/${name}`);
        return undefined;
      },
    } as unknown as ReadPorts['autoScaling'];
    const deps = { aurora: {}, arc: {}, autoScaling, clock } as unknown as ReadPorts &
      Pick<RunbookDeps, 'clock'>;
    return { deps, waits, asked, advance: (ms: number) => (now += ms) };
  }

  it('answers a burst at once, then one read per 1/perSecond s, each region on its own', async () => {
    // Arrange
    const { deps, waits, asked } = world();
    const reads = batchedReads(deps);
    const extra = 10;

    // Act: one region's burst and ten more, and one read in another region, all at the same instant.
    await Promise.all([
      ...Array.from({ length: WARM_POOL_PACE.burst + extra }, (_, i) =>
        reads.autoScaling.warmPool('us-west-2', `g${i}`),
      ),
      reads.autoScaling.warmPool('us-east-1', 'other'),
    ]);

    // Assert: every read made; only the ten beyond the burst waited, each a step longer.
    expect(asked).toHaveLength(WARM_POOL_PACE.burst + extra + 1);
    const step = 1000 / WARM_POOL_PACE.perSecond;
    expect(waits).toEqual(Array.from({ length: extra }, (_, i) => Math.ceil((i + 1) * step)));
  });

  it('refills at perSecond: after a second, that many read without waiting', async () => {
    // Arrange: the burst spent.
    const { deps, waits, advance } = world();
    const reads = batchedReads(deps);
    await Promise.all(
      Array.from({ length: WARM_POOL_PACE.burst }, (_, i) =>
        reads.autoScaling.warmPool('us-west-2', `g${i}`),
      ),
    );

    // Act
    advance(1000);
    await Promise.all(
      Array.from({ length: WARM_POOL_PACE.perSecond + 1 }, (_, i) =>
        reads.autoScaling.warmPool('us-west-2', `h${i}`),
      ),
    );

    // Assert: perSecond read at once, the next waits one step.
    expect(waits).toEqual([Math.ceil(1000 / WARM_POOL_PACE.perSecond)]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  beginExecution,
  type FailoverRequest,
  reservationLeaseSeconds,
} from '../../functions/runbook/begin.js';
import { checkCapacity, scaleCapacity } from '../../functions/runbook/capacity.js';
import type { Progress, RunbookDeps, RunContext } from '../../functions/runbook/context.js';
import { checkDatabase, promoteDatabase } from '../../functions/runbook/database.js';
import { checkPrepare, prepareDatabase } from '../../functions/runbook/prepare.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { useSandbox } from '../use-sandbox.js';

// Two executions of one app: A takes the lock, stalls past its lease, and B takes the app over
// (a new epoch) and does the work. A, resuming, finds that work done; it must not record it as its
// own success. Use cases run directly against the sandbox (dynalite, simulated AWS), on the
// virtual clock.

const WEST = 'us-west-2';
const DATABASE = { kind: 'database', id: 'billing-global' } as const;
const GROUP = { kind: 'capacity', id: 'billing-api' } as const;

let sandbox: Sandbox;
let deps: RunbookDeps;

useSandbox({ latency: 'fast', seed: 5 }, (started) => {
  sandbox = started;
  deps = sandbox.region(WEST).deps;
});

const request = (executionId: string): FailoverRequest => ({
  plan: 'billing',
  targetRegion: WEST,
  mode: 'ungraceful',
  trigger: 'operator',
  requestedBy: 'carol',
  reason: `fencing test ${executionId}`,
  executionId,
});

const begin = async (executionId: string): Promise<RunContext> =>
  (
    await sandbox.run(
      beginExecution(
        {
          request: request(executionId),
          executionArn: `arn:aws:states:${WEST}:1:execution:x:${executionId}`,
        },
        deps,
      ),
    )
  ).run;

/** Polls a check use case on the virtual clock until it reports done (bounded by its own budget). */
async function until(check: (progress: Progress) => Promise<Progress>, first: Progress): Promise<Progress> {
  let progress = first;
  while (!progress.done) {
    await sandbox.run(sandbox.clock.sleep(progress.nextPollSeconds * 1000));
    progress = await sandbox.run(check(progress));
  }
  return progress;
}

describe('a step fenced out by another execution', () => {
  it('never records success for the promotion and capacity another execution brought about', async () => {
    // Prepare: A begins, then stalls past its lease; B takes the app over with a higher epoch
    const a = await begin('billing-fenced-a');
    await sandbox.run(
      sandbox.clock.sleep((reservationLeaseSeconds(deps.plans.get('billing'), 'operator') + 1) * 1000),
    );
    const b = await begin('billing-fenced-b');
    expect(b.epoch).toBeGreaterThan(a.epoch);
    // B gives the target's headless cluster a reader (pilot light), promotes it and scales the
    // target's group, to the end.
    await until(
      (progress) => checkPrepare({ run: b, resource: DATABASE, progress }, deps),
      await sandbox.run(prepareDatabase({ run: b, resource: DATABASE }, deps)),
    );
    await until(
      (progress) => checkDatabase({ run: b, resource: DATABASE, progress }, deps),
      await sandbox.run(promoteDatabase({ run: b, resource: DATABASE }, deps)),
    );
    await until(
      (progress) => checkCapacity({ run: b, resource: GROUP, progress }, deps),
      await sandbox.run(scaleCapacity({ run: b, resource: GROUP }, deps)),
    );

    // Act: A resumes and finds the writer in the target and the capacity ready
    const promoted = await sandbox.run(promoteDatabase({ run: a, resource: DATABASE }, deps));
    const [checkedDatabase, checkedCapacity] = await Promise.allSettled([
      sandbox.run(checkDatabase({ run: a, resource: DATABASE, progress: promoted }, deps)),
      sandbox.run(checkCapacity({ run: a, resource: GROUP, progress: { ...promoted, detail: {} } }, deps)),
    ]);

    // Assess: A is told it lost the lock, and its record claims none of B's work
    for (const checked of [checkedDatabase, checkedCapacity]) {
      expect(checked.status).toBe('rejected');
      expect(checked.status === 'rejected' && checked.reason).toMatchObject({ name: 'LockLostError' });
    }
    const recordA = await sandbox.run(deps.store.getExecution('billing', a.executionId));
    const recordB = await sandbox.run(deps.store.getExecution('billing', b.executionId));
    const succeeded = (steps: Record<string, { status: string }> | undefined) =>
      Object.entries(steps ?? {})
        .filter(([key, step]) => key !== 'BeginExecution' && step.status === 'SUCCEEDED')
        .map(([key]) => key)
        .sort();
    expect(succeeded(recordA?.steps)).toEqual([]);
    expect(succeeded(recordB?.steps)).toEqual([
      'PrepareDatabase#billing-global',
      'PromoteDatabase#billing-global',
      'ScaleCapacity#billing-api',
    ]);
  });
});

import { isoNow } from '../core/clock.js';
import { memberIn } from '../core/plan-registry.js';
import * as z from '../core/zod.js';
import {
  fence,
  nextPoll,
  Progress,
  PromotionStarted,
  parseInput,
  pollThrottled,
  ResourceItem,
  type RunbookDeps,
  RunContext,
  readerWaitSeconds,
  recordOutcome,
  recordStep,
  startProgress,
  stepKey,
} from './context.js';
import { globalCluster } from './resources.js';
import { freshWakeRead, wakeReader } from './wake-reads.js';
import { readerInstanceId } from './wake-signal.js';

/** The ports and context this use case reads (the composition root gives it no more). */
export type PrepareDeps = Pick<RunbookDeps, 'aurora' | 'clock' | 'plans' | 'random' | 'store'>;

const PrepareInput = z.object({ run: RunContext, resource: ResourceItem });
/** The `$.wake` CheckPrepare receives: a WakeSignal (functions/runbook/wake-signal.ts), or the AwaitEvent Task's caught error. */
const WakeInput = z.optional(
  z.looseObject({
    by: z.optional(z.string()),
    reader: z.optional(
      z.object({ instance: z.string().check(z.minLength(1)), readAt: z.string().check(z.minLength(1)) }),
    ),
    /** The promotion the waker started once it saw the reader (carried to PromoteDatabase). */
    promotion: z.optional(PromotionStarted),
  }),
);
const CheckInput = z.object({ run: RunContext, resource: ResourceItem, progress: Progress, wake: WakeInput });

/** Creating an Aurora instance takes minutes; the poll budget allows for a slow one. */
const PREPARE_BUDGET_SECONDS = 1_800;

/**
 * PrepareDatabase (pilot light): a headless secondary cluster (storage only, no instances: the
 * cheapest standby) needs a reader before it can be promoted. Adds one of the plan's
 * `readerInstanceClass` if the target cluster has none. Idempotent.
 */
export async function prepareDatabase(input: unknown, deps: PrepareDeps): Promise<Progress> {
  const { run, resource } = parseInput(PrepareInput, input, 'PrepareDatabase');
  const cluster = globalCluster(deps.plans.get(run.app), resource.id);
  const targetArn = memberIn(cluster.members, run.to);
  const startedAt = isoNow(deps.clock);
  // Parked between checks (AwaitEvent), woken by the region poller's watch of the reader or RDS's
  // instance-created event, else after the fallback.
  const progress = startProgress(deps.clock, readerWaitSeconds(run, deps.plans), PREPARE_BUDGET_SECONDS);
  const instances = await deps.aurora.instances(run.to, targetArn);
  if (instances.some((i) => i.status === 'available')) {
    await recordOutcome(run, deps, stepKey('PrepareDatabase', resource.id), {
      name: 'PrepareDatabase',
      resource: resource.id,
      status: 'SKIPPED',
      startedAt,
      finishedAt: startedAt,
      detail: {
        instances: instances.length,
        reason: `${targetArn} already has an available instance (${instances
          .filter((i) => i.status === 'available')
          .map((i) => i.id)
          .join(', ')}): no reader to add`,
      },
    });
    return { ...progress, done: true };
  }
  await recordStep(run, deps, stepKey('PrepareDatabase', resource.id), {
    name: 'PrepareDatabase',
    resource: resource.id,
    status: 'RUNNING',
    startedAt,
  });
  if (instances.length === 0) {
    await fence(run, deps);
    const id = readerInstanceId(targetArn.split(':').pop() ?? '');
    await deps.aurora.addReader(run.to, targetArn, id, cluster.readerInstanceClass, cluster.engine);
  }
  return { ...progress, phase: 'creating-reader' };
}

/**
 * CheckPrepare: polls until the target cluster has an available instance, bounded. A poll that AWS
 * throttles is unknown, not a failure ({@link pollThrottled}).
 */
export async function checkPrepare(input: unknown, deps: PrepareDeps): Promise<Progress> {
  const { run, resource, progress, wake } = parseInput(CheckInput, input, 'CheckPrepare');
  return pollThrottled(progress, `reader of ${resource.id} in ${run.to}`, deps, () =>
    pollPrepare(run, resource, progress, wake, deps),
  );
}

async function pollPrepare(
  run: RunContext,
  resource: ResourceItem,
  progress: Progress,
  wake: z.infer<typeof WakeInput>,
  deps: PrepareDeps,
): Promise<Progress> {
  const cluster = globalCluster(deps.plans.get(run.app), resource.id);
  const prepared = (detail: Record<string, unknown>) =>
    recordOutcome(run, deps, stepKey('PrepareDatabase', resource.id), {
      name: 'PrepareDatabase',
      resource: resource.id,
      status: 'SUCCEEDED',
      startedAt: progress.startedAt,
      finishedAt: isoNow(deps.clock),
      detail,
    }).then(() => ({
      ...progress,
      done: true,
      ...(wake?.promotion ? { detail: { ...progress.detail, promotionStarted: wake.promotion } } : {}),
    }));
  // Woken by RDS's "DB instance created" (or parked when it was there): read available a moment ago.
  const woken = wake?.reader;
  if (woken && freshWakeRead(woken, deps.clock.now()))
    return prepared({ instances: [woken.instance], readBy: wakeReader(wake), readAt: woken.readAt });
  const instances = await deps.aurora.instances(run.to, memberIn(cluster.members, run.to));
  if (instances.some((i) => i.status === 'available'))
    return prepared({ instances: instances.map((i) => i.id) });
  return nextPoll(progress, `reader in ${cluster.members[run.to]}`);
}

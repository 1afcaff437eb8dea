import * as z from '../core/zod.js';
import { advanceEvacuation, failEvacuation } from '../evacuation/evacuate.js';
import { pollRegion } from '../evacuation/region-poller.js';
import type { RunbookDeps } from '../runbook/context.js';
import { buildRunbookDeps } from './deps.js';
import { stepHandler } from './step-handler.js';

/**
 * The evacuation state machine's two calls, a poll (`advance`) and its Catch (`fail`), and the
 * region poller's pass (`poll-region`, functions/evacuation/region-poller.ts), which reads and
 * wakes as the evacuation's poll does, with the same capabilities.
 */
function runEvacuation(input: unknown, deps: RunbookDeps): Promise<unknown> {
  const phase = z
    .object({ phase: z._default(z.enum(['advance', 'fail', 'poll-region']), 'advance') })
    .safeParse(input);
  if (phase.success && phase.data.phase === 'poll-region') return pollRegion(input, deps);
  return phase.success && phase.data.phase === 'fail'
    ? failEvacuation(input, deps)
    : advanceEvacuation(input, deps);
}

export const { makeHandler, handler } = stepHandler('RunEvacuation', runEvacuation, buildRunbookDeps);

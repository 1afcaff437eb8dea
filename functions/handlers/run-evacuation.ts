import * as z from '../core/zod.js';
import { advanceEvacuation, failEvacuation } from '../evacuation/evacuate.js';
import type { RunbookDeps } from '../runbook/context.js';
import { buildRunbookDeps } from './deps.js';
import { stepHandler } from './step-handler.js';

/** The evacuation state machine's two calls: a poll (`advance`) and its Catch (`fail`). */
function runEvacuation(input: unknown, deps: RunbookDeps): Promise<unknown> {
  const phase = z.object({ phase: z._default(z.enum(['advance', 'fail']), 'advance') }).safeParse(input);
  return phase.success && phase.data.phase === 'fail'
    ? failEvacuation(input, deps)
    : advanceEvacuation(input, deps);
}

export const { makeHandler, handler } = stepHandler('RunEvacuation', runEvacuation, buildRunbookDeps);

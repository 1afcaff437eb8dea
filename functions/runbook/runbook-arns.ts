import { createHash } from 'node:crypto';
import { executionArnOf, stateMachineArnInRegion } from '../core/arns.js';
import type { Clock } from '../core/clock.js';
import { PreconditionFailedError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import type { Random } from '../core/random.js';
import type { RunbookDeps } from './context.js';

export { stateMachineArnInRegion };

/** The ARN of the plan's runbook in `region` (a failover runs in the region it activates). */
export function runbookArnIn(
  plan: Plan,
  region: string,
  deps: Pick<RunbookDeps, 'stateMachineArns'>,
): string {
  const local = deps.stateMachineArns[plan.strategy];
  if (!local) {
    throw new PreconditionFailedError(
      `${plan.name}: no ${plan.strategy} runbook is configured in this control plane; expected a state machine ARN for ${plan.strategy}`,
    );
  }
  return stateMachineArnInRegion(local, region);
}

/** The ARN of execution `id` of the plan's runbook in `region`. */
export function executionArnIn(
  plan: Plan,
  region: string,
  id: string,
  deps: Pick<RunbookDeps, 'stateMachineArns'>,
): string {
  return executionArnOf(runbookArnIn(plan, region, deps), id);
}

/** Execution names: Step Functions allows 1..80 of these characters. */
export const EXECUTION_ID = /^[A-Za-z0-9_-]{1,80}$/;

// A plan name is up to 63 characters; this keeps every id within Step Functions' 80.
const APP_PREFIX_LENGTH = 40;

/** A fresh execution id: the app, the request time and a random suffix (`orders-20260101T000000Z-ab12cd`). */
export function newExecutionId(app: string, deps: { clock: Clock; random: Random }): string {
  const stamp = new Date(deps.clock.now())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += Math.floor(deps.random.next() * 36).toString(36);
  return `${app.slice(0, APP_PREFIX_LENGTH)}-${stamp}-${suffix}`;
}

/** The execution id an idempotency key stands for: the same app and key, the same id. */
export function executionIdForKey(app: string, key: string): string {
  const digest = createHash('sha256').update(`${app}\n${key}`).digest('hex').slice(0, 24);
  return `${app.slice(0, APP_PREFIX_LENGTH)}-k${digest}`;
}

import { createHash } from 'node:crypto';
import * as z from 'zod';
import { isoNow } from '../core/clock.js';
import {
  ConflictError,
  FailoverInProgressError,
  PreconditionFailedError,
  ResourceNotFoundError,
} from '../core/errors.js';
import { initialPrimary, type Plan } from '../core/plan.js';
import { assertPlanRegion } from '../core/plan-registry.js';
import { approvalRequired, FailoverRequest } from '../runbook/begin.js';
import type { RunbookDeps } from '../runbook/context.js';
import { executionArnIn, executionIdForKey, newExecutionId, runbookArnIn } from '../runbook/runbook-arns.js';
import { isLive } from './app-status.js';
import type { Identity } from './request.js';

/** The body of `POST /apps/{app}/failovers`. */
export const FailoverBody = z.strictObject({
  to: z.string().min(1, 'a region of the plan'),
  mode: z.enum(['graceful', 'ungraceful']).default('graceful'),
  reason: z.string().trim().min(1, 'a reason').max(1024),
});
export type FailoverBody = z.infer<typeof FailoverBody>;

/** The `Idempotency-Key` header: a client-chosen token that makes a retried request safe. */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export interface FailoverAccepted {
  readonly executionId: string;
  readonly executionArn: string;
  readonly app: string;
  /** The active region when the request was accepted (absent on a replay that found no record yet). */
  readonly from?: string;
  readonly to: string;
  readonly mode: FailoverBody['mode'];
  readonly status: 'STARTED';
  /** Whether the runbook will wait for an approver (not the requester) before it acts. */
  readonly approvalRequired: boolean;
  /** True when this answers a retry of an accepted request (same idempotency key and body). */
  readonly replayed: boolean;
}

/**
 * Requests a failover of `app` to `body.to`: checks what can be checked fast (a region of the
 * plan, not the active one, no execution holding the lock), then starts the plan's runbook in the
 * TARGET region's Step Functions (static stability: a failover into B runs in B).
 *
 * With an idempotency key, the execution id derives from the key, so a retry of the same request
 * returns the same execution; the same key with another request is a {@link ConflictError}.
 *
 * The lock is taken by the runbook's Begin step, not here: two requests at the same instant can
 * both pass these checks, and the second then fails in Begin with FailoverInProgressError.
 */
export async function requestFailover(
  app: string,
  body: FailoverBody,
  caller: Identity,
  idempotencyKey: string | undefined,
  deps: RunbookDeps,
): Promise<FailoverAccepted> {
  const plan = deps.plans.get(app);
  assertPlanRegion(plan, body.to);
  const runbookArn = runbookArnIn(plan, body.to, deps);

  let executionId: string;
  if (idempotencyKey !== undefined) {
    executionId = executionIdForKey(plan.name, idempotencyKey);
    const requestHash = hashOf({ app: plan.name, ...body, requestedBy: caller.name });
    const claim = await deps.store.claimIdempotencyKey(plan.name, idempotencyKey, executionId, requestHash);
    executionId = claim.executionId;
    if (!claim.claimed) {
      // A retry. If its execution started, answer with it; if the first attempt was refused or
      // died before it started one, this attempt goes through every check again.
      const existing = await startedExecution(plan, body.to, executionId, deps);
      if (existing) return accepted(plan, body, existing, true);
    }
  } else {
    executionId = newExecutionId(plan.name, deps);
  }

  const [state, lock] = await Promise.all([deps.store.getState(plan.name), deps.store.getLock(plan.name)]);
  const activeRegion = state?.activeRegion ?? initialPrimary(plan);
  if (isLive(lock, deps.clock.now())) {
    throw new FailoverInProgressError(
      `${plan.name} is locked by ${lock.holder} (epoch ${lock.epoch}, lease until ` +
        `${new Date(lock.leaseExpiresAt).toISOString()}, reason: ${lock.reason || 'none given'}); ` +
        `expected no running execution: wait for it to finish or abort it`,
    );
  }
  if (body.to === activeRegion && (state?.status ?? 'ACTIVE') === 'ACTIVE') {
    throw new PreconditionFailedError(
      `${plan.name}: already active in ${body.to}; expected a target other than the active region ` +
        `(one of ${plan.regions.filter((r) => r !== activeRegion).join(', ')})`,
    );
  }

  const request: FailoverRequest = {
    plan: plan.name,
    targetRegion: body.to,
    mode: body.mode,
    trigger: 'operator',
    requestedBy: caller.name,
    reason: body.reason,
    requestedAt: isoNow(deps.clock),
    executionId,
  };
  let executionArn: string;
  try {
    executionArn = await deps.stepFunctions.start(
      body.to,
      runbookArn,
      executionId,
      FailoverRequest.parse(request),
    );
  } catch (error: unknown) {
    // A twin of this keyed request started the execution between our check and our start.
    const twin =
      idempotencyKey !== undefined && error instanceof ConflictError
        ? await startedExecution(plan, body.to, executionId, deps)
        : undefined;
    if (twin) return accepted(plan, body, twin, true);
    throw error;
  }
  await deps.store.appendAudit({
    id: `${executionId}-requested`,
    at: request.requestedAt ?? isoNow(deps.clock),
    actor: caller.name,
    action: 'failover.requested',
    app: plan.name,
    executionId,
    detail: `${body.mode} failover ${activeRegion} -> ${body.to} requested: ${body.reason}`,
  });
  return accepted(plan, body, { executionId, executionArn, from: activeRegion }, false);
}

interface Started {
  readonly executionId: string;
  readonly executionArn: string;
  readonly from?: string;
}

/** The execution of that id, if it was started: its record, else Step Functions in `region`. */
async function startedExecution(
  plan: Plan,
  region: string,
  executionId: string,
  deps: RunbookDeps,
): Promise<Started | undefined> {
  const executionArn = executionArnIn(plan, region, executionId, deps);
  const record = await deps.store.getExecution(plan.name, executionId);
  if (record) return { executionId, executionArn, from: record.from };
  try {
    await deps.stepFunctions.describe(region, executionArn);
    return { executionId, executionArn };
  } catch (error: unknown) {
    if (error instanceof ResourceNotFoundError) return undefined;
    throw error;
  }
}

function accepted(plan: Plan, body: FailoverBody, started: Started, replayed: boolean): FailoverAccepted {
  return {
    executionId: started.executionId,
    executionArn: started.executionArn,
    app: plan.name,
    ...(started.from !== undefined ? { from: started.from } : {}),
    to: body.to,
    mode: body.mode,
    status: 'STARTED',
    approvalRequired: approvalRequired(plan, 'operator'),
    replayed,
  };
}

/** A stable digest of a request: equal requests, whatever their key order, hash equal. */
function hashOf(request: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(Object.entries(request).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(canonical).digest('hex');
}

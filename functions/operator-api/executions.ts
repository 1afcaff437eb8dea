import { ResourceNotFoundError } from '../core/errors.js';
import { type ExecutionDetail, type ExecutionSummary, summaryOf } from '../core/execution-views.js';
import type { AuditEntry, ExecutionRecord } from '../core/records.js';
import type { RunbookDeps } from '../runbook/context.js';
import { executionArnIn } from '../runbook/runbook-arns.js';

/** What the execution reads touch: the plans, the state store, and Step Functions for `live`. */
export type ExecutionReadDeps = Pick<RunbookDeps, 'plans' | 'store' | 'stepFunctions' | 'stateMachineArns'>;

export const DEFAULT_LIST_LIMIT = { executions: 20, audit: 50 } as const;

/** The app's executions, newest first. */
export async function listExecutions(
  app: string,
  limit: number,
  deps: Pick<RunbookDeps, 'plans' | 'store'>,
): Promise<ExecutionSummary[]> {
  const plan = deps.plans.get(app);
  const records = await deps.store.listExecutions(plan.name, { limit });
  return records.map(summaryOf);
}

/** The app's audit trail, newest first. */
export async function listAudit(
  app: string,
  limit: number,
  deps: Pick<RunbookDeps, 'plans' | 'store'>,
): Promise<AuditEntry[]> {
  const plan = deps.plans.get(app);
  return deps.store.listAudit(plan.name, limit);
}

/** An execution record ({@link ResourceNotFoundError} when the app has no execution of that id). */
export async function findExecution(
  app: string,
  id: string,
  deps: Pick<RunbookDeps, 'plans' | 'store'>,
): Promise<ExecutionRecord> {
  const plan = deps.plans.get(app);
  const record = await deps.store.getExecution(plan.name, id);
  if (!record) {
    throw new ResourceNotFoundError(
      `${plan.name}: no execution ${id}; expected the id of one of its executions (GET /apps/${plan.name}/executions)`,
    );
  }
  return record;
}

/**
 * One execution with its steps, plus `live`: what Step Functions in the execution's target region
 * says (status, error, cause), best effort: null when that region does not answer.
 */
export async function getExecution(
  app: string,
  id: string,
  deps: ExecutionReadDeps,
): Promise<ExecutionDetail> {
  const record = await findExecution(app, id, deps);
  const plan = deps.plans.get(record.app);
  const live = await deps.stepFunctions
    .describe(record.to, executionArnIn(plan, record.to, record.id, deps))
    .then(({ status, error, cause }) => ({
      status,
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    }))
    .catch(() => null);
  return { ...summaryOf(record), steps: record.steps, live };
}

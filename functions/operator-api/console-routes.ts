import { drillEvidence, executionTimeline, failoverPreview, listApprovals } from './console-views.js';
import { RejectBody, rejectExecution } from './reject-execution.js';
import type { Route } from './router.js';
import { parseRequestPart } from './validation.js';

/** The routes the operator console uses beyond the CLI's: reads, and rejecting an approval (registered in the router's `ROUTES`). */
export const CONSOLE_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: '/approvals',
    permission: 'read',
    summary: 'every execution waiting for an approver, across apps',
    run: async (_p, _r, _c, deps) => ({ status: 200, body: await listApprovals(deps) }),
  },
  {
    method: 'GET',
    pattern: '/apps/{app}/failover-preview',
    permission: 'read',
    summary: 'what a failover of the app would do: modes, steps, objectives, approval',
    run: async ({ app }, _r, _c, deps) => ({ status: 200, body: failoverPreview(app as string, deps) }),
  },
  {
    method: 'GET',
    pattern: '/apps/{app}/executions/{id}/timeline',
    permission: 'read',
    summary: 'one execution as lanes of steps, with its RTO clock',
    run: async ({ app, id }, _r, _c, deps) => ({
      status: 200,
      body: await executionTimeline(app as string, id as string, deps),
    }),
  },
  {
    method: 'GET',
    pattern: '/apps/{app}/drills/{id}',
    permission: 'read',
    summary: "one drill's report with its legs' executions (evidence)",
    run: async ({ app, id }, _r, _c, deps) => ({
      status: 200,
      body: await drillEvidence(app as string, id as string, deps),
    }),
  },
  {
    method: 'POST',
    pattern: '/apps/{app}/executions/{id}/reject',
    permission: 'approve',
    summary: 'reject a waiting failover { comment } (it ends ABORTED)',
    run: async ({ app, id }, request, caller, deps) => {
      const body = parseRequestPart(RejectBody, request.body, 'body');
      return { status: 200, body: await rejectExecution(app as string, id as string, body, caller, deps) };
    },
  },
];

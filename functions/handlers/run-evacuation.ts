import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { cloudWatchAlarms } from '../aws/cloudwatch.js';
import { dnsAnswers } from '../aws/dns.js';
import { evacuationStore } from '../aws/evacuations.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { taskWaits } from '../aws/task-waits.js';
import { trafficBatches } from '../aws/traffic-batches.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import * as z from '../core/zod.js';
import { advanceEvacuation, type EvacuationDeps, failEvacuation } from '../evacuation/evacuate.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

/** The evacuation state machine's two calls: a poll (`advance`) and its Catch (`fail`). */
function runEvacuation(input: unknown, deps: EvacuationDeps): Promise<unknown> {
  const phase = z.object({ phase: z._default(z.enum(['advance', 'fail']), 'advance') }).safeParse(input);
  return phase.success && phase.data.phase === 'fail'
    ? failEvacuation(input, deps)
    : advanceEvacuation(input, deps);
}

// Each app's request (readiness reads and the lock), the shared reads that wake its parked steps,
// and the traffic queue: not the reconciler's marks, readiness results or events (no EventBridge).
export const { makeHandler, handler } = stepHandler('RunEvacuation', runEvacuation, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  evacuations: evacuationStore(c),
  trafficBatches: trafficBatches(c),
  waits: taskWaits(c),
  aurora: auroraGlobalClusters(c.clients),
  auroraLag: auroraReplicationLag(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  route53: route53Records(c.clients),
  dns: dnsAnswers((r) => c.clients.dns(r)),
  arc: arcRoutingControls(c.clients, c.random),
  traffic: trafficSwitch(c),
  alarms: cloudWatchAlarms(c.clients),
  stepFunctions: stepFunctions(c.clients),
}));

import { dnsAnswers } from '../aws/dns.js';
import { evacuationStore } from '../aws/evacuations.js';
import { readinessResults } from '../aws/readiness-results.js';
import { reconcileMarks } from '../aws/reconcile-marks.js';
import { stateStore } from '../aws/state-store.js';
import { taskWaits } from '../aws/task-waits.js';
import { trafficBatches } from '../aws/traffic-batches.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { ControlPlaneConfig } from './control-plane.js';

/**
 * The ports that every-port composition builds eagerly, in the sandbox (`deps.ts`) and in the
 * operator API's Lambda (`operator-api-deps.ts`) alike: the state store's records, the traffic
 * switch and its batches, the task waits, and DNS answers (node:dns itself is loaded at the first
 * question, functions/aws/dns-transport.ts). One list, so the two compositions cannot drift apart.
 */
export function storePorts(
  c: ControlPlaneConfig,
): Pick<
  RunbookDeps,
  'store' | 'marks' | 'readiness' | 'evacuations' | 'traffic' | 'trafficBatches' | 'waits' | 'dns'
> {
  return {
    store: stateStore(c),
    marks: reconcileMarks(c),
    readiness: readinessResults(c),
    evacuations: evacuationStore(c),
    traffic: trafficSwitch(c),
    trafficBatches: trafficBatches(c),
    waits: taskWaits(c),
    dns: dnsAnswers((r) => c.clients.dns(r)),
  };
}

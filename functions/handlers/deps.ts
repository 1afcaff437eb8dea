import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { cloudWatchAlarms } from '../aws/cloudwatch.js';
import { dnsAnswers } from '../aws/dns.js';
import { evacuationStore } from '../aws/evacuations.js';
import { eventPublisher } from '../aws/events.js';
import { readinessResults } from '../aws/readiness-results.js';
import { reconcileMarks } from '../aws/reconcile-marks.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { taskWaits } from '../aws/task-waits.js';
import { trafficBatches } from '../aws/traffic-batches.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import type { RunbookDeps } from '../runbook/context.js';
import { type ControlPlaneConfig, coreDeps } from './control-plane.js';

/**
 * Every port bound to one region's clients: the sandbox's control plane per simulated region (which
 * reaches every port). The step functions compose only their own ports (their entries in this
 * folder; see `control-plane.ts`), and the operator API in Lambda the same ports as here, those over
 * clients other than DynamoDB's loaded at their first call (`operator-api-deps.ts`).
 */

export type { ControlPlaneConfig };

/** Every port: the sandbox's control plane per region. */
export function buildRunbookDeps(c: ControlPlaneConfig): RunbookDeps {
  return {
    ...coreDeps(c),
    store: stateStore(c),
    marks: reconcileMarks(c),
    readiness: readinessResults(c),
    evacuations: evacuationStore(c),
    aurora: auroraGlobalClusters(c.clients),
    auroraLag: auroraReplicationLag(c.clients),
    autoScaling: autoScalingGroups(c.clients),
    route53: route53Records(c.clients),
    dns: dnsAnswers((r) => c.clients.dns(r)),
    arc: arcRoutingControls(c.clients, c.random),
    traffic: trafficSwitch(c),
    trafficBatches: trafficBatches(c),
    alarms: cloudWatchAlarms(c.clients),
    stepFunctions: stepFunctions(c.clients),
    waits: taskWaits(c),
    events: eventPublisher(c.clients, c.eventBusName),
  };
}

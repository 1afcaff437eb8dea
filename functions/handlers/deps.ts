import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { cloudWatchAlarms } from '../aws/cloudwatch.js';
import { eventPublisher } from '../aws/events.js';
import { route53Records } from '../aws/route53.js';
import { stepFunctions } from '../aws/step-functions.js';
import type { RunbookDeps } from '../runbook/context.js';
import { type ControlPlaneConfig, coreDeps } from './control-plane.js';
import { storePorts } from './store-ports.js';

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
    ...storePorts(c),
    aurora: auroraGlobalClusters(c.clients),
    auroraLag: auroraReplicationLag(c.clients),
    autoScaling: autoScalingGroups(c.clients),
    route53: route53Records(c.clients),
    arc: arcRoutingControls(c.clients, c.random),
    alarms: cloudWatchAlarms(c.clients),
    stepFunctions: stepFunctions(c.clients),
    events: eventPublisher(c.clients, c.eventBusName),
  };
}

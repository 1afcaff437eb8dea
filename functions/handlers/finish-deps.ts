import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { dnsAnswers } from '../aws/dns.js';
import { eventPublisher } from '../aws/events.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { type ControlPlaneConfig, coreDeps } from './control-plane.js';

/**
 * The ports FinishExecution and RecordFailure both use (RecordFailure finishes a run whose only
 * failure was the finishing): the state store, the observer's reads and the event bus.
 */
export const finishDeps = (c: ControlPlaneConfig) => ({
  ...coreDeps(c),
  store: stateStore(c),
  aurora: auroraGlobalClusters(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  route53: route53Records(c.clients),
  dns: dnsAnswers((r) => c.clients.dns(r)),
  arc: arcRoutingControls(c.clients, c.random),
  events: eventPublisher(c.clients, c.eventBusName),
  traffic: trafficSwitch(c),
});

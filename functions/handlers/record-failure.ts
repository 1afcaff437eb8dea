import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { dnsAnswers } from '../aws/dns.js';
import { eventPublisher } from '../aws/events.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { recordFailure } from '../runbook/finish.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

// FinishExecution's ports (it may finish a run whose only failure was the finishing), and the
// observer's reads and traffic moves of its compensation.
export const { makeHandler, handler } = stepHandler('RecordFailure', recordFailure, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  aurora: auroraGlobalClusters(c.clients),
  auroraLag: auroraReplicationLag(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  route53: route53Records(c.clients),
  dns: dnsAnswers((r) => c.clients.dns(r)),
  arc: arcRoutingControls(c.clients, c.random),
  events: eventPublisher(c.clients, c.eventBusName),
  traffic: trafficSwitch(c),
}));

import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { dnsAnswers } from '../aws/dns.js';
import { eventPublisher } from '../aws/events.js';
import { reconcileMarks } from '../aws/reconcile-marks.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { reconcile } from '../reconciler/reconcile.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('Reconcile', reconcile, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  marks: reconcileMarks(c),
  aurora: auroraGlobalClusters(c.clients),
  auroraLag: auroraReplicationLag(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  route53: route53Records(c.clients),
  dns: dnsAnswers((r) => c.clients.dns(r)),
  arc: arcRoutingControls(c.clients, c.random),
  events: eventPublisher(c.clients, c.eventBusName),
  traffic: trafficSwitch(c),
}));

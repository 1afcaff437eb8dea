import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { dnsAnswers } from '../aws/dns.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { trafficBatches } from '../aws/traffic-batches.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { checkTraffic } from '../runbook/traffic.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

// CheckTraffic verifies the service as a change reaches the name servers (verify.ts,
// verifyOnArrival), so it reads what VerifyService reads: RDS, Auto Scaling and the load balancer.
export const { makeHandler, handler } = stepHandler('CheckTraffic', checkTraffic, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  route53: route53Records(c.clients),
  dns: dnsAnswers((r) => c.clients.dns(r)),
  arc: arcRoutingControls(c.clients, c.random),
  traffic: trafficSwitch(c),
  trafficBatches: trafficBatches(c),
  aurora: auroraGlobalClusters(c.clients),
  auroraLag: auroraReplicationLag(c.clients),
  autoScaling: autoScalingGroups(c.clients),
}));

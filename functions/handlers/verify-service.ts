import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { dnsAnswers } from '../aws/dns.js';
import { stateStore } from '../aws/state-store.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { verifyService } from '../runbook/verify.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('VerifyService', verifyService, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  aurora: auroraGlobalClusters(c.clients),
  auroraLag: auroraReplicationLag(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  dns: dnsAnswers((r) => c.clients.dns(r)),
  arc: arcRoutingControls(c.clients, c.random),
  traffic: trafficSwitch(c),
}));

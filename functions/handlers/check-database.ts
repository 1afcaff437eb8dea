import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { checkDatabase } from '../runbook/database.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('CheckDatabase', checkDatabase, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  aurora: auroraGlobalClusters(c.clients),
  auroraLag: auroraReplicationLag(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  // The run's traffic, when its own read sees the promotion done (functions/runbook/database.ts).
  route53: route53Records(c.clients),
  arc: arcRoutingControls(c.clients, c.random),
  traffic: trafficSwitch(c),
}));

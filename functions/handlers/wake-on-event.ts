import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { taskWaits } from '../aws/task-waits.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { wakeOnEvent } from '../runbook/wake.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('WakeOnEvent', wakeOnEvent, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  waits: taskWaits(c),
  aurora: auroraGlobalClusters(c.clients),
  auroraLag: auroraReplicationLag(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  stepFunctions: stepFunctions(c.clients),
  // A promotion's event may move the run's traffic before it wakes it (functions/runbook/wake-traffic.ts).
  route53: route53Records(c.clients),
  arc: arcRoutingControls(c.clients, c.random),
  traffic: trafficSwitch(c),
}));

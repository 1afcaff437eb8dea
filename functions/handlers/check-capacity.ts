import { arcRoutingControls } from '../aws/arc.js';
import { auroraGlobalClusters } from '../aws/aurora.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { route53Records } from '../aws/route53.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { taskWaits } from '../aws/task-waits.js';
import { trafficSwitch } from '../aws/traffic-switch.js';
import { checkCapacity } from '../runbook/capacity.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('CheckCapacity', checkCapacity, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  autoScaling: autoScalingGroups(c.clients),
  waits: taskWaits(c),
  stepFunctions: stepFunctions(c.clients),
  // A graceful run's switchover as the last group is read ready; the run's traffic when that group
  // is the last resource to be ready (functions/runbook/capacity.ts).
  aurora: auroraGlobalClusters(c.clients),
  route53: route53Records(c.clients),
  arc: arcRoutingControls(c.clients, c.random),
  traffic: trafficSwitch(c),
}));

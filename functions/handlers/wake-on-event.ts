import { auroraGlobalClusters } from '../aws/aurora.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { taskWaits } from '../aws/task-waits.js';
import { wakeOnEvent } from '../runbook/wake.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('WakeOnEvent', wakeOnEvent, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  waits: taskWaits(c),
  aurora: auroraGlobalClusters(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  stepFunctions: stepFunctions(c.clients),
}));

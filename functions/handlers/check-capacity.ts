import { auroraGlobalClusters } from '../aws/aurora.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { taskWaits } from '../aws/task-waits.js';
import { checkCapacity } from '../runbook/capacity.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('CheckCapacity', checkCapacity, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  autoScaling: autoScalingGroups(c.clients),
  aurora: auroraGlobalClusters(c.clients),
  waits: taskWaits(c),
  stepFunctions: stepFunctions(c.clients),
}));

import { auroraGlobalClusters } from '../aws/aurora.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { stepFunctions } from '../aws/step-functions.js';
import { taskWaits } from '../aws/task-waits.js';
import { awaitEvent } from '../runbook/wake.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('AwaitEvent', awaitEvent, (c) => ({
  ...coreDeps(c),
  waits: taskWaits(c),
  aurora: auroraGlobalClusters(c.clients),
  autoScaling: autoScalingGroups(c.clients),
  stepFunctions: stepFunctions(c.clients),
}));

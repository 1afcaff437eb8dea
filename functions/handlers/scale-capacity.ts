import { groupUpdates } from '../aws/auto-scaling.js';
import { stateStore } from '../aws/state-store.js';
import { scaleCapacity } from '../runbook/capacity.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('ScaleCapacity', scaleCapacity, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  autoScaling: groupUpdates(c.clients),
}));

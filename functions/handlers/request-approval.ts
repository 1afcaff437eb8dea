import { groupUpdates } from '../aws/auto-scaling.js';
import { stateStore } from '../aws/state-store.js';
import { requestApproval } from '../runbook/approval.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('RequestApproval', requestApproval, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  autoScaling: groupUpdates(c.clients),
}));

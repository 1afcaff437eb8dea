import { stateStore } from '../aws/state-store.js';
import { beginExecution } from '../runbook/begin.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('BeginExecution', beginExecution, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
}));

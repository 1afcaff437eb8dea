import { stateStore } from '../aws/state-store.js';
import { abandonExecution } from '../runbook/abandon.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('AbandonExecution', abandonExecution, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
}));

import { auroraGlobalClusters } from '../aws/aurora.js';
import { stateStore } from '../aws/state-store.js';
import { checkPrepare } from '../runbook/prepare.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('CheckPrepare', checkPrepare, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  aurora: auroraGlobalClusters(c.clients),
}));

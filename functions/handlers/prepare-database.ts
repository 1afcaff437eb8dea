import { auroraGlobalClusters } from '../aws/aurora.js';
import { stateStore } from '../aws/state-store.js';
import { prepareDatabase } from '../runbook/prepare.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('PrepareDatabase', prepareDatabase, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  aurora: auroraGlobalClusters(c.clients),
}));

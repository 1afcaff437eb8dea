import { auroraGlobalClusters } from '../aws/aurora.js';
import { auroraReplicationLag } from '../aws/aurora-lag.js';
import { autoScalingGroups } from '../aws/auto-scaling.js';
import { stateStore } from '../aws/state-store.js';
import { promoteDatabase } from '../runbook/database.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('PromoteDatabase', promoteDatabase, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  aurora: auroraGlobalClusters(c.clients),
  auroraLag: auroraReplicationLag(c.clients),
  autoScaling: autoScalingGroups(c.clients),
}));

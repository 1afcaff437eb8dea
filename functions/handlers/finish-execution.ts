import { groupUpdates } from '../aws/auto-scaling.js';
import { eventPublisher } from '../aws/events.js';
import { stateStore } from '../aws/state-store.js';
import { finishExecution } from '../runbook/finish.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

// Its success path only (runbook/finish.ts CompleteDeps): no observer, so no Aurora, Route 53 or
// ARC client in its bundle, and of Auto Scaling the update alone, so no load balancer client.
// RecordFailure, which compensates, composes those too.
export const { makeHandler, handler } = stepHandler('FinishExecution', finishExecution, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  autoScaling: groupUpdates(c.clients),
  events: eventPublisher(c.clients, c.eventBusName),
}));

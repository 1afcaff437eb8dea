import { eventPublisher } from '../aws/events.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { runDrill } from '../drills/drill.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('RunDrill', runDrill, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  stepFunctions: stepFunctions(c.clients),
  events: eventPublisher(c.clients, c.eventBusName),
}));

import { cloudWatchAlarms } from '../aws/cloudwatch.js';
import { eventPublisher } from '../aws/events.js';
import { stateStore } from '../aws/state-store.js';
import { stepFunctions } from '../aws/step-functions.js';
import { evaluateAlarm } from '../detection/evaluate-alarm.js';
import { coreDeps } from './control-plane.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('EvaluateAlarm', evaluateAlarm, (c) => ({
  ...coreDeps(c),
  store: stateStore(c),
  alarms: cloudWatchAlarms(c.clients),
  stepFunctions: stepFunctions(c.clients),
  events: eventPublisher(c.clients, c.eventBusName),
}));

import { evaluateAlarm } from '../detection/evaluate-alarm.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('EvaluateAlarm', evaluateAlarm);

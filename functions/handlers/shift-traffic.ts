import { shiftTraffic } from '../runbook/traffic.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('ShiftTraffic', shiftTraffic);

import { checkTraffic } from '../runbook/traffic.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('CheckTraffic', checkTraffic);

import { checkCapacity } from '../runbook/capacity.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('CheckCapacity', checkCapacity);

import { scaleCapacity } from '../runbook/capacity.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('ScaleCapacity', scaleCapacity);

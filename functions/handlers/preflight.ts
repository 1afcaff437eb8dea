import { preflight } from '../runbook/preflight.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('Preflight', preflight);

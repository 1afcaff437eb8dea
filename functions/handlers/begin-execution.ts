import { beginExecution } from '../runbook/begin.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('BeginExecution', beginExecution);

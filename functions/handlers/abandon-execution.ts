import { abandonExecution } from '../runbook/abandon.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('AbandonExecution', abandonExecution);

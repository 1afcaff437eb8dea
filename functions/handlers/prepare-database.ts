import { prepareDatabase } from '../runbook/prepare.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('PrepareDatabase', prepareDatabase);

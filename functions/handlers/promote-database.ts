import { promoteDatabase } from '../runbook/database.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('PromoteDatabase', promoteDatabase);

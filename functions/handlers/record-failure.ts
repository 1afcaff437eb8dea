import { recordFailure } from '../runbook/finish.js';
import { finishDeps } from './finish-deps.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('RecordFailure', recordFailure, finishDeps);

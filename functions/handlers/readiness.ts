import { evaluateReadiness } from '../readiness/readiness.js';
import { buildRunbookDeps } from './deps.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('Readiness', evaluateReadiness, buildRunbookDeps);

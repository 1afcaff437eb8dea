import { reconcile } from '../reconciler/reconcile.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('Reconcile', reconcile);

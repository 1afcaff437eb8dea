import { requestApproval } from '../runbook/approval.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('RequestApproval', requestApproval);

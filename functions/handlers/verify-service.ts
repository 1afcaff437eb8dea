import { verifyService } from '../runbook/verify.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('VerifyService', verifyService);

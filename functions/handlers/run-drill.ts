import { runDrill } from '../drills/drill.js';
import { stepHandler } from './step-handler.js';

export const { makeHandler, handler } = stepHandler('RunDrill', runDrill);

import { readConfig } from './session.js';

/** Whether the page runs against the sandbox (identity picker, the sandbox panel). */
export function isSandbox(): boolean {
  return readConfig().auth.mode === 'sandbox';
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as LocalSfn from 'aws-local-stepfunctions';
import '../../functions/core/polyfills.js';
import type { Random } from '../../functions/core/random.js';
import type { VirtualClock } from '../clock.js';

const require = createRequire(import.meta.url);
const ENTRY = require.resolve('aws-local-stepfunctions');
const SOURCE = readFileSync(ENTRY, 'utf8');

export type Interpreter = typeof LocalSfn;

/**
 * Loads `aws-local-stepfunctions` bound to a virtual clock and a seeded random source.
 *
 * The interpreter reads the global `setTimeout`, `clearTimeout`, `Date` and `Math.random` for Wait
 * states, Retry intervals (with jitter), Task timeouts and timestamps. Rather than patch those
 * globals for the whole process, we evaluate its CommonJS build in a module wrapper whose
 * parameters shadow them, so this instance alone runs on the sandbox's clock. The ASL it runs is
 * the file CDK deploys, unchanged.
 */
export function loadInterpreter(clock: VirtualClock, random: Random): Interpreter {
  const timers = clock.timerGlobals();
  const math = Object.create(Math, { random: { value: () => random.next() } }) as Math;
  const module = { exports: {} as Interpreter };
  const wrapper = new Function(
    'exports',
    'require',
    'module',
    '__filename',
    '__dirname',
    'setTimeout',
    'clearTimeout',
    'Date',
    'Math',
    SOURCE,
  ) as (...args: unknown[]) => void;
  wrapper(
    module.exports,
    require,
    module,
    ENTRY,
    dirname(ENTRY),
    timers.setTimeout,
    timers.clearTimeout,
    timers.Date,
    math,
  );
  return module.exports;
}

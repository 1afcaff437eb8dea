import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as LocalSfn from 'aws-local-stepfunctions';
import '../../functions/core/polyfills.js';
import type { Random } from '../../functions/core/random.js';
import type { VirtualClock } from '../clock.js';

const require = createRequire(import.meta.url);
const ENTRY = require.resolve('aws-local-stepfunctions');
/**
 * Where `aws-local-stepfunctions` 3.0.0 departs from Step Functions, fixed in its source text.
 * Each patch must match exactly once, so a library upgrade that moves the code fails loudly here.
 */
const PATCHES: readonly { readonly why: string; readonly find: string; readonly replace: string }[] = [
  {
    // AWS resolves a Task's TimeoutSecondsPath against the state's input; the library resolved it
    // against the effective input (after Parameters), where `$.run...` does not exist, so every
    // waitForTaskToken Task with a dynamic timeout failed with States.Runtime.
    why: 'TimeoutSecondsPath reads the state input: pass it to the Task action',
    find: 'await taskStateAction.execute(input, context, { overrideFn, awsConfig });',
    replace: 'await taskStateAction.execute(input, context, { overrideFn, awsConfig, rawInput });',
  },
  {
    why: 'TimeoutSecondsPath reads the state input: resolve it there',
    find: 'const timeoutMs = this.getTimeoutMs(input, context);',
    replace: 'const timeoutMs = this.getTimeoutMs(options.rawInput ?? input, context);',
  },
];

function patched(source: string): string {
  return PATCHES.reduce((text, patch) => {
    const count = text.split(patch.find).length - 1;
    if (count !== 1)
      throw new Error(
        `aws-local-stepfunctions patch (${patch.why}): expected its code once in ${ENTRY}, found it ${count} times`,
      );
    return text.replace(patch.find, patch.replace);
  }, source);
}

const SOURCE = patched(readFileSync(ENTRY, 'utf8'));

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

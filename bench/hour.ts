/**
 * One idle hour in this process, for `npm run bench` (bench/apps.ts, `idleHourOnOneCore`, which
 * starts it as `node --single-threaded --import tsx bench/hour.ts 100`): `N` generated apps standing
 * by one virtual hour, its {@link ScaleRun} printed as one line of JSON.
 */
import '../functions/core/polyfills.js';
import { scaleRun } from './apps.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const count = Number(process.argv[2]);
if (!Number.isInteger(count) || count < 1)
  throw new Error(`bench/hour.ts: expected a count of apps such as 100, got ${process.argv[2]}`);
process.stdout.write(`${JSON.stringify(await scaleRun(count, 3600))}\n`);

import '../functions/core/polyfills.js';
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr });

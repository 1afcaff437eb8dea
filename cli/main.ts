import '../functions/core/polyfills.js';
import { EXIT } from './io.js';
import { runCli } from './run.js';

// `switchyard status | head -1`: the reader closed the pipe and wants no more. Stop quietly, as
// Unix tools do, instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr });

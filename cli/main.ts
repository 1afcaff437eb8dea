import '../functions/core/polyfills.js';
import { EXIT } from './io.js';
import { runCli } from './run.js';

// The one place every way of running the CLI goes through (`switchyard` is cli/bin.js, which
// imports this module; `npm start` and the README's `npx tsx cli/main.ts ...` run it directly).
// Switchyard supports Node 20 (README, "Runtime note"); the SDK's notice that its releases after
// January 2027 need Node 22 is noise to every command. The SDK checks the variable when it builds
// its first client (@aws-sdk/core, emitWarningIfUnsupportedVersion), after this line has run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `switchyard status | head -1`: the reader closed the pipe and wants no more. Stop quietly, as
// Unix tools do, instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr });

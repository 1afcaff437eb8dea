import { type Command, CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { ApiError, ApiUnreachableError } from './client.js';
import { defineDrill } from './drill.js';
import { defineEvacuate } from './evacuate.js';
import { defineAbort, defineApprove, defineAudit, defineExecutions } from './executions.js';
import { defineFailover } from './failover.js';
import { defineAlarm, defineFault } from './fault.js';
import { type CliIo, EXIT, line, OperationError, UsageError } from './io.js';
import { type CommandContext, expectedOneOf, rootCommand } from './program.js';
import { defineReadiness } from './readiness.js';
import { defineSandbox, type SandboxRunHooks } from './sandbox.js';
import { defineSchema } from './schema.js';
import { defineSimulate } from './simulate.js';
import { defineStatus } from './status.js';
import { defineValidate } from './validate.js';

/** The whole `switchyard` command line: every command, in the order its help lists them. */
export function switchyardProgram(context: CommandContext, hooks: SandboxRunHooks = {}): Command {
  const program = rootCommand(context.io);
  defineValidate(program, context);
  defineSchema(program, context);
  defineSandbox(program, context, hooks);
  defineStatus(program, context);
  defineReadiness(program, context);
  defineFailover(program, context);
  defineApprove(program, context);
  defineAbort(program, context);
  defineExecutions(program, context);
  defineAudit(program, context);
  defineFault(program, context);
  defineAlarm(program, context);
  defineDrill(program, context);
  defineEvacuate(program, context);
  defineSimulate(program, context);
  return program;
}

/**
 * Runs one CLI invocation and returns its exit code: 0 done, 1 the operation failed or was
 * refused, 2 a wrong command line. Nothing is thrown and no stack trace printed: every error is
 * worded (what was wrong, what was got, what was expected), on stderr, or on stdout as one JSON
 * object `{ "error": { name, message, ... } }` when `--json` is on the command line.
 */
export async function runCli(argv: string[], io: CliIo, hooks: SandboxRunHooks = {}): Promise<number> {
  const context: CommandContext = { io, code: EXIT.ok };
  const json = argv.includes('--json');
  let program: Command | undefined;
  try {
    program = switchyardProgram(context, hooks);
    if (argv.length === 0) {
      io.err.write(program.helpInformation());
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return context.code;
  } catch (error: unknown) {
    const command = program?.commands.find((c) => c.name() === argv[0]);
    return report(error, { io, json, program, command });
  }
}

interface Where {
  readonly io: CliIo;
  readonly json: boolean;
  /** Undefined when the program itself could not be built (a defect). */
  readonly program: Command | undefined;
  /** The subcommand named on the command line, when there is one. */
  readonly command: CommandUnknownOpts | undefined;
}

function report(error: unknown, where: Where): number {
  const { io, json, command } = where;
  const prefix = command ? `switchyard ${command.name()}` : 'switchyard';
  const usage = `${prefix} ${(command ?? where.program)?.usage() ?? '<command> [options]'}`;

  if (error instanceof CommanderError) {
    // --help and --version are "errors" to commander: it has written what was asked.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return usageError(commanderMessage(error, command, where.program?.commands ?? []), usage, prefix, where);
  }
  if (error instanceof UsageError) return usageError(error.message, usage, prefix, where);
  if (error instanceof ApiError) {
    const problems = (error.body as { problems?: unknown } | undefined)?.problems;
    const reason = (error.body as { reason?: unknown } | undefined)?.reason;
    const hint =
      error.status === 401
        ? `(the token is missing, expired or from another sandbox${typeof reason === 'string' ? `: ${reason}` : ''}. The API needs a bearer token, Authorization: Bearer <JWT>; the sandbox's are at GET /sandbox/tokens, and the CLI fetches one itself when you leave out --token: --as alice|bob|carol|victor)`
        : undefined;
    if (json) {
      printError(io, {
        name: error.errorName,
        message: error.message,
        status: error.status,
        ...(Array.isArray(problems) ? { problems } : {}),
        ...(hint ? { hint } : {}),
      });
      return EXIT.failed;
    }
    line(io.err, `error: ${error.errorName}: ${error.message}`);
    if (Array.isArray(problems)) {
      for (const p of problems) {
        const problem = p as { path?: unknown; message?: unknown };
        line(
          io.err,
          `  - ${problem.path ? `${String(problem.path)}: ` : ''}${String(problem.message ?? JSON.stringify(p))}`,
        );
      }
    }
    if (hint) line(io.err, `  ${hint}`);
    return EXIT.failed;
  }
  if (error instanceof ApiUnreachableError) {
    if (json) printError(io, { name: 'ApiUnreachable', message: error.message });
    else line(io.err, error.message);
    return EXIT.failed;
  }
  if (error instanceof OperationError) {
    if (json)
      printError(io, {
        name: error.errorName,
        message: error.message,
        ...(error.detail !== undefined ? { detail: error.detail } : {}),
      });
    else line(io.err, `error: ${error.message}`);
    return EXIT.failed;
  }
  // A defect, or a failure nothing above words: its name and message, never a stack trace.
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (json) printError(io, { name: error instanceof Error ? error.name : 'Error', message: text });
  else line(io.err, `${prefix}: ${text}`);
  return EXIT.failed;
}

function usageError(message: string, usage: string, prefix: string, where: Where): number {
  if (where.json) printError(where.io, { name: 'UsageError', message, usage });
  else {
    line(where.io.err, `${prefix}: ${message}`);
    line(where.io.err, `usage: ${usage}`);
    line(where.io.err, `(${prefix} --help for more)`);
  }
  return EXIT.usage;
}

function printError(io: CliIo, error: Record<string, unknown>): void {
  line(io.out, JSON.stringify({ error }, null, 2));
}

/**
 * Commander's message in the house style: what was wrong, what was got and what was expected,
 * with its "did you mean" suggestion kept.
 */
function commanderMessage(
  error: CommanderError,
  command: CommandUnknownOpts | undefined,
  commands: readonly CommandUnknownOpts[],
): string {
  const text = error.message.replace(/^error: /, '').trim();
  switch (error.code) {
    case 'commander.invalidArgument': {
      // "option '--mode <M>' argument 'fast' is invalid. Allowed choices are graceful, ungraceful."
      const match = /^option '(-\w, )?(--[\w-]+)[^']*' argument '(.*)' is invalid\. ([\s\S]*)$/.exec(text);
      if (!match) break;
      const [, , flag, got, why = ''] = match;
      const choices = /^Allowed choices are (.*)\.$/.exec(why);
      const expected = choices?.[1] ? `expected ${expectedOneOf(choices[1].split(', '))}` : why;
      return `${flag}: ${expected}, got ${got}`;
    }
    case 'commander.missingMandatoryOptionValue': {
      // Commander stops at the first; name every one missing.
      const missing = (command?.options ?? [])
        .filter((o) => o.mandatory && command?.getOptionValue(o.attributeName()) === undefined)
        .map((o) => o.long ?? o.flags);
      if (missing.length === 0) break;
      const last = missing.pop();
      const required =
        missing.length === 0 ? `${last} is required` : `${missing.join(', ')} and ${last} are required`;
      // Commander checks required flags before unknown ones, so `--tto X` would read only
      // "--to is required": name the mistyped flag first, with its "did you mean".
      const unknown = command ? unknownOptionMessage(command) : undefined;
      return unknown ? `${unknown} (and ${required})` : required;
    }
    case 'commander.optionMissingArgument': {
      // "option '--app <A>' argument missing"
      const match = /^option '(-\w, )?(--[\w-]+) <([^>]+)>' argument missing$/.exec(text);
      if (match) return `${match[2]}: expected a value (${match[3]}), got none`;
      break;
    }
    case 'commander.unknownCommand':
      return `${capitalised(text.replace(/\n\(Did you mean (.*)\?\)$/, '; did you mean $1?'))} (expected one of: ${commands.map((c) => c.name()).join(', ')})`;
    default:
      break;
  }
  return capitalised(text.replace(/\n\(Did you mean (.*)\?\)$/, '; did you mean $1?'));
}

/**
 * Commander's own "Unknown option" message (with its "did you mean") for the first unknown
 * flag left on `command`'s parsed line, or undefined when there is none.
 */
function unknownOptionMessage(command: CommandUnknownOpts): string | undefined {
  const flag = command.args.find((arg) => arg.startsWith('-') && arg !== '-' && arg !== '--');
  if (flag === undefined) return undefined;
  try {
    (command as unknown as { unknownOption(flag: string): void }).unknownOption(flag);
  } catch (error: unknown) {
    if (error instanceof CommanderError && error.code === 'commander.unknownOption') {
      return capitalised(
        error.message
          .replace(/^error: /, '')
          .trim()
          .replace(/\n\(Did you mean (.*)\?\)$/, '; did you mean $1?'),
      );
    }
  }
  return undefined;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

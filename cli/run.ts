import { type CliIo, EXIT, line, UsageError } from './io.js';
import { SCHEMA_USAGE, schemaCommand } from './schema.js';
import { VALIDATE_USAGE, validateCommand } from './validate.js';

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string; summary: string }> = {
  validate: {
    run: validateCommand,
    usage: VALIDATE_USAGE,
    summary: 'check plan files and list every problem',
  },
  schema: { run: schemaCommand, usage: SCHEMA_USAGE, summary: "print the plan file's JSON Schema" },
};

function usage(): string {
  const rows = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(64)} ${c.summary}`);
  return ['usage: switchyard <command> [options]', '', ...rows].join('\n');
}

/** Runs one CLI invocation and returns its exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    line(io.out, usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    line(
      io.err,
      `switchyard: unknown command '${name}' (expected one of: ${Object.keys(COMMANDS).join(', ')})`,
    );
    line(io.err, usage());
    return EXIT.usage;
  }
  try {
    return await command.run(args, io);
  } catch (error: unknown) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      line(io.err, `switchyard ${name}: ${error.message}`);
      line(io.err, `usage: ${command.usage}`);
      return EXIT.usage;
    }
    line(
      io.err,
      `switchyard ${name}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    return EXIT.failed;
  }
}

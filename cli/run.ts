import { DRILL_USAGE, drillCommand } from './drill.js';
import {
  ABORT_USAGE,
  APPROVE_USAGE,
  AUDIT_USAGE,
  abortCommand,
  approveCommand,
  auditCommand,
  EXECUTIONS_USAGE,
  executionsCommand,
} from './executions.js';
import { FAILOVER_USAGE, failoverCommand } from './failover.js';
import { ALARM_USAGE, alarmCommand, FAULT_USAGE, faultCommand } from './fault.js';
import { type CliIo, EXIT, line, UsageError } from './io.js';
import { SANDBOX_USAGE, sandboxCommand } from './sandbox.js';
import { SCHEMA_USAGE, schemaCommand } from './schema.js';
import { SIMULATE_USAGE, simulateCommand } from './simulate.js';
import { STATUS_USAGE, statusCommand } from './status.js';
import { VALIDATE_USAGE, validateCommand } from './validate.js';

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string; summary: string }> = {
  validate: {
    run: validateCommand,
    usage: VALIDATE_USAGE,
    summary: 'check plan files and list every problem',
  },
  schema: { run: schemaCommand, usage: SCHEMA_USAGE, summary: "print the plan file's JSON Schema" },
  sandbox: {
    run: (args, io) => sandboxCommand(args, io),
    usage: SANDBOX_USAGE,
    summary: 'serve the simulated AWS and every control plane locally (npm start)',
  },
  status: { run: statusCommand, usage: STATUS_USAGE, summary: "each app's active region and regions' state" },
  failover: {
    run: failoverCommand,
    usage: FAILOVER_USAGE,
    summary: 'request a failover and follow it step by step',
  },
  approve: { run: approveCommand, usage: APPROVE_USAGE, summary: 'approve a failover waiting for approval' },
  abort: { run: abortCommand, usage: ABORT_USAGE, summary: 'abort a running failover' },
  executions: {
    run: executionsCommand,
    usage: EXECUTIONS_USAGE,
    summary: "an app's executions, or one with its steps",
  },
  audit: { run: auditCommand, usage: AUDIT_USAGE, summary: "an app's audit trail" },
  fault: { run: faultCommand, usage: FAULT_USAGE, summary: 'set, clear or list sandbox faults' },
  alarm: { run: alarmCommand, usage: ALARM_USAGE, summary: "set a sandbox alarm's state, or list alarms" },
  drill: {
    run: drillCommand,
    usage: DRILL_USAGE,
    summary: 'run a DR drill now (there and back) and print its report',
  },
  simulate: {
    run: simulateCommand,
    usage: SIMULATE_USAGE,
    summary: 'play a scenario in a one-shot sandbox and report (--json)',
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: switchyard <command> [options]   (switchyard <command> --help for its options)',
    '',
    ...rows,
  ].join('\n');
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

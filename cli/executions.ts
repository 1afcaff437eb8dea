import type { Command } from '@commander-js/extra-typings';
import {
  ApiClient,
  CLIENT_USAGE,
  clockTime,
  DEFAULT_API,
  paint,
  printJson,
  seconds,
  seg,
  statusColour,
  str,
  table,
} from './client.js';
import { apiFlag, type ExecutionView, followExecution, newStepLines, outcomeLine } from './failover.js';
import { type CliIo, EXIT, line, UsageError } from './io.js';
import { type CommandContext, positiveSeconds, withApiRegionOption, withClientOptions } from './program.js';
import { listOf } from './status.js';

const APP = ['--app <A>', 'the app (plan name)'] as const;
const EXECUTION = ['--execution <ID>', 'the execution id (see `switchyard executions --app A`)'] as const;

/** `switchyard approve`: an approver (never the requester) lets a waiting failover go on. */
export function defineApprove(program: Command, context: CommandContext): void {
  withApiRegionOption(
    withClientOptions(
      program
        .command('approve')
        .summary('approve a failover waiting for approval')
        .description(
          'Approves a failover waiting for approval, so that its runbook goes on. The approver needs the\napprover role and must not be the requester. Name the approver: --as NAME (the sandbox: bob or\ncarol), --token JWT or SWITCHYARD_TOKEN; without one it refuses, never assuming who approves.',
        )
        .usage(`--app A --execution ID ${CLIENT_USAGE}`)
        .requiredOption(...APP)
        .requiredOption(...EXECUTION),
      DEFAULT_API,
    ),
  ).action(async (options) => {
    const { io } = context;
    const { app, execution } = options;
    const client = ApiClient.create(options, {
      none: 'approve records who approved, so it needs the approver named',
    });
    const answer = await client.post<unknown>(`/apps/${seg(app)}/executions/${seg(execution)}/approve`, {});
    if (options.json) printJson(io, answer);
    else {
      line(io.out, `approved: execution ${execution} of ${app}, as ${client.who}; the runbook goes on`);
      line(
        io.out,
        `  follow it: npx switchyard executions --app ${app} --execution ${execution} --follow${apiFlag(client)}`,
      );
    }
  });
}

/** `switchyard abort`: an operator stops a running or waiting failover. */
export function defineAbort(program: Command, context: CommandContext): void {
  withApiRegionOption(
    withClientOptions(
      program
        .command('abort')
        .summary('abort a running failover')
        .description('Aborts a running or waiting failover. As alice (an operator) by default.')
        .usage(`--app A --execution ID --reason TEXT ${CLIENT_USAGE}`)
        .requiredOption(...APP)
        .requiredOption(...EXECUTION)
        .requiredOption('--reason <TEXT>', 'why, for the audit trail'),
      DEFAULT_API,
    ),
  ).action(async (options) => {
    const { io } = context;
    const { app, execution, reason } = options;
    const client = ApiClient.create(options, 'alice');
    const answer = await client.post<unknown>(`/apps/${seg(app)}/executions/${seg(execution)}/abort`, {
      reason,
    });
    if (options.json) printJson(io, answer);
    else line(io.out, `abort requested: execution ${execution} of ${app}, as ${client.who} (${reason})`);
  });
}

/** `switchyard executions`: an app's executions, or one with its steps (`--follow` until it ends). */
export function defineExecutions(program: Command, context: CommandContext): void {
  withApiRegionOption(
    withClientOptions(
      program
        .command('executions')
        .summary("an app's executions, or one with its steps")
        .description(
          "An app's executions, newest first; with --execution, one with its steps; with --follow, its\nsteps as they run until it ends (exit 0 when it SUCCEEDED). As victor by default.",
        )
        .usage(`--app A [--execution ID [--follow]] ${CLIENT_USAGE}`)
        .requiredOption(...APP)
        .option(...EXECUTION)
        .option('--follow', 'poll until the execution ends')
        .option('--timeout <S>', 'stop following after S real seconds', positiveSeconds, 1800)
        .option('--interval <S>', 'poll every S real seconds', positiveSeconds, 1),
      DEFAULT_API,
    ),
  ).action(async (options) => {
    const { io } = context;
    const { app } = options;
    if (options.follow && !options.execution) throw new UsageError('--follow needs --execution ID');
    const client = ApiClient.create(options, 'victor');
    if (options.execution && options.follow) {
      const record = await followExecution(client, io, {
        app,
        id: options.execution,
        json: options.json === true,
        timeoutMs: options.timeout * 1000,
        intervalMs: options.interval * 1000,
      });
      context.code = record.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
      return;
    }
    if (options.execution) {
      const record = await client.get<ExecutionView>(
        `/apps/${seg(app)}/executions/${seg(options.execution)}`,
      );
      if (options.json) printJson(io, record);
      else for (const text of renderExecution(record, io)) line(io.out, text);
      return;
    }
    const answer = await client.get<unknown>(`/apps/${seg(app)}/executions`);
    if (options.json) {
      printJson(io, answer);
      return;
    }
    const executions = listOf<ExecutionView>(answer, 'executions');
    if (executions.length === 0) {
      line(io.out, `no executions of ${app}`);
      return;
    }
    const rows = [['ID', 'STATUS', 'MODE', 'FROM -> TO', 'TRIGGER', 'BY', 'STARTED', 'RTO', 'RPO']];
    for (const e of executions) {
      rows.push([
        e.id,
        e.status,
        str(e.mode),
        `${e.from ?? '?'} -> ${e.to ?? '?'}`,
        str(e.trigger),
        str(e.requestedBy),
        e.startedAt ? `${e.startedAt.slice(0, 10)} ${clockTime(e.startedAt)}` : '-',
        seconds(e.rtoSeconds),
        seconds(e.rpoSeconds),
      ]);
    }
    for (const text of table(rows)) line(io.out, text);
  });
}

/** One execution: its request, every step (in time order) and its outcome. */
function renderExecution(record: ExecutionView, io: CliIo): string[] {
  const out = [
    `execution ${record.id}: ${record.app} ${record.mode ?? ''} ${record.runbook ?? ''} ${record.from ?? '?'} -> ${record.to ?? '?'}`.replace(
      / {2,}/g,
      ' ',
    ),
    `  requested by ${record.requestedBy ?? '?'} (${record.trigger ?? '?'}) at ${record.startedAt ?? '?'}: ${record.reason || '-'}`,
  ];
  if (record.approval?.decision)
    out.push(
      `  approval: ${record.approval.decision}${record.approval.decidedBy ? ` by ${record.approval.decidedBy}` : ''}`,
    );
  out.push(...newStepLines(record, new Set()));
  out.push(
    ['SUCCEEDED', 'FAILED', 'ABORTED'].includes(record.status)
      ? outcomeLine(record, io)
      : paint(io, statusColour(record.status), record.status),
  );
  return out;
}

/** `switchyard audit`: who did what to an app, and why. */
export function defineAudit(program: Command, context: CommandContext): void {
  withApiRegionOption(
    withClientOptions(
      program
        .command('audit')
        .summary("an app's audit trail")
        .description("An app's audit trail (who did what, and why), newest first. As victor by default.")
        .usage(`--app A ${CLIENT_USAGE}`)
        .requiredOption(...APP),
      DEFAULT_API,
    ),
  ).action(async (options) => {
    const { io } = context;
    const { app } = options;
    const client = ApiClient.create(options, 'victor');
    const answer = await client.get<unknown>(`/apps/${seg(app)}/audit`);
    if (options.json) {
      printJson(io, answer);
      return;
    }
    const entries = listOf<{
      at?: string;
      actor?: string;
      action?: string;
      executionId?: string;
      detail?: string;
    }>(answer, 'entries');
    if (entries.length === 0) {
      line(io.out, `no audit entries for ${app}`);
      return;
    }
    const rows = [['AT', 'ACTOR', 'ACTION', 'EXECUTION', 'DETAIL']];
    for (const e of entries)
      rows.push([str(e.at), str(e.actor), str(e.action), str(e.executionId), str(e.detail)]);
    for (const text of table(rows)) line(io.out, text);
  });
}

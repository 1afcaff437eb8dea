import { parseArgs } from 'node:util';
import {
  ApiClient,
  CLIENT_OPTIONS,
  CLIENT_USAGE,
  clockTime,
  helpText,
  paint,
  printJson,
  seconds,
  seg,
  statusColour,
  str,
  table,
  withApi,
} from './client.js';
import { apiFlag, type ExecutionView, followExecution, newStepLines, outcomeLine } from './failover.js';
import { type CliIo, EXIT, line, UsageError } from './io.js';
import { listOf } from './status.js';

export const APPROVE_USAGE = `switchyard approve --app A --execution ID ${CLIENT_USAGE}`;
export const ABORT_USAGE = 'switchyard abort --app A --execution ID --reason TEXT [--as NAME]';
export const EXECUTIONS_USAGE = 'switchyard executions --app A [--execution ID [--follow]] [--json]';
export const AUDIT_USAGE = `switchyard audit --app A ${CLIENT_USAGE}`;

const APP = ['--app A', 'the app (plan name)'] as const;
const EXECUTION = ['--execution ID', 'the execution id (see `switchyard executions --app A`)'] as const;
const HELP = {
  approve: helpText(
    APPROVE_USAGE,
    'Approves a failover waiting for approval, so that its runbook goes on. The approver needs the\napprover role and must not be the requester. As bob by default.',
    [APP, EXECUTION],
  ),
  abort: helpText(ABORT_USAGE, 'Aborts a running or waiting failover. As alice (an operator) by default.', [
    APP,
    EXECUTION,
    ['--reason TEXT', 'why, for the audit trail (required)'],
  ]),
  executions: helpText(
    EXECUTIONS_USAGE,
    "An app's executions, newest first; with --execution, one with its steps; with --follow, its\nsteps as they run until it ends (exit 0 when it SUCCEEDED). As victor by default.",
    [
      APP,
      EXECUTION,
      ['--follow', 'poll until the execution ends'],
      ['--timeout S', 'stop following after S real seconds (default 1800)'],
      ['--interval S', 'poll every S real seconds (default 1)'],
    ],
  ),
  audit: helpText(
    AUDIT_USAGE,
    "An app's audit trail (who did what, and why), newest first. As victor by default.",
    [APP],
  ),
};

/** `switchyard approve`: an approver (never the requester) lets a waiting failover go on. */
export async function approveCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...CLIENT_OPTIONS, app: { type: 'string' }, execution: { type: 'string' } },
    strict: true,
  });
  if (values.help) return help(io, 'approve');
  const { app, execution } = required(values, 'app', 'execution');
  const client = ApiClient.create(values, 'bob');
  return withApi(io, async () => {
    const answer = await client.post<unknown>(`/apps/${seg(app)}/executions/${seg(execution)}/approve`, {});
    if (values.json) printJson(io, answer);
    else {
      line(io.out, `approved: execution ${execution} of ${app}, as ${client.who}; the runbook goes on`);
      line(
        io.out,
        `  follow it: npx switchyard executions --app ${app} --execution ${execution} --follow${apiFlag(client)}`,
      );
    }
    return EXIT.ok;
  });
}

/** `switchyard abort`: an operator stops a running or waiting failover. */
export async function abortCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...CLIENT_OPTIONS,
      app: { type: 'string' },
      execution: { type: 'string' },
      reason: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return help(io, 'abort');
  const { app, execution, reason } = required(values, 'app', 'execution', 'reason');
  const client = ApiClient.create(values, 'alice');
  return withApi(io, async () => {
    const answer = await client.post<unknown>(`/apps/${seg(app)}/executions/${seg(execution)}/abort`, {
      reason,
    });
    if (values.json) printJson(io, answer);
    else line(io.out, `abort requested: execution ${execution} of ${app}, as ${client.who} (${reason})`);
    return EXIT.ok;
  });
}

/** `switchyard executions`: an app's executions, or one with its steps (`--follow` until it ends). */
export async function executionsCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...CLIENT_OPTIONS,
      app: { type: 'string' },
      execution: { type: 'string' },
      follow: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '1800' },
      interval: { type: 'string', default: '1' },
    },
    strict: true,
  });
  if (values.help) return help(io, 'executions');
  const { app } = required(values, 'app');
  if (values.follow && !values.execution) throw new UsageError('--follow needs --execution ID');
  const client = ApiClient.create(values, 'victor');
  return withApi(io, async () => {
    if (values.execution && values.follow) {
      const timeoutMs = Number(values.timeout) * 1000;
      const intervalMs = Number(values.interval) * 1000;
      if (!(timeoutMs > 0) || !(intervalMs > 0))
        throw new UsageError('--timeout and --interval: expected seconds > 0');
      const record = await followExecution(client, io, {
        app,
        id: values.execution,
        json: values.json,
        timeoutMs,
        intervalMs,
      });
      return record?.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
    }
    if (values.execution) {
      const record = await client.get<ExecutionView>(`/apps/${seg(app)}/executions/${seg(values.execution)}`);
      if (values.json) printJson(io, record);
      else for (const text of renderExecution(record, io)) line(io.out, text);
      return EXIT.ok;
    }
    const answer = await client.get<unknown>(`/apps/${seg(app)}/executions`);
    if (values.json) {
      printJson(io, answer);
      return EXIT.ok;
    }
    const executions = listOf<ExecutionView>(answer, 'executions');
    if (executions.length === 0) {
      line(io.out, `no executions of ${app}`);
      return EXIT.ok;
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
    return EXIT.ok;
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
export async function auditCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...CLIENT_OPTIONS, app: { type: 'string' } },
    strict: true,
  });
  if (values.help) return help(io, 'audit');
  const { app } = required(values, 'app');
  const client = ApiClient.create(values, 'victor');
  return withApi(io, async () => {
    const answer = await client.get<unknown>(`/apps/${seg(app)}/audit`);
    if (values.json) {
      printJson(io, answer);
      return EXIT.ok;
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
      return EXIT.ok;
    }
    const rows = [['AT', 'ACTOR', 'ACTION', 'EXECUTION', 'DETAIL']];
    for (const e of entries)
      rows.push([str(e.at), str(e.actor), str(e.action), str(e.executionId), str(e.detail)]);
    for (const text of table(rows)) line(io.out, text);
    return EXIT.ok;
  });
}

function help(io: CliIo, command: keyof typeof HELP): number {
  line(io.out, HELP[command]);
  return EXIT.ok;
}

/** The named string options, or a {@link UsageError} naming every one missing. */
/** The named string options, or a UsageError listing the missing ones. */
export function required<K extends string>(
  values: Partial<Record<string, unknown>>,
  ...names: K[]
): Record<K, string> {
  const missing = names.filter((n) => typeof values[n] !== 'string' || values[n] === '');
  if (missing.length > 0) throw new UsageError(`${missing.map((n) => `--${n}`).join(', ')} required`);
  return Object.fromEntries(names.map((n) => [n, values[n] as string])) as Record<K, string>;
}

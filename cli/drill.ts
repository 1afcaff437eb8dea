import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  ApiClient,
  CLIENT_OPTIONS,
  CLIENT_USAGE,
  helpText,
  printJson,
  seg,
  str,
  table,
  withApi,
} from './client.js';
import { required } from './executions.js';
import { type CliIo, EXIT, line, UsageError } from './io.js';

export const DRILL_USAGE = `switchyard drill --app A [--kind switchover-and-back|switchover] [--soak S] [--no-wait] ${CLIENT_USAGE}`;

const HELP = helpText(
  DRILL_USAGE,
  "Runs a DR drill now: a graceful switchover to the standby region and, for switchover-and-back,\na graceful failback after the soak; then prints the report (each leg's RTO and RPO against the\nplan's objectives). With --list, the app's drill reports. As alice (an operator) by default.",
  [
    ['--app A', 'the app (plan name)'],
    ['--kind K', "switchover-and-back (default: the plan's) or switchover"],
    ['--soak S', "seconds the target serves before the failback (default: the plan's soakSeconds)"],
    ['--no-wait', 'start it and return'],
    ['--list', "the app's drill reports, newest first"],
    ['--timeout S', 'stop waiting after S real seconds (default 3600)'],
  ],
);

interface DrillReportView {
  id?: string;
  at?: string;
  outcome?: string;
  executionIds?: string[];
  detail?: {
    legs?: {
      id?: string;
      from?: string;
      to?: string;
      status?: string;
      rtoSeconds?: number | null;
      rpoSeconds?: number | null;
    }[];
    problems?: string[];
  };
}

/** `switchyard drill`: a DR test now, and its report. */
export async function drillCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...CLIENT_OPTIONS,
      app: { type: 'string' },
      kind: { type: 'string' },
      soak: { type: 'string' },
      list: { type: 'boolean', default: false },
      'no-wait': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '3600' },
    },
    strict: true,
  });
  if (values.help) {
    line(io.out, HELP);
    return EXIT.ok;
  }
  const { app } = required(values, 'app');
  if (values.kind !== undefined && values.kind !== 'switchover-and-back' && values.kind !== 'switchover') {
    throw new UsageError(`--kind: got ${values.kind}, expected switchover-and-back or switchover`);
  }
  const soak = values.soak === undefined ? undefined : Number(values.soak);
  if (soak !== undefined && !(Number.isInteger(soak) && soak >= 0))
    throw new UsageError(`--soak: got ${values.soak}, expected whole seconds >= 0`);
  const timeoutMs = Number(values.timeout) * 1000;
  const client = ApiClient.create(values, values.list ? 'victor' : 'alice');
  return withApi(io, async () => {
    if (values.list) {
      const answer = await client.get<{ drills?: DrillReportView[] }>(`/apps/${seg(app)}/drills`);
      if (values.json) printJson(io, answer);
      else printReports(io, answer.drills ?? []);
      return EXIT.ok;
    }
    const started = await client.post<{
      action?: string;
      drillId?: string;
      home?: string;
      target?: string;
      reason?: string;
    }>(`/apps/${seg(app)}/drills`, {
      ...(values.kind ? { kind: values.kind } : {}),
      ...(soak !== undefined ? { soakSeconds: soak } : {}),
    });
    if (started.action !== 'started' || !started.drillId) {
      line(io.err, `drill not started: ${started.reason ?? 'unknown reason'}`);
      return EXIT.failed;
    }
    if (!values.json)
      line(
        io.out,
        `drill ${started.drillId} started: ${started.home} -> ${started.target}${values.kind === 'switchover' ? '' : ' and back'}`,
      );
    if (values['no-wait']) {
      if (values.json) printJson(io, started);
      return EXIT.ok;
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { drills = [] } = await client.get<{ drills?: DrillReportView[] }>(`/apps/${seg(app)}/drills`);
      const report = drills.find((d) => d.id === started.drillId);
      if (report) {
        if (values.json) printJson(io, report);
        else printReports(io, [report]);
        return report.outcome === 'PASSED' ? EXIT.ok : EXIT.failed;
      }
      if (Date.now() > deadline) {
        line(
          io.err,
          `drill ${started.drillId} still running after ${values.timeout} s; see \`switchyard drill --app ${app} --list\``,
        );
        return EXIT.failed;
      }
      await sleep(2_000);
    }
  });
}

function printReports(io: CliIo, reports: readonly DrillReportView[]): void {
  if (reports.length === 0) {
    line(io.out, 'no drill reports');
    return;
  }
  for (const r of reports) {
    line(io.out, `${str(r.id)}  ${str(r.at)}  ${str(r.outcome)}`);
    const rows = [['LEG', 'FROM', 'TO', 'STATUS', 'RTO', 'RPO']];
    for (const leg of r.detail?.legs ?? []) {
      rows.push([
        str(leg.id),
        str(leg.from),
        str(leg.to),
        str(leg.status),
        `${leg.rtoSeconds ?? '-'} s`,
        `${leg.rpoSeconds ?? '-'} s`,
      ]);
    }
    for (const text of table(rows, '  ')) line(io.out, text);
    for (const problem of r.detail?.problems ?? []) line(io.out, `  problem: ${problem}`);
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from '@commander-js/extra-typings';
import { ApiClient, CLIENT_USAGE, DEFAULT_API, printJson, seconds, seg, str, table } from './client.js';
import { type DrillEvidenceView, renderEvidence } from './drill-report.js';
import { type ExecutionView, followExecution } from './failover.js';
import { type CliIo, EXIT, line, OperationError } from './io.js';
import {
  type CommandContext,
  integerIn,
  positiveSeconds,
  withApiRegionOption,
  withClientOptions,
} from './program.js';
import { listOf } from './status.js';

export const DRILL_USAGE = `--app A [--kind switchover-and-back|switchover] [--soak S] [--no-wait] [--list] [--report ID] ${CLIENT_USAGE}`;

/** A drill report, as `GET /apps/{app}/drills` answers it; read defensively. */
export interface DrillReportView {
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
    objectives?: { rtoSeconds?: number; rpoSeconds?: number };
  };
}

/**
 * `switchyard drill`: a DR test now. It follows each leg (a graceful failover the drill runner
 * starts) step by step as `failover` does, says when the soak starts, then prints the report and
 * a last line comparing each leg's RTO and RPO with the plan's objectives.
 */
export function defineDrill(program: Command, context: CommandContext): void {
  withApiRegionOption(
    withClientOptions(
      program
        .command('drill')
        .summary('run a DR drill now (there and back), following each leg')
        .description(
          "Runs a DR drill now: a graceful switchover to the standby region and, for switchover-and-back,\na graceful failback after the soak. Each leg is followed step by step as `failover` does; then\nthe report (each leg's RTO and RPO against the plan's objectives). With --list, the app's drill\nreports; with --report ID, one drill's evidence. As alice (an operator) by default, victor to read.",
        )
        .usage(DRILL_USAGE)
        .requiredOption('--app <A>', 'the app (plan name)')
        .addOption(
          new Option('--kind <K>', "switchover-and-back (default: the plan's) or switchover").choices([
            'switchover-and-back',
            'switchover',
          ] as const),
        )
        .option(
          '--soak <S>',
          "seconds the target serves before the failback (default: the plan's soakSeconds)",
          integerIn(0, 86_400, 'whole seconds in 0..86400'),
        )
        .option('--no-wait', 'start it and return')
        .option('--list', "the app's drill reports, newest first")
        .option(
          '--report <ID>',
          "one drill's evidence: plan version, who started it, approvals, each leg's steps, RTO and RPO against the objectives, readiness before it, and in the sandbox the ground-truth outage",
        )
        .option(
          '--timeout <S>',
          'stop waiting after S real seconds (the drill goes on)',
          positiveSeconds,
          3600,
        )
        .option('--interval <S>', 'poll every S real seconds', positiveSeconds, 1),
      DEFAULT_API,
    ),
  ).action(async (options) => {
    const { io } = context;
    const { app } = options;
    const client = ApiClient.create(options, options.list || options.report ? 'victor' : 'alice');
    if (options.report !== undefined) {
      const evidence = await client.get<DrillEvidenceView>(`/apps/${seg(app)}/drills/${seg(options.report)}`);
      if (options.json) printJson(io, evidence);
      else for (const text of renderEvidence(evidence)) line(io.out, text);
      return;
    }
    if (options.list) {
      const answer = await client.get<{ drills?: DrillReportView[] }>(`/apps/${seg(app)}/drills`);
      if (options.json) printJson(io, answer);
      else printReports(io, answer.drills ?? []);
      return;
    }
    const started = await client.post<{
      action?: string;
      drillId?: string;
      home?: string;
      target?: string;
      reason?: string;
    }>(`/apps/${seg(app)}/drills`, {
      ...(options.kind ? { kind: options.kind } : {}),
      ...(options.soak !== undefined ? { soakSeconds: options.soak } : {}),
    });
    if (started.action !== 'started' || !started.drillId)
      throw new OperationError(
        'DrillNotStarted',
        `drill not started: ${started.reason ?? 'the API gave no reason'}`,
        started,
      );
    const drillId = started.drillId;
    if (!options.json)
      line(
        io.out,
        `drill ${drillId} started: ${started.home} -> ${started.target}${options.kind === 'switchover' ? '' : ' and back'}`,
      );
    if (!options.wait) {
      if (options.json) printJson(io, started);
      return;
    }
    const report = await followDrill(client, io, {
      app,
      kind: options.kind,
      soakSeconds: options.soak,
      drillId,
      json: options.json === true,
      timeoutMs: options.timeout * 1000,
      intervalMs: options.interval * 1000,
    });
    if (options.json) printJson(io, report);
    else {
      printReports(io, [report]);
      line(io.out, drillObjectivesLine(report));
    }
    context.code = report.outcome === 'PASSED' ? EXIT.ok : EXIT.failed;
  });
}

interface FollowDrillOptions {
  readonly app: string;
  readonly kind: 'switchover-and-back' | 'switchover' | undefined;
  readonly soakSeconds: number | undefined;
  readonly drillId: string;
  readonly json: boolean;
  readonly timeoutMs: number;
  readonly intervalMs: number;
}

/**
 * Waits for a drill's report. Meanwhile (not under --json) it follows each leg as it starts: the
 * drill runner names its legs' executions `<drill id>-<leg>`, so an execution of the app whose id
 * starts with the drill's is one of its legs.
 */
async function followDrill(
  client: ApiClient,
  io: CliIo,
  options: FollowDrillOptions,
): Promise<DrillReportView> {
  const { app, drillId } = options;
  const deadline = Date.now() + options.timeoutMs;
  const followed = new Set<string>();
  let leg = 0;
  for (;;) {
    const { drills = [] } = await client.get<{ drills?: DrillReportView[] }>(`/apps/${seg(app)}/drills`);
    const report = drills.find((d) => d.id === drillId);
    if (report) return report;
    if (!options.json) {
      const executions = listOf<ExecutionView>(
        await client.get<unknown>(`/apps/${seg(app)}/executions`),
        'executions',
      )
        .filter((e) => e.id.startsWith(`${drillId}-`) && !followed.has(e.id))
        .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
      for (const execution of executions) {
        followed.add(execution.id);
        leg += 1;
        line(
          io.out,
          `leg ${leg}: ${execution.from ?? '?'} -> ${execution.to ?? '?'} (execution ${execution.id})`,
        );
        const record = await followExecution(client, io, {
          app,
          id: execution.id,
          json: false,
          timeoutMs: Math.max(1000, deadline - Date.now()),
          intervalMs: options.intervalMs,
        });
        if (leg === 1 && record.status === 'SUCCEEDED' && options.kind !== 'switchover')
          line(
            io.out,
            `soak: ${app} serves from ${record.to ?? '?'}${options.soakSeconds !== undefined ? ` for ${options.soakSeconds} s (virtual)` : " for the plan's soak"}, then the drill fails back`,
          );
      }
    }
    if (Date.now() > deadline)
      throw new OperationError(
        'FollowTimeout',
        `drill ${drillId} still running after ${Math.round(options.timeoutMs / 1000)} s; see \`switchyard drill --app ${app} --list\``,
      );
    await sleep(options.intervalMs);
  }
}

/**
 * The drill's last line: each leg's RTO and RPO against the objectives the report records, and
 * that the RTO leaves out any approval wait (a drill's legs need no approver).
 */
export function drillObjectivesLine(report: DrillReportView): string {
  const objectives = report.detail?.objectives;
  const legs = (report.detail?.legs ?? []).map((leg) => {
    const rto = typeof leg.rtoSeconds === 'number' ? leg.rtoSeconds : undefined;
    const rpo = typeof leg.rpoSeconds === 'number' ? leg.rpoSeconds : undefined;
    const verdict = (got: number | undefined, objective: number | undefined) =>
      got === undefined
        ? 'not measured'
        : objective === undefined
          ? seconds(got)
          : `${seconds(got)} ${got <= objective ? 'within' : 'OVER'} ${seconds(objective)}`;
    return `${leg.from ?? '?'} -> ${leg.to ?? '?'} RTO ${verdict(rto, objectives?.rtoSeconds)}, RPO ${verdict(rpo, objectives?.rpoSeconds)}`;
  });
  return `${str(report.outcome)}: ${legs.length > 0 ? legs.join('; ') : 'no leg ran'} (objectives RTO ${seconds(objectives?.rtoSeconds)}, RPO ${seconds(objectives?.rpoSeconds)}; the RTO leaves out any approval wait)`;
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

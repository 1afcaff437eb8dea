import type { Command } from '@commander-js/extra-typings';
import {
  ApiClient,
  CLIENT_USAGE,
  DEFAULT_API,
  paint,
  printJson,
  seconds,
  seg,
  statusColour,
  str,
  table,
} from './client.js';
import { type CliIo, EXIT, line } from './io.js';
import { type CommandContext, withApiRegionOption, withClientOptions } from './program.js';

export const STATUS_USAGE = `[--app A] ${CLIENT_USAGE}`;

/** What `GET /apps/{app}` answers (functions/operator-api/app-status.ts); read defensively. */
export interface AppStatusView {
  readonly app: string;
  readonly strategy?: string;
  readonly regions?: readonly string[];
  readonly activeRegion?: string;
  readonly status?: string;
  readonly runningExecution?: string;
  readonly lastExecutionId?: string;
  readonly lastFailoverAt?: string;
  /** The newest execution whatever its outcome; null when none; `{ unknown }` when unread. */
  readonly latestExecution?: LatestExecutionView | null | { readonly unknown: string };
  /** The plan's detection mode and the cooldown in force (none after a drill: drills do not arm it). */
  readonly detection?: { readonly mode?: string; readonly meaning?: string; readonly cooldownUntil?: string };
  readonly objectives?: { rtoSeconds?: number; rpoSeconds?: number };
  readonly regionsDetail?: Readonly<Record<string, RegionView>>;
}

/** `GET /apps/{app}`'s `latestExecution` (functions/operator-api/app-status.ts, LatestExecution). */
interface LatestExecutionView {
  readonly id: string;
  readonly status: string;
  readonly mode?: string;
  readonly from?: string;
  readonly to?: string;
  readonly requestedBy?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly rtoSeconds?: number;
  readonly error?: { readonly name?: string; readonly message?: string };
}

interface RegionView {
  readonly writer?: boolean | null;
  readonly capacity?: readonly {
    group: string;
    healthyInService: number | null;
    desired: number | null;
    warmPool?: { poolState: string; size: number };
  }[];
  readonly routing?: string | null;
  readonly replicationLagMs?: number | null;
  readonly reachable?: boolean;
  readonly problems?: readonly string[];
  readonly readiness?: {
    verdict?: string;
    blocking?: readonly string[];
    warnings?: readonly string[];
    evaluatedAt?: string;
    ageSeconds?: number;
    stale?: boolean;
  };
}

/** `switchyard status`: every app (or one) with its active region and each region's live state. */
export function defineStatus(program: Command, context: CommandContext): void {
  withApiRegionOption(
    withClientOptions(
      program
        .command('status')
        .summary("each app's active region and regions' state")
        .description(
          'Every app (or one) with its active region, status, running execution, and per region: writer,\ncapacity (healthy/desired, and the warm pool: +5 stopped), routing, replication lag and whether its APIs answer. As victor by default.',
        )
        .usage(STATUS_USAGE)
        .option('--app <A>', 'only this app'),
      DEFAULT_API,
    ),
  ).action(async (options) => {
    const { io } = context;
    const client = ApiClient.create(options, 'victor');
    const apps = options.app
      ? [await client.get<AppStatusView>(`/apps/${seg(options.app)}`)]
      : listOf<AppStatusView>(await client.get<unknown>('/apps'), 'apps');
    if (options.json) {
      printJson(io, options.app ? apps[0] : { apps });
      return;
    }
    if (apps.length === 0) line(io.out, 'no apps');
    apps.forEach((app, index) => {
      if (index > 0) line(io.out);
      for (const text of renderStatus(app, io)) line(io.out, text);
    });
    context.code = EXIT.ok;
  });
}

/** The human view of one app: a heading line, then a table of its regions. */
export function renderStatus(app: AppStatusView, io: CliIo): string[] {
  const status = app.status ?? '-';
  const objectives = app.objectives
    ? `  objectives RTO ${seconds(app.objectives.rtoSeconds)}, RPO ${seconds(app.objectives.rpoSeconds)}`
    : '';
  const out = [
    `${paint(io, 'bold', app.app)}  ${app.strategy ?? ''}  active ${paint(io, 'bold', app.activeRegion ?? '-')}  ${paint(io, statusColour(status), status)}${objectives}`,
  ];
  out.push(...executionLines(app, io));
  if (app.detection)
    out.push(
      `  detection: ${str(app.detection.mode)}${app.detection.meaning ? ` (${app.detection.meaning})` : ''}, ${
        app.detection.cooldownUntil
          ? `cooldown until ${app.detection.cooldownUntil} (no automatic failover before then)`
          : 'no cooldown in force'
      }`,
    );

  const regions = app.regions ?? Object.keys(app.regionsDetail ?? {});
  const rows: string[][] = [['', 'REGION', 'WRITER', 'CAPACITY', 'ROUTING', 'LAG', 'REACHABLE', 'READINESS']];
  // A problem seen from every region (e.g. Route 53's control plane) is printed once.
  const problems = new Map<string, string[]>();
  for (const region of regions) {
    const d = app.regionsDetail?.[region];
    const capacity =
      d?.capacity && d.capacity.length > 0
        ? d.capacity
            .map((c) => {
              const pool = c.warmPool ? ` +${c.warmPool.size} ${c.warmPool.poolState.toLowerCase()}` : '';
              const ratio = `${c.healthyInService ?? '?'}/${c.desired ?? '?'}${pool}`;
              return d.capacity?.length === 1 ? ratio : `${c.group} ${ratio}`;
            })
            .join(', ')
        : '-';
    rows.push([
      region === app.activeRegion ? '*' : '',
      region,
      d?.writer === true ? 'yes' : d?.writer === false ? 'no' : '-',
      capacity,
      str(d?.routing),
      typeof d?.replicationLagMs === 'number' ? seconds(d.replicationLagMs / 1000) : '-',
      d?.reachable === false ? 'NO' : d?.reachable === true ? 'yes' : '-',
      readinessCell(d?.readiness),
    ]);
    for (const problem of d?.problems ?? [])
      problems.set(problem, [...(problems.get(problem) ?? []), region]);
  }
  out.push(...table(rows, '  '));
  for (const [problem, where] of problems) out.push(`  ! ${where.join(', ')}: ${problem}`);
  return out;
}

/**
 * The app's runs: the one running, else the newest with its outcome (a FAILED or ABORTED run newer
 * than the last success is what an operator must see first), and the last success, the run that
 * made the active region active, when that is another run.
 */
function executionLines(app: AppStatusView, io: CliIo): string[] {
  const out: string[] = [];
  const latest = app.latestExecution;
  if (app.runningExecution) out.push(`  running execution: ${app.runningExecution}`);
  else if (latest && 'unknown' in latest) out.push(`  last execution: unknown (${latest.unknown})`);
  else if (latest) {
    const what = [latest.mode, latest.from && latest.to ? `${latest.from} -> ${latest.to}` : undefined]
      .filter(Boolean)
      .join(' ');
    const when = latest.finishedAt ? `ended ${latest.finishedAt}` : `started ${latest.startedAt ?? '?'}`;
    const by = latest.requestedBy ? `by ${latest.requestedBy}, ` : '';
    const rto = latest.status === 'SUCCEEDED' ? `, RTO ${seconds(latest.rtoSeconds)}` : '';
    const error = latest.error ? `: ${latest.error.name ?? 'Error'}: ${latest.error.message ?? ''}` : '';
    out.push(
      `  last execution: ${latest.id} ${paint(io, statusColour(latest.status), latest.status)} (${what ? `${what}, ` : ''}${by}${when}${rto})${error}`,
    );
  }
  const shownId = app.runningExecution ?? (latest && !('unknown' in latest) ? latest.id : undefined);
  if (app.lastExecutionId && app.lastExecutionId !== shownId)
    out.push(
      `  last success: ${app.lastExecutionId} (the run that made ${app.activeRegion ?? 'the active region'} active)`,
    );
  return out;
}

/** The array of a list answer: the answer itself, or its `key` (or first array) property. */
export function listOf<T>(answer: unknown, key: string): T[] {
  if (Array.isArray(answer)) return answer as T[];
  if (answer && typeof answer === 'object') {
    const record = answer as Record<string, unknown>;
    const value = record[key] ?? Object.values(record).find(Array.isArray);
    if (Array.isArray(value)) return value as T[];
  }
  return [];
}

/**
 * The kept readiness verdict toward a region, with its blocking codes and its age:
 * `NOT_READY (LOCK_HELD) 3m ago`; `STALE` before a verdict older than two evaluation periods.
 */
function readinessCell(readiness: RegionView['readiness']): string {
  if (!readiness?.verdict) return '-';
  const blocking = readiness.blocking ?? [];
  const verdict = blocking.length > 0 ? `${readiness.verdict} (${blocking.join(', ')})` : readiness.verdict;
  if (readiness.ageSeconds === undefined) return verdict;
  const age = `${ago(readiness.ageSeconds)} ago`;
  return readiness.stale ? `STALE ${verdict} ${age}` : `${verdict} ${age}`;
}

/** 42 -> `42s`, 300 -> `5m`, 7200 -> `2h`, 172800 -> `2d`. */
function ago(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

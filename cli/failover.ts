import { parseArgs } from 'node:util';
import {
  ApiClient,
  ApiError,
  CLIENT_OPTIONS,
  clockTime,
  DEFAULT_API,
  helpText,
  paint,
  printJson,
  seconds,
  seg,
  statusColour,
  withApi,
} from './client.js';
import { type CliIo, EXIT, line, UsageError } from './io.js';

export const FAILOVER_USAGE =
  'switchyard failover --app A --to R [--mode graceful|ungraceful] [--reason TEXT] [--no-wait]';

const FAILOVER_HELP = helpText(
  FAILOVER_USAGE,
  'Requests a failover of an app to a region, then follows the runbook step by step (virtual times)\nuntil it ends: exit 0 when it SUCCEEDED, 1 when it FAILED or was ABORTED. As alice by default.',
  [
    ['--app A', 'the app (plan name)'],
    ['--to R', 'the region to activate'],
    ['--mode M', 'graceful (default: switchover, RPO 0; the source must be healthy) or ungraceful'],
    ['--reason TEXT', 'why, for the audit trail'],
    ['--idempotency-key K', 'makes a retried request safe: the same key answers with the same execution'],
    ['--no-wait', 'print the execution id and return'],
    ['--timeout S', 'stop following after S real seconds (default 1800; the failover goes on)'],
    ['--interval S', 'poll every S real seconds (default 1)'],
  ],
);

/** A step of an execution record, as `GET /apps/{app}/executions/{id}` answers it. */
export interface StepView {
  readonly name: string;
  readonly resource?: string;
  readonly status: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly error?: { name: string; message: string };
  readonly detail?: Record<string, unknown>;
}

/** An execution record, read defensively. */
export interface ExecutionView {
  readonly id: string;
  readonly app: string;
  readonly status: string;
  readonly runbook?: string;
  readonly mode?: string;
  readonly trigger?: string;
  readonly from?: string;
  readonly to?: string;
  readonly requestedBy?: string;
  readonly reason?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly rtoSeconds?: number;
  readonly rpoSeconds?: number;
  readonly steps?: Readonly<Record<string, StepView>>;
  readonly approval?: { decision?: string; decidedBy?: string; requestedAt?: string };
  readonly error?: { name: string; message: string };
  /** What Step Functions says of the run (null when its region does not answer). */
  readonly live?: { status: string; error?: string; cause?: string } | null;
}

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'ABORTED']);
/** Step Functions statuses of a run that is over. */
const LIVE_ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
/** How long a just-accepted execution may have no record yet (its Begin step writes it). */
const NO_RECORD_GRACE_MS = 30_000;

/**
 * `switchyard failover`: asks the operator API for a failover, then (unless --no-wait) follows the
 * execution step by step until it ends. Exit 0 when it SUCCEEDED, 1 otherwise.
 */
export async function failoverCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...CLIENT_OPTIONS,
      app: { type: 'string' },
      to: { type: 'string' },
      mode: { type: 'string', default: 'graceful' },
      reason: { type: 'string' },
      'idempotency-key': { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '1800' },
      interval: { type: 'string', default: '1' },
    },
    strict: true,
  });
  if (values.help) {
    line(io.out, FAILOVER_HELP);
    return EXIT.ok;
  }
  if (!values.app) throw new UsageError('--app is required');
  if (!values.to) throw new UsageError('--to is required (the region to activate)');
  if (values.mode !== 'graceful' && values.mode !== 'ungraceful')
    throw new UsageError(`--mode: expected graceful or ungraceful, got ${values.mode}`);
  const wait = {
    timeoutMs: positiveSeconds('--timeout', values.timeout) * 1000,
    intervalMs: positiveSeconds('--interval', values.interval) * 1000,
  };
  const client = ApiClient.create(values, 'alice');
  const app = values.app;

  return withApi(io, async () => {
    const accepted = await client.post<{ executionId?: string; id?: string; status?: string }>(
      `/apps/${seg(app)}/failovers`,
      {
        to: values.to,
        mode: values.mode,
        reason: values.reason ?? `requested with the switchyard CLI by ${client.who}`,
      },
      values['idempotency-key'] ? { 'idempotency-key': values['idempotency-key'] } : {},
    );
    const id = accepted.executionId ?? accepted.id;
    if (!id)
      throw new ApiError(
        202,
        'InvalidResponse',
        `the API accepted the failover but named no execution: ${JSON.stringify(accepted)}`,
        accepted,
      );
    if (values['no-wait']) {
      if (values.json) printJson(io, accepted);
      else {
        line(io.out, `accepted: ${values.mode} failover of ${app} to ${values.to}, execution ${id}`);
        line(
          io.out,
          `  follow it: npx switchyard executions --app ${app} --execution ${id} --follow${apiFlag(client)}`,
        );
      }
      return EXIT.ok;
    }
    if (!values.json)
      line(
        io.out,
        `accepted: ${values.mode} failover of ${app} to ${values.to} as ${client.who}, execution ${id}`,
      );
    const record = await followExecution(client, io, { app, id, json: values.json, ...wait });
    return record && record.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
  });
}

export interface FollowOptions {
  readonly app: string;
  readonly id: string;
  readonly json: boolean;
  readonly timeoutMs: number;
  readonly intervalMs: number;
}

/**
 * Polls an execution until it ends, printing each step as it starts and finishes (virtual time
 * and offset from the execution's start), the approval wait, and the outcome. Returns the final
 * record, or undefined when `timeoutMs` of real time passed first (said on stderr).
 */
export async function followExecution(
  client: ApiClient,
  io: CliIo,
  options: FollowOptions,
): Promise<ExecutionView | undefined> {
  const printed = new Set<string>();
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let announced = false;
  let lastStatus: string | undefined;
  let failures = 0;
  let liveEnded = 0;
  for (;;) {
    let record: ExecutionView;
    try {
      record = await client.get<ExecutionView>(`/apps/${seg(options.app)}/executions/${seg(options.id)}`);
      failures = 0;
    } catch (error: unknown) {
      // The record is written by the runbook's first step, a moment after the request is accepted;
      // a 5xx between polls (a region's API briefly unavailable) is not the execution's fate either.
      const early =
        error instanceof ApiError && error.status === 404 && Date.now() - started < NO_RECORD_GRACE_MS;
      const transient = error instanceof ApiError && error.status >= 500 && ++failures <= 5;
      if (!early && !transient) throw error;
      await sleep(options.intervalMs);
      continue;
    }
    if (!options.json) {
      if (lastStatus === undefined) {
        line(
          io.out,
          `${record.app}: ${record.mode ?? ''} ${record.runbook ?? ''} ${record.from ?? '?'} -> ${record.to ?? '?'}, requested by ${record.requestedBy ?? '?'} at ${clockTime(record.startedAt)} (virtual)`.replace(
            / {2,}/g,
            ' ',
          ),
        );
      }
      for (const text of newStepLines(record, printed)) line(io.out, text);
      if (record.status === 'WAITING_APPROVAL' && !announced) {
        announced = true;
        line(
          io.out,
          paint(
            io,
            'yellow',
            `  waiting for approval: ${record.app} needs an approver other than ${record.requestedBy ?? 'the requester'}. In another shell:`,
          ),
        );
        line(
          io.out,
          `    npx switchyard approve --app ${record.app} --execution ${record.id} --as bob${apiFlag(client)}`,
        );
      }
      if (lastStatus === 'WAITING_APPROVAL' && record.status === 'RUNNING') {
        const by = record.approval?.decidedBy;
        line(io.out, `  approved${by ? ` by ${by}` : ''}: the runbook goes on`);
      }
    }
    lastStatus = record.status;
    // Step Functions ended the run but nothing wrote the record's outcome (the failure path itself
    // failed): after a few polls, that is the answer.
    liveEnded =
      record.live && LIVE_ENDED.has(record.live.status) && !FINAL.has(record.status) ? liveEnded + 1 : 0;
    if (liveEnded >= 3 && record.live) {
      const why = [record.live.error, record.live.cause].filter(Boolean).join(': ');
      line(
        io.err,
        `error: the runbook ended ${record.live.status} in Step Functions${why ? ` (${why})` : ''}, but its record still says ${record.status}`,
      );
      if (options.json) printJson(io, record);
      return record;
    }
    if (FINAL.has(record.status)) {
      if (options.json) printJson(io, record);
      else line(io.out, outcomeLine(record, io));
      return record;
    }
    if (Date.now() + options.intervalMs > deadline) {
      line(
        io.err,
        `error: still ${record.status} after ${Math.round(options.timeoutMs / 1000)} s; follow it: npx switchyard executions --app ${record.app} --execution ${record.id} --follow${apiFlag(client)}`,
      );
      return undefined;
    }
    await sleep(options.intervalMs);
  }
}

/** Lines for the step starts and finishes not printed yet, in time order. */
export function newStepLines(record: ExecutionView, printed: Set<string>): string[] {
  const origin = record.startedAt ? Date.parse(record.startedAt) : Number.NaN;
  const events: { at: number; order: number; key: string; text: string }[] = [];
  for (const [key, step] of Object.entries(record.steps ?? {})) {
    const label = `${step.name.padEnd(17)} ${(step.resource ?? '').padEnd(22)}`;
    const startKey = `${key}|start`;
    if (!printed.has(startKey)) {
      events.push({ at: Date.parse(step.startedAt), order: 0, key: startKey, text: `${label} started` });
    }
    const finishKey = `${key}|finish`;
    if (step.status !== 'RUNNING' && !printed.has(finishKey)) {
      const at = step.finishedAt ? Date.parse(step.finishedAt) : Date.parse(step.startedAt);
      const took = step.finishedAt ? `  ${seconds((at - Date.parse(step.startedAt)) / 1000)}` : '';
      const error = step.error ? `  ${step.error.name}: ${step.error.message}` : '';
      events.push({ at, order: 1, key: finishKey, text: `${label} ${step.status}${took}${error}` });
    }
  }
  events.sort((a, b) => a.at - b.at || a.order - b.order || a.key.localeCompare(b.key));
  return events.map((e) => {
    printed.add(e.key);
    const offset =
      Number.isFinite(origin) && Number.isFinite(e.at) ? `+${((e.at - origin) / 1000).toFixed(1)}s` : '';
    return `  ${clockTime(Number.isFinite(e.at) ? new Date(e.at).toISOString() : undefined)}  ${offset.padStart(8)}  ${e.text}`.trimEnd();
  });
}

/** The last line: status, where the app is, RTO and RPO (or why it failed). */
export function outcomeLine(record: ExecutionView, io: CliIo): string {
  const status = paint(io, statusColour(record.status), record.status);
  const measured = `RTO ${seconds(record.rtoSeconds)}  RPO ${seconds(record.rpoSeconds)}`;
  if (record.status === 'SUCCEEDED')
    return `${status}  ${record.app} is active in ${record.to ?? '?'}  ${measured}`;
  const why = record.error ? `  ${record.error.name}: ${record.error.message}` : '';
  return `${status}  ${record.app} failover to ${record.to ?? '?'}${why}`;
}

/** ` --api URL` when the client talks to a non-default API, for hints to copy. */
export function apiFlag(client: ApiClient): string {
  return client.api === DEFAULT_API ? '' : ` --api ${client.api}`;
}

function positiveSeconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag}: expected a number of seconds > 0, got ${value}`);
  return n;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

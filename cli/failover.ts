import { type Command, Option } from '@commander-js/extra-typings';
import type { ExecutionDetail, ExecutionSummary } from '../functions/core/execution-views.js';
import { FAILOVER_MODES } from '../functions/core/records.js';
import {
  isThrottledRefusal,
  THROTTLED_REQUEST_ATTEMPTS,
  throttledRetryDelayMs,
} from '../functions/operator-api/http-errors.js';
import {
  ApiClient,
  ApiError,
  clockTime,
  DEFAULT_API,
  paint,
  printJson,
  seconds,
  seg,
  statusColour,
} from './client.js';
import { type CliIo, EXIT, line, OperationError } from './io.js';
import { type CommandContext, positiveSeconds, withApiRegionOption, withClientOptions } from './program.js';

export const FAILOVER_USAGE =
  '--app A --to R [--mode graceful|ungraceful] [--reason TEXT] [--no-wait] [--api URL] [--as NAME] [--json]';

/**
 * An execution as the operator API answers it: an item of `GET /apps/{app}/executions` (no steps),
 * or `GET /apps/{app}/executions/{id}` (with its steps and what Step Functions says of the run).
 * The API's own types (functions/operator-api/executions.ts), so the CLI and the API cannot drift.
 */
export type ExecutionView = ExecutionSummary & Partial<Pick<ExecutionDetail, 'steps' | 'live'>>;

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'ABORTED']);
/** Step Functions statuses of a run that is over. */
const LIVE_ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
/** How long a just-accepted execution may have no record yet (its Begin step writes it). */
const NO_RECORD_GRACE_MS = 30_000;

/**
 * `switchyard failover`: asks the operator API for a failover, then (unless --no-wait) follows the
 * execution step by step until it ends. Exit 0 when it SUCCEEDED, 1 otherwise.
 */
export function defineFailover(program: Command, context: CommandContext): void {
  withApiRegionOption(
    withClientOptions(
      program
        .command('failover')
        .summary('request a failover and follow it step by step')
        .description(
          "Requests a failover of an app to a region, then follows the runbook step by step (virtual times)\nuntil it ends: exit 0 when it SUCCEEDED, 1 when it FAILED or was ABORTED. The last line compares\nthe RTO and RPO with the plan's objectives. A request refused because AWS throttled its dry run\n(503 ThrottledError) is asked again after its Retry-After, up to 6 attempts. As alice by default.",
        )
        .usage(FAILOVER_USAGE)
        .requiredOption('--app <A>', 'the app (plan name)')
        .requiredOption('--to <R>', 'the region to activate')
        .addOption(
          new Option(
            '--mode <M>',
            'graceful (a switchover, RPO 0; the source must be healthy) or ungraceful (the source is down)',
          )
            .choices(FAILOVER_MODES)
            .default('graceful' as const),
        )
        .option('--reason <TEXT>', 'why, for the audit trail')
        .option(
          '--idempotency-key <K>',
          'makes a retried request safe: the same key answers with the same execution',
        )
        .option('--no-wait', 'print the execution id and return')
        .option(
          '--timeout <S>',
          'stop following after S real seconds (the failover goes on)',
          positiveSeconds,
          1800,
        )
        .option('--interval <S>', 'poll every S real seconds', positiveSeconds, 1),
      DEFAULT_API,
    ),
  ).action(async (options) => {
    const { io } = context;
    const client = ApiClient.create(options, 'alice');
    const { app, to, mode } = options;
    const accepted = await requestPacingThrottled(io, () =>
      client.post<{ executionId?: string; id?: string; status?: string }>(
        `/apps/${seg(app)}/failovers`,
        { to, mode, reason: options.reason ?? `requested with the switchyard CLI by ${client.who}` },
        options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
      ),
    );
    const id = accepted.executionId ?? accepted.id;
    if (!id)
      throw new ApiError(
        202,
        'InvalidResponse',
        `the API accepted the failover but named no execution: ${JSON.stringify(accepted)}`,
        accepted,
      );
    if (!options.wait) {
      if (options.json) printJson(io, accepted);
      else {
        line(io.out, `accepted: ${mode} failover of ${app} to ${to}, execution ${id}`);
        line(
          io.out,
          `  follow it: npx switchyard executions --app ${app} --execution ${id} --follow${apiFlag(client)}`,
        );
      }
      context.code = EXIT.ok;
      return;
    }
    if (!options.json)
      line(io.out, `accepted: ${mode} failover of ${app} to ${to} as ${client.who}, execution ${id}`);
    const record = await followExecution(client, io, {
      app,
      id,
      json: options.json === true,
      timeoutMs: options.timeout * 1000,
      intervalMs: options.interval * 1000,
    });
    context.code = record.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
  });
}

/**
 * Makes a request, asking again while the API refuses it with 503 `ThrottledError` (AWS throttled
 * its dry run: nothing was reserved, so asking again is safe): after the answer's Retry-After plus
 * jitter, up to {@link THROTTLED_REQUEST_ATTEMPTS} attempts in all, each wait said on stderr. Any
 * other error, and the last refusal, is thrown as it came.
 */
export async function requestPacingThrottled<T>(
  io: CliIo,
  request: () => Promise<T>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error: unknown) {
      if (
        !(error instanceof ApiError) ||
        !isThrottledRefusal(error.status, error.errorName) ||
        attempt >= THROTTLED_REQUEST_ATTEMPTS
      )
        throw error;
      const wait = throttledRetryDelayMs(error.retryAfter, attempt, Math.random());
      line(
        io.err,
        `refused for now: AWS throttled the request's dry run (503 ThrottledError); asking again in ${(wait / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${THROTTLED_REQUEST_ATTEMPTS})`,
      );
      await sleep(wait);
    }
  }
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
 * and offset from the execution's start), the approval wait, the outcome and how the RTO and RPO
 * compare with the plan's objectives. Returns the final record; throws {@link OperationError}
 * when `timeoutMs` of real time passed first, or when Step Functions ended the run but its record
 * never said how.
 */
export async function followExecution(
  client: ApiClient,
  io: CliIo,
  options: FollowOptions,
): Promise<ExecutionView> {
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
      // The approval first: the steps it lets run come after it.
      const decision = record.approval?.decision;
      if (lastStatus === 'WAITING_APPROVAL' && record.status !== 'WAITING_APPROVAL' && decision) {
        const by = record.approval?.decidedBy ? ` by ${record.approval.decidedBy}` : '';
        line(
          io.out,
          decision === 'APPROVED' ? `  approved${by}: the runbook goes on` : `  approval ${decision}${by}`,
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
          `    npx switchyard approve --app ${record.app} --execution ${record.id}${approverFlag(client)}${apiFlag(client)}`,
        );
      }
    }
    lastStatus = record.status;
    // Step Functions ended the run but nothing wrote the record's outcome (the failure path itself
    // failed): after a few polls, that is the answer.
    liveEnded =
      record.live && LIVE_ENDED.has(record.live.status) && !FINAL.has(record.status) ? liveEnded + 1 : 0;
    if (liveEnded >= 3 && record.live) {
      const why = [record.live.error, record.live.cause].filter(Boolean).join(': ');
      throw new OperationError(
        'RecordOutOfStep',
        `the runbook ended ${record.live.status} in Step Functions${why ? ` (${why})` : ''}, but its record still says ${record.status}`,
        record,
      );
    }
    if (FINAL.has(record.status)) {
      if (options.json) printJson(io, record);
      else {
        line(io.out, outcomeLine(record, io));
        const objectives = await client
          .get<{ objectives?: Objectives }>(`/apps/${seg(record.app)}`)
          .then((status) => status.objectives)
          .catch(() => undefined);
        const compared = objectivesLine(record, objectives);
        if (compared) line(io.out, compared);
      }
      return record;
    }
    if (Date.now() + options.intervalMs > deadline) {
      throw new OperationError(
        'FollowTimeout',
        `still ${record.status} after ${Math.round(options.timeoutMs / 1000)} s; follow it: npx switchyard executions --app ${record.app} --execution ${record.id} --follow${apiFlag(client)}`,
        record,
      );
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
      const skipped =
        step.status === 'SKIPPED'
          ? `  (${typeof step.detail?.reason === 'string' ? step.detail.reason : 'no reason recorded'})`
          : '';
      const error = step.error ? `  ${step.error.name}: ${step.error.message}` : '';
      events.push({ at, order: 1, key: finishKey, text: `${label} ${step.status}${took}${skipped}${error}` });
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

/** A plan's recovery objectives, as `GET /apps/{app}` answers them. */
export interface Objectives {
  readonly rtoSeconds?: number;
  readonly rpoSeconds?: number;
}

/** Seconds an execution waited for its approver (0 when it needed none or was not approved). */
export function approvalWaitSeconds(record: ExecutionView): number {
  const { requestedAt, decidedAt } = record.approval ?? {};
  if (!requestedAt || !decidedAt) return 0;
  return Math.max(0, (Date.parse(decidedAt) - Date.parse(requestedAt)) / 1000);
}

/**
 * The line after the outcome: the RTO and RPO against the plan's objectives, and that the RTO
 * leaves out the time spent waiting for an approver (it measures the runbook, not the person).
 * Undefined when the execution measured neither.
 */
export function objectivesLine(
  record: ExecutionView,
  objectives: Objectives | undefined,
): string | undefined {
  if (typeof record.rtoSeconds !== 'number' && typeof record.rpoSeconds !== 'number') return undefined;
  const against = (what: string, got: number | undefined, objective: number | undefined) => {
    if (typeof got !== 'number') return `${what} not measured`;
    if (typeof objective !== 'number') return `${what} ${seconds(got)} (objective unknown)`;
    return got <= objective
      ? `${what} ${seconds(got)} within the ${seconds(objective)} objective`
      : `${what} ${seconds(got)} OVER the ${seconds(objective)} objective`;
  };
  const wait = approvalWaitSeconds(record);
  const approval =
    wait > 0
      ? `the ${seconds(wait)} approval wait is left out of the RTO`
      : record.approval
        ? 'the approval wait is left out of the RTO'
        : 'no approval wait (it would be left out of the RTO)';
  // An RPO taken from the lag last seen before its metric stopped says so, and when.
  const lastSeen =
    typeof record.rpoSeconds === 'number' && record.rpoLastSeenAt
      ? ` (the replication lag last seen, at ${record.rpoLastSeenAt}, before its metric stopped)`
      : '';
  return `  objectives: ${against('RTO', record.rtoSeconds, objectives?.rtoSeconds)}; ${against('RPO', record.rpoSeconds, objectives?.rpoSeconds)}${lastSeen}; ${approval}`;
}

/** ` --api URL` when the client talks to a non-default API, for hints to copy. */
export function apiFlag(client: ApiClient): string {
  return client.api === DEFAULT_API ? '' : ` --api ${client.api}`;
}

/**
 * How the printed `approve` command names its approver, as the caller is identified: the sandbox's
 * approver (`--as bob`), an approver's token, or IAM (the same region): `approve` assumes nobody.
 */
export function approverFlag(client: ApiClient): string {
  if (client.identity === 'iam') return ` --auth iam --region ${client.signingRegion ?? 'R'}`;
  if (client.identity === 'token') return " --token <an approver's JWT>";
  return ' --as bob';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

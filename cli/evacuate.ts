import { type Command, Option } from '@commander-js/extra-typings';
import { ApiClient, ApiError, DEFAULT_API, paint, printJson, seg, statusColour } from './client.js';
import { apiFlag, approverFlag } from './failover.js';
import { type CliIo, EXIT, line, OperationError } from './io.js';
import { type CommandContext, positiveSeconds, withApiRegionOption, withClientOptions } from './program.js';

export const EVACUATE_USAGE =
  '--from R [--to R] [--mode graceful|ungraceful] [--app A ...] [--reason TEXT] [--no-wait] [--api URL] [--as NAME] [--json]';

/** An evacuation record, as `GET /evacuations/{id}` answers it (read defensively). */
interface EvacuationView {
  readonly id: string;
  readonly from: string;
  readonly to?: string;
  readonly mode?: string;
  readonly status: string;
  readonly requestedBy?: string;
  readonly apps: readonly {
    app: string;
    to: string;
    priority: number;
    status: string;
    executionId?: string;
    rtoSeconds?: number;
    error?: string;
  }[];
}

interface EvacuationAccepted {
  readonly evacuationId?: string;
  readonly waves?: readonly { priority: number; apps: readonly string[] }[];
  readonly skipped?: readonly { app: string; reason: string }[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `switchyard evacuate`: asks the operator API to evacuate a region (every app active there, or
 * the listed ones, fails over in waves by priority), then (unless --no-wait) follows each app's
 * outcome until every app has ended. Exit 0 when every app SUCCEEDED, 1 otherwise.
 */
export function defineEvacuate(program: Command, context: CommandContext): void {
  withApiRegionOption(
    withClientOptions(
      program
        .command('evacuate')
        .summary("fail over every app of a region, in waves by the plans' priority")
        .description(
          "Evacuates a region: every app whose active region is --from (or each --app) fails over to --to (or\nits plan's next region), lowest `priority` first; a wave starts once the previous one is served or\nfailed. Each app runs its own runbook under its own lock, with its plan's approval rule. The request\ngoes to --region's operator API, else --to's: never the evacuated region's. Exit 0 when every app\nSUCCEEDED, 1 otherwise. As alice by default.",
        )
        .usage(EVACUATE_USAGE)
        .requiredOption('--from <R>', 'the region to evacuate')
        .option('--to <R>', "the region every app goes to (default: each plan's first other region)")
        .addOption(
          new Option('--mode <M>', 'graceful (switchovers, RPO 0) or ungraceful (the region is down)')
            .choices(['graceful', 'ungraceful'] as const)
            .default('graceful' as const),
        )
        .option('--app <A>', 'only this app (repeat for several)', collect)
        .option('--reason <TEXT>', 'why, for the audit trail')
        .option(
          '--idempotency-key <K>',
          'makes a retried request safe: the same key answers the same evacuation',
        )
        .option('--no-wait', 'print the evacuation id and return')
        .option(
          '--timeout <S>',
          'stop following after S real seconds (the evacuation goes on)',
          positiveSeconds,
          3600,
        )
        .option('--interval <S>', 'poll every S real seconds', positiveSeconds, 1),
      DEFAULT_API,
    ),
  ).action(async (options) => {
    const { io } = context;
    const client = ApiClient.create({ ...options, region: options.region ?? options.to }, 'alice');
    const body = {
      from: options.from,
      ...(options.to ? { to: options.to } : {}),
      mode: options.mode,
      ...(options.app ? { apps: options.app } : {}),
      reason: options.reason ?? `requested with the switchyard CLI by ${client.who}`,
    };
    const accepted = await client.post<EvacuationAccepted>(
      '/evacuations',
      body,
      options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
    );
    const id = accepted.evacuationId;
    if (!id)
      throw new ApiError(
        202,
        'InvalidResponse',
        `the API accepted the evacuation but named none: ${JSON.stringify(accepted)}`,
        accepted,
      );
    if (!options.json) {
      line(
        io.out,
        `accepted: ${options.mode} evacuation of ${options.from} as ${client.who}, evacuation ${id}`,
      );
      for (const wave of accepted.waves ?? [])
        line(io.out, `  wave ${wave.priority}: ${wave.apps.join(', ')}`);
      for (const s of accepted.skipped ?? []) line(io.out, `  skipped ${s.app}: ${s.reason}`);
    }
    if (!options.wait) {
      if (options.json) printJson(io, accepted);
      context.code = EXIT.ok;
      return;
    }
    const record = await follow(
      client,
      io,
      id,
      options.json === true,
      options.timeout * 1000,
      options.interval * 1000,
    );
    context.code = record.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
  });
}

/** Polls an evacuation until it ends, printing each app's changes of status. */
async function follow(
  client: ApiClient,
  io: CliIo,
  id: string,
  json: boolean,
  timeoutMs: number,
  intervalMs: number,
): Promise<EvacuationView> {
  const deadline = Date.now() + timeoutMs;
  const shown = new Map<string, string>();
  const askedToApprove = new Set<string>();
  for (;;) {
    const record = await client.get<EvacuationView>(`/evacuations/${seg(id)}`);
    if (!json) {
      for (const app of record.apps) {
        if (shown.get(app.app) === app.status) continue;
        shown.set(app.app, app.status);
        const rto = app.rtoSeconds !== undefined ? ` (RTO ${app.rtoSeconds} s)` : '';
        const why = app.error && app.status !== 'SUCCEEDED' ? `: ${app.error}` : '';
        line(
          io.out,
          `  ${app.app} -> ${app.to}: ${paint(io, statusColour(app.status), app.status)}${rto}${why}`,
        );
      }
      await sayWhoMustApprove(client, io, record, askedToApprove);
    }
    if (record.status !== 'RUNNING') {
      if (json) printJson(io, record);
      else {
        const ok = record.apps.filter((a) => a.status === 'SUCCEEDED').length;
        const failed = record.apps.filter((a) => a.status === 'FAILED' || a.status === 'ABORTED').length;
        line(
          io.out,
          `evacuation ${id} ${paint(io, statusColour(record.status), record.status)}: ${ok} succeeded, ${failed} failed`,
        );
      }
      return record;
    }
    if (Date.now() > deadline)
      throw new OperationError(
        'FollowTimeout',
        `evacuation ${id}: still RUNNING after ${timeoutMs / 1000} s of following; expected it to end (it goes on: npx switchyard evacuate is safe to run again with the same --idempotency-key)`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Says, once per run, which of the evacuation's started apps wait for an approver (their plan
 * requires one, and the evacuation's wave waits with them), with the command that approves it:
 * one `GET /approvals` per poll while an app is STARTED.
 */
async function sayWhoMustApprove(
  client: ApiClient,
  io: CliIo,
  record: EvacuationView,
  asked: Set<string>,
): Promise<void> {
  const started = record.apps.filter(
    (a) => a.status === 'STARTED' && a.executionId && !asked.has(a.executionId),
  );
  if (started.length === 0) return;
  const queue = await client.get<{ approvals?: readonly { id: string; requestedBy?: string }[] }>(
    '/approvals',
  );
  for (const app of started) {
    const waiting = queue.approvals?.find((e) => e.id === app.executionId);
    if (!waiting) continue;
    asked.add(waiting.id);
    line(
      io.out,
      paint(
        io,
        'yellow',
        `  ${app.app} waits for an approver other than ${waiting.requestedBy ?? 'the requester'} (its plan requires one; its wave waits too). In another shell:`,
      ),
    );
    line(
      io.out,
      `    npx switchyard approve --app ${app.app} --execution ${waiting.id}${approverFlag(client)}${apiFlag(client)}`,
    );
  }
}

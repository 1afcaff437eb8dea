import type { Command } from '@commander-js/extra-typings';
import { ApiClient, CLIENT_USAGE, DEFAULT_API, paint, printJson, seg, table } from './client.js';
import { EXIT, line } from './io.js';
import { type CommandContext, withApiRegionOption, withClientOptions } from './program.js';

export const READINESS_USAGE = `[--app A] [--to R] [--mode M] ${CLIENT_USAGE}`;

/** What `GET /apps/{app}/readiness` answers (functions/operator-api/readiness.ts); read defensively. */
interface ReadinessAnswer {
  readonly app: string;
  readonly readiness?: readonly {
    region: string;
    mode?: string;
    verdict: string;
    findings?: readonly { code: string; severity: string; resource: string; message: string }[];
    capacityTime?: readonly {
      group: string;
      needed?: number;
      fromPool?: number;
      withPoolSeconds?: number | null;
      withoutPoolSeconds?: number;
    }[];
  }[];
}

/**
 * `switchyard readiness`: would a failover work now? Per app and target region, the verdict and
 * every finding (blocking first). Exit 1 when some target is NOT_READY.
 */
export function defineReadiness(program: Command, context: CommandContext): void {
  withApiRegionOption(
    withClientOptions(
      program
        .command('readiness')
        .summary('would a failover work now: the verdict and findings per target region')
        .description(
          'Evaluates every app (or one) toward every region it could fail over to (or --to R), now:\nREADY or NOT_READY, and each finding (code, severity, resource, what was got and expected).\nExit 1 when a target is NOT_READY. As victor by default.',
        )
        .usage(READINESS_USAGE)
        .option('--app <A>', 'only this app')
        .option('--to <R>', 'only this target region')
        .option('--mode <M>', 'graceful (default) or ungraceful'),
      DEFAULT_API,
    ),
  ).action(async (options) => {
    const { io } = context;
    const client = ApiClient.create(options, 'victor');
    const apps = options.app
      ? [options.app]
      : ((await client.get<{ apps?: { app: string }[] }>('/apps')).apps ?? []).map((a) => a.app);
    const query = new URLSearchParams({
      ...(options.to ? { to: options.to } : {}),
      ...(options.mode ? { mode: options.mode } : {}),
    }).toString();
    const answers: ReadinessAnswer[] = [];
    for (const app of apps)
      answers.push(
        await client.get<ReadinessAnswer>(`/apps/${seg(app)}/readiness${query ? `?${query}` : ''}`),
      );
    const notReady = answers.some((a) => (a.readiness ?? []).some((r) => r.verdict !== 'READY'));
    context.code = notReady ? EXIT.failed : EXIT.ok;
    if (options.json) {
      printJson(io, options.app ? answers[0] : { apps: answers });
      return;
    }
    for (const answer of answers) {
      for (const target of answer.readiness ?? []) {
        const colour = target.verdict === 'READY' ? 'green' : 'red';
        line(
          io.out,
          `${paint(io, 'bold', answer.app)} -> ${target.region} (${target.mode ?? 'graceful'}): ${paint(io, colour, target.verdict)}`,
        );
        const findings = target.findings ?? [];
        if (findings.length > 0)
          for (const text of table(
            findings.map((f) => [f.severity, f.code, f.resource, f.message]),
            '  ',
          ))
            line(io.out, text);
        for (const time of target.capacityTime ?? []) line(io.out, `  ${capacityLine(time)}`);
      }
    }
  });
}

/** `capacity orders-web: 5 to add, 5 from the warm pool: ~60 s (without the pool ~120 s)`. */
function capacityLine(
  time: NonNullable<NonNullable<ReadinessAnswer['readiness']>[number]['capacityTime']>[number],
): string {
  const without = `${String(time.withoutPoolSeconds ?? '?')} s`;
  const head = `capacity ${time.group}: ${String(time.needed ?? '?')} to add`;
  if (time.withPoolSeconds === null || time.withPoolSeconds === undefined)
    return `${head}: ~${without} (no warm pool)`;
  return `${head}, ${String(time.fromPool ?? 0)} from the warm pool: ~${time.withPoolSeconds} s (without the pool ~${without})`;
}

import type { Command } from '@commander-js/extra-typings';
import { InvalidInputError, PlanValidationError } from '../functions/core/errors.js';
import { formatProblem } from '../functions/core/plan.js';
import { loadPlans } from '../functions/core/plan-loader.js';
import { loadScenario } from '../sandbox/scenario.js';
import { type SimulationReport, simulate } from '../sandbox/simulate.js';
import { type CliIo, EXIT, line, OperationError } from './io.js';

import type { CommandContext } from './program.js';

/** `switchyard simulate` on the command line: its options, help and action. */
export function defineSimulate(program: Command, context: CommandContext): void {
  program
    .command('simulate')
    .summary('play a scenario in a one-shot sandbox and report (--json)')
    .description(
      'Plays a scenario (YAML: latency, seed, timeout, timed events) in a fresh in-process sandbox on a\n' +
        'discrete virtual clock and reports executions, requests, outages, invariants and the final\n' +
        'state: the same seed gives the same report. Exit 1 when an execution did not succeed or an\n' +
        'invariant broke, so that CI can gate on a scenario.',
    )
    .usage('--scenario FILE [--plans DIR] [--json]')
    .requiredOption('--scenario <FILE>', 'the scenario file (see scenarios/)')
    .option('--plans <DIR>', 'the plans directory', 'plans')
    .option('--json', 'print exactly one JSON report on stdout')
    .action(async (options) => {
      context.code = await simulateCommand({ ...options, json: options.json === true }, context.io);
    });
}

/**
 * `switchyard simulate`: a one-shot, in-process sandbox run of a scenario on a discrete virtual
 * clock. `--json` prints exactly one JSON report on stdout. Exit 1 when an execution did not
 * succeed or an invariant was broken, so that CI can gate on a scenario.
 */
export async function simulateCommand(
  values: { readonly scenario: string; readonly plans: string; readonly json: boolean },
  io: CliIo,
): Promise<number> {
  let plans: Awaited<ReturnType<typeof loadPlans>>;
  try {
    plans = await loadPlans(values.plans);
  } catch (error: unknown) {
    if (!(error instanceof PlanValidationError)) throw error;
    line(io.err, `${error.problems.length} problem(s) in ${values.plans}:`);
    for (const problem of error.problems) line(io.err, `  - ${formatProblem(problem)}`);
    return EXIT.failed;
  }
  // Every problem of the scenario at once: its YAML, its schema and what it names (the plans'):
  // a refusal worded as the scenario's, not a failure of the command (`error: scenario FILE: ...`).
  let report: SimulationReport;
  try {
    report = await simulate(plans, await loadScenario(values.scenario, plans));
  } catch (error: unknown) {
    if (error instanceof InvalidInputError) throw new OperationError(error.name, error.message);
    throw error;
  }
  if (values.json) line(io.out, JSON.stringify(report, null, 2));
  else printReport(report, io);
  const ok =
    report.executions.every((e) => e.status === 'SUCCEEDED') && report.invariants.every((i) => i.held);
  return ok ? EXIT.ok : EXIT.failed;
}

function printReport(report: SimulationReport, io: CliIo): void {
  line(
    io.out,
    `scenario ${report.scenario ?? '(unnamed)'}: ${report.latency} latency, seed ${report.seed}, ended at ${report.endedAt} s (virtual)`,
  );
  line(io.out);
  line(io.out, 'requests');
  for (const r of report.requests) {
    line(
      io.out,
      `  ${fmt(r.at)}  ${r.kind.padEnd(8)} ${r.app.padEnd(10)} by ${r.by.padEnd(8)} ${r.accepted ? `accepted ${r.executionId ?? ''}` : `refused: ${r.error}`}`,
    );
  }
  line(io.out);
  line(io.out, 'executions');
  for (const e of report.executions) {
    line(io.out, `  ${e.id}  ${e.app} ${e.runbook} ${e.mode} ${e.from ?? '?'} -> ${e.to}: ${e.status}`);
    line(
      io.out,
      `    RTO ${e.rtoSeconds ?? '-'} s  RPO ${e.rpoSeconds ?? '-'} s  AWS busy ${e.awsBusySeconds} s  control plane ${e.controlPlaneSeconds ?? '-'} s  approval wait ${e.approvalWaitSeconds} s${e.underCapacity ? '  UNDER CAPACITY' : ''}`,
    );
    if (e.error) line(io.out, `    error: ${e.error}`);
    for (const s of e.steps) {
      line(
        io.out,
        `    ${fmt(s.startedAt)} -> ${s.finishedAt === null ? '      ' : fmt(s.finishedAt)}  ${s.status.padEnd(9)} ${s.name}${s.resource ? ` ${s.resource}` : ''}${s.error ? `  ${s.error}` : ''}`,
      );
    }
  }
  line(io.out);
  line(io.out, 'ground truth');
  for (const o of report.outages)
    line(io.out, `  outage ${o.app}: ${fmt(o.from)} -> ${fmt(o.to)} (${o.seconds} s)`);
  if (report.outages.length === 0) line(io.out, '  no outage');
  for (const d of report.degraded)
    line(
      io.out,
      `  degraded ${d.app}: ${fmt(d.from)} -> ${fmt(d.to)} (${d.seconds} s, under healthyPercent)`,
    );
  for (const i of report.invariants)
    line(
      io.out,
      `  invariant ${i.name}: ${i.held ? 'held' : `BROKEN (${i.violations?.length ?? 0} violation(s))`}`,
    );
  for (const [app, f] of Object.entries(report.final)) {
    line(
      io.out,
      `  ${app}: active ${f.activeRegion ?? '-'}${f.status && f.status !== 'ACTIVE' ? ` (${f.status})` : ''}, writer ${f.writerRegion ?? '-'}, traffic ${f.trafficRegion ?? '-'}`,
    );
  }
  if (report.pendingAtEnd.length > 0) {
    line(io.out);
    line(
      io.out,
      `AWS changes still under way when the run ended at ${report.endedAt} s (the ground truth above does not include them)`,
    );
    for (const p of report.pendingAtEnd) {
      const times = p.count > 1 ? ` x${p.count}` : '';
      const due = p.dueAt === null ? '' : `, due ${fmt(p.dueAt).trim()}`;
      const by = p.executionId ? ` by ${p.executionId}` : '';
      line(
        io.out,
        `  ${p.operation}${times} ${p.resource ?? ''}${p.app ? ` (${p.app})` : ''}: started ${fmt(p.startedAt).trim()}${by}${due}`,
      );
    }
  }
}

function fmt(seconds: number): string {
  return `${seconds.toFixed(1).padStart(7)}s`;
}

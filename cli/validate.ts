import type { Command } from '@commander-js/extra-typings';
import { describeError, PlanValidationError } from '../functions/core/errors.js';
import { formatProblem, planWarnings } from '../functions/core/plan.js';
import { loadPlans } from '../functions/core/plan-loader.js';
import { type CliIo, EXIT, line } from './io.js';
import type { CommandContext } from './program.js';

/** `switchyard validate` on the command line: its options, help and action. */
export function defineValidate(program: Command, context: CommandContext): void {
  program
    .command('validate')
    .summary('check plan files and list every problem')
    .description(
      'Loads every plan of a directory and lists every problem (file, path, what was got, what was\nexpected), and the warnings. Exit 0 when every plan is valid, 1 otherwise.',
    )
    .usage('[--plans DIR] [--json]')
    .option('--plans <DIR>', 'the plans directory', 'plans')
    .option('--json', 'print one JSON object: valid, plans, problems, warnings')
    .action(async (options) => {
      context.code = await validateCommand({ plans: options.plans, json: options.json === true }, context.io);
    });
}

/** `switchyard validate`: loads every plan of a directory and lists every problem found. */
export async function validateCommand(
  values: { readonly plans: string; readonly json: boolean },
  io: CliIo,
): Promise<number> {
  const dir = values.plans;
  try {
    const plans = await loadPlans(dir);
    if (values.json) {
      line(
        io.out,
        JSON.stringify(
          {
            valid: true,
            plans: plans.map((p) => ({ name: p.name, strategy: p.strategy, regions: p.regions })),
            problems: [],
            warnings: plans.flatMap(planWarnings),
          },
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    for (const plan of plans) {
      line(io.out, `ok  ${plan.name.padEnd(16)} ${plan.strategy.padEnd(13)} ${plan.regions.join(' -> ')}`);
    }
    line(io.out, `${plans.length} plan(s) in ${dir} are valid.`);
    for (const warning of plans.flatMap(planWarnings)) {
      line(io.err, `warning: ${warning.plan}: ${warning.path}: ${warning.message}`);
    }
    return EXIT.ok;
  } catch (caught: unknown) {
    // The loader reports every problem as a PlanValidationError; anything else is still told as
    // one problem (file, got, expected), never as a stack trace.
    const error =
      caught instanceof PlanValidationError
        ? caught
        : new PlanValidationError(describeError(caught).message, [
            {
              file: dir,
              path: '',
              message: 'the plans could not be loaded',
              got: `${describeError(caught).name}: ${describeError(caught).message}`,
              expected: 'a directory of readable *.yaml plans',
            },
          ]);
    if (values.json) {
      line(io.out, JSON.stringify({ valid: false, plans: [], problems: error.problems }, null, 2));
    } else {
      line(io.err, `${error.problems.length} problem(s) in ${dir}:`);
      for (const problem of error.problems) line(io.err, `  - ${formatProblem(problem)}`);
    }
    return EXIT.failed;
  }
}

import { parseArgs } from 'node:util';
import { describeError, PlanValidationError } from '../functions/core/errors.js';
import { formatProblem, planWarnings } from '../functions/core/plan.js';
import { loadPlans } from '../functions/core/plan-loader.js';
import { type CliIo, EXIT, line } from './io.js';

export const VALIDATE_USAGE = 'switchyard validate [--plans DIR] [--json]';

/** `switchyard validate`: loads every plan of a directory and lists every problem found. */
export async function validateCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { plans: { type: 'string', default: 'plans' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
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

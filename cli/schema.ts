import { writeFile } from 'node:fs/promises';
import type { Command } from '@commander-js/extra-typings';
import { planJsonSchema } from '../functions/core/plan.js';
import { line } from './io.js';
import type { CommandContext } from './program.js';

/** `switchyard schema`: prints (or writes) the plan file's JSON Schema. */
export function defineSchema(program: Command, context: CommandContext): void {
  program
    .command('schema')
    .summary("print the plan file's JSON Schema")
    .description(
      'Prints the JSON Schema of a plan file (plans/schema.json is this, for editors that speak the\nYAML language server), or writes it to a file.',
    )
    .usage('[--out FILE]')
    .option('--out <FILE>', 'write it to FILE instead of stdout')
    .action(async (options) => {
      const { io } = context;
      const text = `${JSON.stringify(planJsonSchema(), null, 2)}\n`;
      if (options.out) {
        await writeFile(options.out, text);
        line(io.err, `wrote ${options.out}`);
      } else {
        io.out.write(text);
      }
    });
}

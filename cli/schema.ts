import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { planJsonSchema } from '../functions/core/plan.js';
import { type CliIo, EXIT, line } from './io.js';

export const SCHEMA_USAGE = 'switchyard schema [--out FILE]';

/** `switchyard schema`: prints (or writes) the plan file's JSON Schema. */
export async function schemaCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true });
  const text = `${JSON.stringify(planJsonSchema(), null, 2)}\n`;
  if (values.out) {
    await writeFile(values.out, text);
    line(io.err, `wrote ${values.out}`);
  } else {
    io.out.write(text);
  }
  return EXIT.ok;
}

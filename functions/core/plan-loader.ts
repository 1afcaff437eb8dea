import { constants } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Lexer, LineCounter, parseDocument, visit } from 'yaml';
import { describeError, type PlanProblem, PlanValidationError } from './errors.js';
import { nestsDeeperThan, type Plan, show } from './plan.js';
import { MAX_PLAN_NESTING, type PlanDocument, validatePlanDocuments } from './plan-set.js';

export { MAX_PLAN_NESTING } from './plan-set.js';

const PLAN_FILE = /\.ya?ml$/;

/**
 * The largest plan file read, in bytes (256 KiB). The example plans are about 2 KB; a plan with
 * five regions and dozens of groups, clusters and records stays under 50 KB. Past this the file
 * is refused unread, so a huge file costs neither memory nor parsing time.
 */
export const MAX_PLAN_FILE_BYTES = 256 * 1024;

/**
 * How many alias expansions a plan file may make (`*anchor`), the `yaml` library's
 * `maxAliasCount`: beyond it a "billion laughs" document is refused instead of expanded.
 */
export const MAX_PLAN_ALIASES = 100;

/** The most plan files one directory may hold (a control plane deploys every plan to every region). */
export const MAX_PLAN_FILES = 500;

/**
 * Loads every plan (`*.yaml`, `*.yml`) of a directory. Throws {@link PlanValidationError} listing
 * every problem of every file (unreadable or oversized files, YAML syntax and resource limits,
 * schema, cross-field and cross-plan rules) so that a person fixes them all in one pass; it
 * throws nothing else.
 */
export async function loadPlans(dir: string): Promise<Plan[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new PlanValidationError(`plans: ${dir} is not a directory`, [
      {
        file: dir,
        path: '',
        message: 'plans directory not found',
        got: info ? 'a file that is not a directory' : dir,
        expected: 'a directory of *.yaml plans',
      },
    ]);
  }
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => PLAN_FILE.test(f)).sort();
  } catch (error: unknown) {
    throw new PlanValidationError(`plans: cannot list ${dir}`, [
      {
        file: dir,
        path: '',
        message: 'cannot list the plans directory',
        got: errorCode(error),
        expected: 'a readable directory of *.yaml plans',
      },
    ]);
  }
  if (names.length > MAX_PLAN_FILES) {
    throw new PlanValidationError(`plans: too many plan files in ${dir}`, [
      {
        file: dir,
        path: '',
        message: 'too many plan files',
        got: `${names.length} *.yaml files`,
        expected: `at most ${MAX_PLAN_FILES}`,
      },
    ]);
  }
  const read = await Promise.all(names.map((name) => readPlanFile(join(dir, name))));
  const sources = read.filter((r): r is { file: string; text: string } => 'text' in r);
  const unread = read.filter((r): r is PlanProblem => !('text' in r));
  return parsePlans(sources, dir, unread);
}

/**
 * Parses and validates plan sources already in memory (the same rules as {@link loadPlans}):
 * throws {@link PlanValidationError} with every problem, `earlier` ones first.
 */
export function parsePlans(
  sources: readonly { file: string; text: string }[],
  where = 'plans',
  earlier: readonly PlanProblem[] = [],
): Plan[] {
  const documents: PlanDocument[] = [];
  const problems: PlanProblem[] = [...earlier];
  for (const { file, text } of sources) {
    const parsed = parsePlanText(file, text);
    if ('problems' in parsed) problems.push(...parsed.problems);
    else documents.push({ file, document: parsed.document });
  }
  return validatePlanDocuments(documents, where, problems);
}

/**
 * One plan file's YAML as data, or its problems: too large, nested too deep, not YAML, an alias
 * that is undefined or expands too much, or a document that is not a mapping. Never throws.
 */
export function parsePlanText(
  file: string,
  text: string,
): { document: Record<string, unknown> } | { problems: PlanProblem[] } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PLAN_FILE_BYTES) return { problems: [tooLarge(file, `${bytes} bytes`)] };
  const lines = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `line ${line}:${col}`;
  };
  const excerpt = (offset: number) => {
    if (offset >= text.length) return 'the end of the file';
    const start = text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
    const end = text.indexOf('\n', offset);
    return show(text.slice(start, end === -1 ? undefined : end).trim() || '(an empty line)', 80);
  };
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    return {
      problems: [
        {
          file,
          path: lineOf(text, deep),
          message: 'YAML nested too deeply',
          got: `more than ${MAX_PLAN_NESTING} levels`,
          expected: `at most ${MAX_PLAN_NESTING} levels of nesting (a plan needs about 6)`,
        },
      ],
    };
  }
  try {
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      return {
        problems: doc.errors.map((e) => ({
          file,
          path: at(e.pos[0]),
          message: `YAML: ${yamlMessage(e.message)}`,
          got: excerpt(e.pos[0]),
          expected: YAML_EXPECTED[e.code] ?? 'valid YAML 1.2',
        })),
      };
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_PLAN_ALIASES });
    } catch (error: unknown) {
      return { problems: [aliasProblem(file, doc, error, at)] };
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      return {
        problems: [
          {
            file,
            path: '',
            message: 'a plan file must be one YAML mapping of plan keys',
            got: describeRoot(data, text),
            expected:
              'a mapping such as "name: orders" with strategy, regions, traffic, ... (see plans/schema.json)',
          },
        ],
      };
    }
    if (nestsDeeperThan(data, MAX_PLAN_NESTING)) {
      // Aliases can nest what each anchor alone keeps shallow.
      return {
        problems: [
          {
            file,
            path: '',
            message: 'YAML nested too deeply once its aliases are expanded',
            got: `more than ${MAX_PLAN_NESTING} levels`,
            expected: `at most ${MAX_PLAN_NESTING} levels of nesting`,
          },
        ],
      };
    }
    return { document: data as Record<string, unknown> };
  } catch (error: unknown) {
    // The YAML library failing in a way it does not report as a document error.
    return {
      problems: [
        {
          file,
          path: '',
          message: 'YAML could not be parsed',
          got: show(describeError(error).message, 120),
          expected: 'valid YAML 1.2',
        },
      ],
    };
  }
}

/** The `yaml` library's message, first line, without its advice on its own API. */
function yamlMessage(message: string): string {
  return (message.split('\n')[0] ?? '')
    .replace(/; please use YAML\.\w+\(\)/, '')
    .replace(/ at line \d+, column \d+:?$/, '');
}

/** What each YAML error code of the `yaml` library expected instead, in words. */
const YAML_EXPECTED: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: 'each key once in a mapping',
  MULTIPLE_DOCS: 'one YAML document per plan file',
  BAD_INDENT: 'enough indentation, and every [ and { closed',
  TAB_AS_INDENT: 'indentation with spaces, not tabs',
  MISSING_CHAR: 'a closing quote or bracket',
  UNEXPECTED_TOKEN: 'valid YAML 1.2',
  BLOCK_AS_IMPLICIT_KEY: 'a key on one line',
  MULTILINE_IMPLICIT_KEY: 'a key on one line',
  KEY_OVER_1024_CHARS: 'keys of at most 1024 characters',
  BAD_ALIAS: 'an alias of an anchor defined earlier (&name before *name)',
  BAD_DIRECTIVE: 'no directives, or %YAML 1.2',
  TAG_RESOLVE_FAILED: 'no custom tags: plain values',
};

/** The problem of a document whose aliases could not be expanded. */
function aliasProblem(
  file: string,
  doc: ReturnType<typeof parseDocument>,
  error: unknown,
  at: (offset: number) => string,
): PlanProblem {
  const message = describeError(error).message;
  let first: { source: string; offset: number } | undefined;
  let unresolved: { source: string; offset: number } | undefined;
  visit(doc, {
    Alias(_key, node) {
      const found = { source: node.source, offset: node.range?.[0] ?? 0 };
      first ??= found;
      if (!unresolved && node.resolve(doc) === undefined) unresolved = found;
    },
  });
  if (/unresolved alias|anchor/i.test(message) && !/excessive/i.test(message)) {
    const alias = unresolved ?? first;
    return {
      file,
      path: alias ? at(alias.offset) : '',
      message: 'YAML alias of an anchor that is not defined',
      got: alias ? `*${alias.source}` : show(message, 80),
      expected: 'an anchor (&name) defined before its alias (*name)',
    };
  }
  return {
    file,
    path: first ? at(first.offset) : '',
    message: /excessive alias/i.test(message)
      ? 'YAML aliases expand too much (an "alias bomb")'
      : `YAML aliases could not be expanded: ${show(message, 80)}`,
    got: `more than ${MAX_PLAN_ALIASES} alias expansions`,
    expected: `at most ${MAX_PLAN_ALIASES} alias expansions (a plan needs none)`,
  };
}

/** The root of a YAML file that is not a mapping, in words. */
function describeRoot(data: unknown, text: string): string {
  if (data === null || data === undefined) return text.trim() === '' ? 'an empty file' : 'an empty document';
  if (Array.isArray(data)) return `a list of ${data.length} item(s)`;
  return `a ${typeof data}: ${show(data, 60)}`;
}

/**
 * The offset at which the YAML in `text` first nests deeper than {@link MAX_PLAN_NESTING}, or
 * undefined. It walks the `yaml` library's lexer (a flat token stream, no recursion) and counts
 * open flow collections (`[`, `{`), the indentation levels of block collections and the compact
 * `- `/`? ` indicators on a line: at least the depth the composer will recurse to.
 */
function tooDeepAt(text: string): number | undefined {
  let offset = 0;
  let flow = 0;
  const indents: number[] = [];
  let lineStart = true;
  let indent = 0;
  let indicators = 0;
  for (const token of new Lexer().lex(text)) {
    const here = offset;
    offset += token.length;
    if (token === '\n' || token === '\r\n') {
      lineStart = true;
      indent = 0;
      indicators = 0;
      continue;
    }
    if (lineStart) {
      if (/^[ \t]+$/.test(token)) {
        indent = token.length;
        continue;
      }
      if (token.startsWith('#')) continue;
      lineStart = false;
      if (flow === 0) {
        while (indents.length > 0 && (indents.at(-1) as number) > indent) indents.pop();
        if (indents.length === 0 || (indents.at(-1) as number) < indent) indents.push(indent);
      }
    }
    if (token === '[' || token === '{') flow++;
    else if (token === ']' || token === '}') flow = Math.max(0, flow - 1);
    else if ((token === '-' || token === '?') && flow === 0) indicators++;
    if (flow + indents.length + indicators > MAX_PLAN_NESTING) return here;
  }
  return undefined;
}

function lineOf(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}:${offset - before.lastIndexOf('\n')}`;
}

function tooLarge(file: string, got: string): PlanProblem {
  return {
    file,
    path: '',
    message: 'plan file too large',
    got,
    expected: `at most ${MAX_PLAN_FILE_BYTES} bytes (a plan is a few KB)`,
  };
}

/**
 * One plan file's text, read without trusting its name: a directory, FIFO or device named
 * `*.yaml`, an unreadable file, one larger than {@link MAX_PLAN_FILE_BYTES} or not UTF-8 is a
 * problem, never an exception. At most that many bytes (plus one) are read.
 */
async function readPlanFile(file: string): Promise<{ file: string; text: string } | PlanProblem> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // Non-blocking, so a FIFO named *.yaml cannot hang the loader; it is refused below.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile()) {
      return {
        file,
        path: '',
        message: 'not a regular file',
        got: info.isDirectory() ? 'a directory' : 'a special file (FIFO, socket or device)',
        expected: 'a YAML plan file',
      };
    }
    if (info.size > MAX_PLAN_FILE_BYTES) return tooLarge(file, `${info.size} bytes`);
    const buffer = Buffer.alloc(MAX_PLAN_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_PLAN_FILE_BYTES) return tooLarge(file, `more than ${MAX_PLAN_FILE_BYTES} bytes`);
    }
    try {
      return { file, text: new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length)) };
    } catch {
      return {
        file,
        path: '',
        message: 'not UTF-8 text',
        got: 'bytes that are not UTF-8',
        expected: 'a UTF-8 YAML file',
      };
    }
  } catch (error: unknown) {
    return {
      file,
      path: '',
      message: 'cannot read the plan file',
      got: errorCode(error),
      expected: 'a readable YAML plan file',
    };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** `EACCES: permission denied`, or the error's message. */
function errorCode(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? String(error.code) : undefined;
  const message = describeError(error).message;
  return show(code && !message.startsWith(code) ? `${code}: ${message}` : message, 120);
}

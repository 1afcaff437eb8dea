import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { Lexer, LineCounter, parseDocument, visit } from 'yaml';
import { describeError, type PlanProblem } from './errors.js';
import { nestsDeeperThan, show } from './problems.js';

// A YAML file a person wrote (a plan, a scenario), read and parsed within bounds: its size, its
// nesting and its aliases, so that no file (a huge one, a deeply nested one, a "billion laughs")
// costs more than a bounded amount of memory, time and stack. Every problem is a value (file,
// path, message, got, expected), never an exception.

/** The bounds of one kind of YAML file, and the words its problems use. */
export interface YamlFileKind {
  /** What the file is, in problems: `plan`, `scenario`. */
  readonly noun: string;
  /** The largest file read, in bytes; past it the file is refused unread. */
  readonly maxBytes: number;
  /** How many alias expansions (`*anchor`) it may make: the `yaml` library's `maxAliasCount`. */
  readonly maxAliases: number;
  /** The deepest nesting it may have, in levels, checked before parsing and on the data. */
  readonly maxNesting: number;
  /** Why the bounds are generous, for each problem's `expected` (`a plan is a few KB`, ...). */
  readonly typical: { readonly size: string; readonly nesting: string; readonly aliases: string };
  /** What its root must be, for a root that is not a mapping: `expected`. */
  readonly mapping: string;
}

/**
 * One file's YAML as data, or its problems: too large, nested too deep, not YAML, an alias that is
 * undefined or expands too much, or a document that is not a mapping. Never throws.
 */
export function parseYamlFile(
  file: string,
  text: string,
  kind: YamlFileKind,
): { document: Record<string, unknown> } | { problems: PlanProblem[] } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > kind.maxBytes) return { problems: [tooLarge(file, `${bytes} bytes`, kind)] };
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
  const deep = tooDeepAt(text, kind.maxNesting);
  if (deep !== undefined) {
    return {
      problems: [
        {
          file,
          path: lineOf(text, deep),
          message: 'YAML nested too deeply',
          got: `more than ${kind.maxNesting} levels`,
          expected: `at most ${kind.maxNesting} levels of nesting (${kind.typical.nesting})`,
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
          expected:
            e.code === 'MULTIPLE_DOCS'
              ? `one YAML document per ${kind.noun} file`
              : (YAML_EXPECTED[e.code] ?? 'valid YAML 1.2'),
        })),
      };
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: kind.maxAliases });
    } catch (error: unknown) {
      return { problems: [aliasProblem(file, doc, error, at, kind)] };
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      return {
        problems: [
          {
            file,
            path: '',
            message: `a ${kind.noun} file must be one YAML mapping of ${kind.noun} keys`,
            got: describeRoot(data, text),
            expected: kind.mapping,
          },
        ],
      };
    }
    if (nestsDeeperThan(data, kind.maxNesting)) {
      // Aliases can nest what each anchor alone keeps shallow.
      return {
        problems: [
          {
            file,
            path: '',
            message: 'YAML nested too deeply once its aliases are expanded',
            got: `more than ${kind.maxNesting} levels`,
            expected: `at most ${kind.maxNesting} levels of nesting`,
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
  kind: YamlFileKind,
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
    got: `more than ${kind.maxAliases} alias expansions`,
    expected: `at most ${kind.maxAliases} alias expansions (${kind.typical.aliases})`,
  };
}

/** The root of a YAML file that is not a mapping, in words. */
function describeRoot(data: unknown, text: string): string {
  if (data === null || data === undefined) return text.trim() === '' ? 'an empty file' : 'an empty document';
  if (Array.isArray(data)) return `a list of ${data.length} item(s)`;
  return `a ${typeof data}: ${show(data, 60)}`;
}

/**
 * The offset at which the YAML in `text` first nests deeper than `max` levels, or undefined. It
 * walks the `yaml` library's lexer (a flat token stream, no recursion) and counts open flow
 * collections (`[`, `{`), the indentation levels of block collections and the compact `- `/`? `
 * indicators on a line: at least the depth the composer will recurse to.
 */
function tooDeepAt(text: string, max: number): number | undefined {
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
    if (flow + indents.length + indicators > max) return here;
  }
  return undefined;
}

function lineOf(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}:${offset - before.lastIndexOf('\n')}`;
}

function tooLarge(file: string, got: string, kind: YamlFileKind): PlanProblem {
  return {
    file,
    path: '',
    message: `${kind.noun} file too large`,
    got,
    expected: `at most ${kind.maxBytes} bytes (${kind.typical.size})`,
  };
}

/**
 * One file's text, read without trusting its name: a directory, FIFO or device named `*.yaml`, an
 * unreadable file, one larger than `kind.maxBytes` or not UTF-8 is a problem, never an exception.
 * At most that many bytes (plus one) are read.
 */
export async function readYamlFile(
  file: string,
  kind: YamlFileKind,
): Promise<{ file: string; text: string } | PlanProblem> {
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
        expected: `a YAML ${kind.noun} file`,
      };
    }
    if (info.size > kind.maxBytes) return tooLarge(file, `${info.size} bytes`, kind);
    const buffer = Buffer.alloc(kind.maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > kind.maxBytes) return tooLarge(file, `more than ${kind.maxBytes} bytes`, kind);
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
      message: `cannot read the ${kind.noun} file`,
      got: errorCode(error),
      expected: `a readable YAML ${kind.noun} file`,
    };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** `EACCES: permission denied`, or the error's message. */
export function errorCode(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? String(error.code) : undefined;
  const message = describeError(error).message;
  return show(code && !message.startsWith(code) ? `${code}: ${message}` : message, 120);
}

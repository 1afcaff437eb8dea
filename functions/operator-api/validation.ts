import { describeError } from '../core/errors.js';
import { expectedOf, formatPath, nestsDeeperThan, show as showValue } from '../core/problems.js';
import * as z from '../core/zod.js';
import {
  HeadersTooLargeError,
  PayloadTooLargeError,
  type RequestProblem,
  RequestValidationError,
} from './http-errors.js';
import type { ApiRequest } from './request.js';

/**
 * Parses a request part (`body`, `query`, `header Idempotency-Key`) with a zod schema (zod/mini's,
 * or the chained API's, which the sandbox's own routes use). On failure throws a
 * {@link RequestValidationError} listing every problem: path, got, expected.
 *
 * `also`: problems found outside the schema (an unknown region: {@link regionProblem} of
 * {@link sentString}), judged on the part as sent and listed beside the schema's, so a request
 * learns all of them at once; one on a path the schema already refused is left out.
 */
export function parseRequestPart<T extends z.core.$ZodType>(
  schema: T,
  value: unknown,
  part: string,
  also: readonly (RequestProblem | undefined)[] = [],
): z.infer<T> {
  const parsed = z.safeParse(schema, value, { reportInput: true });
  const extra = also.filter((p): p is RequestProblem => p !== undefined);
  if (parsed.success) {
    if (extra.length > 0) fail(part, extra);
    return parsed.data;
  }
  // A value of the wrong type is one problem: zod still runs the field's checks (a string's
  // `minLength` on an array sent as `reason`) and would add an "at least 1 item(s)" beside it.
  const wrongType = new Set(
    parsed.error.issues
      .filter((issue) => issue.code === 'invalid_type')
      .map((issue) => formatPath(issue.path)),
  );
  const issues = parsed.error.issues.filter(
    (issue) => issue.code === 'invalid_type' || !wrongType.has(formatPath(issue.path)),
  );
  const problems = issues.flatMap((issue) => problemsOf(issue, value, part, schema));
  const refused = new Set(problems.map((p) => p.path));
  fail(part, [...problems, ...extra.filter((p) => !refused.has(p.path))]);
}

function problemsOf(
  issue: z.core.$ZodIssue,
  root: unknown,
  part: string,
  schema: z.core.$ZodType,
): RequestProblem[] {
  const path = [part, formatPath(issue.path)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    const holder = valueAt(root, issue.path);
    // A query's parameters are named, not nested: say which ones the route takes.
    const shape = (schema._zod.def as { shape?: Record<string, unknown> }).shape;
    const query = part === 'query' && issue.path.length === 0 && shape !== undefined;
    return issue.keys.map((key) => ({
      path: `${path}.${key}`,
      message: query ? 'unknown query parameter' : 'unknown field',
      got: show(valueAt(holder, [key])),
      expected: query ? `one of ${Object.keys(shape).join(', ')}` : 'no such field',
    }));
  }
  // The value as sent, before any coercion or trimming the schema applied.
  const sent = valueAt(root, issue.path);
  const input = sent === undefined && 'input' in issue ? issue.input : sent;
  const expected = expectedOf(issue);
  return [{ path, message: issue.message, got: show(input), ...(expected ? { expected } : {}) }];
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** The longest `got` a request problem shows, in characters. */
const GOT_MAX_CHARS = 80;

/** A value as a problem's `got`: JSON, cut at 80 characters (a long string also says its length). */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string' && value.length > GOT_MAX_CHARS)
    return `${JSON.stringify(value.slice(0, GOT_MAX_CHARS - 20))}... (${value.length} characters)`;
  return showValue(typeof value === 'string' ? JSON.stringify(value) : value, GOT_MAX_CHARS);
}

// Bounds on every part of a request. API Gateway's own HTTP API quotas ("Quotas for configuring and
// running an HTTP API in API Gateway", https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html)
// are 10 MB of payload and 10,240 bytes for the request line and header values together; the
// operator API's requests are far smaller, so it refuses much less than those.

/**
 * Path parameters (`{app}`, `{id}`, `{drillId}`): 1 to 80 of `A-Z a-z 0-9 _ -`, the characters and
 * length of a Step Functions execution name, which execution and drill ids are; plan names are
 * a subset. It keeps every table key built from them (`EXECID#<id>`) far below DynamoDB's
 * 1,024-byte sort key limit ("Service, account, and table quotas in Amazon DynamoDB",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html), which an
 * id of 1,018 characters used to pass, ending in a 500.
 */
export const PATH_PARAMETER = /^[A-Za-z0-9_-]{1,80}$/;

/** The longest path, in characters: the longest valid one (80-character parameters) is ~200. */
export const MAX_PATH_CHARS = 2048;

/**
 * The largest body, in bytes: 64 KiB. The largest valid body is a failover request with a
 * 1,024-character reason (at most ~6 KB even with every character escaped as `\uXXXX`); API
 * Gateway would pass up to 10 MB (its payload quota), which would only cost parse time and memory.
 */
export const MAX_BODY_BYTES = 64 * 1024;

/** The deepest JSON body, in levels: every valid body is one flat object (depth 1). */
export const MAX_JSON_DEPTH = 16;

/** The request line and header values together, in bytes: API Gateway's HTTP API quota. */
export const MAX_HEADER_BYTES = 10_240;

/** Query parameters: how many, and the longest name and value, in characters. */
export const MAX_QUERY_PARAMETERS = 20;
export const MAX_QUERY_NAME_CHARS = 64;
export const MAX_QUERY_VALUE_CHARS = 256;

/**
 * The problem of a region a request names as a value (`body.to`, `body.from`, `query.to`) that is
 * not one of `regions`; undefined when it is one. A region in a body or a query is a value: an
 * unknown one makes the request invalid (400, what was got and what was expected), as any bad
 * value does; only an unknown app in the path is a missing resource (404, `UnknownAppError`).
 */
export function regionProblem(
  value: string | undefined,
  regions: readonly string[],
  path: string,
  expected = `one of ${regions.join(', ')}`,
): RequestProblem | undefined {
  if (value === undefined || regions.includes(value)) return undefined;
  return { path, message: 'unknown region', got: show(value), expected };
}

/**
 * The string at `key` of a request part as sent (a body or a query, before any schema judged it),
 * or undefined when the part is not an object or the value not a string.
 */
export function sentString(part: unknown, key: string): string | undefined {
  if (part === null || typeof part !== 'object' || Array.isArray(part)) return undefined;
  const value = (part as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Throws a {@link RequestValidationError} (400) for `part` (`body`, `query`) listing every one of
 * `problems` that is defined; returns when there is none.
 */
export function refuseProblems(part: string, problems: readonly (RequestProblem | undefined)[]): void {
  const found = problems.filter((p): p is RequestProblem => p !== undefined);
  if (found.length > 0) fail(part, found);
}

function fail(part: string, problems: RequestProblem[]): never {
  const listed = problems
    .map((p) => `${p.path}: ${p.message} (got ${p.got}${p.expected ? `; expected ${p.expected}` : ''})`)
    .join('; ');
  throw new RequestValidationError(
    `invalid ${part}: ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${listed}`,
    problems,
  );
}

/**
 * Checks a route's path parameters against {@link PATH_PARAMETER}. Throws a
 * {@link RequestValidationError} (400) naming each bad one, what was got and what was expected.
 */
export function checkPathParameters(params: Readonly<Record<string, string>>): void {
  const problems: RequestProblem[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (!PATH_PARAMETER.test(value))
      problems.push({
        path: `path.${name}`,
        message: `invalid ${name}`,
        got: show(value),
        expected: '1 to 80 characters of A-Z a-z 0-9 _ -',
      });
  }
  if (problems.length > 0) fail('path', problems);
}

/**
 * Checks the bounds of a request before it is routed: path length, the request line and headers
 * ({@link HeadersTooLargeError}, 431), the query parameters, and the nesting of a body already
 * parsed. Throws a {@link RequestValidationError} (400) listing every problem.
 */
export function checkRequestBounds(request: ApiRequest): void {
  const problems: RequestProblem[] = [];
  const queryEntries = Object.entries(request.query).filter(
    (e): e is [string, string] => typeof e[1] === 'string',
  );
  const headerBytes =
    Buffer.byteLength(`${request.method} ${request.path}`) +
    queryEntries.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 2, 0) +
    Object.values(request.headers).reduce(
      (n, v) => n + (typeof v === 'string' ? Buffer.byteLength(v) : 0),
      0,
    );
  if (headerBytes > MAX_HEADER_BYTES) {
    const problem = {
      path: 'headers',
      message: 'request line and headers too large',
      got: `${headerBytes} bytes`,
      expected: `at most ${MAX_HEADER_BYTES} bytes (API Gateway's HTTP API quota)`,
    };
    throw new HeadersTooLargeError(
      `request too large: ${problem.message} (got ${problem.got}; expected ${problem.expected})`,
      [problem],
    );
  }
  if (request.path.length > MAX_PATH_CHARS)
    problems.push({
      path: 'path',
      message: 'path too long',
      got: show(request.path),
      expected: `at most ${MAX_PATH_CHARS} characters`,
    });
  if (queryEntries.length > MAX_QUERY_PARAMETERS)
    problems.push({
      path: 'query',
      message: 'too many query parameters',
      got: `${queryEntries.length} parameters`,
      expected: `at most ${MAX_QUERY_PARAMETERS}`,
    });
  for (const [name, value] of queryEntries.slice(0, MAX_QUERY_PARAMETERS)) {
    if (name.length > MAX_QUERY_NAME_CHARS)
      problems.push({
        path: 'query',
        message: 'query parameter name too long',
        got: show(name),
        expected: `at most ${MAX_QUERY_NAME_CHARS} characters`,
      });
    else if (value.length > MAX_QUERY_VALUE_CHARS)
      problems.push({
        path: `query.${name}`,
        message: 'query parameter too long',
        got: show(value),
        expected: `at most ${MAX_QUERY_VALUE_CHARS} characters`,
      });
  }
  if (request.body !== undefined && nestsDeeperThan(request.body, MAX_JSON_DEPTH))
    problems.push({
      path: 'body',
      message: 'JSON nested too deeply',
      got: `more than ${MAX_JSON_DEPTH} levels`,
      expected: `at most ${MAX_JSON_DEPTH} levels (a request body is one flat object)`,
    });
  if (problems.length > 0) fail('request', problems);
}

/**
 * A request body's JSON: its size checked first ({@link PayloadTooLargeError}, 413), then its
 * nesting by one pass over the text (no recursion, before any parser sees it), then parsed.
 * Returns undefined for an empty body. Throws a {@link RequestValidationError} (400) for
 * malformed or too deeply nested JSON, naming what was got and what was expected.
 */
export function parseJsonBody(text: string): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BODY_BYTES) {
    const problem = {
      path: 'body',
      message: 'body too large',
      got: `${bytes} bytes`,
      expected: `at most ${MAX_BODY_BYTES} bytes (a request body is a small JSON object)`,
    };
    throw new PayloadTooLargeError(
      `invalid body: ${problem.message} (got ${problem.got}; expected ${problem.expected})`,
      [problem],
    );
  }
  if (text.trim() === '') return undefined;
  const deep = jsonTooDeepAt(text, MAX_JSON_DEPTH);
  if (deep !== undefined)
    fail('body', [
      {
        path: 'body',
        message: 'JSON nested too deeply',
        got: `more than ${MAX_JSON_DEPTH} levels (at character ${deep + 1})`,
        expected: `at most ${MAX_JSON_DEPTH} levels (a request body is one flat object)`,
      },
    ]);
  try {
    return JSON.parse(text) as unknown;
  } catch (error: unknown) {
    fail('body', [
      {
        path: 'body',
        message: `malformed JSON (${describeError(error).message})`,
        got: show(text),
        expected: 'a JSON object',
      },
    ]);
  }
}

/**
 * The index of the first bracket that opens a level past `max` in JSON text, or undefined.
 * Brackets inside strings do not count; malformed text is left for the parser to refuse.
 */
export function jsonTooDeepAt(text: string, max: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

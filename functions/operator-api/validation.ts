import type { z } from 'zod';
import { expectedOf, formatPath } from '../core/plan.js';
import { type RequestProblem, RequestValidationError } from './http-errors.js';

/**
 * Parses a request part (`body`, `query`, `header Idempotency-Key`) with a zod schema. On failure
 * throws a {@link RequestValidationError} listing every problem: path, got, expected.
 */
export function parseRequestPart<T extends z.ZodType>(schema: T, value: unknown, part: string): z.infer<T> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) => problemsOf(issue, value, part));
  const listed = problems
    .map((p) => `${p.path}: ${p.message} (got ${p.got}${p.expected ? `; expected ${p.expected}` : ''})`)
    .join('; ');
  throw new RequestValidationError(
    `invalid ${part}: ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${listed}`,
    problems,
  );
}

function problemsOf(issue: z.core.$ZodIssue, root: unknown, part: string): RequestProblem[] {
  const path = [part, formatPath(issue.path)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    const holder = valueAt(root, issue.path);
    return issue.keys.map((key) => ({
      path: `${path}.${key}`,
      message: 'unknown field',
      got: show(valueAt(holder, [key])),
      expected: 'no such field',
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

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

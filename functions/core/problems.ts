import type * as z from 'zod';
import type { PlanProblem } from './errors.js';

// Problems in the form every validated file (plans, the deployment config, scenarios) reports in:
// path, message, what was got and what was expected.

/**
 * One zod issue as problems (path, got, expected): the form every validated file (plans, the
 * deployment config) reports in. `documentedIn` names where the allowed keys are listed.
 */
export function problemsFromIssue(
  issue: z.core.$ZodIssue,
  file: string,
  documentedIn = 'plans/schema.json',
): PlanProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      file,
      path: formatPath([...issue.path, key]),
      message: `unknown key "${key}"`,
      got: key,
      expected: `only the documented keys (see ${documentedIn})`,
    }));
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the branch that got furthest: its issues are the most specific.
    const best = [...issue.errors].sort((a, b) => b.length - a.length)[0] ?? [];
    return best.flatMap((inner) =>
      problemsFromIssue(
        { ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue,
        file,
        documentedIn,
      ),
    );
  }
  return [problemFromIssue(issue, file)];
}

/**
 * Every issue of one parse as problems ({@link problemsFromIssue}), with the redundant ones left
 * out: where a value has the wrong type, that is its one problem. zod also runs the value's other
 * checks on it (a string given for a list of at most 5 regions is "too big" as a 9-character
 * string), which would only restate the first problem in misleading words.
 */
export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  file: string,
  documentedIn = 'plans/schema.json',
): PlanProblem[] {
  const wrongType = new Set(
    issues.filter((issue) => issue.code === 'invalid_type').map((issue) => formatPath(issue.path)),
  );
  return issues
    .filter((issue) => issue.code === 'invalid_type' || !wrongType.has(formatPath(issue.path)))
    .flatMap((issue) => problemsFromIssue(issue, file, documentedIn));
}

function problemFromIssue(issue: z.core.$ZodIssue, file: string): PlanProblem {
  const path = formatPath(issue.path);
  const got = 'input' in issue ? issue.input : undefined;
  // `regions: us-east-1`: one value where YAML needs a list, the mistake people make most.
  if (
    issue.code === 'invalid_type' &&
    issue.expected === 'array' &&
    got !== undefined &&
    !Array.isArray(got)
  ) {
    const shown = show(got);
    return {
      file,
      path,
      message: 'expected a list, got a single value',
      got: `${shown} (${got === null ? 'null' : typeof got})`,
      expected: `a list, e.g. [${shown}, ...] or one "- item" per line`,
    };
  }
  const expected = expectedOf(issue);
  return {
    file,
    path,
    message: issue.message,
    ...(got === undefined && issue.code !== 'invalid_type'
      ? {}
      : { got: got === undefined ? 'nothing' : show(got) }),
    ...(expected ? { expected } : {}),
  };
}

/** What a zod issue expected, in words (`one of ...`, `>= 1`, `at least 2 item(s)`). */
export function expectedOf(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return `at least ${String(issue.minimum)} character(s)`;
      return `${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `at most ${String(issue.maximum)} item(s)`;
      if (issue.origin === 'string') return `at most ${String(issue.maximum)} character(s)`;
      return `${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.message;
    case 'custom':
      // A refinement states what it expected in `params.expected` (see RegionName).
      return typeof issue.params?.expected === 'string' ? issue.params.expected : undefined;
    case 'invalid_union': {
      // Each option's own expectation, when every option refused the value itself (`"all", or
      // object`); an option that refused a field deeper down says nothing here.
      const options = issue.errors.map((errors) => {
        const [only, ...more] = errors;
        return only && more.length === 0 && only.path.length === 0 ? expectedOf(only) : undefined;
      });
      if (options.length === 0 || options.some((o) => o === undefined)) return undefined;
      return [...new Set(options.map((o) => (o as string).replace(/^one of /, '')))].join(', or ');
    }
    default:
      return undefined;
  }
}

/** `a.b[0].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

/** The longest `got` a problem shows, in characters; longer values are cut and end in `...`. */
export const SHOW_MAX_CHARS = 120;

/**
 * A value as a problem's `got`: JSON, cut at `max` characters. Never throws: a value JSON cannot
 * render (a BigInt, a cycle, nesting deep enough to exhaust the stack) is shown as its type.
 */
export function show(value: unknown, max = SHOW_MAX_CHARS): string {
  let text: string;
  if (typeof value === 'string') text = value;
  // JSON has no Infinity or NaN (`1e400` in YAML is Infinity): JSON.stringify would say null
  else if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Array.isArray(value)
        ? '[an array JSON cannot render]'
        : `[a ${typeof value} JSON cannot render]`;
    }
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * Whether a parsed value (JSON or YAML data: objects, arrays, scalars) nests deeper than `max`
 * levels (a scalar is depth 0, `[]` and `{}` depth 1). Iterative, so no input can exhaust the
 * stack; it stops at the first container past `max`, so it costs at most the part it walked.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  // A value shared by YAML aliases is walked again only when reached deeper; a cycle is refused.
  const reached = new Map<object, number>();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const current = item.value;
    if (current === null || typeof current !== 'object') continue;
    const depth = item.depth + 1;
    if ((reached.get(current) ?? 0) >= depth) continue;
    reached.set(current, depth);
    if (depth > max) return true;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) stack.push({ value: child, depth });
  }
  return false;
}

/** One line per problem: `file: path: message (got X, expected Y)`. */
export function formatProblem(problem: PlanProblem): string {
  const where = problem.path ? `${problem.file}: ${problem.path}` : problem.file;
  const detail = [
    problem.got !== undefined ? `got ${problem.got}` : '',
    problem.expected ? `expected ${problem.expected}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${where}: ${problem.message}${detail ? ` (${detail})` : ''}`;
}

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expectedOf } from '../../functions/core/problems.js';
import * as zm from '../../functions/core/zod.js';

function firstIssue(schema: z.core.$ZodType, value: unknown): z.core.$ZodIssue {
  const parsed = zm.safeParse(schema, value);
  if (parsed.success) throw new Error('expected the value to be refused');
  const [issue] = parsed.error.issues;
  if (!issue) throw new Error('expected an issue');
  return issue;
}

describe('expectedOf', () => {
  it('says what a union expected, option by option (it used to say nothing: "Invalid input")', () => {
    // The sandbox's `DELETE /sandbox/faults { clear }`: 'all', or a fault to clear.
    const clear = z.union([z.literal('all'), z.looseObject({ kind: z.enum(['region-outage']) })]);
    expect(expectedOf(firstIssue(clear, 'everything'))).toBe('"all", or object');
    expect(expectedOf(firstIssue(zm.union([zm.literal('all'), zm.number()]), true))).toBe('"all", or number');
  });

  it('says nothing for a union whose options refused the value deeper down (its issues say where)', () => {
    const union = z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]);
    expect(expectedOf(firstIssue(union, {}))).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { RequestValidationError } from '../../functions/operator-api/http-errors.js';
import { FailoverBody } from '../../functions/operator-api/request-failover.js';
import { parseRequestPart } from '../../functions/operator-api/validation.js';

function problemsOf(body: unknown) {
  try {
    parseRequestPart(FailoverBody, body, 'body');
  } catch (error) {
    if (error instanceof RequestValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the body to be refused');
}

describe('parseRequestPart', () => {
  it('reports a value of the wrong type once, not also the checks of the type it should be', () => {
    // `reason` sent as an array: "expected string", and no "at least 1 item(s)" beside it
    expect(problemsOf({ to: 'us-west-2', reason: [] })).toEqual([
      {
        path: 'body.reason',
        message: 'Invalid input: expected string, received array',
        got: '[]',
        expected: 'string',
      },
    ]);
  });

  it('still reports every check a value of the right type fails', () => {
    expect(problemsOf({ to: '', reason: '   ' })).toEqual([
      expect.objectContaining({ path: 'body.to', expected: 'at least 1 character(s)' }),
      expect.objectContaining({ path: 'body.reason', expected: 'at least 1 character(s)' }),
    ]);
  });
});

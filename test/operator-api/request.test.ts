import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  LockLostError,
  ThrottledError,
  UnauthorizedError,
  UnknownAppError,
  UnknownRegionError,
} from '../../functions/core/errors.js';
import { seededRandom } from '../../functions/core/random.js';
import { authorize } from '../../functions/operator-api/authorization.js';
import { errorResponse } from '../../functions/operator-api/http-errors.js';
import { type Claims, identityFromClaims } from '../../functions/operator-api/request.js';
import {
  EXECUTION_ID,
  executionIdForKey,
  newExecutionId,
  stateMachineArnInRegion,
} from '../../functions/runbook/runbook-arns.js';

describe('identity from JWT claims', () => {
  it.each<[string, Claims | undefined, { name: string; roles: string[] } | undefined]>([
    ['no claims', undefined, undefined],
    ['no subject', { 'switchyard:roles': '[operator]' }, undefined],
    ['an empty subject', { sub: ' ', username: '' }, undefined],
    [
      'API Gateway array rendering',
      { sub: 'alice', 'switchyard:roles': '[operator approver]' },
      { name: 'alice', roles: ['operator', 'approver'] },
    ],
    [
      'a JSON array string',
      { sub: 'bob', 'switchyard:roles': '["approver","viewer"]' },
      { name: 'bob', roles: ['approver', 'viewer'] },
    ],
    [
      'a comma-separated string',
      { sub: 'carol', 'switchyard:roles': 'operator, approver' },
      { name: 'carol', roles: ['operator', 'approver'] },
    ],
    [
      'a space-separated string',
      { sub: 'carol', 'switchyard:roles': 'operator approver' },
      { name: 'carol', roles: ['operator', 'approver'] },
    ],
    ['an array', { sub: 'dave', 'cognito:groups': ['viewer'] }, { name: 'dave', roles: ['viewer'] }],
    [
      'username when no sub',
      { username: 'erin', 'cognito:groups': '[viewer]' },
      { name: 'erin', roles: ['viewer'] },
    ],
    [
      'switchyard:roles over cognito:groups',
      { sub: 'f', 'switchyard:roles': 'viewer', 'cognito:groups': '[operator]' },
      { name: 'f', roles: ['viewer'] },
    ],
    ['no role claim', { sub: 'gus' }, { name: 'gus', roles: [] }],
    ['an empty array rendering', { sub: 'hal', 'switchyard:roles': '[]' }, { name: 'hal', roles: [] }],
  ])('%s', (_case, claims, expected) => {
    expect(identityFromClaims(claims)).toEqual(expected);
  });
});

describe('authorization', () => {
  it.each([
    ['viewer', 'read', true],
    ['viewer', 'request-failover', false],
    ['operator', 'read', true],
    ['operator', 'abort', true],
    ['operator', 'approve', false],
    ['approver', 'approve', true],
    ['approver', 'request-failover', false],
    ['admin', 'read', false],
  ] as const)('%s may %s: %s', (role, permission, allowed) => {
    const act = () => authorize({ name: 'x', roles: [role] }, permission, 'GET /apps');
    if (allowed) expect(act()).toEqual({ name: 'x', roles: [role] });
    else expect(act).toThrow(ForbiddenError);
  });

  it('says which role is needed and which the caller has', () => {
    expect(() =>
      authorize({ name: 'victor', roles: [] }, 'approve', 'POST /apps/orders/executions/x/approve'),
    ).toThrow('POST /apps/orders/executions/x/approve needs role approver; victor has no role');
    expect(() => authorize(undefined, 'read', 'GET /apps')).toThrow(UnauthorizedError);
  });
});

describe('error responses', () => {
  it.each([
    [new UnknownAppError('a'), 404],
    // A region is a value of a body or query, never a path: a bad request, not a missing resource.
    [new UnknownRegionError('r'), 400],
    [new ConflictError('b'), 409],
    [new UnauthorizedError('c'), 401],
  ])('%s -> %i', (error, status) => {
    expect(errorResponse(error)).toMatchObject({
      status,
      body: { error: error.name, message: error.message },
    });
  });

  it('answers a retryable error with 503 and Retry-After', () => {
    expect(errorResponse(new ThrottledError('slow down'))).toMatchObject({
      status: 503,
      headers: { 'retry-after': '5' },
      body: { error: 'ThrottledError' },
    });
  });

  it('hides the message of anything else behind a 500', () => {
    for (const error of [new TypeError('x is undefined'), new LockLostError('secret'), 'thrown string']) {
      const response = errorResponse(error);
      expect(response).toMatchObject({ status: 500, unexpected: true, body: { error: 'InternalError' } });
      expect(JSON.stringify(response.body)).not.toMatch(/undefined|secret|thrown/);
    }
  });
});

describe('runbook ARNs and execution ids', () => {
  it('moves a state machine ARN to another region, and refuses what is not one', () => {
    expect(
      stateMachineArnInRegion(
        'arn:aws:states:us-east-1:111111111111:stateMachine:switchyard-WarmStandbyRunbook',
        'us-west-2',
      ),
    ).toBe('arn:aws:states:us-west-2:111111111111:stateMachine:switchyard-WarmStandbyRunbook');
    expect(() =>
      stateMachineArnInRegion('arn:aws:lambda:us-east-1:111111111111:function:f', 'us-west-2'),
    ).toThrow(/expected arn:aws:states:REGION:ACCOUNT:stateMachine:NAME/);
  });

  it('derives the same id from the same key, another from another key, all valid execution names', () => {
    const app = 'a'.repeat(63);
    const ids = [
      executionIdForKey('orders', 'k1'),
      executionIdForKey('orders', 'k1'),
      executionIdForKey('orders', 'k2'),
    ];

    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).not.toBe(ids[2]);
    expect(executionIdForKey('billing', 'k1')).not.toBe(ids[0]);
    for (const id of [
      ...ids,
      executionIdForKey(app, 'k'),
      newExecutionId(app, { clock: { now: () => 0 }, random: seededRandom(1) }),
    ])
      expect(id).toMatch(EXECUTION_ID);
  });

  it('names a fresh execution by app, time and a random suffix', () => {
    const id = newExecutionId('orders', {
      clock: { now: () => Date.UTC(2026, 0, 1) },
      random: seededRandom(3),
    });

    expect(id).toMatch(/^orders-20260101T000000Z-[a-z0-9]{6}$/);
  });
});

import { GlobalClusterNotFoundFault, RDSServiceException } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { awsCall, type ErrorRule, translateAwsError } from '../../functions/aws/translate-error.js';
import { ResourceNotFoundError } from '../../functions/core/errors.js';

const CONTEXT = { operation: 'FailoverGlobalCluster', region: 'us-west-2', resource: 'orders-global' };

const RULES: readonly ErrorRule[] = [
  {
    when: GlobalClusterNotFoundFault,
    as: ResourceNotFoundError,
    problem: 'global cluster not found',
    expected: 'an existing global cluster',
  },
];

/** The SDK's shape for an unmodelled code: the service's base exception named after the code. */
function serviceError(name: string, httpStatusCode: number, fault: 'client' | 'server' = 'client'): Error {
  return new RDSServiceException({
    name,
    $fault: fault,
    message: `${name} happened`,
    $metadata: { httpStatusCode },
  });
}

function networkError(name: string, code?: string): Error {
  return Object.assign(new Error(`connect ${code ?? name} rds.us-west-2.amazonaws.com:443`), {
    name,
    ...(code ? { code } : {}),
    $metadata: {},
  });
}

describe('translateAwsError', () => {
  it('turns a modelled exception matched by a rule into its typed error, saying what, where, got and expected', () => {
    // Prepare
    const fault = new GlobalClusterNotFoundFault({
      message: 'Global cluster orders-global not found.',
      $metadata: {},
    });

    // Act
    const translated = translateAwsError(fault, CONTEXT, RULES);

    // Assess
    expect(translated).toBeInstanceOf(ResourceNotFoundError);
    expect(translated).toMatchObject({ name: 'ResourceNotFoundError', cause: fault });
    expect((translated as Error).message).toBe(
      'FailoverGlobalCluster orders-global in us-west-2: global cluster not found (got GlobalClusterNotFoundFault: Global cluster orders-global not found.; expected an existing global cluster)',
    );
  });

  it.each([
    ['an unmodelled throttling code', serviceError('Throttling', 400), 'ThrottledError'],
    ['a modelled ThrottlingException name', serviceError('ThrottlingException', 400), 'ThrottledError'],
    ['Route 53 PriorRequestNotComplete', serviceError('PriorRequestNotComplete', 400), 'ThrottledError'],
    ['HTTP 429', serviceError('SomethingElse', 429), 'ThrottledError'],
    [
      'an error the SDK flags as throttling',
      Object.assign(serviceError('Odd', 400), { $retryable: { throttling: true } }),
      'ThrottledError',
    ],
    ['HTTP 500', serviceError('InternalFailure', 500, 'server'), 'TransientAwsError'],
    ['HTTP 503', serviceError('ServiceUnavailable', 503, 'server'), 'TransientAwsError'],
    [
      'a server fault without a status',
      Object.assign(new Error('boom'), { name: 'InternalServerException', $fault: 'server' }),
      'TransientAwsError',
    ],
    ['the SDK TimeoutError', networkError('TimeoutError', 'ETIMEDOUT'), 'RegionUnavailableError'],
    ['ECONNREFUSED', networkError('Error', 'ECONNREFUSED'), 'RegionUnavailableError'],
    ['ECONNRESET', networkError('Error', 'ECONNRESET'), 'RegionUnavailableError'],
    ['EPIPE', networkError('Error', 'EPIPE'), 'RegionUnavailableError'],
  ])('turns %s into %s, keeping the cause and naming the region', (_what, error, name) => {
    // Act
    const translated = translateAwsError(error, CONTEXT, RULES);

    // Assess
    expect(translated).toMatchObject({ name, cause: error, retryable: true });
    expect((translated as Error).message).toContain('in us-west-2');
    expect((translated as Error).message).toContain(`got ${error.name}`);
  });

  it('names the endpoint of an endpoint-bound client', () => {
    const translated = translateAwsError(
      networkError('TimeoutError', 'ETIMEDOUT'),
      { ...CONTEXT, operation: 'UpdateRoutingControlStates', endpoint: 'https://a.example.com/v1' },
      [],
    );

    expect((translated as Error).message).toContain('in us-west-2 (https://a.example.com/v1)');
  });

  it.each([
    ['an unknown client error', serviceError('AccessDenied', 403)],
    ['a plain Error', new Error('bug')],
  ])('returns %s unchanged (the same object)', (_what, error) => {
    expect(translateAwsError(error, CONTEXT, RULES)).toBe(error);
  });

  it('returns a thrown non-Error unchanged', () => {
    const thrown = { weird: true };
    expect(translateAwsError(thrown, CONTEXT, RULES)).toBe(thrown);
  });

  it('applies a rule only when its narrowing matches', () => {
    const rules: ErrorRule[] = [
      {
        when: RDSServiceException,
        matches: (e) => e.name === 'ValidationError' && e.message.includes('not found'),
        as: ResourceNotFoundError,
        problem: 'not found',
      },
    ];
    const notFound = Object.assign(serviceError('ValidationError', 400), { message: 'group not found' });
    const otherValidation = serviceError('ValidationError', 400);

    expect(translateAwsError(notFound, CONTEXT, rules)).toBeInstanceOf(ResourceNotFoundError);
    expect(translateAwsError(otherValidation, CONTEXT, rules)).toBe(otherValidation);
  });
});

describe('awsCall', () => {
  it('returns what the call returns', async () => {
    await expect(awsCall(CONTEXT, RULES, async () => 42)).resolves.toBe(42);
  });

  it('throws the translated error', async () => {
    const fault = new GlobalClusterNotFoundFault({ message: 'gone', $metadata: {} });
    await expect(awsCall(CONTEXT, RULES, () => Promise.reject(fault))).rejects.toMatchObject({
      name: 'ResourceNotFoundError',
      cause: fault,
    });
  });
});

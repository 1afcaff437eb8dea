import {
  AccessDeniedException,
  ConflictException,
  EndpointTemporarilyUnavailableException,
  GetRoutingControlStateCommand,
  InternalServerException,
  ResourceNotFoundException,
  Route53RecoveryClusterClient,
  ThrottlingException,
  UpdateRoutingControlStatesCommand,
  ValidationException,
} from '@aws-sdk/client-route53-recovery-cluster';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { arcRoutingControls, endpointOrder } from '../../functions/aws/arc.js';
import { type ArcClusterEndpoint, type AwsClients, createAwsClients } from '../../functions/aws/clients.js';
import { seededRandom, shuffled } from '../../functions/core/random.js';

const arc = mockClient(Route53RecoveryClusterClient);

afterEach(() => {
  arc.reset();
});

const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' };
const ENDPOINTS: ArcClusterEndpoint[] = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'ap-northeast-1',
  'ap-southeast-2',
].map((region, i) => ({
  region,
  endpoint: `https://${String.fromCharCode(97 + i).repeat(8)}.route53-recovery-cluster.${region}.amazonaws.com/v1`,
}));
const USE1 = 'arn:aws:route53-recovery-control::111111111111:controlpanel/abc/routingcontrol/use1';
const USW2 = 'arn:aws:route53-recovery-control::111111111111:controlpanel/abc/routingcontrol/usw2';
// A seed whose shuffle does not start with the plan's first endpoint: the order is really shuffled.
const SEED = 3;
const ORDER = shuffled(ENDPOINTS, seededRandom(SEED));

function setup() {
  const clients = createAwsClients({ credentials: CREDENTIALS });
  return { clients, controls: arcRoutingControls(clients, seededRandom(SEED)) };
}

/** Which endpoint each mocked call went to, in order. */
function endpointsCalled(clients: AwsClients): string[] {
  return arc.calls().map((call) => {
    const match = ENDPOINTS.find((e) => clients.arcCluster(e) === call.thisValue);
    return match?.endpoint ?? 'an unknown client';
  });
}

/** Answers each endpoint with `behaviour(endpoint)`: a value to return or an error to throw. */
function answerBy(clients: AwsClients, behaviour: (endpoint: ArcClusterEndpoint) => unknown) {
  arc.callsFake(async (_input, getClient) => {
    const endpoint = ENDPOINTS.find((e) => clients.arcCluster(e) === getClient());
    if (!endpoint) throw new Error('call on a client of no known endpoint');
    const outcome = behaviour(endpoint);
    if (outcome instanceof Error) throw outcome;
    return outcome;
  });
}

/** The error a promise rejects with; fails the test when it resolves or rejects with a non-Error. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error))
    throw new Error(`expected a rejection with an Error, got ${String(outcome)}`);
  return outcome;
}

const timeout = () =>
  Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError', code: 'ETIMEDOUT', $metadata: {} });

describe('setActive', () => {
  it('sends one UpdateRoutingControlStates with every state, to the first endpoint of the shuffled order', async () => {
    // Prepare
    const { controls, clients } = setup();
    expect(ORDER[0]).not.toEqual(ENDPOINTS[0]);
    arc.on(UpdateRoutingControlStatesCommand).resolves({});

    // Act
    const used = await controls.setActive(ENDPOINTS, { [USW2]: 'On', [USE1]: 'Off' });

    // Assess
    expect(used).toEqual(ORDER[0]);
    const calls = arc.commandCalls(UpdateRoutingControlStatesCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      UpdateRoutingControlStateEntries: [
        { RoutingControlArn: USW2, RoutingControlState: 'On' },
        { RoutingControlArn: USE1, RoutingControlState: 'Off' },
      ],
    });
    expect(endpointsCalled(clients)).toEqual([ORDER[0]?.endpoint]);
    // The endpoint's client is signed for the endpoint's own region.
    const client = calls[0]?.thisValue as Route53RecoveryClusterClient;
    expect(await client.config.region()).toBe(ORDER[0]?.region);
  });

  it('moves on when the first endpoint times out, and the second answers', async () => {
    const { controls, clients } = setup();
    answerBy(clients, (e) => (e === ORDER[0] ? timeout() : {}));

    const used = await controls.setActive(ENDPOINTS, { [USW2]: 'On', [USE1]: 'Off' });

    expect(used).toEqual(ORDER[1]);
    expect(endpointsCalled(clients)).toEqual([ORDER[0]?.endpoint, ORDER[1]?.endpoint]);
  });

  it.each([
    ['a timeout', timeout],
    [
      'a refused connection',
      () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    [
      'EndpointTemporarilyUnavailableException',
      () => new EndpointTemporarilyUnavailableException({ message: 'try another', $metadata: {} }),
    ],
    ['ThrottlingException', () => new ThrottlingException({ message: 'slow down', $metadata: {} })],
    [
      'InternalServerException',
      () => new InternalServerException({ message: 'oops', $metadata: { httpStatusCode: 500 } }),
    ],
  ])('moves on past %s', async (_what, fail) => {
    const { controls, clients } = setup();
    answerBy(clients, (e) => (e === ORDER[0] || e === ORDER[1] ? fail() : {}));

    const used = await controls.setActive(ENDPOINTS, { [USW2]: 'On' });

    expect(used).toEqual(ORDER[2]);
    expect(arc.calls()).toHaveLength(3);
  });

  it('throws ArcEndpointsUnavailableError naming every endpoint tried and why when none answers', async () => {
    const { controls, clients } = setup();
    answerBy(clients, (e) =>
      e === ORDER[2] ? new ThrottlingException({ message: 'slow down', $metadata: {} }) : timeout(),
    );

    const failure = controls.setActive(ENDPOINTS, { [USW2]: 'On', [USE1]: 'Off' });

    await expect(failure).rejects.toMatchObject({ name: 'ArcEndpointsUnavailableError', retryable: true });
    const error = await rejectionOf(failure);
    for (const endpoint of ENDPOINTS)
      expect(error.message).toContain(`${endpoint.region} ${endpoint.endpoint}`);
    expect(error.message).toContain('got 5 of 5 failed');
    expect(error.message).toContain('RegionUnavailableError (TimeoutError: connect ETIMEDOUT)');
    expect(error.message).toContain('ThrottledError (ThrottlingException: slow down)');
    expect(error.cause).toBeInstanceOf(AggregateError);
    expect((error.cause as AggregateError).errors.map((e: Error) => e.name)).toEqual([
      'RegionUnavailableError',
      'RegionUnavailableError',
      'ThrottledError',
      'RegionUnavailableError',
      'RegionUnavailableError',
    ]);
    expect(endpointsCalled(clients)).toEqual(ORDER.map((e) => e.endpoint));
  });

  it.each([
    [
      'ConflictException (a safety rule)',
      new ConflictException({
        message: 'violates safety rule arn:...:safetyrule/atleast1',
        resourceId: 'x',
        resourceType: 'y',
        $metadata: {},
      }),
      'TrafficShiftRejectedError',
    ],
    [
      'ValidationException',
      new ValidationException({ message: 'bad request', $metadata: {} }),
      'TrafficShiftRejectedError',
    ],
    [
      'ResourceNotFoundException',
      new ResourceNotFoundException({
        message: 'no such control',
        resourceId: USW2,
        resourceType: 'x',
        $metadata: {},
      }),
      'ResourceNotFoundError',
    ],
  ])('stops at %s without trying other endpoints', async (_what, error, name) => {
    const { controls, clients } = setup();
    arc.on(UpdateRoutingControlStatesCommand).rejects(error);
    // After a ConflictException the adapter reads the states on the same endpoint: still On.
    arc.on(GetRoutingControlStateCommand).resolves({ RoutingControlState: 'On' });

    const failure = controls.setActive(ENDPOINTS, { [USW2]: 'Off', [USE1]: 'Off' });

    await expect(failure).rejects.toMatchObject({ name, cause: error });
    await expect(failure).rejects.toThrow(`in ${ORDER[0]?.region} (${ORDER[0]?.endpoint})`);
    expect(new Set(endpointsCalled(clients))).toEqual(new Set([ORDER[0]?.endpoint]));
  });

  it('takes a ConflictException for success when ARC already has the states asked for (a safety rule wait period)', async () => {
    // Prepare: the update is refused (a retry inside the rule's wait period), the reads say done.
    const { controls, clients } = setup();
    arc.on(UpdateRoutingControlStatesCommand).rejects(
      new ConflictException({
        message: 'in its wait period',
        resourceId: 'x',
        resourceType: 'y',
        $metadata: {},
      }),
    );
    arc
      .on(GetRoutingControlStateCommand, { RoutingControlArn: USW2 })
      .resolves({ RoutingControlState: 'On' });
    arc
      .on(GetRoutingControlStateCommand, { RoutingControlArn: USE1 })
      .resolves({ RoutingControlState: 'Off' });

    // Act
    const used = await controls.setActive(ENDPOINTS, { [USW2]: 'On', [USE1]: 'Off' });

    // Assess: one endpoint, one update, two reads.
    expect(used).toEqual(ORDER[0]);
    expect(arc.commandCalls(GetRoutingControlStateCommand)).toHaveLength(2);
    expect(new Set(endpointsCalled(clients))).toEqual(new Set([ORDER[0]?.endpoint]));
  });

  it('rethrows an unknown error unchanged without trying other endpoints', async () => {
    const { controls } = setup();
    const denied = new AccessDeniedException({ message: 'no', $metadata: { httpStatusCode: 403 } });
    arc.on(UpdateRoutingControlStatesCommand).rejects(denied);

    await expect(controls.setActive(ENDPOINTS, { [USW2]: 'On' })).rejects.toBe(denied);
    expect(arc.calls()).toHaveLength(1);
  });

  it('refuses an empty endpoint list', async () => {
    const { controls } = setup();

    await expect(controls.setActive([], { [USW2]: 'On' })).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
  });
});

describe('getStates', () => {
  it('reads every control through one endpoint', async () => {
    const { controls, clients } = setup();
    arc
      .on(GetRoutingControlStateCommand, { RoutingControlArn: USE1 })
      .resolves({ RoutingControlArn: USE1, RoutingControlState: 'Off' })
      .on(GetRoutingControlStateCommand, { RoutingControlArn: USW2 })
      .resolves({ RoutingControlArn: USW2, RoutingControlState: 'On' });

    const states = await controls.getStates(ENDPOINTS, [USE1, USW2]);

    expect(states).toEqual({ [USE1]: 'Off', [USW2]: 'On' });
    expect(endpointsCalled(clients)).toEqual([ORDER[0]?.endpoint, ORDER[0]?.endpoint]);
  });

  it('moves on to the next endpoint when one times out', async () => {
    const { controls, clients } = setup();
    answerBy(clients, (e) =>
      e === ORDER[0] ? timeout() : { RoutingControlArn: USW2, RoutingControlState: 'On' },
    );

    const states = await controls.getStates(ENDPOINTS, [USW2]);

    expect(states).toEqual({ [USW2]: 'On' });
    expect(endpointsCalled(clients)).toEqual([ORDER[0]?.endpoint, ORDER[1]?.endpoint]);
  });

  it('translates ResourceNotFoundException to ResourceNotFoundError', async () => {
    const { controls } = setup();
    arc
      .on(GetRoutingControlStateCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'no', resourceId: USW2, resourceType: 'x', $metadata: {} }),
      );

    await expect(controls.getStates(ENDPOINTS, [USW2])).rejects.toMatchObject({
      name: 'ResourceNotFoundError',
    });
    expect(arc.calls()).toHaveLength(1);
  });
});

describe('endpoints of regions known to be unreachable go last', () => {
  it('orders the healthy endpoints shuffled, then the unreachable ones shuffled', () => {
    // Prepare: the region the plain shuffle tries first is known to be down.
    const down = new Set([ORDER[0]?.region as string, 'ap-southeast-2']);

    // Act: many orders, from several seeds.
    const orders = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => endpointOrder(ENDPOINTS, down, seededRandom(seed)));

    // Assess: the known-down ones are always the last two; the healthy three are still shuffled.
    for (const order of orders) {
      expect(order).toHaveLength(5);
      expect(new Set(order.slice(3).map((e) => e.region))).toEqual(down);
      expect(order.slice(0, 3).every((e) => !down.has(e.region))).toBe(true);
    }
    expect(new Set(orders.map((o) => o[0]?.region)).size).toBeGreaterThan(1);
  });

  it('tries a known-down endpoint last, learns a new failure and forgets a region that answers', async () => {
    // Prepare: ORDER[0] is down (and known to be); the first healthy endpoint tried times out too.
    const { controls, clients } = setup();
    const unreachable = new Set([ORDER[0]?.region as string]);
    const expected = endpointOrder(ENDPOINTS, unreachable, seededRandom(SEED));
    const newlyDown = expected[0];
    answerBy(clients, (e) => (e === ORDER[0] || e === newlyDown ? timeout() : {}));

    // Act
    const used = await controls.setActive(ENDPOINTS, { [USW2]: 'On', [USE1]: 'Off' }, unreachable);

    // Assess: ORDER[0] was never tried; the new failure is remembered for the next step.
    expect(endpointsCalled(clients)).toEqual([newlyDown?.endpoint, expected[1]?.endpoint]);
    expect(used).toEqual(expected[1]);
    expect(unreachable).toEqual(new Set([ORDER[0]?.region, newlyDown?.region]));

    // Act again, on the next step: the remembered regions are not tried while another answers.
    arc.resetHistory();
    await controls.getStates(ENDPOINTS, [USE1, USW2], unreachable);
    const next = endpointsCalled(clients);
    expect(next.length).toBeGreaterThan(0);
    expect(next.some((e) => e === ORDER[0]?.endpoint || e === newlyDown?.endpoint)).toBe(false);

    // A region that answers again is forgotten.
    arc.reset();
    answerBy(clients, () => ({ RoutingControlState: 'On' }));
    const onlyDown = ENDPOINTS.filter((e) => e === ORDER[0]);
    await controls.getStates(onlyDown, [USE1], unreachable);
    expect(unreachable.has(ORDER[0]?.region as string)).toBe(false);
  });
});

import {
  ConflictException,
  EndpointTemporarilyUnavailableException,
  GetRoutingControlStateCommand,
  ListRoutingControlsCommand,
  ResourceNotFoundException,
  type Route53RecoveryClusterClient,
  UpdateRoutingControlStatesCommand,
  ValidationException,
} from '@aws-sdk/client-route53-recovery-cluster';
import {
  ArcEndpointsUnavailableError,
  InvalidInputError,
  ResourceNotFoundError,
  RetryableError,
  TrafficShiftRejectedError,
  TransientAwsError,
} from '../core/errors.js';
import { type Random, shuffled } from '../core/random.js';
import type {
  ArcClusterEndpoint,
  ArcRoutingControls,
  RoutingControlState,
  UnreachableRegions,
} from '../runbook/ports/arc.js';
import type { ClientFactory } from './client-factory.js';
import { ARC_CLUSTER_CLIENT } from './sdk-clients/arc.js';
import { type ErrorRule, translateAwsError } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { ArcRoutingControls, RoutingControlState, UnreachableRegions };

const RULES: readonly ErrorRule[] = [
  {
    when: EndpointTemporarilyUnavailableException,
    as: TransientAwsError,
    problem: 'the cluster endpoint is temporarily unavailable',
  },
  {
    when: ConflictException,
    as: TrafficShiftRejectedError,
    problem: 'ARC refused the change (a safety rule or a conflicting update)',
    expected: 'a routing control state every safety rule allows',
  },
  {
    when: ValidationException,
    as: TrafficShiftRejectedError,
    problem: 'ARC refused the request as invalid',
    expected: 'a routing control state every safety rule allows',
  },
  {
    when: ResourceNotFoundException,
    as: ResourceNotFoundError,
    problem: 'routing control not found',
    expected: 'an existing routing control of this cluster',
  },
];

/** The ARC routing control adapter. `random` shuffles the endpoints (seeded in the sandbox). */
export function arcRoutingControls(clients: ClientFactory, random: Random): ArcRoutingControls {
  /**
   * Runs `call` against one endpoint after another, in shuffled order, until one answers. Retryable
   * failures (network, timeout, 5xx, throttling, endpoint unavailable) move on to the next
   * endpoint; anything else is thrown as it is translated.
   */
  async function onAnyEndpoint<T>(
    operation: string,
    resource: string,
    endpoints: readonly ArcClusterEndpoint[],
    call: (client: Route53RecoveryClusterClient) => Promise<T>,
    unreachable: UnreachableRegions = new Set(),
  ): Promise<{ result: T; endpoint: ArcClusterEndpoint }> {
    if (endpoints.length === 0) {
      throw new InvalidInputError(
        `${operation} ${resource}: no ARC cluster endpoints (got none; expected the cluster's endpoints)`,
      );
    }
    const failures: { endpoint: ArcClusterEndpoint; error: Error }[] = [];
    for (const endpoint of endpointOrder(endpoints, unreachable, random)) {
      try {
        const result = await call(clients.client(ARC_CLUSTER_CLIENT, endpoint.region, endpoint.endpoint));
        unreachable.delete(endpoint.region);
        return { result, endpoint };
      } catch (error: unknown) {
        const translated = translateAwsError(
          error,
          { operation, region: endpoint.region, endpoint: endpoint.endpoint, resource },
          RULES,
        );
        if (!(translated instanceof RetryableError)) throw translated;
        unreachable.add(endpoint.region);
        failures.push({ endpoint, error: translated });
      }
    }
    const why = failures.map(
      ({ endpoint, error }) => `${endpoint.region} ${endpoint.endpoint}: ${reason(error)}`,
    );
    throw new ArcEndpointsUnavailableError(
      `${operation} ${resource}: no ARC cluster endpoint answered (got ${failures.length} of ${
        endpoints.length
      } failed: ${why.join('; ')}; expected one endpoint to answer)`,
      {
        cause: new AggregateError(
          failures.map((f) => f.error),
          'every ARC cluster endpoint failed',
        ),
      },
    );
  }

  return {
    async getStates(endpoints, arns, unreachable) {
      const { result } = await onAnyEndpoint(
        'GetRoutingControlState',
        arns.join(','),
        endpoints,
        async (client) => {
          // One GetRoutingControlState per control (the API takes one ARN), all at once on the
          // endpoint that answers: a read of N controls costs one round trip, not N.
          const read = await Promise.all(
            arns.map(async (arn) => {
              const output = await client.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn }));
              return [arn, output.RoutingControlState === 'On' ? 'On' : 'Off'] as const;
            }),
          );
          return Object.fromEntries(read) as Record<string, RoutingControlState>;
        },
        unreachable,
      );
      return result;
    },

    async listStates(endpoints, unreachable) {
      const { result } = await onAnyEndpoint(
        'ListRoutingControls',
        'every routing control of the cluster',
        endpoints,
        async (client) => {
          // Every page from the one endpoint that answered (a page token is that endpoint's).
          // MaxResults left at its default ("The default value is 500", the SDK model's
          // ListRoutingControlsRequest, @aws-sdk/client-route53-recovery-cluster).
          const states: Record<string, RoutingControlState> = {};
          let token: string | undefined;
          do {
            const output = await client.send(
              new ListRoutingControlsCommand({ ...(token ? { NextToken: token } : {}) }),
            );
            for (const control of output.RoutingControls ?? [])
              if (control.RoutingControlArn)
                states[control.RoutingControlArn] = control.RoutingControlState === 'On' ? 'On' : 'Off';
            token = output.NextToken;
          } while (token);
          return states;
        },
        unreachable,
      );
      return result;
    },

    async setActive(endpoints, states, unreachable) {
      const entries = Object.entries(states).map(([RoutingControlArn, RoutingControlState]) => ({
        RoutingControlArn,
        RoutingControlState,
      }));
      const { endpoint } = await onAnyEndpoint(
        'UpdateRoutingControlStates',
        entries.map((e) => `${e.RoutingControlArn}=${e.RoutingControlState}`).join(','),
        endpoints,
        async (client) => {
          try {
            await client.send(
              new UpdateRoutingControlStatesCommand({ UpdateRoutingControlStateEntries: entries }),
            );
          } catch (error: unknown) {
            // A safety rule's wait period refuses every update of its routing controls for
            // `WaitPeriodMs` after a change ("any request against the target routing controls
            // will fail"; Route 53 ARC Recovery Control Config API Reference, AssertionRule), a
            // retry of the change that just took effect included. What ARC says now decides: the
            // states already being the ones asked for is success, anything else stays refused.
            if (!(error instanceof ConflictException) || !(await statesAre(client, states))) throw error;
          }
        },
        unreachable,
      );
      return endpoint;
    },
  };
}

/** Whether every routing control in `states` is in that state now, read through `client`. */
async function statesAre(
  client: Route53RecoveryClusterClient,
  states: Readonly<Record<string, RoutingControlState>>,
): Promise<boolean> {
  const read = await Promise.all(
    Object.entries(states).map(async ([arn, wanted]) => {
      const output = await client.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn }));
      return output.RoutingControlState === wanted;
    }),
  );
  return read.every(Boolean);
}

/**
 * The order to try the endpoints in: the shuffled endpoints of regions not known to be unreachable,
 * then the shuffled endpoints of those that are (still tried: a region may have come back). AWS
 * keeps at least three of the five endpoints available and advises trying "each endpoint in
 * rotation, as needed" (ARC Developer Guide, "Getting and updating routing control states using
 * the ARC API (recommended)", https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.update.api.html).
 */
export function endpointOrder(
  endpoints: readonly ArcClusterEndpoint[],
  unreachable: ReadonlySet<string>,
  random: Random,
): ArcClusterEndpoint[] {
  const healthy = endpoints.filter((e) => !unreachable.has(e.region));
  const down = endpoints.filter((e) => unreachable.has(e.region));
  return [...shuffled(healthy, random), ...shuffled(down, random)];
}

/** `RegionUnavailableError (TimeoutError: connect ETIMEDOUT ...)`: our name, then what AWS said. */
function reason(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error ? `${error.name} (${cause.name}: ${cause.message})` : error.name;
}

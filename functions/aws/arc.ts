import {
  ConflictException,
  EndpointTemporarilyUnavailableException,
  GetRoutingControlStateCommand,
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
import type { ArcClusterEndpoint, ArcRoutingControls, RoutingControlState } from '../runbook/ports/arc.js';
import type { ClientFactory } from './client-factory.js';
import { ARC_CLUSTER_CLIENT } from './sdk-clients.js';
import { type ErrorRule, translateAwsError } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { ArcRoutingControls, RoutingControlState };

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
  ): Promise<{ result: T; endpoint: ArcClusterEndpoint }> {
    if (endpoints.length === 0) {
      throw new InvalidInputError(
        `${operation} ${resource}: no ARC cluster endpoints (got none; expected the cluster's endpoints)`,
      );
    }
    const failures: { endpoint: ArcClusterEndpoint; error: Error }[] = [];
    for (const endpoint of shuffled(endpoints, random)) {
      try {
        return {
          result: await call(clients.client(ARC_CLUSTER_CLIENT, endpoint.region, endpoint.endpoint)),
          endpoint,
        };
      } catch (error: unknown) {
        const translated = translateAwsError(
          error,
          { operation, region: endpoint.region, endpoint: endpoint.endpoint, resource },
          RULES,
        );
        if (!(translated instanceof RetryableError)) throw translated;
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
    async getStates(endpoints, arns) {
      const { result } = await onAnyEndpoint(
        'GetRoutingControlState',
        arns.join(','),
        endpoints,
        async (client) => {
          const states: Record<string, RoutingControlState> = {};
          for (const arn of arns) {
            const output = await client.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn }));
            states[arn] = output.RoutingControlState === 'On' ? 'On' : 'Off';
          }
          return states;
        },
      );
      return result;
    },

    async setActive(endpoints, states) {
      const entries = Object.entries(states).map(([RoutingControlArn, RoutingControlState]) => ({
        RoutingControlArn,
        RoutingControlState,
      }));
      const { endpoint } = await onAnyEndpoint(
        'UpdateRoutingControlStates',
        entries.map((e) => `${e.RoutingControlArn}=${e.RoutingControlState}`).join(','),
        endpoints,
        (client) =>
          client.send(new UpdateRoutingControlStatesCommand({ UpdateRoutingControlStateEntries: entries })),
      );
      return endpoint;
    },
  };
}

/** `RegionUnavailableError (TimeoutError: connect ETIMEDOUT ...)`: our name, then what AWS said. */
function reason(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error ? `${error.name} (${cause.name}: ${cause.message})` : error.name;
}

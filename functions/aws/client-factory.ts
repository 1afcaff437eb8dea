import type { AwsCredentialIdentity, MetadataBearer } from '@smithy/types';
import { type DnsQuestion, type DnsTransport, systemDnsTransport } from './dns-transport.js';

/**
 * The one client factory (docs/code-style.md): every SDK client Switchyard uses is built here, for an
 * explicit region, memoised per region and service, on first use. The sandbox attaches its simulator
 * here and nowhere else, through {@link AwsInterceptor}, beneath the SDK's command API: our code
 * above it is the code that runs in AWS.
 *
 * This module imports no SDK client: each adapter names the client it uses by a {@link ClientSpec}
 * (`functions/aws/sdk-clients.ts`), so a Lambda bundle carries only the clients of the adapters it
 * is composed from (docs/architecture.md, "Bundles").
 */

export const AWS_SERVICES = [
  'rds',
  'autoscaling',
  'elb',
  'route53',
  'arc',
  'cloudwatch',
  'dynamodb',
  'sfn',
  'events',
] as const;
export type AwsService = (typeof AWS_SERVICES)[number];

/** Route 53's control plane (record changes, GetChange, health checks) is served from us-east-1 only. */
export const ROUTE53_CONTROL_PLANE_REGION = 'us-east-1';

/** How a client retries and times out; the sandbox models the same behaviour in virtual time. */
export interface TransportPolicy {
  /** Attempts per call, first included (the SDK's standard retry mode). */
  readonly maxAttempts: number;
  /** How long a call waits for an endpoint that does not answer, in ms. */
  readonly timeoutMs: number;
}

/** One AWS API call as the SDK is about to send it. */
export interface AwsCall {
  readonly service: AwsService;
  /** The region of the client that makes the call. */
  readonly region: string;
  /** The endpoint URL, for clients bound to one (ARC cluster endpoints, DynamoDB local). */
  readonly endpoint?: string;
  /** The API operation, e.g. `FailoverGlobalCluster`. */
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly transport: TransportPolicy;
  /** The SDK client that makes the call (the SDK keeps retry state, such as its retry quota, per client). */
  readonly client?: object;
}

/**
 * Answers AWS calls beneath the SDK (the sandbox). `forward` sends the call on through the rest of
 * the SDK stack to the real endpoint (the sandbox uses it for DynamoDB, which is real: dynalite).
 * It returns the command's output or throws the SDK's own modelled exception.
 */
export interface AwsInterceptor {
  intercept(call: AwsCall, forward: () => Promise<unknown>): Promise<unknown>;
  /**
   * Answers a DNS question asked from `question.region` (the sandbox's Route 53 data plane). Absent
   * in AWS, where the question goes to the network through Node's resolver.
   */
  dns?(question: DnsQuestion): Promise<string[]>;
}

export interface ClientFactoryOptions {
  /** The sandbox's simulator. Absent in AWS. */
  readonly interceptor?: AwsInterceptor;
  /** DynamoDB endpoint override (dynalite in the sandbox and tests). */
  readonly dynamodbEndpoint?: string;
  /** Explicit credentials (the sandbox's dummy ones); absent in AWS, where the Lambda role's are used. */
  readonly credentials?: AwsCredentialIdentity;
}

// Retry policies, one line of *why* each. Every policy's worst case (attempts x timeout, plus
// backoff) stays well inside a step Lambda's 30 s timeout, so an unreachable endpoint surfaces as
// our typed error, which the state machine retries or routes, and never as a killed function.
export const TRANSPORT_POLICIES = {
  // Control-plane APIs throttle under load during a regional event: retry with the SDK's backoff.
  default: { maxAttempts: 3, timeoutMs: 5_000 },
  // Route 53's control plane is in us-east-1 only: when it does not answer, say so fast.
  route53: { maxAttempts: 2, timeoutMs: 4_000 },
  // We rotate through the five ARC endpoints ourselves: a dead endpoint should cost one short timeout.
  arc: { maxAttempts: 1, timeoutMs: 3_000 },
  // Lock and state writes sit on the failover's critical path: fail fast and let the state machine retry.
  dynamodb: { maxAttempts: 3, timeoutMs: 3_000 },
} as const satisfies Record<string, TransportPolicy>;

/** The configuration every SDK client is built with (region, retries, timeouts, endpoint, credentials). */
export interface ClientConfig {
  readonly region: string;
  readonly maxAttempts: number;
  /**
   * The SDK's standard retry mode, its default, named so that neither `AWS_RETRY_MODE` nor a shared
   * config file can select the adaptive one, which the bundles do not carry (infra/sdk-trims.ts).
   */
  readonly retryMode: 'standard';
  readonly requestHandler?: { readonly connectionTimeout: number; readonly requestTimeout: number };
  readonly endpoint?: string;
  readonly credentials?: AwsCredentialIdentity;
  /**
   * Resolve the middleware stack once per command class, not on every call (the SDK's
   * `cacheMiddleware`: "Enable this only if needing the additional time saved (0-1ms per request)
   * and not needing middleware modifications between requests", @smithy/core's client config).
   * Off for DynamoDB: the document client (lib-dynamodb) resolves each command's marshalling
   * against that command instance, which a cached handler would reuse for the next command.
   */
  readonly cacheMiddleware?: boolean;
}

/**
 * How to build one service's SDK client: its service name (what the sandbox's interceptor routes
 * on), its retry and timeout policy, and its constructor. `attach` hands the raw client to the
 * interceptor (a no-op in AWS) and returns it; a wrapper (the DynamoDB document client) wraps the
 * attached client.
 */
export interface ClientSpec<C> {
  readonly service: AwsService;
  /** Its retry and timeout policy, by name in {@link TRANSPORT_POLICIES}. */
  readonly policy: keyof typeof TRANSPORT_POLICIES;
  /** The endpoint this client always uses when the factory's options name one (DynamoDB local). */
  readonly endpointOf?: (options: ClientFactoryOptions) => string | undefined;
  /** A fixed region (Route 53's control plane); otherwise the caller's. */
  readonly fixedRegion?: string;
  readonly create: (config: ClientConfig, attach: <T extends Interceptable>(client: T) => T) => C;
}

/** The one client factory: one client per service, region and endpoint, built on first use. */
export interface ClientFactory {
  /**
   * The client of `spec` for `region` (or the spec's fixed region), and `endpoint` when the client
   * is bound to one (an ARC cluster endpoint).
   */
  client<C>(spec: ClientSpec<C>, region: string, endpoint?: string): C;
  /**
   * DNS questions asked from `region` (Route 53's data plane: name servers answer while its control
   * plane in us-east-1 is down).
   */
  dns(region: string): DnsTransport;
}

/** Builds the client factory. Clients are created on first use and then reused (one per region). */
export function createClientFactory(options: ClientFactoryOptions = {}): ClientFactory {
  const cache = new Map<string, unknown>();
  const memo = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };

  const config = (
    region: string,
    policy: TransportPolicy,
    endpoint: string | undefined,
    cacheMiddleware: boolean,
  ): ClientConfig => ({
    region,
    maxAttempts: policy.maxAttempts,
    retryMode: 'standard',
    // Every middleware (the sandbox's interceptor too) is added when the client is built, before
    // its first request: nothing changes the stack between requests.
    cacheMiddleware,
    // In the sandbox the interceptor models these timeouts in virtual time. Its one real connection
    // (dynalite, on loopback in the same process) gets no real-time limit: on a loaded machine it
    // would fail calls that virtual time says took no time at all.
    ...(options.interceptor
      ? {}
      : {
          requestHandler: {
            connectionTimeout: Math.min(policy.timeoutMs, 2_000),
            requestTimeout: policy.timeoutMs,
          },
        }),
    ...(endpoint ? { endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });

  return {
    client<C>(spec: ClientSpec<C>, callerRegion: string, boundEndpoint?: string): C {
      const region = spec.fixedRegion ?? callerRegion;
      const endpoint = boundEndpoint ?? spec.endpointOf?.(options);
      const policy = TRANSPORT_POLICIES[spec.policy];
      return memo(`${spec.service}/${region}/${boundEndpoint ?? ''}`, () =>
        spec.create(config(region, policy, endpoint, spec.service !== 'dynamodb'), (client) => {
          if (options.interceptor)
            attachInterceptor(client, options.interceptor, {
              service: spec.service,
              region,
              endpoint,
              transport: policy,
            });
          return client;
        }),
      );
    },
    dns: (region) =>
      memo(`dns/${region}`, (): DnsTransport => {
        const interceptor = options.interceptor;
        if (interceptor?.dns)
          return { query: (q) => interceptor.dns?.({ ...q, region }) ?? Promise.resolve([]) };
        return systemDnsTransport();
      }),
  };
}

/** What the interceptor needs of an SDK client: its middleware stack. */
export interface Interceptable {
  middlewareStack: {
    add(
      middleware: (
        next: (args: { input: object }) => Promise<{ output: MetadataBearer; response: unknown }>,
        context: { commandName?: string },
      ) => (args: { input: object }) => Promise<{ output: MetadataBearer; response: unknown }>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

/**
 * Hands each command to the interceptor at the `initialize` step, before serialisation, signing and
 * the network. `forward` continues down the real stack.
 */
function attachInterceptor(
  client: Interceptable,
  interceptor: AwsInterceptor,
  base: Omit<AwsCall, 'operation' | 'input' | 'client'>,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call: AwsCall = {
        ...base,
        client,
        operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
        input: args.input as Record<string, unknown>,
      };
      let response: unknown;
      const output = await interceptor.intercept(call, async () => {
        const result = await next(args);
        response = result.response;
        return result.output;
      });
      return { output: output as MetadataBearer, response };
    },
    { step: 'initialize', name: 'switchyardInterceptor', priority: 'high' },
  );
}

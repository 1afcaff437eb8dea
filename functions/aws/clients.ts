import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity, MetadataBearer } from '@smithy/types';
import type { ArcClusterEndpoint } from '../runbook/ports/arc.js';
import { type DnsQuestion, type DnsTransport, systemDnsTransport } from './dns-transport.js';

/**
 * The one client factory (docs/code-style.md): every SDK client Switchyard uses is built here, for an
 * explicit region, memoised per region. The sandbox attaches its simulator here and nowhere else,
 * through {@link AwsInterceptor}, beneath the SDK's command API: our code above it is the code that
 * runs in AWS.
 */

export const AWS_SERVICES = [
  'rds',
  'autoscaling',
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

export type { ArcClusterEndpoint };

/** Per-region SDK clients. Every method names the region its client calls. */
export interface AwsClients {
  rds(region: string): RDSClient;
  autoScaling(region: string): AutoScalingClient;
  /** Route 53's API is global and lives in us-east-1; the client says so explicitly. */
  route53(): Route53Client;
  /** One client per ARC cluster endpoint: the data plane is reached through any of the five. */
  arcCluster(endpoint: ArcClusterEndpoint): Route53RecoveryClusterClient;
  cloudWatch(region: string): CloudWatchClient;
  dynamodb(region: string): DynamoDBDocumentClient;
  sfn(region: string): SFNClient;
  eventBridge(region: string): EventBridgeClient;
  /**
   * DNS questions asked from `region` (Route 53's data plane: name servers answer while its control
   * plane in us-east-1 is down).
   */
  dns(region: string): DnsTransport;
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

/** Builds the client factory. Clients are created on first use and then reused (one per region). */
export function createAwsClients(options: ClientFactoryOptions = {}): AwsClients {
  const cache = new Map<string, unknown>();
  const memo = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };

  const config = (region: string, policy: TransportPolicy, endpoint?: string) => ({
    region,
    maxAttempts: policy.maxAttempts,
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

  const build = <C extends Interceptable>(
    service: AwsService,
    region: string,
    policy: TransportPolicy,
    make: (cfg: ReturnType<typeof config>) => C,
    endpoint?: string,
  ): C => {
    const client = make(config(region, policy, endpoint));
    if (options.interceptor)
      attachInterceptor(client, options.interceptor, { service, region, endpoint, transport: policy });
    return client;
  };

  return {
    rds: (region) =>
      memo(`rds/${region}`, () => build('rds', region, TRANSPORT_POLICIES.default, (c) => new RDSClient(c))),
    autoScaling: (region) =>
      memo(`autoscaling/${region}`, () =>
        build('autoscaling', region, TRANSPORT_POLICIES.default, (c) => new AutoScalingClient(c)),
      ),
    route53: () =>
      memo('route53', () =>
        build(
          'route53',
          ROUTE53_CONTROL_PLANE_REGION,
          TRANSPORT_POLICIES.route53,
          (c) => new Route53Client(c),
        ),
      ),
    arcCluster: ({ region, endpoint }) =>
      memo(`arc/${endpoint}`, () =>
        build('arc', region, TRANSPORT_POLICIES.arc, (c) => new Route53RecoveryClusterClient(c), endpoint),
      ),
    cloudWatch: (region) =>
      memo(`cloudwatch/${region}`, () =>
        build('cloudwatch', region, TRANSPORT_POLICIES.default, (c) => new CloudWatchClient(c)),
      ),
    dynamodb: (region) =>
      memo(`dynamodb/${region}`, () =>
        DynamoDBDocumentClient.from(
          build(
            'dynamodb',
            region,
            TRANSPORT_POLICIES.dynamodb,
            (c) => new DynamoDBClient(c),
            options.dynamodbEndpoint,
          ),
          { marshallOptions: { removeUndefinedValues: true } },
        ),
      ),
    sfn: (region) =>
      memo(`sfn/${region}`, () => build('sfn', region, TRANSPORT_POLICIES.default, (c) => new SFNClient(c))),
    eventBridge: (region) =>
      memo(`events/${region}`, () =>
        build('events', region, TRANSPORT_POLICIES.default, (c) => new EventBridgeClient(c)),
      ),
    dns: (region) =>
      memo(`dns/${region}`, (): DnsTransport => {
        const interceptor = options.interceptor;
        if (interceptor?.dns)
          return { query: (q) => interceptor.dns?.({ ...q, region }) ?? Promise.resolve([]) };
        return systemDnsTransport();
      }),
  };
}

interface Interceptable {
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
  base: Omit<AwsCall, 'operation' | 'input'>,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call: AwsCall = {
        ...base,
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

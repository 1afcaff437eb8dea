import * as autoscaling from '@aws-sdk/client-auto-scaling';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2';
import * as events from '@aws-sdk/client-eventbridge';
import * as rds from '@aws-sdk/client-rds';
import * as route53 from '@aws-sdk/client-route-53';
import * as arc from '@aws-sdk/client-route53-recovery-cluster';
import * as sfn from '@aws-sdk/client-sfn';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';
import type {
  RetryErrorType,
  SdkError,
  StandardRetryBackoffStrategy,
  StandardRetryToken,
} from '@smithy/types';
import { MAXIMUM_RETRY_DELAY, StandardRetryStrategy } from '@smithy/util-retry';
import type { AwsCall, AwsInterceptor, AwsService } from '../../functions/aws/clients.js';
import type { DnsQuestion } from '../../functions/aws/dns-transport.js';
import { TransientAwsError } from '../../functions/core/errors.js';
import type { Random } from '../../functions/core/random.js';
import type { VirtualClock } from '../clock.js';
import { type FaultSet, injectedErrorMessage } from '../faults.js';
import type { LatencyProfile } from '../latency.js';
import { QuotaBuckets, type QuotaRule } from '../quotas.js';
import { currentExecutionId, currentFunction } from '../runtime/scope.js';
import { mrscRefusal, type StateTableTopology } from './dynamodb-mrsc.js';

/** What every simulated service shares: time, randomness, latency, faults, change notification. */
export interface SimContext {
  readonly clock: VirtualClock;
  readonly random: Random;
  readonly latency: LatencyProfile;
  readonly faults: FaultSet;
  /** The account's API quotas (`sandbox/quotas.ts`); the simulator builds its own when absent. */
  readonly quotas?: QuotaBuckets;
  /**
   * The state table's regions and consistency (`sandbox/aws/dynamodb-mrsc.ts`): under MRSC, a
   * replica cut off from the majority refuses writes and strongly consistent reads. Absent: one
   * table that serves every request.
   */
  readonly stateTable?: StateTableTopology;
  /**
   * Services call this after any change of state the ground truth may depend on, naming the AWS
   * identifiers of what changed where they know them (a group name, a global cluster id or member
   * ARN, a routing control ARN, a record name): the truth then re-reads only the apps that name
   * one (`GroundTruth.changed`); naming nothing re-reads every app.
   */
  changed(resources?: Iterable<string>): void;
  /**
   * Marks the start of a long-running AWS operation (a switchover, an instance launch, a DNS
   * change propagating) and returns the function that marks its end. The simulator attributes it
   * to the execution whose call started it, for `awsBusySeconds`; an operation no call started
   * (a health checker noticing a change) names the `app` it works for instead. `resource` names
   * what it changes (a Route 53 change id, a global cluster, an instance, a group, a routing
   * control), for the simulate report's `pendingAtEnd`.
   */
  beginOperation?(name: string, app?: string, resource?: string): () => void;
  /**
   * Puts an event an AWS service emits (e.g. RDS's `RDS DB Cluster Event`) on EventBridge's default
   * bus in `event.region`, where rules hear it (sandbox/aws/eventbridge.ts). Absent where the
   * context has no bus.
   */
  emitServiceEvent?(event: ServiceEvent): void;
}

/** An event an AWS service emits to EventBridge: the envelope's `source`, `detail-type`, `resources` and `detail`. */
export interface ServiceEvent {
  readonly region: string;
  readonly source: string;
  readonly detailType: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

/** For services: emit an event to EventBridge, or do nothing where the context has no bus. */
export function emitServiceEvent(ctx: SimContext, event: ServiceEvent): void {
  ctx.emitServiceEvent?.(event);
}

/** For services: start an operation, or do nothing where the context does not track them. */
export function beginOperation(ctx: SimContext, name: string, app?: string, resource?: string): () => void {
  return ctx.beginOperation?.(name, app, resource) ?? (() => undefined);
}

/** Where a call arrived: the client's region and, for endpoint-bound clients, the endpoint. */
export interface CallTarget {
  readonly region: string;
  readonly endpoint?: string;
}

/** One simulated AWS service: answers API operations with AWS's documented semantics. */
export interface SimulatedService {
  readonly service: AwsService;
  /**
   * Answers one operation. Returns its output (without `$metadata`) or throws the SDK's modelled
   * exception (see {@link awsError}). An operation the service does not model throws
   * {@link UnsupportedOperationError}.
   */
  handle(operation: string, input: Record<string, unknown>, target: CallTarget): unknown;
  /** Whether the endpoint answers at all (beyond region outages, which the simulator checks). */
  isReachable?(target: CallTarget): boolean;
  /** Answers a DNS question (Route 53's data plane); `[]` for no such record. */
  answerDns?(question: DnsQuestion): string[];
}

/** The sandbox was asked for an API it does not simulate: a gap in the sandbox, said plainly. */
export class UnsupportedOperationError extends Error {
  override readonly name = 'UnsupportedOperationError';
  constructor(service: AwsService, operation: string) {
    super(`the sandbox does not simulate ${service}:${operation}`);
  }
}

const MODULES: Record<AwsService, Record<string, unknown>> = {
  rds,
  autoscaling,
  elb,
  route53,
  arc,
  cloudwatch,
  dynamodb,
  sfn,
  events,
};

const BASE_EXCEPTION: Record<AwsService, string> = {
  rds: 'RDSServiceException',
  autoscaling: 'AutoScalingServiceException',
  elb: 'ElasticLoadBalancingV2ServiceException',
  route53: 'Route53ServiceException',
  arc: 'Route53RecoveryClusterServiceException',
  cloudwatch: 'CloudWatchServiceException',
  dynamodb: 'DynamoDBServiceException',
  sfn: 'SFNServiceException',
  events: 'EventBridgeServiceException',
};

type ExceptionClass = new (options: Record<string, unknown>) => Error;

/**
 * The services whose state the ground truth reads (`sandbox/truth.ts`: writers, capacity and its
 * target health, DNS answers, routing controls). Step Functions, EventBridge, CloudWatch and
 * DynamoDB hold the control plane's own state, which the truth never takes as evidence.
 */
const TRUTH_SERVICES: ReadonlySet<AwsService> = new Set(['rds', 'autoscaling', 'elb', 'route53', 'arc']);

/** Error codes that AWS returns with a 5xx status. */
const SERVER_FAULTS = new Set([
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
]);

/**
 * Builds the exception the real SDK would throw for an AWS error code: the service's modelled
 * class when there is one (`InvalidGlobalClusterStateFault`), else the service's base exception with
 * that name (as the SDK does for unmodelled codes such as RDS's `Throttling`).
 */
export function awsError(
  service: AwsService,
  code: string,
  message: string,
  fields: Record<string, unknown> = {},
): Error {
  const mod = MODULES[service];
  const base = mod[BASE_EXCEPTION[service]] as ExceptionClass;
  const modelled = mod[code];
  const isModelled = typeof modelled === 'function' && modelled.prototype instanceof base;
  // A server fault is a 5xx: 503 for an unavailable endpoint (ARC's EndpointTemporarilyUnavailable-
  // Exception, ServiceUnavailable), else 500. The SDK retries 500/502/503/504 as transient.
  const server = SERVER_FAULTS.has(code);
  const $metadata = {
    httpStatusCode: server ? (/Unavailable/.test(code) ? 503 : 500) : 400,
    attempts: 1,
    totalRetryDelay: 0,
  };
  if (isModelled) {
    const error = new (modelled as ExceptionClass)({ message, $metadata, ...fields });
    if ((error as { $fault?: string }).$fault === 'server' && $metadata.httpStatusCode === 400)
      $metadata.httpStatusCode = /Unavailable/.test(code) ? 503 : 500;
    return error;
  }
  return new base({ name: code, $fault: server ? 'server' : 'client', message, $metadata, ...fields });
}

/** The error AWS answers a call with when one of its quotas throttles it ("Rate exceeded"). */
function throttlingError(call: AwsCall, rule: QuotaRule): Error {
  return awsError(
    call.service,
    rule.error,
    `Rate exceeded (sandbox: quota ${rule.id} in ${call.endpoint ?? call.region}; ${rule.source})`,
  );
}

/** What the SDK's Node HTTP handler throws when an endpoint never answers. */
export function networkTimeout(call: AwsCall): Error {
  const host = call.endpoint ?? `${call.service}.${call.region}.amazonaws.com`;
  return Object.assign(
    new Error(`connect ETIMEDOUT ${host}:443 (${call.operation}, sandbox: endpoint unreachable)`),
    {
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
      $metadata: { attempts: 1, totalRetryDelay: 0 },
    },
  );
}

/**
 * How the SDK's retry middleware classifies an error for its retry strategy (the same order as
 * `getRetryErrorType` in `@smithy/core`'s retry middleware, from the SDK's own classifiers): throttling
 * (`Throttling`, `PriorRequestNotComplete`, HTTP 429, ...), transient (timeouts, connection resets,
 * HTTP 500/502/503/504 such as `EndpointTemporarilyUnavailable`), other server errors, client errors.
 */
export function retryErrorType(error: unknown): RetryErrorType {
  const e = error as SdkError;
  if (isThrottlingError(e)) return 'THROTTLING';
  if (isTransientError(e)) return 'TRANSIENT';
  if (isServerError(e)) return 'SERVER_ERROR';
  return 'CLIENT_ERROR';
}

/**
 * The SDK's standard retry strategy (`StandardRetryStrategy` of `@smithy/util-retry`: its attempts,
 * retry quota of 500 tokens and costs, which error types it retries, its base delays of 50 ms and
 * 1,000 ms after throttling), with its backoff drawn from the sandbox's seeded randomness and its
 * wait taken on the virtual clock. The strategy's own wait is made 0 ms of real time: it computes
 * the delay through {@link StandardRetryBackoffStrategy}, which records it here instead.
 */
class VirtualRetry {
  readonly strategy: StandardRetryStrategy;
  /**
   * The delays (virtual ms) the strategy chose for the retries it granted, oldest first. Concurrent
   * calls of one client each take theirs in turn: the strategy grants in the order it computed
   * (its 0 ms real waits end in the order they began).
   */
  readonly delays: number[] = [];

  constructor(maxAttempts: number, random: Random) {
    let base = 0;
    const backoff: StandardRetryBackoffStrategy = {
      // The SDK's DefaultRetryBackoffStrategy: full jitter over base x 2^attempt, capped at 20 s.
      computeNextBackoffDelay: (attempt) => {
        this.delays.push(Math.floor(random.next() * Math.min(base * 2 ** attempt, MAXIMUM_RETRY_DELAY)));
        return 0;
      },
      setDelayBase: (delay) => {
        base = delay;
      },
    };
    this.strategy = new StandardRetryStrategy({ maxAttempts, backoff });
  }
}

/** `{ executionId }` of the execution on whose behalf code runs now, or nothing outside one. */
function attributed(): { readonly executionId?: string } {
  const executionId = currentExecutionId();
  return executionId ? { executionId } : {};
}

/** A call's attribution: {@link attributed}, and the Lambda function making it, if any. */
function calledBy(): { readonly executionId?: string; readonly caller?: string } {
  const caller = currentFunction();
  return caller ? { ...attributed(), caller } : attributed();
}

/**
 * The simulated multi-region AWS, as the SDK sees it: every call pays its modelled latency,
 * fails as AWS would under the faults in force, then is answered by the service's model.
 * DynamoDB calls are forwarded, for real, to dynalite.
 *
 * The SDK's own retry middleware sits below the `initialize` step where we intercept, so the
 * simulator models the client's retries (standard mode: exponential backoff with full jitter)
 * in virtual time, per the client's {@link TransportPolicy}.
 */
export class AwsSimulator implements AwsInterceptor {
  private readonly services = new Map<AwsService, SimulatedService>();
  private readonly retries = new Map<object | string, VirtualRetry>();
  /** The account's API quotas (`sandbox/quotas.ts`), on the virtual clock. */
  readonly quotas: QuotaBuckets;
  private dynamoQueue: Promise<unknown> = Promise.resolve();
  private requestSeq = 0;
  /** Every call the simulator answered or failed, for reports (`awsBusySeconds`) and tests. */
  readonly log: CallRecord[] = [];
  /** Every long-running operation a call started (see {@link SimContext.beginOperation}). */
  readonly operations: OperationRecord[] = [];

  constructor(readonly ctx: SimContext) {
    this.quotas = ctx.quotas ?? new QuotaBuckets(() => ctx.clock.now(), ctx.latency.timeScale);
  }

  /** Starts a long-running operation, attributed to the execution whose call is running. */
  beginOperation(name: string, app?: string, resource?: string): () => void {
    const record: OperationRecord = {
      name,
      startedAt: this.ctx.clock.now(),
      ...attributed(),
      ...(app ? { app } : {}),
      ...(resource ? { resource } : {}),
    };
    this.operations.push(record);
    return () => {
      record.finishedAt ??= this.ctx.clock.now();
    };
  }

  /**
   * A DNS question from a function in `question.region`. Route 53's name servers are its data
   * plane: they answer through every fault of its control plane and of us-east-1; only a caller
   * whose own region is down gets no answer (its network is gone), after the resolver's timeout.
   */
  async dns(question: DnsQuestion): Promise<string[]> {
    const { clock, latency, faults } = this.ctx;
    const record: CallRecord = {
      ...calledBy(),
      service: 'route53',
      region: question.region,
      operation: `DNS ${question.type}`,
      startedAt: clock.now(),
      finishedAt: 0,
      ok: false,
    };
    this.log.push(record);
    try {
      if (faults.isRegionDown(question.region)) {
        // Node's resolver: two tries of 2 s each (functions/aws/dns-transport.ts).
        await clock.sleep(4_000);
        throw new TransientAwsError(
          `DNS ${question.type} ${question.name}: no answer (got ETIMEOUT: sandbox, ${question.region} is down; expected an answer)`,
        );
      }
      await clock.sleep(latency.route53.dnsQueryMs);
      const answer = this.services.get('route53')?.answerDns?.(question) ?? [];
      record.ok = true;
      return answer;
    } finally {
      record.finishedAt = clock.now();
    }
  }

  register(service: SimulatedService): void {
    this.services.set(service.service, service);
  }

  /**
   * One SDK call: attempts and the SDK's retries between them, as {@link VirtualRetry} decides, on
   * the virtual clock. The answer (or the final error) carries `$metadata.attempts` and
   * `totalRetryDelay` as the SDK's retry middleware sets them.
   */
  async intercept(call: AwsCall, forward: () => Promise<unknown>): Promise<unknown> {
    const retry = this.retryFor(call);
    const { clock } = this.ctx;
    let token: StandardRetryToken = await retry.strategy.acquireInitialRetryToken(call.operation);
    let totalRetryDelay = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const output = await this.attempt(call, forward);
        retry.strategy.recordSuccess(token);
        const metadata = (output as { $metadata?: object } | undefined)?.$metadata;
        if (metadata) Object.assign(metadata, { attempts: attempt, totalRetryDelay });
        return output;
      } catch (error: unknown) {
        try {
          token = await clock.track(() =>
            retry.strategy.refreshRetryTokenForRetry(token, {
              errorType: retryErrorType(error),
              error: error as SdkError,
            }),
          );
        } catch {
          if (error instanceof Error && '$metadata' in error) {
            Object.assign((error as { $metadata: object }).$metadata, { attempts: attempt, totalRetryDelay });
          }
          throw error;
        }
        const delay = retry.delays.shift() ?? 0;
        totalRetryDelay += delay;
        await clock.sleep(delay);
      }
    }
  }

  /** The retry strategy of the client that makes `call`: one per client, as the SDK keeps it. */
  private retryFor(call: AwsCall): VirtualRetry {
    const key = call.client ?? `${call.service}|${call.region}|${call.endpoint ?? ''}`;
    let retry = this.retries.get(key);
    if (!retry) {
      retry = new VirtualRetry(call.transport.maxAttempts, this.ctx.random);
      this.retries.set(key, retry);
    }
    return retry;
  }

  private async attempt(call: AwsCall, forward: () => Promise<unknown>): Promise<unknown> {
    const { clock, latency, faults, random } = this.ctx;
    const record: CallRecord = {
      ...calledBy(),
      service: call.service,
      region: call.region,
      operation: call.operation,
      startedAt: clock.now(),
      finishedAt: 0,
      ok: false,
      ...(call.endpoint ? { endpoint: call.endpoint } : {}),
    };
    this.log.push(record);
    try {
      const service = this.services.get(call.service);
      if (!this.reachable(call, service)) {
        await clock.sleep(call.transport.timeoutMs);
        throw networkTimeout(call);
      }
      await clock.sleep(latency.apiMs[call.service]);
      const throttled = this.quotas.admit(call);
      if (throttled) {
        record.throttled = throttled.id;
        throw throttlingError(call, throttled);
      }
      for (const { error, rate } of faults.apiErrors(call.service, call.region, call.operation)) {
        if (random.next() < rate)
          throw awsError(
            call.service,
            error,
            `${injectedErrorMessage(error)} (sandbox fault: api-errors ${call.service} ${call.region})`,
          );
      }
      if (call.service === 'dynamodb' && this.ctx.stateTable) {
        const refusal = mrscRefusal(this.ctx.stateTable, call, (region) => faults.isRegionDown(region));
        if (refusal) throw awsError('dynamodb', 'InternalServerError', refusal);
      }
      const output =
        call.service === 'dynamodb' ? await this.forwardInOrder(forward) : await this.answer(call, service);
      record.ok = true;
      return output;
    } catch (error: unknown) {
      if (error instanceof Error) record.error = error.name;
      throw error;
    } finally {
      record.finishedAt = clock.now();
    }
  }

  private reachable(call: AwsCall, service: SimulatedService | undefined): boolean {
    const { faults } = this.ctx;
    if (faults.isRegionDown(call.region)) return false;
    // Route 53's control plane lives in us-east-1 (checked above); it can also fail on its own.
    if (call.service === 'route53' && faults.isRoute53ControlPlaneDown()) return false;
    return (
      service?.isReachable?.({
        region: call.region,
        ...(call.endpoint ? { endpoint: call.endpoint } : {}),
      }) ?? true
    );
  }

  private async answer(call: AwsCall, service: SimulatedService | undefined): Promise<unknown> {
    if (!service) throw new UnsupportedOperationError(call.service, call.operation);
    const output = await service.handle(call.operation, call.input, {
      region: call.region,
      ...(call.endpoint ? { endpoint: call.endpoint } : {}),
    });
    // A read changes nothing the ground truth reads (AWS names reads Describe*, Get*, List*), nor
    // does a call to a service it does not read. A change concerns the apps whose resources its
    // input names (every app when it names none).
    if (TRUTH_SERVICES.has(call.service) && !/^(Describe|Get|List)/.test(call.operation)) {
      const named = identifiersIn(call.input);
      this.ctx.changed(named.length > 0 ? named : undefined);
    }
    return {
      ...(output as object),
      $metadata: {
        httpStatusCode: 200,
        requestId: `sandbox-${++this.requestSeq}`,
        attempts: 1,
        totalRetryDelay: 0,
      },
    };
  }

  /**
   * DynamoDB is real (dynalite over loopback). Calls go one at a time, in the order they were
   * made, so that two racing writes resolve the same way on every run; each is tracked as in
   * flight so that virtual time stands still while it runs.
   */
  private forwardInOrder(forward: () => Promise<unknown>): Promise<unknown> {
    const run = this.ctx.clock.track(async () => {
      await this.dynamoQueue.catch(() => undefined);
      return forward();
    });
    this.dynamoQueue = run.catch(() => undefined);
    return run;
  }
}

/**
 * Every string of an API input, nested ones included (a change batch's record names, a routing
 * control update's ARNs): the identifiers the call may name, for {@link SimContext.changed}.
 * Record names are lower-cased, as Route 53 compares them.
 */
export function identifiersIn(input: unknown, found: string[] = [], depth = 0): string[] {
  if (typeof input === 'string') found.push(input, input.toLowerCase());
  else if (depth < 8 && typeof input === 'object' && input !== null)
    for (const value of Object.values(input)) identifiersIn(value, found, depth + 1);
  return found;
}

/** One simulated API call (one attempt), in virtual epoch ms. */
export interface CallRecord {
  /**
   * The execution whose state machine made the call (its steps' Lambda invokes carry it:
   * `sandbox/runtime/scope.ts`); absent for calls made outside any execution (an API request's
   * dry run, the reconciler, readiness, the report's own reads).
   */
  readonly executionId?: string;
  /**
   * The Lambda function that made the call (`sandbox/runtime/scope.ts`, e.g. `Preflight`, the
   * operator API's `OperatorApi`); absent for calls made outside any invoke (the report's reads).
   */
  readonly caller?: string;
  readonly service: AwsService;
  readonly region: string;
  readonly endpoint?: string;
  readonly operation: string;
  readonly startedAt: number;
  finishedAt: number;
  ok: boolean;
  /** The quota (`sandbox/quotas.ts` id) that throttled this attempt, if one did. */
  throttled?: string;
  /** The error the attempt failed with (its name), if it failed. */
  error?: string;
}

/** A long-running AWS operation (e.g. a switchover), in virtual epoch ms; open while unfinished. */
export interface OperationRecord {
  readonly name: string;
  readonly executionId?: string;
  /**
   * The app an operation no call started works for (Route 53's health checkers noticing that an
   * app's target changed health): counted as AWS time for any execution of that app it overlaps.
   */
  readonly app?: string;
  /** What it changes (a change id, global cluster, instance, group or routing control), for reports. */
  readonly resource?: string;
  readonly startedAt: number;
  finishedAt?: number;
}

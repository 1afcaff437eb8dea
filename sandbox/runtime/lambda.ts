import type { Context } from 'aws-lambda';
import { isKeepWarm } from '../../functions/handlers/keep-warm.js';
import type { VirtualClock } from '../clock.js';
import type { FaultSet } from '../faults.js';
import type { LatencyProfile } from '../latency.js';
import { LAMBDA_CONCURRENT_EXECUTIONS } from '../quotas.js';
import { invokeScope } from './scope.js';

/** The documentation account the sandbox's ARNs use. */
export const SANDBOX_ACCOUNT = '111111111111';

/** A Lambda function's code: the exported middy handler of one of `functions/handlers/`. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Each function's timeout in virtual ms, as CDK deploys it (infra/constructs/control-plane-function.ts). */
export const FUNCTION_TIMEOUT_MS = 30_000;

/**
 * An idle execution environment is kept this long after its last invoke. AWS publishes no figure
 * ("Lambda keeps the execution environment for some time in anticipation of another function
 * invocation", Lambda Developer Guide, "Understanding the Lambda execution environment lifecycle",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html); minutes are
 * commonly observed, and the deployed keep-warm rule pings well within this.
 */
const WARM_FOR_MS = 10 * 60_000;

/** One execution environment of a function: it runs one invoke at a time. */
interface Environment {
  busy: boolean;
  lastUsedAt: number;
}

/** How a region's functions ran: for reports, the bench and tests. */
export interface LambdaStats {
  readonly invokes: number;
  readonly coldStarts: number;
  /** The most environments busy at once in one region. */
  readonly peakConcurrency: number;
  /** Invokes refused with `TooManyRequestsException` (the account's concurrency was in use). */
  readonly throttled: number;
}

export function functionArn(region: string, name: string): string {
  return `arn:aws:lambda:${region}:${SANDBOX_ACCOUNT}:function:switchyard-${name}`;
}

/** `{ region, name }` of a sandbox function ARN, or undefined for another ARN. */
export function parseFunctionArn(arn: string): { region: string; name: string } | undefined {
  const match = /^arn:aws:lambda:([a-z0-9-]+):\d{12}:function:switchyard-([A-Za-z]+)$/.exec(arn);
  return match ? { region: match[1] as string, name: match[2] as string } : undefined;
}

/** The error Step Functions sees from a failed invoke: `errorType` as the name, the JSON payload as Cause. */
export class LambdaFunctionError extends Error {
  constructor(errorType: string, errorMessage: string) {
    super(JSON.stringify({ errorType, errorMessage, trace: [] }));
    this.name = errorType;
  }
}

/**
 * The Lambda service of every simulated region: the real handlers, invoked in-process, paying a
 * modelled cold or warm invoke cost in virtual time. Each concurrent invoke runs in its own
 * execution environment: a new environment pays a cold start, an idle one is reused warm, and the
 * account's concurrency per region bounds how many run at once. A region that is down runs nothing until it
 * is back (its Step Functions executions pause, as they would). The `lambda-crash` fault makes an
 * invoke crash after the handler ran, the hard case for idempotency: its effects happened, but
 * Step Functions sees `Lambda.Unknown` and retries.
 */
export class LambdaRuntime {
  private readonly handlers = new Map<string, LambdaHandler>();
  /** Per function ARN: its execution environments, warm or busy. */
  private readonly environments = new Map<string, Environment[]>();
  /** Per region: environments busy now (the account's concurrency in use there). */
  private readonly busy = new Map<string, number>();
  private readonly waiting: (() => void)[] = [];
  private requestSeq = 0;
  private counts = { invokes: 0, coldStarts: 0, peakConcurrency: 0, throttled: 0 };

  private readonly timeoutMs: number;
  private readonly concurrencyLimit: number;

  /**
   * @param ctx.timeoutMs each function's timeout in virtual ms (default {@link FUNCTION_TIMEOUT_MS},
   *   as deployed); tests shorten it.
   * @param ctx.concurrencyLimit the account's concurrent executions per region (default
   *   {@link LAMBDA_CONCURRENT_EXECUTIONS}); tests lower it.
   */
  constructor(
    private readonly ctx: {
      clock: VirtualClock;
      latency: LatencyProfile;
      faults: FaultSet;
      timeoutMs?: number;
      concurrencyLimit?: number;
    },
  ) {
    this.timeoutMs = ctx.timeoutMs ?? FUNCTION_TIMEOUT_MS;
    this.concurrencyLimit = ctx.concurrencyLimit ?? LAMBDA_CONCURRENT_EXECUTIONS;
    ctx.faults.onChange(() => {
      for (const wake of this.waiting.splice(0)) wake();
    });
  }

  /**
   * Simulates the deployed keep-warm rule: every `minutes`, each registered function of a region
   * that is up is invoked with the keep-warm event. The rule ran long before the sandbox's time
   * begins (a stack is deployed, and pinged, before any failover), so every function registered
   * now starts warm: without that, the first step of a failover at time 0 would pay a cold start
   * that the deployed rule exists to prevent.
   *
   * @param targets the names of the functions the rule invokes (default: every registered one);
   *   one registered later is pinged too if named. The others are never pinged: they start cold.
   */
  keepWarm(event: unknown, minutes: number, targets?: readonly string[]): void {
    const pinged = (arn: string) => {
      const name = parseFunctionArn(arn)?.name;
      return targets === undefined || (name !== undefined && targets.includes(name));
    };
    for (const arn of [...this.handlers.keys()].filter(pinged)) {
      const environments = this.environments.get(arn) ?? [];
      if (environments.length === 0) environments.push({ busy: false, lastUsedAt: this.ctx.clock.now() });
      this.environments.set(arn, environments);
    }
    const ping = () => {
      for (const arn of [...this.handlers.keys()].filter(pinged)) {
        const parsed = parseFunctionArn(arn);
        if (parsed && !this.ctx.faults.isRegionDown(parsed.region))
          void this.invoke(parsed.region, parsed.name, event).catch(() => undefined);
      }
      this.ctx.clock.setTimer(minutes * 60_000, ping);
    };
    this.ctx.clock.setTimer(minutes * 60_000, ping);
  }

  register(region: string, name: string, handler: LambdaHandler): void {
    this.handlers.set(functionArn(region, name), handler);
  }

  has(region: string, name: string): boolean {
    return this.handlers.has(functionArn(region, name));
  }

  async invoke(region: string, name: string, event: unknown): Promise<unknown> {
    const arn = functionArn(region, name);
    const handler = this.handlers.get(arn);
    if (!handler)
      throw new LambdaFunctionError('Lambda.ResourceNotFoundException', `Function not found: ${arn}`);
    while (this.ctx.faults.isRegionDown(region)) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    const { clock, latency } = this.ctx;
    const { environment, cold } = this.acquire(region, arn);
    try {
      await clock.sleep(cold ? latency.lambda.coldInvokeMs : latency.lambda.warmInvokeMs);
      return await this.run(region, name, arn, handler, event);
    } finally {
      environment.busy = false;
      environment.lastUsedAt = clock.now();
      this.busy.set(region, (this.busy.get(region) ?? 1) - 1);
    }
  }

  /** Invokes, cold starts, peak concurrency and throttled invokes so far. */
  stats(): LambdaStats {
    return { ...this.counts };
  }

  /**
   * An execution environment for one invoke: an idle warm one of the function, else a new one (a
   * cold start), unless the region's busy environments already use the account's concurrency,
   * which Lambda refuses with `TooManyRequestsException` (Step Functions sees
   * `Lambda.TooManyRequestsException`). Lambda runs one invoke per environment at a time
   * ("Understanding Lambda function scaling", https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
   */
  private acquire(region: string, arn: string): { environment: Environment; cold: boolean } {
    const now = this.ctx.clock.now();
    const environments = (this.environments.get(arn) ?? []).filter(
      (e) => e.busy || now - e.lastUsedAt <= WARM_FOR_MS,
    );
    this.environments.set(arn, environments);
    this.counts.invokes++;
    let environment = environments.find((e) => !e.busy);
    const cold = environment === undefined;
    const inUse = this.busy.get(region) ?? 0;
    if (!environment) {
      if (inUse >= this.concurrencyLimit) {
        this.counts.throttled++;
        throw new LambdaFunctionError(
          'Lambda.TooManyRequestsException',
          `Rate Exceeded. (sandbox: ${inUse} of the account's ${this.concurrencyLimit} concurrent executions in ${region} are in use)`,
        );
      }
      environment = { busy: false, lastUsedAt: now };
      environments.push(environment);
      this.counts.coldStarts++;
    }
    environment.busy = true;
    this.busy.set(region, inUse + 1);
    this.counts.peakConcurrency = Math.max(this.counts.peakConcurrency, inUse + 1);
    return { environment, cold };
  }

  private async run(
    region: string,
    name: string,
    arn: string,
    handler: LambdaHandler,
    event: unknown,
  ): Promise<unknown> {
    let result: unknown;
    let failure: unknown;
    try {
      // A Lambda receives its event as JSON: no shared references with the caller. It is stopped at
      // its configured timeout (virtual time), as Lambda stops it.
      const invocation = invokeScope.run({ fn: name }, () =>
        handler(JSON.parse(JSON.stringify(event ?? null)), this.context(region, name, arn)),
      );
      let timer: number | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = this.ctx.clock.setTimer(this.timeoutMs, () =>
          reject(
            new LambdaFunctionError(
              'Sandbox.Timedout',
              `Task timed out after ${this.timeoutMs / 1000} seconds`,
            ),
          ),
        );
      });
      try {
        result = await Promise.race([invocation, timeout]);
      } finally {
        this.ctx.clock.clearTimer(timer);
      }
    } catch (error: unknown) {
      if (error instanceof LambdaFunctionError && error.name === 'Sandbox.Timedout') {
        // Step Functions reports a function that ran out of time as Lambda.Unknown.
        throw new LambdaFunctionError(
          'Lambda.Unknown',
          `${name} in ${region}: task timed out after ${this.timeoutMs / 1000} s`,
        );
      }
      failure = error;
    }
    // Keep-warm pings never crash: the fault is about the failover's own invokes.
    if (!isKeepWarm(event) && this.ctx.faults.takeCrash(name)) {
      throw new LambdaFunctionError(
        'Lambda.Unknown',
        `${name} in ${region} crashed (sandbox fault: lambda-crash)`,
      );
    }
    if (failure !== undefined) {
      const error = failure instanceof Error ? failure : new Error(String(failure));
      throw new LambdaFunctionError(error.name, error.message);
    }
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  }

  /**
   * The invoke's context. It has no `getRemainingTimeInMillis`: middy reads it to arm a *real*
   * timer (node:timers) that aborts the handler with a TimeoutError, which on a loaded machine
   * fired on handlers that had taken no virtual time at all. The function's timeout is enforced
   * here instead, in virtual time; no step reads its remaining time.
   */
  private context(region: string, name: string, arn: string): Context {
    const context: Omit<Context, 'getRemainingTimeInMillis'> = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: `switchyard-${name}`,
      functionVersion: '$LATEST',
      invokedFunctionArn: arn,
      memoryLimitInMB: '512',
      awsRequestId: `sandbox-${region}-${++this.requestSeq}`,
      logGroupName: `/aws/lambda/switchyard-${name}`,
      logStreamName: `sandbox/${region}`,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    return context as Context;
  }
}

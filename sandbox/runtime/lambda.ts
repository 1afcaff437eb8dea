import type { Context } from 'aws-lambda';
import { isKeepWarm } from '../../functions/handlers/keep-warm.js';
import type { VirtualClock } from '../clock.js';
import type { FaultSet } from '../faults.js';
import type { LatencyProfile } from '../latency.js';

/** The documentation account the sandbox's ARNs use. */
export const SANDBOX_ACCOUNT = '111111111111';

/** A Lambda function's code: the exported middy handler of one of `functions/handlers/`. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Each function's timeout in virtual ms, as CDK deploys it (infra/constructs/control-plane-function.ts). */
export const FUNCTION_TIMEOUT_MS = 30_000;

/** A function stays warm this long after an invoke (AWS keeps idle environments for minutes). */
const WARM_FOR_MS = 10 * 60_000;

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
 * modelled cold or warm invoke cost in virtual time. A region that is down runs nothing until it
 * is back (its Step Functions executions pause, as they would). The `lambda-crash` fault makes an
 * invoke crash after the handler ran, the hard case for idempotency: its effects happened, but
 * Step Functions sees `Lambda.Unknown` and retries.
 */
export class LambdaRuntime {
  private readonly handlers = new Map<string, LambdaHandler>();
  private readonly lastInvoke = new Map<string, number>();
  private readonly waiting: (() => void)[] = [];
  private requestSeq = 0;

  private readonly timeoutMs: number;

  /**
   * @param ctx.timeoutMs each function's timeout in virtual ms (default {@link FUNCTION_TIMEOUT_MS},
   *   as deployed); tests shorten it.
   */
  constructor(
    private readonly ctx: {
      clock: VirtualClock;
      latency: LatencyProfile;
      faults: FaultSet;
      timeoutMs?: number;
    },
  ) {
    this.timeoutMs = ctx.timeoutMs ?? FUNCTION_TIMEOUT_MS;
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
   */
  keepWarm(event: unknown, minutes: number): void {
    for (const arn of this.handlers.keys()) this.lastInvoke.set(arn, this.ctx.clock.now());
    const ping = () => {
      for (const arn of this.handlers.keys()) {
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
    const last = this.lastInvoke.get(arn);
    const cold = last === undefined || clock.now() - last > WARM_FOR_MS;
    await clock.sleep(cold ? latency.lambda.coldInvokeMs : latency.lambda.warmInvokeMs);
    this.lastInvoke.set(arn, clock.now());

    let result: unknown;
    let failure: unknown;
    try {
      // A Lambda receives its event as JSON: no shared references with the caller. It is stopped at
      // its configured timeout (virtual time), as Lambda stops it.
      const invocation = handler(JSON.parse(JSON.stringify(event ?? null)), this.context(region, name, arn));
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

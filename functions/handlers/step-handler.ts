import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { RunbookDeps } from '../runbook/context.js';
import { lambdaRunbookDeps } from './deps.js';
import { isKeepWarm } from './keep-warm.js';
import { createObservability, type Observability, stepObservability } from './observability.js';
import type { FunctionName } from './registry.js';

export type UseCase<O> = (input: unknown, deps: RunbookDeps) => Promise<O>;
export type Handler<O> = (event: unknown, context: Context) => Promise<O>;

/**
 * A runbook step's Lambda entry: middy with observability around one use case. `makeHandler`
 * binds it to explicit deps (the sandbox's, per region); `handler` is what Lambda invokes, bound on
 * first use to the deps its environment describes. Keep-warm pings are answered at once.
 */
export function stepHandler<O>(name: FunctionName, useCase: UseCase<O>) {
  const makeHandler = (
    deps: RunbookDeps,
    observability: Observability = createObservability(name),
  ): Handler<O> => {
    const handle = middy<unknown, O>()
      .use(stepObservability(name, observability, deps.clock))
      .handler((event) => useCase(event, deps));
    // A keep-warm ping only warms the environment: no use case, no logs, no metrics.
    return (event, context) =>
      isKeepWarm(event) ? Promise.resolve({ warm: true } as O) : handle(event, context);
  };
  let bound: Handler<O> | undefined;
  const handler: Handler<O> = (event, context) => {
    bound ??= makeHandler(lambdaRunbookDeps());
    return bound(event, context);
  };
  return { makeHandler, handler };
}

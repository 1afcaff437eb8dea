import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { RunbookDeps } from '../runbook/context.js';
import { lambdaRunbookDeps } from './deps.js';
import { createObservability, type Observability, stepObservability } from './observability.js';
import type { FunctionName } from './registry.js';

export type UseCase<O> = (input: unknown, deps: RunbookDeps) => Promise<O>;
export type Handler<O> = (event: unknown, context: Context) => Promise<O>;

/**
 * A runbook step's Lambda entry: middy with observability around one use case. `makeHandler`
 * binds it to explicit deps (the sandbox's, per region); `handler` is what Lambda invokes, bound on
 * first use to the deps its environment describes.
 */
export function stepHandler<O>(name: FunctionName, useCase: UseCase<O>) {
  const makeHandler = (
    deps: RunbookDeps,
    observability: Observability = createObservability(name),
  ): Handler<O> =>
    middy<unknown, O>()
      .use(stepObservability(name, observability, deps.clock))
      .handler((event) => useCase(event, deps));
  let bound: Handler<O> | undefined;
  const handler: Handler<O> = (event, context) => {
    bound ??= makeHandler(lambdaRunbookDeps());
    return bound(event, context);
  };
  return { makeHandler, handler };
}

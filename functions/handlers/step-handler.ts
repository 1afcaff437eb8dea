import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { RunbookDeps } from '../runbook/context.js';
import { type ControlPlaneConfig, lambdaControlPlane } from './control-plane.js';
import { isKeepWarm } from './keep-warm.js';
import { createObservability, type Observability, stepObservability } from './observability.js';
import type { FunctionName } from './registry.js';

/** A use case: its input (parsed inside), the ports it takes, its output. */
export type UseCase<D, O> = (input: unknown, deps: D) => Promise<O>;
export type Handler<O> = (event: unknown, context: Context) => Promise<O>;

/**
 * A runbook step's Lambda entry: middy with observability around one use case. `makeHandler`
 * binds it to explicit deps (the sandbox's, per region: every port); `handler` is what Lambda
 * invokes, bound on first use to the ports `compose` builds from its environment: only those the
 * use case takes, so the function's bundle carries only their adapters and SDK clients. Keep-warm
 * pings are answered at once.
 */
export function stepHandler<D extends Pick<RunbookDeps, 'clock'>, O>(
  name: FunctionName,
  useCase: UseCase<D, O>,
  compose: (config: ControlPlaneConfig) => D,
) {
  const makeHandler = (deps: D, observability: Observability = createObservability(name)): Handler<O> => {
    const handle = middy<unknown, O>()
      .use(stepObservability(name, observability, deps.clock))
      .handler((event) => useCase(event, deps));
    // A keep-warm ping only warms the environment: no use case, no logs, no metrics.
    return (event, context) =>
      isKeepWarm(event) ? Promise.resolve({ warm: true } as O) : handle(event, context);
  };
  let bound: Handler<O> | undefined;
  const handler: Handler<O> = (event, context) => {
    bound ??= makeHandler(compose(lambdaControlPlane()));
    return bound(event, context);
  };
  return { makeHandler, handler };
}

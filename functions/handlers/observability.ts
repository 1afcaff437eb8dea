import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type middy from '@middy/core';
import type { Clock } from '../core/clock.js';

/** One Logger and one Metrics per function (docs/code-style.md): static messages, values in keys. */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function createObservability(step: string): Observability {
  return {
    logger: new Logger({ serviceName: 'switchyard', persistentKeys: { function: step } }),
    metrics: new Metrics({ namespace: 'Switchyard', serviceName: 'switchyard' }),
  };
}

/** The keys every log line of a runbook step carries (docs/code-style.md). */
function runKeys(event: unknown, step: string): Record<string, string> {
  const run =
    (event as { run?: Record<string, unknown>; state?: { run?: Record<string, unknown> } } | null)?.run ??
    (event as { state?: { run?: Record<string, unknown> } } | null)?.state?.run;
  const keys: Record<string, string> = { step };
  if (run) {
    for (const [key, field] of [
      ['execution_id', 'executionId'],
      ['app', 'app'],
      ['source_region', 'from'],
      ['target_region', 'to'],
    ] as const) {
      if (typeof run[field] === 'string') keys[key] = run[field] as string;
    }
  }
  return keys;
}

/**
 * Logger context and keys, one metric per step outcome and its duration, and the outcome logged
 * with the error's name (the API Step Functions routes on).
 */
export function stepObservability(
  step: string,
  { logger, metrics }: Observability,
  clock: Clock,
): middy.MiddlewareObj[] {
  let startedAt = 0;
  const outcome: middy.MiddlewareObj = {
    before: (request) => {
      startedAt = clock.now();
      logger.appendKeys(runKeys(request.event, step));
      logger.info('Step started');
    },
    after: () => {
      metrics.addMetric(`${step}Succeeded`, MetricUnit.Count, 1);
      metrics.addMetric(`${step}Duration`, MetricUnit.Milliseconds, clock.now() - startedAt);
      logger.info('Step succeeded', { duration_ms: clock.now() - startedAt });
    },
    onError: (request) => {
      const error = request.error;
      metrics.addMetric(`${step}Failed`, MetricUnit.Count, 1);
      logger.warn('Step failed', {
        error_name: error?.name,
        error_message: error?.message,
        duration_ms: clock.now() - startedAt,
      });
    },
  };
  return [injectLambdaContext(logger, { resetKeys: true }), logMetrics(metrics), outcome];
}

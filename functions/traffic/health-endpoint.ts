import { describeError } from '../core/errors.js';
import { initialPrimary } from '../core/plan-queries.js';
import type { RunbookDeps } from '../runbook/context.js';

/** What a health endpoint answers: an HTTP status and a short plain-text body saying why. */
export interface HealthAnswer {
  /** 200 when the region asked about is the one users are to be sent to; 503 or 404 otherwise. */
  readonly statusCode: 200 | 404 | 503;
  readonly body: string;
}

/** The path Route 53's checkers request of a region's endpoint: `/<app>/<region asked about>`. */
export function healthPath(app: string, region: string): string {
  return `/${app}/${region}`;
}

/**
 * The health endpoint of the health-checks traffic method (one Lambda function URL per region):
 * `GET /<app>/<region>` answers 200 while this region's replica of the state table names
 * `region` in the app's traffic switch (the plan's first region when it was never written), 503
 * otherwise, and 503 when the read fails: under MRSC a strongly consistent read fails in a replica
 * cut off from the majority, and unknown is never healthy. Route 53 counts 2xx and 3xx as healthy
 * (Route 53 API Reference, HealthCheckConfig, Type HTTPS:
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html).
 * An app or region the plans do not have is a 404 that says what was expected.
 */
export async function answerHealth(
  path: string,
  deps: Pick<RunbookDeps, 'plans' | 'traffic'>,
): Promise<HealthAnswer> {
  const [app = '', region = '', ...rest] = path.replace(/^\/+|\/+$/g, '').split('/');
  const plan = deps.plans.list().find((p) => p.name === app);
  if (!plan || rest.length > 0 || !plan.regions.includes(region as never)) {
    const apps = deps.plans
      .list()
      .filter((p) => p.traffic.route53?.method === 'health-checks')
      .map((p) => healthPath(p.name, p.regions.join('|')));
    return {
      statusCode: 404,
      body: `no such health path: got ${path}; expected /<app>/<region> of a plan (${apps.join(', ') || 'none use health-checks'})`,
    };
  }
  try {
    const state = await deps.traffic.get(plan.name);
    const active = state?.region ?? initialPrimary(plan);
    return active === region
      ? { statusCode: 200, body: `${plan.name}: traffic goes to ${region}` }
      : { statusCode: 503, body: `${plan.name}: traffic goes to ${active}, not ${region}` };
  } catch (error: unknown) {
    const { name, message } = describeError(error);
    return {
      statusCode: 503,
      body: `${plan.name}: the traffic switch could not be read (${name}: ${message})`,
    };
  }
}

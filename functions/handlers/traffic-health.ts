import { trafficSwitch } from '../aws/traffic-switch.js';
import type { RunbookDeps } from '../runbook/context.js';
import { answerHealth } from '../traffic/health-endpoint.js';
import { coreDeps, lambdaControlPlane } from './control-plane.js';

/** The logical name of the health endpoint function (CDK construct ID, `Switchyard-<name>`). */
export const TRAFFIC_HEALTH_FUNCTION = 'TrafficHealth';

/** The part of a Lambda function URL request (payload format 2.0) the endpoint reads. */
interface FunctionUrlRequest {
  readonly rawPath?: string;
}

/**
 * Its ports, composed at the first request: the plans and the traffic switch (one GetItem), so its
 * bundle carries the DynamoDB client and no other (docs/architecture.md, "Bundles").
 */
let deps: Pick<RunbookDeps, 'plans' | 'traffic'> | undefined;

function healthDeps(): Pick<RunbookDeps, 'plans' | 'traffic'> {
  if (!deps) {
    const config = lambdaControlPlane();
    deps = { ...coreDeps(config), traffic: trafficSwitch(config) };
  }
  return deps;
}

/**
 * The health endpoint of the health-checks traffic method, behind this region's Lambda function
 * URL: Route 53's checkers request `/<app>/<region>`; it answers from this region's replica of the
 * state table (functions/traffic/health-endpoint.ts). Not a runbook step: no keep-warm, no ASL.
 */
export async function handler(
  event: FunctionUrlRequest,
): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  const answer = await answerHealth(typeof event.rawPath === 'string' ? event.rawPath : '/', healthDeps());
  return {
    statusCode: answer.statusCode,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body: answer.body,
  };
}

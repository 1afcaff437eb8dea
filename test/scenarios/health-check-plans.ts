import { readFile } from 'node:fs/promises';
import type { Plan } from '../../functions/core/plan.js';
import { parsePlans } from '../../functions/core/plan-loader.js';

/**
 * The example plans with `billing` moving traffic by health checks
 * (`traffic.route53.method: health-checks`), for the health-checks scenario tests. `healthChecks`
 * is inserted as given (YAML flow text, e.g. `{ intervalSeconds: 10, failureThreshold: 3 }`), or
 * left to the plan's defaults.
 */
export async function healthCheckPlans(healthChecks?: string): Promise<Plan[]> {
  const zone = '    hostedZoneId: Z0123456789ABCDEFGHIJ\n';
  const method = `${zone}    method: health-checks\n${healthChecks ? `    healthChecks: ${healthChecks}\n` : ''}`;
  return parsePlans(
    await Promise.all(
      ['orders.yaml', 'billing.yaml'].map(async (file) => {
        const text = await readFile(`plans/${file}`, 'utf8');
        return { file, text: file === 'billing.yaml' ? text.replace(zone, method) : text };
      }),
    ),
  );
}

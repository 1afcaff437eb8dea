import { readFileSync } from 'node:fs';
import type { Plan } from '../functions/core/plan.js';
import { parsePlans } from '../functions/core/plan-loader.js';

/** The plans generated apps copy: warm standby with ARC routing controls, or pilot light with Route 53 records. */
const TEMPLATES = { orders: 'plans/orders.yaml', billing: 'plans/billing.yaml' } as const;

/**
 * `count` plans copied from `plans/orders.yaml` (or `plans/billing.yaml`: its records share the
 * one hosted zone) as apps `app1`..`appN`: every name and AWS
 * resource (clusters, groups, records, alarms, routing controls) made unique, as the plan rules
 * require, and operator failovers without an approver so that a scenario needs no approvals.
 * Validated by the same rules as the plans directory.
 */
export function generatedPlans(count: number, from: keyof typeof TEMPLATES = 'orders'): Plan[] {
  const template = readFileSync(TEMPLATES[from], 'utf8');
  const sources = Array.from({ length: count }, (_, index) => {
    const app = `app${index + 1}`;
    const hex = (index + 1).toString(16).padStart(16, '0');
    const text = template
      .replaceAll(from, app)
      .replace(/routingcontrol\/a1b2c3d4e5f6a7b8/, `routingcontrol/a${hex.slice(1)}`)
      .replace(/routingcontrol\/b2c3d4e5f6a7b8c9/, `routingcontrol/b${hex.slice(1)}`)
      .replace('operatorFailover: required', 'operatorFailover: none');
    return { file: `generated/${app}.yaml`, text };
  });
  return parsePlans(sources, 'generated');
}

import { describeError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { isKnown, type Seen } from '../observer/observe.js';
import type { RunbookDeps } from '../runbook/context.js';
import type { HealthCheckView } from '../runbook/ports/route53.js';
import { healthPath } from '../traffic/health-endpoint.js';
import type { ReadinessCheck, ReadinessFinding } from './checks.js';

/**
 * Readiness of the health-checks traffic method's Route 53 side (docs/architecture.md, "Traffic by
 * health checks"): the failover records and the health checks they rely on exist and agree with
 * what the global CDK stack (`infra/traffic-stack.ts`) creates. Read from AWS, never from what we
 * deployed: the records name the checks Route 53 actually uses, so the checks are found through
 * them (the plan names no health check ID).
 *
 * These are Route 53 control-plane reads (ListResourceRecordSets, GetHealthCheck), served from
 * us-east-1 only: when they fail the result is unknown, a warning, never "missing". They are made
 * by the scheduled and on-demand evaluations only, never by a failover's dry run or Preflight, so
 * that a failover makes no Route 53 API call.
 */

/** What one read of a plan's records and checks found wrong; empty when all agree. */
export interface HealthCheckIssue {
  readonly code: 'HEALTH_CHECK_MISSING' | 'HEALTH_CHECK_DISAGREES';
  /** The record or health check it is about. */
  readonly resource: string;
  /** What was got and what was expected. */
  readonly message: string;
}

/** Lambda function URL hosts: `<url-id>.lambda-url.<region>.on.aws` (Lambda Developer Guide, function URLs). */
const FUNCTION_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws\.?$/;

/**
 * Reads the plan's failover records and, through them, every calculated check and its child
 * endpoint checks, and says what is missing or disagrees: per plan region S, record S (PRIMARY for
 * the plan's first region, SECONDARY for the second) carries a CALCULATED check with
 * `HealthThreshold: 1` over one HTTPS check per plan region E, of E's health endpoint (a Lambda
 * function URL in E) on port 443 at `/<app>/S`. Undefined for a plan of another traffic method.
 * Unknown when a read fails (NoSuchHealthCheck is not a failure: it is a missing check).
 */
export async function readHealthChecks(
  plan: Plan,
  deps: Pick<RunbookDeps, 'route53'>,
): Promise<Seen<readonly HealthCheckIssue[]> | undefined> {
  const route53 = plan.traffic.route53;
  if (route53?.method !== 'health-checks') return undefined;
  const checks = new Map<string, Promise<HealthCheckView | undefined>>();
  const get = (id: string) => {
    let read = checks.get(id);
    if (!read) {
      read = deps.route53.getHealthCheck(id);
      checks.set(id, read);
    }
    return read;
  };
  const issues: HealthCheckIssue[] = [];
  const missing = (resource: string, message: string) =>
    issues.push({ code: 'HEALTH_CHECK_MISSING', resource, message });
  const disagrees = (resource: string, message: string) =>
    issues.push({ code: 'HEALTH_CHECK_DISAGREES', resource, message });
  try {
    // Per plan region S, the calculated check IDs its records carry.
    const calculatedOf = new Map<string, Set<string>>();
    for (const record of route53.records) {
      const sets = await deps.route53.listFailoverRecords(route53.hostedZoneId, record.name, record.type);
      for (const [i, region] of plan.regions.entries()) {
        const resource = `${record.name} ${record.type} ${region}`;
        const expected = i === 0 ? 'PRIMARY' : 'SECONDARY';
        const set = sets.find((s) => s.setIdentifier === region);
        if (!set) {
          missing(
            resource,
            `no failover record for ${region} (got set identifier(s) ${sets.map((s) => s.setIdentifier).join(', ') || 'none'}; expected the ${expected} record the Switchyard-Traffic stack creates)`,
          );
          continue;
        }
        if (set.failover !== expected)
          disagrees(
            resource,
            `the record is ${set.failover} (expected ${expected}: the plan's ${i === 0 ? 'first' : 'second'} region)`,
          );
        if (set.aliasTarget?.evaluateTargetHealth)
          disagrees(
            resource,
            'the alias evaluates its target health (got EvaluateTargetHealth true; expected false: a region short of capacity would make both records unhealthy, and Route 53 then answers the PRIMARY)',
          );
        if (!set.healthCheckId) {
          missing(
            resource,
            `the record carries no health check (expected the calculated check of ${region})`,
          );
          continue;
        }
        calculatedOf.set(region, (calculatedOf.get(region) ?? new Set()).add(set.healthCheckId));
      }
    }
    for (const [subject, ids] of calculatedOf)
      for (const id of ids) await checkCalculated(plan, subject, id, get, missing, disagrees);
  } catch (error: unknown) {
    const { name, message } = describeError(error);
    return { unknown: `Route 53 records and health checks (control plane, us-east-1): ${name}: ${message}` };
  }
  return issues;
}

async function checkCalculated(
  plan: Plan,
  subject: string,
  id: string,
  get: (id: string) => Promise<HealthCheckView | undefined>,
  missing: (resource: string, message: string) => void,
  disagrees: (resource: string, message: string) => void,
): Promise<void> {
  const resource = `health check ${id} (${subject}'s record)`;
  const check = await get(id);
  if (!check)
    return missing(
      resource,
      `Route 53 has no health check ${id} (got NoSuchHealthCheck; expected the calculated check of ${subject})`,
    );
  if (check.type !== 'CALCULATED')
    return disagrees(resource, `type ${check.type} (expected CALCULATED over every region's endpoint check)`);
  if (check.healthThreshold !== 1)
    disagrees(
      resource,
      `HealthThreshold ${check.healthThreshold ?? 'none'} (expected 1: any region that still answers vouches for the active one)`,
    );
  const children = check.childHealthChecks ?? [];
  const path = healthPath(plan.name, subject);
  const endpointRegions = new Set<string>();
  let absent = false;
  for (const child of await Promise.all(children.map(async (c) => [c, await get(c)] as const))) {
    const [childId, view] = child;
    const childResource = `health check ${childId} (child of ${id})`;
    if (!view) {
      absent = true;
      missing(
        childResource,
        `Route 53 has no health check ${childId} (got NoSuchHealthCheck; expected an HTTPS check of a region's endpoint at ${path})`,
      );
      continue;
    }
    const region = FUNCTION_URL_HOST.exec(view.fqdn ?? '')?.[1];
    const wrong = [
      view.type !== 'HTTPS' ? `type ${view.type} (expected HTTPS)` : undefined,
      view.port !== undefined && view.port !== 443 ? `port ${view.port} (expected 443)` : undefined,
      view.resourcePath !== path ? `path ${view.resourcePath ?? 'none'} (expected ${path})` : undefined,
      region === undefined || !plan.regions.includes(region as never)
        ? `host ${view.fqdn ?? 'none'} (expected a Lambda function URL in one of ${plan.regions.join(', ')})`
        : undefined,
    ].filter((w): w is string => w !== undefined);
    if (wrong.length > 0) disagrees(childResource, `it requests ${wrong.join(', ')}`);
    else if (region) endpointRegions.add(region);
  }
  // A missing child is said above; otherwise, name the regions no child asks.
  const unasked = plan.regions.filter((r) => !endpointRegions.has(r));
  if (unasked.length > 0 && !absent)
    missing(
      resource,
      `no endpoint check of ${unasked.join(', ')} among its ${children.length} child check(s) (expected one HTTPS check per plan region asking ${path})`,
    );
}

const finding = (severity: ReadinessFinding['severity'], issue: HealthCheckIssue): ReadinessFinding => ({
  code: issue.code,
  severity,
  resource: issue.resource,
  message: issue.message,
});

/**
 * The health-checks method's Route 53 records and checks exist and agree (see
 * {@link readHealthChecks}): a missing or disagreeing one is blocking, whatever the mode (the
 * method cannot move traffic reliably without it); unreadable is `HEALTH_CHECK_UNKNOWN`, a warning.
 */
export const healthChecksExist: ReadinessCheck = ({ plan, healthChecks }) => {
  if (healthChecks === undefined) return [];
  if (!isKnown(healthChecks))
    return [
      {
        code: 'HEALTH_CHECK_UNKNOWN',
        severity: 'warning',
        resource: `${plan.name} health checks`,
        message: `cannot tell whether the failover records' health checks exist: unknown (got: ${healthChecks.unknown}; expected Route 53's API in us-east-1 to answer)`,
      },
    ];
  return healthChecks.map((issue) => finding('blocking', issue));
};

import type { PlanState } from '../core/records.js';
import type { Seen } from '../observer/observe.js';
import type { ReconcileMark } from '../runbook/ports/reconcile-marks.js';

// How often the reconciler's scheduled pass makes the reads it can space out (docs/architecture.md,
// "The reconciler"): the target groups' health of a steady app. Its DNS questions are spaced by
// the DNS adapter's sample (functions/runbook/ports/dns.ts, DnsSample).

/**
 * How often a scheduled pass reads the target groups' health of an app that is steady, in passes:
 * each app at its own turn, one in five (every 5 minutes, readiness's cadence).
 */
export const TARGET_HEALTH_EVERY_PASSES = 5;

/**
 * Whether a scheduled pass reads DescribeTargetHealth for the groups it weighs in `region`: always
 * unless the app is steady, that is recorded ACTIVE in `region`, where users are sent (`traffic`,
 * as observed), with no finding in progress (`mark`, its reconcile mark as the pass read it: read
 * and clear; absent: not read); a steady app at its turn, one pass in
 * {@link TARGET_HEALTH_EVERY_PASSES}. Between, Auto Scaling's own answer (read every pass) stands
 * for it: with the group's ELB health checks, Auto Scaling "considers the instance unhealthy if it
 * fails either the EC2 status checks or the load balancer health checks" once its grace period is
 * over (AWS CDK API Reference, aws-autoscaling `HealthCheck.elb`,
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_autoscaling.HealthCheck.html; "Set
 * the health check grace period for an Auto Scaling group",
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html). What
 * only the load balancer sees (an instance within its grace period, a group without ELB health
 * checks) is found at the app's next turn, within five passes; a finding it starts is then read
 * every pass until it settles, and a DEGRADED record is read every pass until it recovers.
 */
export function readsTargetHealth(
  app: string,
  recorded: PlanState,
  mark: { readonly value: ReconcileMark | undefined } | undefined,
  traffic: Seen<string | null>,
  region: string,
  turn: number,
): boolean {
  if (recorded.activeRegion !== region || recorded.status !== 'ACTIVE') return true;
  if (traffic !== region) return true;
  if (mark === undefined || (mark.value !== undefined && mark.value.fingerprint !== '')) return true;
  let spread = 0;
  for (let i = 0; i < app.length; i++)
    spread = (spread * 31 + app.charCodeAt(i)) % TARGET_HEALTH_EVERY_PASSES;
  return (turn + spread) % TARGET_HEALTH_EVERY_PASSES === 0;
}

import { isThrottlingError } from '@smithy/service-error-classification';
import type { SdkError } from '@smithy/types';
import * as z from 'zod';
import { AWS_SERVICES, type AwsService } from '../functions/aws/clients.js';
import { type Plan, RegionName } from '../functions/core/plan.js';
import { FUNCTIONS } from '../functions/handlers/registry.js';
import { sandboxTableTopology, tableRegions } from './aws/dynamodb-mrsc.js';

/** The fault kinds of docs/contracts.md, as a scenario file or the sandbox API gives them. */
export const FaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('region-outage'), region: RegionName }),
  z.strictObject({ kind: z.literal('route53-control-plane-down') }),
  /**
   * Change batches submitted while it is in force stay PENDING `seconds` (virtual) longer, and keep
   * their zone busy: at most a day, as `replication-lag`'s `lagSeconds` (1e308 used to pass, a zone
   * busy until Infinity).
   */
  z.strictObject({ kind: z.literal('route53-change-stuck'), seconds: z.number().positive().max(86_400) }),
  /**
   * `count` endpoints of every ARC cluster stop answering: at most 2, as "ARC ensures that at least
   * three out of the five Regional cluster endpoints are always accessible" (ARC Developer Guide,
   * "Getting and updating routing control states using the ARC API",
   * https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.update.api.html).
   */
  z.strictObject({ kind: z.literal('arc-endpoints-down'), count: z.number().int().min(1).max(2) }),
  /**
   * Beyond AWS's promise: `endpointsDown` (3 to 5) endpoints of every ARC cluster stop answering;
   * the cluster has lost its majority, so the endpoints left answer reads but refuse updates.
   */
  z.strictObject({
    kind: z.literal('arc-cluster-unavailable'),
    endpointsDown: z.number().int().min(3).max(5).default(5),
  }),
  z.strictObject({
    kind: z.literal('api-errors'),
    service: z.enum(AWS_SERVICES),
    region: RegionName.optional(),
    error: z
      .string()
      .regex(/^[A-Za-z]+$/, 'an AWS error code such as ThrottlingException')
      .default('ThrottlingException'),
    rate: z.number().min(0).max(1).default(1),
    /** Only this API operation (e.g. `GetChange`); absent: every operation of the service. */
    operation: z
      .string()
      .regex(/^[A-Z][A-Za-z]+$/, 'an API operation name such as SwitchoverGlobalCluster')
      .optional(),
  }),
  z.strictObject({ kind: z.literal('aurora-failover-fails'), globalClusterId: z.string().min(1) }),
  /**
   * Every secondary of the global cluster lags this far behind its writer (instead of the latency
   * profile's steady lag): a failover loses that much, and a switchover waits that long for the
   * secondaries to catch up before the roles change.
   */
  z.strictObject({
    kind: z.literal('replication-lag'),
    globalClusterId: z.string().min(1),
    lagSeconds: z.number().positive().max(86_400),
  }),
  /**
   * The member cluster of the global cluster in `region` runs another engine version than the
   * others: AWS refuses a managed switchover or failover between it and the rest (detach still
   * works: the manual failover).
   */
  z.strictObject({
    kind: z.literal('engine-version-mismatch'),
    globalClusterId: z.string().min(1),
    region: RegionName,
  }),
  z.strictObject({
    kind: z.literal('capacity-shortage'),
    group: z.string().min(1),
    maxInService: z.number().int().nonnegative(),
  }),
  /**
   * A partial impairment between Route 53's health checkers and a region: the checkers of the
   * first `count` checker regions (Route 53's default list, sandbox/aws/route53-health.ts) cannot
   * reach endpoints in `region`, the others can. Checkers then disagree; the endpoint stays
   * healthy while more than 18% of them see it so.
   */
  z.strictObject({
    kind: z.literal('checkers-blocked'),
    region: RegionName,
    count: z.number().int().min(1).max(8),
  }),
  z.strictObject({
    kind: z.literal('instances-unhealthy'),
    group: z.string().min(1),
    /**
     * `health-check` (default): instances reach InService but never pass the load balancer's health
     * checks. `lifecycle-hook`: a launch lifecycle hook is never completed, so instances stop at
     * `Pending:Wait` (and pool launches at `Warmed:Pending:Wait`).
     */
    cause: z.enum(['health-check', 'lifecycle-hook']).default('health-check'),
  }),
  z.strictObject({
    /**
     * The events AWS services emit to EventBridge (RDS's, here) are not delivered: "Amazon RDS
     * emits events on a best effort basis" (Aurora User Guide, "Monitoring Amazon Aurora events"),
     * and a rule can be disabled. Parked runbook steps then end their wait on its timeout (the
     * poll fallback). `source` limits it to one service's events (e.g. `aws.rds`).
     */
    kind: z.literal('service-events-lost'),
    source: z.string().min(1).optional(),
  }),
  z.strictObject({
    kind: z.literal('lambda-crash'),
    step: z.string().min(1),
    times: z.number().int().positive().default(1),
  }),
]);
export type Fault = z.infer<typeof FaultSchema>;
export type FaultKind = Fault['kind'];

/** Every fault kind, in the order of {@link FaultSchema}: what a refusal lists as valid. */
export const FAULT_KINDS = FaultSchema.options.map((o) => o.shape.kind.value) as [FaultKind, ...FaultKind[]];

/** What a sandbox of a set of plans has, by the fault field that names it. */
export type KnownResources = Readonly<
  Record<'region' | 'group' | 'globalClusterId' | 'step', ReadonlySet<string>>
>;

/**
 * The regions (the plans', and the state table's witness), Auto Scaling groups, global clusters
 * and functions of `plans`' sandbox.
 */
export function knownResources(plans: readonly Plan[]): KnownResources {
  return {
    region: new Set(tableRegions(sandboxTableTopology(plans.flatMap((p) => p.regions)))),
    group: new Set(
      plans.flatMap((p) => (p.compute?.autoScalingGroups ?? []).flatMap((g) => Object.values(g.members))),
    ),
    globalClusterId: new Set(
      plans.flatMap((p) => (p.database?.auroraGlobalClusters ?? []).map((c) => c.globalClusterId)),
    ),
    step: new Set<string>(FUNCTIONS.map((f) => f.name)),
  };
}

const FIELD_WHAT: Record<keyof KnownResources, string> = {
  region: 'region',
  group: 'Auto Scaling group',
  globalClusterId: 'global cluster',
  step: 'function',
};

/** A field of a fault that names something the sandbox does not have. */
export interface ReferenceProblem {
  /** The fault's field: `region`, `group`, `globalClusterId` or `step`. */
  readonly path: string;
  /** `no region eu-west-1 in this sandbox's plans`. */
  readonly message: string;
  /** The value, JSON: `"eu-west-1"`. */
  readonly got: string;
  /** `one of us-east-1, us-east-2, us-west-2`. */
  readonly expected: string;
}

/**
 * What a fault (or a fault to clear) names that the sandbox does not have, one problem per field
 * (`region`: no region eu-west-1 in this sandbox's plans, got "eu-west-1", expected one of
 * us-east-1, us-east-2, us-west-2). Such a fault would test nothing. Fields are checked by name,
 * so every kind that names a region, group, global cluster or step is checked the same way. Empty
 * when everything named exists.
 */
export function referenceProblems(
  fault: Readonly<Record<string, unknown>>,
  known: KnownResources,
): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  for (const field of Object.keys(FIELD_WHAT) as (keyof KnownResources)[]) {
    const value = fault[field];
    if (typeof value !== 'string' || known[field].has(value)) continue;
    problems.push({
      path: field,
      message: `no ${FIELD_WHAT[field]} ${value} in this sandbox's plans`,
      got: JSON.stringify(value),
      expected: `one of ${[...known[field]].sort().join(', ') || 'none'}`,
    });
  }
  return problems;
}

/** A {@link ReferenceProblem} as one line: `region: no region x in this sandbox's plans (expected one of ...)`. */
export function referenceLine(problem: ReferenceProblem): string {
  return `${problem.path}: ${problem.message} (expected ${problem.expected})`;
}

/** A fault to clear: `all`, every fault of a kind, or one fault (the same fields as when set). */
export const ClearSchema = z.union([z.literal('all'), z.looseObject({ kind: z.enum(FAULT_KINDS) })]);
export type FaultClear = z.infer<typeof ClearSchema>;

/**
 * The faults in force. Services and the simulator ask it questions; the scenario runner and the
 * sandbox API set and clear faults. Listeners hear every change (the ground truth re-evaluates).
 */
export class FaultSet {
  private faults: Fault[] = [];
  private readonly listeners: (() => void)[] = [];
  /** Remaining crashes per step name, consumed by the Lambda runtime. */
  private readonly crashes = new Map<string, number>();

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  list(): readonly Fault[] {
    return this.faults;
  }

  add(fault: Fault): void {
    if (fault.kind === 'lambda-crash') {
      this.crashes.set(fault.step, (this.crashes.get(fault.step) ?? 0) + fault.times);
    }
    this.faults.push(fault);
    this.notify();
  }

  clear(what: FaultClear): number {
    const before = this.faults.length;
    if (what === 'all') {
      this.faults = [];
      this.crashes.clear();
    } else {
      const matches = (f: Fault) =>
        f.kind === what.kind &&
        Object.entries(what).every(([k, v]) => (f as Record<string, unknown>)[k] === v);
      this.faults = this.faults.filter((f) => !matches(f));
      if (what.kind === 'lambda-crash') {
        const step = typeof what.step === 'string' ? what.step : undefined;
        if (step) this.crashes.delete(step);
        else this.crashes.clear();
      }
    }
    this.notify();
    return before - this.faults.length;
  }

  isRegionDown(region: string): boolean {
    return this.faults.some((f) => f.kind === 'region-outage' && f.region === region);
  }

  downRegions(): string[] {
    return this.faults.flatMap((f) => (f.kind === 'region-outage' ? [f.region] : []));
  }

  /** How many checker regions (first of Route 53's list) cannot reach endpoints in `region`. */
  checkersBlocked(region: string): number {
    return this.faults.reduce(
      (n, f) => (f.kind === 'checkers-blocked' && f.region === region ? Math.max(n, f.count) : n),
      0,
    );
  }

  isRoute53ControlPlaneDown(): boolean {
    return this.faults.some((f) => f.kind === 'route53-control-plane-down');
  }

  /** How many ARC cluster endpoints are down by fault (the most of any such fault). */
  arcEndpointsDown(): number {
    return this.faults.reduce(
      (n, f) =>
        f.kind === 'arc-endpoints-down'
          ? Math.max(n, f.count)
          : f.kind === 'arc-cluster-unavailable'
            ? Math.max(n, f.endpointsDown)
            : n,
      0,
    );
  }

  /** Whether ARC clusters have lost their majority (`arc-cluster-unavailable`): no update commits. */
  arcQuorumLost(): boolean {
    return this.faults.some((f) => f.kind === 'arc-cluster-unavailable');
  }

  /** How much longer (virtual ms) a Route 53 change submitted now stays PENDING. */
  route53ChangeStuckMs(): number {
    return this.faults.reduce(
      (ms, f) => (f.kind === 'route53-change-stuck' ? Math.max(ms, f.seconds * 1000) : ms),
      0,
    );
  }

  /** The error-rate faults that apply to a call. */
  apiErrors(service: AwsService, region: string, operation?: string): { error: string; rate: number }[] {
    return this.faults.flatMap((f) =>
      f.kind === 'api-errors' &&
      f.service === service &&
      (f.region === undefined || f.region === region) &&
      (f.operation === undefined || f.operation === operation)
        ? [{ error: f.error, rate: f.rate }]
        : [],
    );
  }

  auroraFailoverFails(globalClusterId: string): boolean {
    return this.faults.some(
      (f) => f.kind === 'aurora-failover-fails' && f.globalClusterId === globalClusterId,
    );
  }

  /** The replication lag a `replication-lag` fault imposes on a global cluster, in ms (the largest). */
  replicationLagMs(globalClusterId: string): number | undefined {
    const lags = this.faults.flatMap((f) =>
      f.kind === 'replication-lag' && f.globalClusterId === globalClusterId ? [f.lagSeconds * 1000] : [],
    );
    return lags.length > 0 ? Math.max(...lags) : undefined;
  }

  /** Whether the global cluster's member in `region` runs a mismatched engine version. */
  engineVersionMismatch(globalClusterId: string, region: string): boolean {
    return this.faults.some(
      (f) =>
        f.kind === 'engine-version-mismatch' && f.globalClusterId === globalClusterId && f.region === region,
    );
  }

  /** The InService ceiling a capacity shortage puts on a group, if any. */
  capacityLimit(group: string): number | undefined {
    const limits = this.faults.flatMap((f) =>
      f.kind === 'capacity-shortage' && f.group === group ? [f.maxInService] : [],
    );
    return limits.length > 0 ? Math.min(...limits) : undefined;
  }

  /** How a group's launched instances fail to serve under `instances-unhealthy`, if they do. */
  instancesUnhealthy(group: string): 'health-check' | 'lifecycle-hook' | undefined {
    const fault = this.faults.find(
      (f): f is Extract<Fault, { kind: 'instances-unhealthy' }> =>
        f.kind === 'instances-unhealthy' && f.group === group,
    );
    return fault?.cause;
  }

  /** Whether events AWS services emit from `source` (e.g. `aws.rds`) are lost, not delivered. */
  serviceEventsLost(source: string): boolean {
    return this.faults.some((f) => f.kind === 'service-events-lost' && (f.source ?? source) === source);
  }

  /** Consumes one crash of `step`, if any remain: the Lambda runtime then fails that invoke. */
  takeCrash(step: string): boolean {
    const left = this.crashes.get(step) ?? 0;
    if (left <= 0) return false;
    this.crashes.set(step, left - 1);
    return true;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

/**
 * The message AWS sends with an error code, for an `api-errors` fault's injected error (its HTTP
 * status, 400 or 5xx, is `awsError`'s). Throttling codes (as the SDK's own classifier,
 * `isThrottlingError`, names them: `Throttling`, `PriorRequestNotComplete`, ...) say "Rate
 * exceeded", as AWS's APIs answer a throttled call (e.g. RDS's and Auto Scaling's `Throttling`,
 * 400). The others are the texts of
 * AWS's common errors (e.g. https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html:
 * InternalFailure 500 "The request processing has failed because of an unknown error, exception or
 * failure.", ServiceUnavailable 503 "The request has failed due to a temporary failure of the
 * server."); DynamoDB's InternalServerError (500) says "Internal server error"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
 * A code without a known text is answered with the code itself.
 */
export function injectedErrorMessage(code: string): string {
  if (isThrottlingError({ name: code, $metadata: {} } as SdkError)) return 'Rate exceeded';
  return INJECTED_ERROR_MESSAGES[code] ?? code;
}

const INJECTED_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  InternalFailure: 'The request processing has failed because of an unknown error, exception or failure.',
  InternalError: 'The request processing has failed because of an unknown error, exception or failure.',
  InternalServerError: 'Internal server error',
  InternalServerException:
    'The request processing has failed because of an unknown error, exception or failure.',
  ServiceUnavailable: 'The request has failed due to a temporary failure of the server.',
  ServiceUnavailableException: 'The request has failed due to a temporary failure of the server.',
  AccessDeniedException: 'You do not have sufficient access to perform this action.',
  AccessDenied: 'You do not have sufficient access to perform this action.',
  ValidationError: 'The input fails to satisfy the constraints specified by an AWS service.',
  ValidationException: 'The input fails to satisfy the constraints specified by an AWS service.',
};

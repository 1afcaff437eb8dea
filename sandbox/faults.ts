import * as z from 'zod';
import { AWS_SERVICES, type AwsService } from '../functions/aws/clients.js';
import { RegionName } from '../functions/core/plan.js';

/** The fault kinds of docs/contracts.md, as a scenario file or the sandbox API gives them. */
export const FaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('region-outage'), region: RegionName }),
  z.strictObject({ kind: z.literal('route53-control-plane-down') }),
  z.strictObject({ kind: z.literal('arc-endpoints-down'), count: z.number().int().min(1).max(5) }),
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
  z.strictObject({
    kind: z.literal('lambda-crash'),
    step: z.string().min(1),
    times: z.number().int().positive().default(1),
  }),
]);
export type Fault = z.infer<typeof FaultSchema>;
export type FaultKind = Fault['kind'];

/** A fault to clear: `all`, every fault of a kind, or one fault (the same fields as when set). */
export const ClearSchema = z.union([
  z.literal('all'),
  z.looseObject({
    kind: z.enum(FaultSchema.options.map((o) => o.shape.kind.value) as [FaultKind, ...FaultKind[]]),
  }),
]);
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

  isRoute53ControlPlaneDown(): boolean {
    return this.faults.some((f) => f.kind === 'route53-control-plane-down');
  }

  /** How many ARC cluster endpoints are down by fault (the most of any such fault). */
  arcEndpointsDown(): number {
    return this.faults.reduce((n, f) => (f.kind === 'arc-endpoints-down' ? Math.max(n, f.count) : n), 0);
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

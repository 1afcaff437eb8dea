import type { HealthCheckConfig, ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { RoutingControlState } from '@aws-sdk/client-route53-recovery-cluster';
import type { RoutingControlChange } from './arc.js';

// The shapes the Route 53 simulator shares between its parts (route53-core.ts, route53.ts).

/** What Route 53 needs from ARC: routing control states, and a word when one changes. */
export interface RoutingControlSource {
  state(routingControlArn: string): RoutingControlState | undefined;
  onStateChange(listener: (change: RoutingControlChange) => void): void;
}

/**
 * How the sandbox wires the Route 53 model to the rest of the simulated world (targets, ARC,
 * outages, the `checkers-blocked` fault).
 */
export interface Route53Options {
  /**
   * Whether a plan's target in a region answers its health checks now (region up and capacity
   * InService). Route 53's checkers poll it every health check interval.
   */
  readonly targetHealthy: (region: string, planName: string) => boolean;
  /** The ARC model; required when a plan has `traffic.arc` (its RECOVERY_CONTROL health checks). */
  readonly arc?: RoutingControlSource;
  /** Whether a region is down now: its endpoints do not answer, and its checkers do not run. */
  readonly regionDown?: (region: string) => boolean;
  /**
   * Whether checkers in `checkerRegion` reach endpoints in `endpointRegion` now, beyond outages
   * (the `checkers-blocked` fault: a partial impairment in which checkers disagree).
   */
  readonly checkerReaches?: (checkerRegion: string, endpointRegion: string) => boolean;
}

/**
 * A health endpoint of the health-checks traffic method: what region `endpointRegion`'s function
 * URL answers for `path` (HTTP status). Bound by the sandbox once the control planes exist.
 */
export type HealthEndpoint = (endpointRegion: string, path: string) => Promise<number>;

/** One DNS answer for a name and type: the failover record chosen and the region it sends users to. */
export interface DnsAnswer {
  /** The region of the alias target answered; undefined when there is no answer or it is not a plan's target. */
  readonly region: string | undefined;
  readonly setIdentifier?: string;
  /** The alias target's DNS name (fully qualified, lower case). */
  readonly dnsName?: string;
}

/**
 * A hosted zone: the records the API shows and, apart, the records its name servers answer from
 * (a change reaches them only once INSYNC, as in Route 53).
 */
export interface Zone {
  readonly id: string;
  /** The records as the API shows them (latest change applied). */
  records: Map<string, ResourceRecordSet>;
  /** The records the name servers answer from (the latest INSYNC change). */
  published: Map<string, ResourceRecordSet>;
  publishedSeq: number;
}

/**
 * A ChangeResourceRecordSets batch (GetChange's `ChangeInfo`): `seq` orders the zone's changes;
 * `submittedAt` and `insyncAt` are virtual epoch milliseconds; it is PENDING until `insyncAt`, then
 * INSYNC (Amazon Route 53 API Reference, "GetChange",
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html).
 */
export interface ChangeRecord {
  readonly id: string;
  readonly zoneId: string;
  readonly seq: number;
  readonly submittedAt: number;
  readonly insyncAt: number;
  readonly comment: string | undefined;
  /** The zone's records once this change is applied. */
  readonly snapshot: Map<string, ResourceRecordSet>;
}

/**
 * A health check as created (CreateHealthCheck's `HealthCheckConfig`) and what it watches: an
 * endpoint (HTTPS, by DNS name), an ARC routing control (RECOVERY_CONTROL), or other checks
 * (CALCULATED: healthy when at least `threshold` of `children` are).
 */
export interface HealthCheckRecord {
  readonly id: string;
  readonly callerReference: string;
  readonly config: HealthCheckConfig;
  readonly target:
    | { readonly kind: 'endpoint'; readonly dnsName: string }
    | { readonly kind: 'recovery-control'; readonly routingControlArn: string }
    | { readonly kind: 'calculated'; readonly children: readonly string[]; readonly threshold: number };
}

/** A plan region's health check ids. */
export interface RegionChecks {
  /** The HTTPS check of the region's load balancer. */
  endpoint?: string;
  /** With ARC: the RECOVERY_CONTROL check of the region's routing control. */
  recoveryControl?: string;
  /** The health-checks method: the region's CALCULATED check and its per-endpoint HTTPS checks. */
  switch?: { calculated: string; endpoints: string[] };
}

/**
 * The DNS answers for one name and type over virtual time, for the ground truth: each entry's `at`
 * is virtual epoch milliseconds (`-Infinity` for the answer before the first recorded change).
 */
export interface AnswerHistory {
  readonly zoneId: string;
  readonly name: string;
  readonly type: string;
  readonly entries: { at: number; answer: DnsAnswer | undefined }[];
}

/** Whether two answers send users to the same record (both absent counts as the same). */
export function sameAnswer(a: DnsAnswer | undefined, b: DnsAnswer | undefined): boolean {
  return (
    a?.region === b?.region && a?.setIdentifier === b?.setIdentifier && a?.dnsName === b?.dnsName && !a === !b
  );
}

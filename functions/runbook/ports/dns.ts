/** A failover record as a plan names it: its name, type and each region's alias target. */
export interface ObservedRecordSpec {
  readonly name: string;
  readonly type: 'A' | 'AAAA' | 'CNAME';
  readonly targets: Readonly<Record<string, { readonly dnsName: string }>>;
}

/**
 * What Route 53's name servers answer for a record, read through its data plane: a DNS query to
 * the hosted zone's authoritative name servers, which answer while Route 53's control plane (in
 * us-east-1) is down. `ListResourceRecordSets`, `TestDNSAnswer` and `GetHealthCheckStatus` are
 * control-plane calls and are never used to decide where traffic goes.
 * Source: Route 53 Developer Guide, "Route 53 control plane and data plane" (the data plane is
 * the authoritative DNS service, spread over many locations, and keeps answering).
 */
export interface DnsAnswers {
  /**
   * The region whose alias target the zone's authoritative servers answer for `record` now, asked
   * from `region`: a region of `record.targets`, or null when they answer no record. Throws
   * `TransientAwsError` when a server did not answer or the servers disagree, and
   * `PreconditionFailedError` when the answer names none of the plan's targets: unknown is not a
   * region.
   */
  answeredRegion(region: string, record: ObservedRecordSpec): Promise<string | null>;
}

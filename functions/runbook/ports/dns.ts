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
   * from `region`: a region of `record.targets`, or null when they answer no record; with a
   * `sample`, one server's answer when it is the expected one ({@link DnsSample}). Throws
   * `TransientAwsError` when a server did not answer or the servers disagree, and
   * `PreconditionFailedError` when the answer names none of the plan's targets: unknown is not a
   * region.
   */
  answeredRegion(region: string, record: ObservedRecordSpec, sample?: DnsSample): Promise<string | null>;
}

/**
 * How a scheduled pass (the reconciler every minute, readiness every 5) asks for an answer it
 * expects: one of the zone's name servers, taken in turn, and every server only when that one's
 * answer is not the expected region (another region, no record, no answer). Each of the zone's
 * servers is asked at least once in any run of as many consecutive turns as it has servers (four,
 * Route 53's delegation set), so a server that answers otherwise than expected (a change still
 * reaching the servers, or one that never did) is found within that many passes; between, the
 * pass takes the one server's answer. Without a sample every server is asked, every time.
 */
export interface DnsSample {
  /**
   * The region the answer is expected to name (null: no record): the recorded active region. A
   * promise when it is still being read; a rejected one expects nothing (every server is asked).
   */
  readonly expect: string | null | Promise<string | null>;
  /** The pass's turn (e.g. its start time over the pass period): server `turn` mod their count is asked. */
  readonly turn: number;
}

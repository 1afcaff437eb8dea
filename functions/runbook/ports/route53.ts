/** A Route 53 failover record as it stands. */
export interface FailoverRecord {
  readonly name: string;
  readonly type: string;
  readonly setIdentifier: string;
  readonly failover: 'PRIMARY' | 'SECONDARY';
  readonly aliasTarget?: {
    readonly dnsName: string;
    readonly hostedZoneId: string;
    readonly evaluateTargetHealth: boolean;
  };
  readonly healthCheckId?: string;
}

/** A plan's failover record: one alias target per region (the plan's `traffic.route53.records[]`). */
export interface FailoverRecordSpec {
  readonly name: string;
  readonly type: string;
  readonly targets: Readonly<
    Record<
      string,
      { readonly dnsName: string; readonly hostedZoneId: string; readonly healthCheckId?: string }
    >
  >;
}

/** A Route 53 health check's configuration, as GetHealthCheck returns it. */
export interface HealthCheckView {
  readonly id: string;
  /** `HTTPS`, `CALCULATED`, `RECOVERY_CONTROL`, ... (HealthCheckConfig `Type`). */
  readonly type: string;
  /** Endpoint checks: the host requested, its port and path. */
  readonly fqdn?: string;
  readonly port?: number;
  readonly resourcePath?: string;
  /** Calculated checks: the child health check IDs and how many must be healthy. */
  readonly childHealthChecks?: readonly string[];
  readonly healthThreshold?: number;
}

/**
 * Route 53's control plane, served from us-east-1 only: a region that runs a failover depends on
 * us-east-1 when it uses these (prefer ARC routing controls for static stability).
 */
export interface Route53Records {
  /** The failover records (PRIMARY/SECONDARY) of one name and type. */
  listFailoverRecords(hostedZoneId: string, name: string, type: string): Promise<FailoverRecord[]>;
  /**
   * Makes `primaryRegion` the PRIMARY and `secondaryRegion` the SECONDARY of every record, in ONE
   * atomic change batch of UPSERTs. Set identifiers are region names; existing health checks are
   * kept. A failover record of another of the plan's regions is deleted in the same batch (a name
   * has one PRIMARY and one SECONDARY). Returns the change ID, or undefined when every record is
   * already so (no call made). PreconditionFailedError when a record has a set identifier that is
   * not one of the plan's regions (not ours to change).
   *
   * With `options.swapFirst`, the change is first tried without reading: one batch that deletes
   * each record exactly as Switchyard writes it with `secondaryRegion` PRIMARY (the plan's alias
   * target and health check) and creates it swapped. Route 53 refuses the whole batch when any
   * record differs (a DELETE must match every value; a batch is all or nothing), and then the
   * records are read and changed as above: one ChangeResourceRecordSets instead of
   * ListResourceRecordSets and ChangeResourceRecordSets in the common case, one refused call more
   * otherwise, never a wrong record.
   */
  setPrimary(
    hostedZoneId: string,
    records: readonly FailoverRecordSpec[],
    primaryRegion: string,
    secondaryRegion: string,
    options?: { readonly swapFirst?: boolean },
  ): Promise<string | undefined>;
  /**
   * {@link setPrimary} for many apps' records in ONE hosted zone, in ONE atomic change batch (the
   * evacuation's batching). The zone's record sets are read once (ListResourceRecordSets, paged),
   * not per record. An item refused before the call (a record not ours, no target for a region) is
   * left out of the batch and answered in `refused`; `changed` lists the items with a change in
   * it. Items are taken in order while the batch stays within Route 53's maximums per request
   * (ResourceRecord elements and Value characters, an UPSERT counting twice); the items after the
   * first that would not fit are left out, untouched, and answered in `deferred`, for a later batch.
   * `changeId` is undefined when nothing needed changing (no call made).
   */
  setPrimaryMany(
    hostedZoneId: string,
    items: readonly {
      readonly key: string;
      readonly records: readonly FailoverRecordSpec[];
      readonly primaryRegion: string;
      readonly secondaryRegion: string;
    }[],
  ): Promise<{
    changeId: string | undefined;
    changed: string[];
    refused: { key: string; error: Error }[];
    deferred: string[];
  }>;
  /** GetChange: whether a change has reached every Route 53 name server. */
  getChangeStatus(changeId: string): Promise<'PENDING' | 'INSYNC'>;
  /**
   * GetHealthCheckStatus (control plane, us-east-1; never used to decide where traffic goes):
   * Healthy when more than 18% of Route 53's checkers last saw success, as Route 53 judges it.
   */
  healthCheckStatus(healthCheckId: string): Promise<'Healthy' | 'Unhealthy'>;
  /**
   * GetHealthCheck (control plane, us-east-1): the check's configuration, or undefined when Route 53
   * has no such check (`NoSuchHealthCheck`). Any other failure throws: the caller treats it as
   * unknown, never as missing.
   */
  getHealthCheck(healthCheckId: string): Promise<HealthCheckView | undefined>;
}

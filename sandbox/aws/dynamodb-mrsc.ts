import { MRSC_REGION_SETS } from '../../functions/core/regions.js';

/**
 * The state table's region set, as the sandbox models it: the replicas (one per sandbox region) and,
 * under multi-region strong consistency, the witness region.
 */
export interface StateTableTopology {
  readonly consistency: 'strong' | 'eventual';
  /** Regions that hold a replica: the sandbox's regions, sorted. */
  readonly replicas: readonly string[];
  /** MRSC's third region when there are two replicas: it holds no replica and serves no request. */
  readonly witness?: string;
}

/**
 * The sandbox's state table, shaped as the deployment default (infra/deploy.config.yaml,
 * `consistency: strong`): two replicas in one MRSC region set get the set's remaining region as
 * the witness when the set has exactly one left (US: us-east-1 and us-west-2 get us-east-2, as the
 * committed config names), three replicas in one set need none; any other region set cannot be
 * MRSC ("exactly three Regions": DynamoDB Developer Guide, "How DynamoDB global tables work",
 * consistency modes) and is modelled as `eventual` (one table, every request served).
 */
export function sandboxTableTopology(regions: readonly string[]): StateTableTopology {
  const replicas = [...new Set(regions)].sort();
  const set = Object.values(MRSC_REGION_SETS).find((members) => replicas.every((r) => members.includes(r)));
  if (set && replicas.length === 3) return { consistency: 'strong', replicas };
  const rest = set?.filter((r) => !replicas.includes(r)) ?? [];
  if (set && replicas.length === 2 && rest.length === 1)
    return { consistency: 'strong', replicas, witness: rest[0] };
  return { consistency: 'eventual', replicas };
}

/** Every region of the table's quorum: the replicas and the witness. */
export function tableRegions(topology: StateTableTopology): string[] {
  return [...topology.replicas, ...(topology.witness ? [topology.witness] : [])];
}

/** Operations that read, and only strongly consistent ones need the majority. */
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);

/**
 * Whether an MRSC replica can serve a request now. MRSC "synchronously replicates" a write "to at
 * least one other Region" before it succeeds, and a strongly consistent read returns the latest
 * version from any replica (DynamoDB Developer Guide, "How DynamoDB global tables work",
 * Multi-Region strong consistency (MRSC),
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html#V2globaltables_HowItWorks.consistency-modes):
 * of the three regions, the replica needs itself and one more that answers, a majority. A replica
 * cut off from both others can serve neither writes nor strongly consistent reads; its eventually
 * consistent reads are served from its own copy. Returns why it cannot serve, or undefined when
 * it can (or the table is not MRSC, or the caller's region holds no replica).
 *
 * The error it fails with is our modelling choice: the pages we could read document the
 * synchronous replication but name no error for a lost majority, so the sandbox answers
 * `InternalServerError` (HTTP 500, a server fault in the SDK model of every item operation, which
 * the SDK retries as transient), the answer a request gets from a service that cannot complete it.
 */
export function mrscRefusal(
  topology: StateTableTopology,
  call: { readonly region: string; readonly operation: string; readonly input: Record<string, unknown> },
  isRegionDown: (region: string) => boolean,
): string | undefined {
  if (topology.consistency !== 'strong' || !topology.replicas.includes(call.region)) return undefined;
  if (READS.has(call.operation) && call.input.ConsistentRead !== true) return undefined;
  const members = tableRegions(topology);
  const reachable = members.filter((r) => !isRegionDown(r));
  const majority = Math.floor(members.length / 2) + 1;
  if (reachable.length >= majority) return undefined;
  const down = members.filter((r) => isRegionDown(r));
  return `${call.operation} in ${call.region}: the MRSC replica cannot reach a majority of the table's regions (got ${reachable.length} of ${members.length} reachable: ${down.join(', ')} down; expected ${majority}, itself and one other; sandbox)`;
}

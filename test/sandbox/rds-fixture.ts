import {
  FailoverGlobalClusterCommand,
  type GlobalCluster,
  type GlobalClusterMember,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { type ComputeSandbox, EAST, GLOBAL_ID, WEST, WEST_ARN } from './harness-compute.js';

/**
 * What the simulated Aurora global database's tests (rds.test.ts, rds-global.test.ts) share, on top
 * of the compute sandbox (harness-compute.ts): the global cluster as it is now, its writer and
 * members, and a switchover or failover called through the real RDS client in a given region.
 */

/** The global cluster as DescribeGlobalClusters answers it at this very instant (no call latency). */
export function globalNow(sb: ComputeSandbox): GlobalCluster {
  const out = sb.rds.handle(
    'DescribeGlobalClusters',
    { GlobalClusterIdentifier: GLOBAL_ID },
    { region: WEST },
  ) as {
    GlobalClusters: GlobalCluster[];
  };
  const global = out.GlobalClusters[0];
  if (!global) throw new Error('no global cluster');
  return global;
}

/** The ARN of the member that takes writes, if one does. */
export function writerArn(global: GlobalCluster): string | undefined {
  return global.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;
}

/** The member of cluster `arn`, if it is one. */
export function member(global: GlobalCluster, arn: string): GlobalClusterMember | undefined {
  return global.GlobalClusterMembers?.find((m) => m.DBClusterArn === arn);
}

/**
 * SwitchoverGlobalCluster to `target`, called in `region` (by default the primary's at first, as
 * the Aurora User Guide documents it). Not yet run: pass it to `sb.run` or `sb.failure`.
 */
export function switchoverIn(sb: ComputeSandbox, region = EAST, target = WEST_ARN) {
  return sb.clients.rds(region).send(
    new SwitchoverGlobalClusterCommand({
      GlobalClusterIdentifier: GLOBAL_ID,
      TargetDbClusterIdentifier: target,
    }),
  );
}

/**
 * FailoverGlobalCluster with AllowDataLoss to `target`, called in `region` (by default the
 * target's). Not yet run: pass it to `sb.run` or `sb.failure`.
 */
export function failoverIn(sb: ComputeSandbox, region = WEST, target = WEST_ARN) {
  return sb.clients.rds(region).send(
    new FailoverGlobalClusterCommand({
      GlobalClusterIdentifier: GLOBAL_ID,
      TargetDbClusterIdentifier: target,
      AllowDataLoss: true,
    }),
  );
}

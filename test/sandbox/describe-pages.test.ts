import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeDBClustersCommand, DescribeGlobalClustersCommand } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPlans } from '../../bench/apps.js';
import { AUTO_SCALING_CLIENT, RDS_CLIENT } from '../../functions/aws/sdk-clients.js';
import { Sandbox } from '../../sandbox/sandbox.js';

/**
 * The describe APIs that batched reads use answer as AWS documents them: RDS's MaxRecords (20 to
 * 100) and Marker, the `db-cluster-id` filter; Auto Scaling's names (50, or up to MaxRecords, at
 * most 100) and NextToken.
 */
describe('describe APIs: filters and pages', () => {
  let sandbox: Sandbox;
  const plans = generatedPlans(25);

  beforeAll(async () => {
    sandbox = await Sandbox.start({ plans, latency: 'fast', seed: 7 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const rds = () => sandbox.region('us-west-2').clients.client(RDS_CLIENT, 'us-west-2');
  const autoScaling = () => sandbox.region('us-west-2').clients.client(AUTO_SCALING_CLIENT, 'us-west-2');
  const westArn = (n: number) => `arn:aws:rds:us-west-2:111111111111:cluster:app${n}-usw2`;

  it('DescribeGlobalClusters pages every global cluster by MaxRecords and Marker, and refuses MaxRecords under 20', async () => {
    const first = await sandbox.run(rds().send(new DescribeGlobalClustersCommand({ MaxRecords: 20 })));
    expect(first.GlobalClusters).toHaveLength(20);
    expect(first.Marker).toBeDefined();
    const second = await sandbox.run(
      rds().send(new DescribeGlobalClustersCommand({ MaxRecords: 20, Marker: first.Marker })),
    );
    expect(second.GlobalClusters).toHaveLength(5);
    expect(second.Marker).toBeUndefined();
    const ids = [...(first.GlobalClusters ?? []), ...(second.GlobalClusters ?? [])].map(
      (g) => g.GlobalClusterIdentifier,
    );
    expect(new Set(ids).size).toBe(25);
    await expect(
      sandbox.run(rds().send(new DescribeGlobalClustersCommand({ MaxRecords: 10 }))),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('DescribeDBClusters with the db-cluster-id filter answers the named clusters of the region, by identifier or ARN, and leaves unknown names out', async () => {
    const output = await sandbox.run(
      rds().send(
        new DescribeDBClustersCommand({
          Filters: [{ Name: 'db-cluster-id', Values: [westArn(3), 'app7-usw2', 'nope', westArn(3)] }],
        }),
      ),
    );
    expect(output.DBClusters?.map((c) => c.DBClusterIdentifier).sort()).toEqual(['app3-usw2', 'app7-usw2']);
    const other = await sandbox.run(
      rds().send(
        new DescribeDBClustersCommand({
          Filters: [
            { Name: 'db-cluster-id', Values: ['arn:aws:rds:us-east-1:111111111111:cluster:app3-use1'] },
          ],
        }),
      ),
    );
    expect(other.DBClusters).toEqual([]);
  });

  it('DescribeAutoScalingGroups takes 50 names by default, up to MaxRecords, and pages by NextToken', async () => {
    const names = plans.map((p) => `${p.name}-web-usw2`);
    const many = [...names, ...names, ...names.slice(0, 1)];
    await expect(
      sandbox.run(autoScaling().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: many }))),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    const all = await sandbox.run(
      autoScaling().send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: many, MaxRecords: 100 }),
      ),
    );
    expect(all.AutoScalingGroups).toHaveLength(25);
    const first = await sandbox.run(
      autoScaling().send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names, MaxRecords: 20 }),
      ),
    );
    expect(first.AutoScalingGroups).toHaveLength(20);
    const second = await sandbox.run(
      autoScaling().send(
        new DescribeAutoScalingGroupsCommand({
          AutoScalingGroupNames: names,
          MaxRecords: 20,
          NextToken: first.NextToken,
        }),
      ),
    );
    expect(second.AutoScalingGroups).toHaveLength(5);
    expect(second.NextToken).toBeUndefined();
  });
});

import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  type ITableV2,
  MultiRegionConsistency,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface StateTableProps {
  readonly tableName: string;
  /** Every region with a control plane: each gets a replica. */
  readonly regions: readonly string[];
  /** The region whose stack defines the global table; the other stacks import it by name. */
  readonly tableRegion: string;
  readonly consistency: 'strong' | 'eventual';
  /** MRSC with two replicas: the third member of the quorum, holding no replica. */
  readonly witnessRegion?: string | undefined;
}

/**
 * The state table (docs/state-store.md): one DynamoDB global table, keys `pk`/`sk`, a replica in every
 * control-plane region. A global table is one CloudFormation resource, so it is defined in the
 * stack of `tableRegion` (its replicas listed there) and every other stack refers to its own
 * region's replica by name: handlers only ever call the replica of their own region.
 */
export class StateTable extends Construct {
  /** The global table, in the stack that defines it; undefined in the other stacks. */
  readonly table?: TableV2;
  /** This region's replica. */
  readonly replica: ITableV2;
  readonly tableName: string;
  /** ARN of this region's replica. */
  readonly tableArn: string;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.tableName = props.tableName;
    // The ARN from the fixed name, not from the resource: no cross-stack (or cross-region) reference.
    this.tableArn = stack.formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: props.tableName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    if (stack.region !== props.tableRegion) {
      // Imported by name: the ARN is formatted for this stack's region, i.e. this region's replica.
      this.replica = TableV2.fromTableName(this, 'Replica', props.tableName);
      return;
    }
    const strong = props.consistency === 'strong';
    this.table = new TableV2(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // Execution records and the audit trail outlive any stack.
      removalPolicy: RemovalPolicy.RETAIN,
      replicas: props.regions.filter((r) => r !== props.tableRegion).map((region) => ({ region })),
      multiRegionConsistency: strong ? MultiRegionConsistency.STRONG : MultiRegionConsistency.EVENTUAL,
      ...(strong && props.witnessRegion ? { witnessRegion: props.witnessRegion } : {}),
    });
    this.replica = this.table;
  }
}

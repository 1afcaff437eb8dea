import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientSpec } from './client-factory.js';

/**
 * The SDK clients Switchyard uses, one {@link ClientSpec} each, for the one client factory
 * (`client-factory.ts`). Each adapter imports the specs it uses, and each spec is a separate
 * side-effect-free constant, so a Lambda bundle keeps only the clients its adapters name. (Literals
 * only in these objects: esbuild keeps a constant whose initializer reads another module's
 * property, as it cannot prove the read pure.)
 */

export const RDS_CLIENT: ClientSpec<RDSClient> = {
  service: 'rds',
  policy: 'default',
  create: (config, attach) => attach(new RDSClient(config)),
};

export const AUTO_SCALING_CLIENT: ClientSpec<AutoScalingClient> = {
  service: 'autoscaling',
  policy: 'default',
  create: (config, attach) => attach(new AutoScalingClient(config)),
};

/** Elastic Load Balancing (v2): the target health of the groups' target groups. */
export const ELB_CLIENT: ClientSpec<ElasticLoadBalancingV2Client> = {
  service: 'elb',
  policy: 'default',
  create: (config, attach) => attach(new ElasticLoadBalancingV2Client(config)),
};

/** Route 53's API is global and lives in us-east-1; the client says so explicitly. */
export const ROUTE53_CLIENT: ClientSpec<Route53Client> = {
  service: 'route53',
  policy: 'route53',
  fixedRegion: 'us-east-1', // ROUTE53_CONTROL_PLANE_REGION (a literal: see above)
  create: (config, attach) => attach(new Route53Client(config)),
};

/** One client per ARC cluster endpoint: the data plane is reached through any of the five. */
export const ARC_CLUSTER_CLIENT: ClientSpec<Route53RecoveryClusterClient> = {
  service: 'arc',
  policy: 'arc',
  create: (config, attach) => attach(new Route53RecoveryClusterClient(config)),
};

export const CLOUDWATCH_CLIENT: ClientSpec<CloudWatchClient> = {
  service: 'cloudwatch',
  policy: 'default',
  create: (config, attach) => attach(new CloudWatchClient(config)),
};

/** The document client over DynamoDB (dynalite in the sandbox and tests, by the factory's endpoint option). */
export const DYNAMODB_CLIENT: ClientSpec<DynamoDBDocumentClient> = {
  service: 'dynamodb',
  policy: 'dynamodb',
  endpointOf: (options) => options.dynamodbEndpoint,
  create: (config, attach) =>
    DynamoDBDocumentClient.from(attach(new DynamoDBClient(config)), {
      marshallOptions: { removeUndefinedValues: true },
    }),
};

export const SFN_CLIENT: ClientSpec<SFNClient> = {
  service: 'sfn',
  policy: 'default',
  create: (config, attach) => attach(new SFNClient(config)),
};

export const EVENTBRIDGE_CLIENT: ClientSpec<EventBridgeClient> = {
  service: 'events',
  policy: 'default',
  create: (config, attach) => attach(new EventBridgeClient(config)),
};

import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ArcClusterEndpoint } from '../runbook/ports/arc.js';
import { type ClientFactory, type ClientFactoryOptions, createClientFactory } from './client-factory.js';
import {
  ARC_CLUSTER_CLIENT,
  AUTO_SCALING_CLIENT,
  CLOUDWATCH_CLIENT,
  DYNAMODB_CLIENT,
  ELB_CLIENT,
  EVENTBRIDGE_CLIENT,
  RDS_CLIENT,
  ROUTE53_CLIENT,
  SFN_CLIENT,
} from './sdk-clients.js';

/**
 * Every client by name, over the one client factory (`client-factory.ts`): for the sandbox and the
 * tests, which reach every service. Lambda functions use `createClientFactory` and their adapters'
 * own client specs, so that each bundle carries only the clients it uses.
 */

export * from './client-factory.js';
export type { ArcClusterEndpoint };

/** Per-region SDK clients. Every method names the region its client calls. */
export interface AwsClients extends ClientFactory {
  rds(region: string): RDSClient;
  autoScaling(region: string): AutoScalingClient;
  /** Elastic Load Balancing (v2): the target health of the groups' target groups. */
  elb(region: string): ElasticLoadBalancingV2Client;
  /** Elastic Load Balancing (v2): the target health of the groups' target groups. */
  elb(region: string): ElasticLoadBalancingV2Client;
  /** Route 53's API is global and lives in us-east-1; the client says so explicitly. */
  route53(): Route53Client;
  /** One client per ARC cluster endpoint: the data plane is reached through any of the five. */
  arcCluster(endpoint: ArcClusterEndpoint): Route53RecoveryClusterClient;
  cloudWatch(region: string): CloudWatchClient;
  dynamodb(region: string): DynamoDBDocumentClient;
  sfn(region: string): SFNClient;
  eventBridge(region: string): EventBridgeClient;
}

/** The client factory with every client by name; the same clients (one cache) as `client(spec, ...)`. */
export function createAwsClients(options: ClientFactoryOptions = {}): AwsClients {
  const factory = createClientFactory(options);
  return {
    client: (spec, region, endpoint) => factory.client(spec, region, endpoint),
    dns: (region) => factory.dns(region),
    rds: (region) => factory.client(RDS_CLIENT, region),
    autoScaling: (region) => factory.client(AUTO_SCALING_CLIENT, region),
    elb: (region) => factory.client(ELB_CLIENT, region),
    route53: () => factory.client(ROUTE53_CLIENT, ''),
    arcCluster: ({ region, endpoint }) => factory.client(ARC_CLUSTER_CLIENT, region, endpoint),
    cloudWatch: (region) => factory.client(CLOUDWATCH_CLIENT, region),
    dynamodb: (region) => factory.client(DYNAMODB_CLIENT, region),
    sfn: (region) => factory.client(SFN_CLIENT, region),
    eventBridge: (region) => factory.client(EVENTBRIDGE_CLIENT, region),
  };
}

import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ClientSpec } from '../client-factory.js';

// One spec per module (functions/aws/sdk-clients.ts says why).
/** Elastic Load Balancing (v2): the target health of the groups' target groups. */
export const ELB_CLIENT: ClientSpec<ElasticLoadBalancingV2Client> = {
  service: 'elb',
  policy: 'default',
  create: (config, attach) => attach(new ElasticLoadBalancingV2Client(config)),
};

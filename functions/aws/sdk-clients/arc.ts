import { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import type { ClientSpec } from '../client-factory.js';

// One spec per module (functions/aws/sdk-clients.ts says why).
/** One client per ARC cluster endpoint: the data plane is reached through any of the five. */
export const ARC_CLUSTER_CLIENT: ClientSpec<Route53RecoveryClusterClient> = {
  service: 'arc',
  policy: 'arc',
  create: (config, attach) => attach(new Route53RecoveryClusterClient(config)),
};

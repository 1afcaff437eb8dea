import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { ClientSpec } from '../client-factory.js';

// One spec per module (functions/aws/sdk-clients.ts says why).
export const AUTO_SCALING_CLIENT: ClientSpec<AutoScalingClient> = {
  service: 'autoscaling',
  policy: 'default',
  create: (config, attach) => attach(new AutoScalingClient(config)),
};

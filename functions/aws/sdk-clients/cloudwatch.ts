import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ClientSpec } from '../client-factory.js';

// One spec per module (functions/aws/sdk-clients.ts says why).
export const CLOUDWATCH_CLIENT: ClientSpec<CloudWatchClient> = {
  service: 'cloudwatch',
  policy: 'default',
  create: (config, attach) => attach(new CloudWatchClient(config)),
};

import { RDSClient } from '@aws-sdk/client-rds';
import type { ClientSpec } from '../client-factory.js';

// One spec per module (functions/aws/sdk-clients.ts says why).
export const RDS_CLIENT: ClientSpec<RDSClient> = {
  service: 'rds',
  policy: 'default',
  create: (config, attach) => attach(new RDSClient(config)),
};

import { SFNClient } from '@aws-sdk/client-sfn';
import type { ClientSpec } from '../client-factory.js';

// One spec per module (functions/aws/sdk-clients.ts says why).
export const SFN_CLIENT: ClientSpec<SFNClient> = {
  service: 'sfn',
  policy: 'default',
  create: (config, attach) => attach(new SFNClient(config)),
};

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ClientSpec } from '../client-factory.js';

// One spec per module (functions/aws/sdk-clients.ts says why).
export const EVENTBRIDGE_CLIENT: ClientSpec<EventBridgeClient> = {
  service: 'events',
  policy: 'default',
  create: (config, attach) => attach(new EventBridgeClient(config)),
};

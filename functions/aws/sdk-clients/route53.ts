import { Route53Client } from '@aws-sdk/client-route-53';
import type { ClientSpec } from '../client-factory.js';

// One spec per module (functions/aws/sdk-clients.ts says why).
/** Route 53's API is global and lives in us-east-1; the client says so explicitly. */
export const ROUTE53_CLIENT: ClientSpec<Route53Client> = {
  service: 'route53',
  policy: 'route53',
  fixedRegion: 'us-east-1', // ROUTE53_CONTROL_PLANE_REGION (a literal: see above)
  create: (config, attach) => attach(new Route53Client(config)),
};

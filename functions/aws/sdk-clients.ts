/**
 * The SDK clients Switchyard uses, one {@link ClientSpec} each, for the one client factory
 * (`client-factory.ts`). Each spec is a module of its own (`sdk-clients/rds.ts`, ...), a
 * side-effect-free constant, and each adapter imports its spec's module, not this one: a Lambda
 * bundle keeps only the clients its adapters name, and with code splitting (infra/bundling.ts) an
 * adapter loaded by `import()` (functions/aws/lazy-port.ts) takes its client into its own chunk
 * (specs in one shared module put every client they name into a chunk the function's entry loads
 * at init). This module gathers them for the sandbox and the tests. (Literals only in the specs:
 * esbuild keeps a constant whose initializer reads another module's property, as it cannot prove
 * the read pure.)
 */

import type { ClientSpec } from './client-factory.js';

export { ARC_CLUSTER_CLIENT } from './sdk-clients/arc.js';
export { AUTO_SCALING_CLIENT } from './sdk-clients/auto-scaling.js';
export { CLOUDWATCH_CLIENT } from './sdk-clients/cloudwatch.js';
export { DYNAMODB_CLIENT } from './sdk-clients/dynamodb.js';
export { ELB_CLIENT } from './sdk-clients/elb.js';
export { EVENTBRIDGE_CLIENT } from './sdk-clients/eventbridge.js';
export { RDS_CLIENT } from './sdk-clients/rds.js';
export { ROUTE53_CLIENT } from './sdk-clients/route53.js';
export { SFN_CLIENT } from './sdk-clients/sfn.js';
export type { ClientSpec };

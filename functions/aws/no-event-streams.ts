/**
 * Replaces `@smithy/core/event-streams` in the Lambda bundles (infra/bundling.ts, `LAMBDA_ALIASES`).
 * The SDK loads that module only for an operation whose input or output is an event stream
 * (`HttpProtocol.loadEventStreamCapability`, behind a dynamic import), and Switchyard calls none:
 * the module is 15 KB of every bundle that a single-file bundle inlines and Node parses at load.
 * Should an event-stream operation ever be called, it fails saying so, rather than misbehaving.
 */

const NOT_BUNDLED =
  'event streams are not bundled in the Switchyard functions (infra/bundling.ts LAMBDA_ALIASES): got an operation with an event-stream input or output, expected none';

/** Stands for the SDK's `EventStreamSerde`: never built. */
export class EventStreamSerde {
  constructor() {
    throw new Error(NOT_BUNDLED);
  }
}

/** Stands for the SDK's `eventStreamSerdeProvider`: never called. */
export function eventStreamSerdeProvider(): never {
  throw new Error(NOT_BUNDLED);
}

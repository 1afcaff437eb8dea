/**
 * Keep-warm pings. A failover invokes a dozen step functions once each, so every cold start on
 * its critical path adds to the RTO (~0.5 s each). A scheduled rule invokes every step function
 * with this event every few minutes (CDK deploys it; the sandbox simulates it), and the handler
 * answers it without running its use case. Cost: ~9,000 invokes per function-month, about $0.002.
 */
export const KEEP_WARM_SOURCE = 'switchyard.keep-warm';

/** How often the keep-warm rule fires; Lambda keeps an idle environment for several minutes. */
export const KEEP_WARM_MINUTES = 5;

export function isKeepWarm(event: unknown): boolean {
  return (
    typeof event === 'object' && event !== null && (event as { source?: unknown }).source === KEEP_WARM_SOURCE
  );
}

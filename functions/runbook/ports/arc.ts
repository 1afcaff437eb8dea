/** One of an ARC cluster's five regional endpoints (the plan's `traffic.arc.clusterEndpoints`). */
export interface ArcClusterEndpoint {
  readonly region: string;
  readonly endpoint: string;
}

export type RoutingControlState = 'On' | 'Off';

/**
 * Route 53 ARC routing controls, through the cluster's data plane: highly available, and no
 * dependency on us-east-1. Each call tries the cluster endpoints in shuffled order until one
 * answers; an endpoint that is down, slow, throttling or failing costs one attempt, a refusal
 * (a safety rule, an unknown control) ends the call at once.
 */
export interface ArcRoutingControls {
  /** The state of each routing control, by ARN. */
  getStates(
    endpoints: readonly ArcClusterEndpoint[],
    arns: readonly string[],
  ): Promise<Record<string, RoutingControlState>>;
  /**
   * Sets every given control in ONE UpdateRoutingControlStates call, so safety rules judge the end
   * state (e.g. target On and others Off together). Idempotent. Returns the endpoint that took it.
   * TrafficShiftRejectedError when a safety rule refuses; ArcEndpointsUnavailableError, naming every
   * endpoint tried and why, when none answers.
   */
  setActive(
    endpoints: readonly ArcClusterEndpoint[],
    states: Readonly<Record<string, RoutingControlState>>,
  ): Promise<ArcClusterEndpoint>;
}

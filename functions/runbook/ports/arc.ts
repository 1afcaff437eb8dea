/** One of an ARC cluster's five regional endpoints (the plan's `traffic.arc.clusterEndpoints`). */
export interface ArcClusterEndpoint {
  readonly region: string;
  readonly endpoint: string;
}

export type RoutingControlState = 'On' | 'Off';

/**
 * What a run has learnt about the cluster's endpoints, carried from step to step (each step is
 * another Lambda): the regions whose endpoint did not answer (a timeout, a network error, a 5xx,
 * throttling). The adapter tries those endpoints last, and keeps the set current: it adds a region
 * whose endpoint failed and removes one whose endpoint answered. A region down costs its endpoint's
 * 3 s timeout (`TRANSPORT.arc` in clients.ts) once per run instead of on every call that happens to
 * shuffle it first.
 */
export type UnreachableRegions = Set<string>;

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
    unreachable?: UnreachableRegions,
  ): Promise<Record<string, RoutingControlState>>;
  /**
   * Every routing control's state the cluster knows (ListRoutingControls on the first endpoint
   * that answers, every page), by ARN: one read for all the apps of a cluster. Tried on the
   * endpoints in the same order and with the same `unreachable` bookkeeping as {@link getStates}.
   * Optional: a port without it is read through {@link getStates}.
   */
  listStates?(
    endpoints: readonly ArcClusterEndpoint[],
    unreachable?: UnreachableRegions,
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
    unreachable?: UnreachableRegions,
  ): Promise<ArcClusterEndpoint>;
}

/** The source of every event Switchyard emits. */
export const EVENT_SOURCE = 'switchyard';

/** EventBridge, in this control plane's region. */
export interface EventPublisher {
  /** Puts one event on the bus; a partial failure is thrown, not swallowed. */
  publish(region: string, detailType: string, detail: Record<string, unknown>): Promise<void>;
}

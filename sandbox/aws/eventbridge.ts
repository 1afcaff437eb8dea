import type { PutEventsRequest, PutEventsResponse } from '@aws-sdk/client-eventbridge';
import type { CallTarget, ServiceEvent, SimContext, SimulatedService } from './simulator.js';
import { awsError } from './simulator.js';

/** One event put on a region's bus. `at` is virtual epoch ms. */
export interface BusEvent {
  readonly at: number;
  readonly region: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  /** The envelope's `resources` (ARNs), for events AWS services emit. */
  readonly resources?: readonly string[];
  /** The envelope's `id`. */
  readonly id?: string;
}

/**
 * EventBridge: `PutEvents` on a region's default bus. Rules are listeners (see
 * {@link SimulatedEventBridge.onEvent}); every event is kept, in order, for reports. AWS takes up
 * to 10 entries per call and 256 KB per entry (EventBridge API Reference, PutEvents).
 */
/** PutEvents' entry size limit, 256 KB (EventBridge API Reference, PutEvents). */
const MAX_ENTRY_BYTES = 256 * 1024;

export class SimulatedEventBridge implements SimulatedService {
  readonly service = 'events' as const;
  readonly published: BusEvent[] = [];
  private readonly listeners: ((event: BusEvent) => void)[] = [];
  private seq = 0;

  constructor(private readonly ctx: SimContext) {}

  /** Hears every event put on any region's bus (a rule in that region). */
  onEvent(listener: (event: BusEvent) => void): void {
    this.listeners.push(listener);
  }

  /**
   * An event an AWS service emits, put on `event.region`'s default bus and heard by its rules,
   * unless the `service-events-lost` fault drops it (best-effort delivery) or the region is down.
   * Returns the bus event, or undefined when it was lost.
   */
  emitService(event: ServiceEvent): BusEvent | undefined {
    if (this.ctx.faults.serviceEventsLost(event.source) || this.ctx.faults.isRegionDown(event.region))
      return undefined;
    const busEvent: BusEvent = {
      at: this.ctx.clock.now(),
      id: `sandbox-event-${++this.seq}`,
      region: event.region,
      source: event.source,
      detailType: event.detailType,
      detail: event.detail,
      resources: event.resources,
    };
    this.published.push(busEvent);
    for (const listener of this.listeners) listener(busEvent);
    return busEvent;
  }

  handle(operation: string, input: Record<string, unknown>, target: CallTarget): unknown {
    if (operation !== 'PutEvents')
      throw awsError('events', 'ValidationException', `the sandbox does not simulate events:${operation}`);
    const entries = (input as Partial<PutEventsRequest>).Entries ?? [];
    if (entries.length < 1 || entries.length > 10)
      throw awsError(
        'events',
        'ValidationException',
        `Entries: expected 1 to 10 entries, got ${entries.length}`,
      );
    const out: PutEventsResponse['Entries'] = [];
    for (const entry of entries) {
      // Per-entry errors, as PutEvents reports them (EventBridge API Reference, PutEventsResultEntry).
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        out.push({
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Source, DetailType and Detail are required',
        });
        continue;
      }
      if (Buffer.byteLength(JSON.stringify(entry)) > MAX_ENTRY_BYTES) {
        out.push({ ErrorCode: 'InvalidArgument', ErrorMessage: `entry over ${MAX_ENTRY_BYTES} bytes` });
        continue;
      }
      let detail: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(entry.Detail);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        detail = parsed as Record<string, unknown>;
      } catch {
        out.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not a valid JSON object' });
        continue;
      }
      const event: BusEvent = {
        at: this.ctx.clock.now(),
        region: target.region,
        source: entry.Source,
        detailType: entry.DetailType,
        detail,
      };
      this.published.push(event);
      out.push({ EventId: `sandbox-event-${++this.seq}` });
      for (const listener of this.listeners) listener(event);
    }
    return { FailedEntryCount: out.filter((e) => e.ErrorCode).length, Entries: out };
  }
}

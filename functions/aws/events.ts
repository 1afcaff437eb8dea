import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AwsClients } from './clients.js';
import { awsCall } from './translate-error.js';

/** The source of every event Switchyard emits. */
export const EVENT_SOURCE = 'switchyard';

/** EventBridge, in this control plane's region. */
export interface EventPublisher {
  /** Puts one event on the bus; a partial failure is thrown, not swallowed. */
  publish(region: string, detailType: string, detail: Record<string, unknown>): Promise<void>;
}

export function eventPublisher(clients: AwsClients, eventBusName = 'default'): EventPublisher {
  return {
    async publish(region, detailType, detail) {
      const out = await awsCall({ operation: 'PutEvents', region, resource: eventBusName }, [], () =>
        clients.eventBridge(region).send(
          new PutEventsCommand({
            Entries: [
              {
                Source: EVENT_SOURCE,
                DetailType: detailType,
                Detail: JSON.stringify(detail),
                EventBusName: eventBusName,
              },
            ],
          }),
        ),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const entry = out.Entries?.find((e) => e.ErrorCode);
        throw new Error(
          `PutEvents in ${region} failed for '${detailType}': ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(),
        );
      }
    },
  };
}

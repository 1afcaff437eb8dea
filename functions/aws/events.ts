import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../runbook/ports/events.js';
import { EVENT_SOURCE } from '../runbook/ports/events.js';
import type { ClientFactory } from './client-factory.js';
import { EVENTBRIDGE_CLIENT } from './sdk-clients/eventbridge.js';
import { awsCall } from './translate-error.js';

// The port and its vocabulary live beside the use cases; re-exported for the adapter's callers.
export type { EventPublisher };
export { EVENT_SOURCE };

export function eventPublisher(clients: ClientFactory, eventBusName = 'default'): EventPublisher {
  const eventBridge = (region: string) => clients.client(EVENTBRIDGE_CLIENT, region);
  return {
    async publish(region, detailType, detail) {
      const out = await awsCall({ operation: 'PutEvents', region, resource: eventBusName }, [], () =>
        eventBridge(region).send(
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

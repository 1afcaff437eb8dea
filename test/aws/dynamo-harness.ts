import { type AwsClients, createAwsClients } from '../../functions/aws/clients.js';
import type { Clock } from '../../functions/core/clock.js';
import { type LocalDynamo, SANDBOX_CREDENTIALS, startLocalDynamo } from '../../sandbox/dynamo.js';

/** A clock a test sets by hand: `clock.t = ...` or `clock.advance(ms)`. */
export interface FakeClock extends Clock {
  t: number;
  advance(ms: number): void;
}

export function fakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  const clock: FakeClock = {
    t: start,
    now: () => clock.t,
    advance: (ms) => {
      clock.t += ms;
    },
  };
  return clock;
}

/** dynalite over the wire plus the client factory pointed at it. Start in beforeAll, close in afterAll. */
export interface DynamoHarness {
  readonly dynamo: LocalDynamo;
  readonly clients: AwsClients;
  close(): Promise<void>;
}

export async function startDynamoHarness(): Promise<DynamoHarness> {
  const dynamo = await startLocalDynamo();
  const clients = createAwsClients({ dynamodbEndpoint: dynamo.endpoint, credentials: SANDBOX_CREDENTIALS });
  return {
    dynamo,
    clients,
    close: async () => {
      await dynamo.close();
    },
  };
}

let apps = 0;

/** A fresh app name per test, so tests sharing one table do not see each other's items. */
export function uniqueApp(prefix: string): string {
  apps += 1;
  return `${prefix}-${apps}`;
}

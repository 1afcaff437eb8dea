import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** Credentials the sandbox's clients sign with: dynalite checks their shape, nothing else. */
export const SANDBOX_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

export const STATE_TABLE = 'switchyard-state';

/** A running dynalite (DynamoDB on LevelDB, in memory) on a loopback port. */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1 (a free port) and creates the state table (`pk`/`sk` strings,
 * on-demand, as the CDK stack does). Every region's DynamoDB client points here: one table that is
 * strongly consistent everywhere, as the production MRSC global table is while a majority of its
 * regions answers; the simulator refuses a replica's requests when it cannot reach one
 * (`sandbox/aws/dynamodb-mrsc.ts`).
 */
export async function startLocalDynamo(tableName = STATE_TABLE): Promise<LocalDynamo> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: SANDBOX_CREDENTIALS });
  try {
    await admin.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    await waitUntilTableExists(
      { client: admin, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.2 },
      { TableName: tableName },
    );
  } finally {
    admin.destroy();
  }
  return {
    endpoint,
    tableName,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

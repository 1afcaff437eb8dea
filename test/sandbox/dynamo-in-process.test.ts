import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientFactory } from '../../functions/aws/client-factory.js';
import { DYNAMODB_CLIENT } from '../../functions/aws/sdk-clients.js';
import { type LocalDynamo, SANDBOX_CREDENTIALS, startLocalDynamo } from '../../sandbox/dynamo.js';

describe("dynalite answering in process (the sandbox's DynamoDB request handler)", () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('answers the real document client through dynalite without a connection: items, conditions, validation', async () => {
    // Arrange: an endpoint where nothing listens, so a request sent over the network would fail
    // (ECONNREFUSED); the handler gives it to dynalite in this process instead.
    const client = createClientFactory({
      dynamodbEndpoint: 'http://127.0.0.1:1',
      dynamodbRequestHandler: dynamo.requestHandler,
      credentials: SANDBOX_CREDENTIALS,
    }).client(DYNAMODB_CLIENT, 'us-east-1');
    const item = {
      pk: 'APP#orders',
      sk: 'STATE',
      epoch: 3,
      regions: ['us-east-1', 'us-west-2'],
      note: 'é ✓',
    };

    // Act
    const put = await client.send(new PutCommand({ TableName: dynamo.tableName, Item: item }));
    const got = await client.send(
      new GetCommand({
        TableName: dynamo.tableName,
        Key: { pk: item.pk, sk: item.sk },
        ConsistentRead: true,
      }),
    );
    const refused = await client
      .send(
        new PutCommand({
          TableName: dynamo.tableName,
          Item: { ...item, epoch: 4 },
          ConditionExpression: 'epoch = :expected',
          ExpressionAttributeValues: { ':expected': 2 },
        }),
      )
      .catch((error: unknown) => error);
    const invalid = await client
      .send(new GetCommand({ TableName: dynamo.tableName, Key: { pk: item.pk } }))
      .catch((error: unknown) => error);

    // Assert: dynalite's own answers, parsed by the SDK as from the wire.
    expect(put.$metadata.httpStatusCode).toBe(200);
    expect(put.$metadata.requestId).toMatch(/^[A-Z0-9]{52}$/);
    expect(got.Item).toEqual(item);
    expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
    expect((refused as ConditionalCheckFailedException).$metadata.httpStatusCode).toBe(400);
    expect((invalid as Error).name).toBe('ValidationException');
    expect((invalid as Error).message).toMatch(/key element does not match the schema/);
  });
});

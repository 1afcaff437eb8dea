import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientSpec } from '../client-factory.js';

// One spec per module (functions/aws/sdk-clients.ts says why).
/** The document client over DynamoDB (dynalite in the sandbox and tests, by the factory's endpoint option). */
export const DYNAMODB_CLIENT: ClientSpec<DynamoDBDocumentClient> = {
  service: 'dynamodb',
  policy: 'dynamodb',
  endpointOf: (options) => options.dynamodbEndpoint,
  create: (config, attach) =>
    DynamoDBDocumentClient.from(attach(new DynamoDBClient(config)), {
      marshallOptions: { removeUndefinedValues: true },
    }),
};

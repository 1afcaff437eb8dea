import { describe, expect, it } from 'vitest';
import { createClientFactory } from '../../functions/aws/client-factory.js';
import { AUTO_SCALING_CLIENT, DYNAMODB_CLIENT, RDS_CLIENT } from '../../functions/aws/sdk-clients.js';

describe('client factory', () => {
  it('resolves each command class middleware once (cacheMiddleware) except for the DynamoDB document client', () => {
    // Arrange
    const factory = createClientFactory({ dynamodbEndpoint: 'http://127.0.0.1:1' });

    // Act
    const rds = factory.client(RDS_CLIENT, 'us-east-1');
    const autoScaling = factory.client(AUTO_SCALING_CLIENT, 'us-west-2');
    const dynamodb = factory.client(DYNAMODB_CLIENT, 'us-east-1');

    // Assert: lib-dynamodb resolves marshalling per command instance, which a cached handler would reuse.
    expect(rds.config.cacheMiddleware).toBe(true);
    expect(autoScaling.config.cacheMiddleware).toBe(true);
    expect(dynamodb.config.cacheMiddleware).toBe(false);
  });
});

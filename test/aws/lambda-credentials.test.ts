import { describe, expect, it } from 'vitest';
import { defaultProvider } from '../../functions/aws/lambda-credentials.js';

// What a Lambda bundle's SDK clients sign with (the bundles alias the SDK's default chain to this
// provider, infra/bundling.ts): the execution role's credentials from the function's environment.

describe('Lambda credentials', () => {
  it("reads the role's credentials from the reserved environment variables", async () => {
    // Arrange
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    process.env.AWS_SESSION_TOKEN = 'token';
    try {
      // Act
      const credentials = await defaultProvider()();

      // Assert
      expect(credentials).toMatchObject({
        accessKeyId: 'ASIAEXAMPLE',
        secretAccessKey: 'secret',
        sessionToken: 'token',
      });
    } finally {
      process.env = saved;
    }
  });

  it('fails with the SDK credentials error, naming the environment, when the variables are absent', async () => {
    // Arrange
    const saved = { ...process.env };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      // Act
      const read = defaultProvider()();

      // Assert
      await expect(read).rejects.toMatchObject({
        name: 'CredentialsProviderError',
        message: 'Unable to find environment variable credentials.',
      });
    } finally {
      process.env = saved;
    }
  });
});

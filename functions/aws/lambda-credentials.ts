import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';

/**
 * The credential provider of every SDK client in a Lambda bundle: the function's environment
 * variables. Lambda puts the execution role's credentials in `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` (reserved variables: AWS Lambda Developer Guide,
 * "Working with Lambda environment variables", "Defined runtime environment variables",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * and the environment is the first source the SDK's default chain reads (`@aws-sdk/credential-provider-node`,
 * `defaultProvider`: "Environment variables exposed via process.env"), so in Lambda the rest of
 * that chain (SSO, STS web identity, ini files, IMDS: 130 KB of a bundle with their nested
 * clients) is never reached.
 *
 * The bundles use this module in place of `@aws-sdk/credential-provider-node` (an esbuild alias
 * in `infra/bundling.ts`), where each SDK client's runtime config imports its default provider.
 * The sandbox, the tests and the CLI run the sources unbundled and keep the SDK's default chain.
 *
 * Throws the SDK's `CredentialsProviderError` ("Unable to find environment variable credentials.")
 * when the variables are absent: a client call then fails with that error, as the default chain
 * fails when it finds nothing.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]): Provider<AwsCredentialIdentity> =>
  fromEnv(init);

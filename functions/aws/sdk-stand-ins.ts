/**
 * Stand-ins for SDK modules that no path of the Switchyard functions reaches, put in their place in
 * the Lambda bundles by the SDK trims (infra/sdk-trims.ts, `SDK_STAND_INS`). Each replaces a module
 * whose code runs only under a condition our clients never meet, and fails saying so should that
 * condition ever be met, rather than misbehaving (or, for the instance metadata region, answers as
 * the SDK's own module does when it gets no answer). Why each is unreachable is written beside it; the
 * tests (test/infra/sdk-trims.test.ts) check the condition and run the bundled clients without
 * the module.
 */

import { SignatureV4, type SignatureV4CryptoInit, type SignatureV4Init } from '@smithy/signature-v4';
import type { HttpRequest, RequestPresigningArguments, RequestSigningArguments } from '@smithy/types';

const notBundled = (what: string, why: string): Error =>
  new Error(`${what} is not bundled in the Switchyard functions (infra/sdk-trims.ts): ${why}`);

/**
 * Stands for `@aws-sdk/endpoint-cache`'s `EndpointCache` (with the LRU cache of `mnemonist` it
 * holds, 7.5 KB of every bundle). The DynamoDB client builds one at construction
 * (`resolveEndpointDiscoveryConfig` of @aws-sdk/middleware-endpoint-discovery), but only the
 * endpoint-discovery middleware reads it, and no DynamoDB command of this SDK version adds that
 * middleware (DynamoDB's endpoint discovery is optional and off unless configured; the test checks
 * that no command applies the plugin). Built, it holds nothing; read, it fails.
 */
export class EndpointCache {
  private fail(): never {
    throw notBundled(
      "DynamoDB's endpoint discovery (its endpoint cache)",
      'got a command that discovers endpoints, expected none (no DynamoDB command of this SDK version does)',
    );
  }
  getEndpoint(_key: string): never {
    return this.fail();
  }
  get(_key: string): never {
    return this.fail();
  }
  set(_key: string, _endpoints: unknown): never {
    return this.fail();
  }
  delete(_key: string): never {
    return this.fail();
  }
  has(_key: string): never {
    return this.fail();
  }
  clear(): never {
    return this.fail();
  }
}

/**
 * Stands for @smithy/core's `AdaptiveRetryStrategy` (with its `DefaultRateLimiter`, 3.4 KB of every
 * bundle), which the SDK builds only in the `adaptive` retry mode (`resolveRetryConfig`). The one
 * client factory (functions/aws/client-factory.ts) builds every client with `retryMode: 'standard'`,
 * the SDK's default, so neither `AWS_RETRY_MODE` nor a shared config file can select it.
 */
export class AdaptiveRetryStrategy {
  constructor() {
    throw notBundled(
      'the adaptive retry mode',
      "got retryMode 'adaptive', expected 'standard' (functions/aws/client-factory.ts)",
    );
  }
}

/**
 * Stands for @smithy/core's `Sha256Js`, a SHA-256 in JavaScript (3.3 KB of every bundle) that the
 * SDK's `Sha256Node` falls back to only when `node:crypto` cannot `createHash('sha256')` (a Node
 * built without OpenSSL). Lambda's Node runtimes hash natively, so request signing never builds it.
 */
export class Sha256Js {
  constructor() {
    throw notBundled(
      'the JavaScript SHA-256',
      "got a Node whose node:crypto has no sha256, expected Lambda's Node, which has",
    );
  }
}

/**
 * Stands for @smithy/core's `getInstanceMetadataRegion` (1.2 KB of every bundle), which asks the
 * EC2 instance metadata service for the region in two cases only: a client built without a region
 * (the one client factory always names one), and the `auto` defaults mode outside Lambda (in Lambda
 * the SDK takes the region from `AWS_EXECUTION_ENV` and `AWS_REGION`, which the runtime sets; and
 * Switchyard sets no defaults mode). It answers as the SDK's own does when the service does not
 * answer: no region (`undefined`), so the SDK says "Region is missing".
 */
export async function getInstanceMetadataRegion(): Promise<undefined> {
  return undefined;
}

/**
 * Stands for `@aws-sdk/signature-v4-multi-region`'s `SignatureV4MultiRegion` (4 KB of each bundle
 * with EventBridge, the one client of ours that names it), which signs with SigV4 and, for a request
 * whose signing region is `*`, with SigV4a. EventBridge signs with SigV4a only for a global endpoint
 * (`PutEvents` with an `EndpointId`), which we never send; and no SigV4a implementation is bundled
 * (`@aws-sdk/signature-v4-crt` or `@aws-sdk/signature-v4a`), so the SDK's class would fail there too.
 * It signs every other request with @smithy/signature-v4's `SignatureV4`, as the SDK's class does,
 * and tells the client's auth scheme resolver that no SigV4a implementation is loaded (`none`, as the
 * SDK's `sigv4aDependency` answers without one), so that it picks SigV4.
 */
export class SignatureV4MultiRegion {
  private readonly sigv4: SignatureV4;

  /** Which SigV4a implementation is loaded: none (EventBridge's auth scheme resolver asks). */
  static sigv4aDependency(): 'none' {
    return 'none';
  }

  constructor(options: SignatureV4Init & SignatureV4CryptoInit) {
    this.sigv4 = new SignatureV4(options);
  }

  /** Signs with SigV4; throws for signing region `*` (SigV4a). */
  sign(request: HttpRequest, options: RequestSigningArguments = {}): Promise<HttpRequest> {
    if (options.signingRegion === '*') return Promise.reject(sigv4aNotBundled());
    return this.sigv4.sign(request, options);
  }

  /** Presigns with SigV4; throws for signing region `*` (SigV4a). */
  presign(request: HttpRequest, options: RequestPresigningArguments = {}): Promise<HttpRequest> {
    if (options.signingRegion === '*') return Promise.reject(sigv4aNotBundled());
    return this.sigv4.presign(request, options);
  }
}

const sigv4aNotBundled = (): Error =>
  notBundled(
    'SigV4a signing',
    "got signing region '*' (an EventBridge global endpoint), expected a region: we send no EndpointId",
  );

/**
 * Stands for @aws-sdk/core's `createUserAgentStringParsingProvider`, the user agent of the SDK's
 * browser builds (it parses `window.navigator.userAgent` with `bowser`, loaded by `import()`). The
 * clients' Node runtime config (`runtimeConfig.js`, which a Lambda bundle takes) builds the Node user
 * agent instead, so no function calls it; esbuild drops it as unused, but code splitting would
 * still write its `bowser` chunk (34.6 KB) into every function's package.
 */
export function createUserAgentStringParsingProvider(): never {
  throw notBundled(
    "the browser's user agent (bowser)",
    "got a client with the SDK's browser runtime config, expected its Node one",
  );
}

/**
 * Stands for @smithy/core's `sdkStreamMixin` of `sdk-stream-mixin.browser.js` (with the browser's
 * base64 and UTF-8 it imports, 2.2 KB of each bundle with Route 53): the streaming-body helpers for
 * a web `ReadableStream` or `Blob`. The SDK's Node `sdkStreamMixin` calls it only for a response body
 * that is not a Node `Readable`, and the Node HTTP handler of every client (the one client factory,
 * functions/aws/client-factory.ts) answers each body as its `IncomingMessage`, a `Readable`; and only
 * the REST protocols' streaming payloads reach the mixin (`HttpBindingProtocol`, Route 53's, whose
 * operations we call have none). The Node mixin turns this throw into its own "Unexpected stream
 * implementation" error, as it does when the browser's mixin refuses a body.
 */
export function sdkStreamMixin(_stream: unknown): never {
  throw notBundled(
    "the SDK's web-stream body helpers",
    "got a response body that is not a Node Readable, expected the Node HTTP handler's IncomingMessage",
  );
}

const webBodyNotBundled = (): Error =>
  notBundled(
    "the SDK's web-stream body collector",
    "got a Blob or ReadableStream response body, expected the Node HTTP handler's IncomingMessage",
  );

/**
 * Stands for @smithy/core's `collectBlob` of `stream-collector.browser.js`, which the Node
 * `streamCollector` calls only for a `Blob` body; the Node HTTP handler answers a Node `Readable`
 * (see {@link sdkStreamMixin}).
 */
export function collectBlob(_blob: unknown): Promise<never> {
  return Promise.reject(webBodyNotBundled());
}

/**
 * Stands for @smithy/core's `collectReadableStream` of `stream-collector.browser.js`, which the Node
 * `streamCollector` calls only for a web `ReadableStream` body; the Node HTTP handler answers a Node
 * `Readable` (see {@link sdkStreamMixin}).
 */
export function collectReadableStream(_stream: unknown): Promise<never> {
  return Promise.reject(webBodyNotBundled());
}

/**
 * Stands for @smithy/core's `resolveParamsForS3` (with the S3 bucket-name rules of its module, 0.8 KB
 * of every bundle), which the endpoint middleware calls only for a client whose `serviceId` is `s3`
 * (`getEndpointFromInstructions`): no function of ours has an S3 client.
 */
export function resolveParamsForS3(_endpointParams: unknown): Promise<never> {
  return Promise.reject(
    notBundled(
      "S3's endpoint parameters",
      'got a client whose serviceId is s3, expected none (we have no S3 client)',
    ),
  );
}
